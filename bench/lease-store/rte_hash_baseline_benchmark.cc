// SPDX-License-Identifier: Apache-2.0
// File: bench/lease-store/rte_hash_baseline_benchmark.cc
//
// Baseline for lease_store_benchmark: DPDK rte_hash with lock-free
// reader/writer concurrency (RW_CONCURRENCY_LF, plus EXT_TABLE so every key
// fits), 4-byte IPv4 keys, 8-byte data pointing at a 112-byte record (the
// size of a realistic LeaseRecord with its allocator rounding), CRC32 hash.
// Same keys and query order as the store (bench_keys.h); every lookup reads
// one field of the record, as the store's lookups do. Items = lookups.
//
// The EAL runs without hugepages, shared config files, PCI or telemetry, with
// lcore 0 free to run on any allowed CPU (see main):
//   rte_hash_baseline_benchmark --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <map>
#include <memory>
#include <vector>

#include "bench/lease-store/bench_keys.h"

namespace lqd::bench {
namespace {

struct Record {
  uint32_t ip;
  uint32_t expire;
  uint8_t rest[104];
};
static_assert(sizeof(Record) == 112);

size_t HeapBytes() {
  rte_malloc_socket_stats st{};
  size_t total = 0;
  for (int s = 0; s < RTE_MAX_NUMA_NODES; ++s) {
    if (rte_malloc_get_socket_stats(s, &st) == 0) total += st.heap_allocsz_bytes;
  }
  return total;
}

struct Fixture {
  rte_hash* h = nullptr;
  std::vector<Record*> records;
  std::vector<uint32_t> ips;  // query order
  double index_bytes_per_key = 0;
};

Fixture& Get(size_t n) {
  static std::map<size_t, std::unique_ptr<Fixture>> fixtures;
  std::unique_ptr<Fixture>& f = fixtures[n];
  if (f) return *f;
  f = std::make_unique<Fixture>();
  char name[RTE_HASH_NAMESIZE];
  std::snprintf(name, sizeof(name), "lqd_ip_%zu", n);
  rte_hash_parameters p{};
  p.name = name;
  p.entries = static_cast<uint32_t>(n + n / 4);  // rounded up to a power of two
  p.key_len = sizeof(uint32_t);
  p.hash_func = rte_hash_crc;
  p.hash_func_init_val = 0;
  p.socket_id = SOCKET_ID_ANY;
  p.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  const size_t before = HeapBytes();
  f->h = rte_hash_create(&p);
  if (f->h == nullptr) {
    std::fprintf(stderr, "rte_hash_create(%zu): %s\n", n, rte_strerror(rte_errno));
    std::exit(1);
  }
  f->records.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto* r = static_cast<Record*>(std::malloc(sizeof(Record)));
    r->ip = IpOf(i);
    r->expire = 1700000000 + static_cast<uint32_t>(i % 86400) + 86400;
    f->records.push_back(r);
    if (rte_hash_add_key_data(f->h, &r->ip, r) != 0) {
      std::fprintf(stderr, "rte_hash_add_key_data failed at %zu\n", i);
      std::exit(1);
    }
  }
  f->index_bytes_per_key = double(HeapBytes() - before) / double(n);
  for (uint32_t i : QueryOrder(n)) f->ips.push_back(IpOf(i));
  return *f;
}

void BM_RteHashLookup(benchmark::State& state) {
  Fixture& f = Get(state.range(0));
  size_t i = 0;
  uint64_t sum = 0;
  void* data;
  for (auto _ : state) {
    if (rte_hash_lookup_data(f.h, &f.ips[i], &data) >= 0) {
      sum += static_cast<const Record*>(data)->expire;
    }
    if (++i == f.ips.size()) i = 0;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["index_bytes_per_key"] = f.index_bytes_per_key;
}

void BM_RteHashLookupBulk(benchmark::State& state) {
  Fixture& f = Get(state.range(0));
  const void* keys[kBurst];
  void* data[kBurst];
  uint64_t hits = 0;
  size_t i = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    for (int j = 0; j < kBurst; ++j) keys[j] = &f.ips[i + j];
    rte_hash_lookup_bulk_data(f.h, keys, kBurst, &hits, data);
    for (int j = 0; j < kBurst; ++j) {
      if (hits & (uint64_t{1} << j)) sum += static_cast<const Record*>(data[j])->expire;
    }
    i += kBurst;
    if (i == f.ips.size()) i = 0;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBurst);
  state.counters["index_bytes_per_key"] = f.index_bytes_per_key;
}

BENCHMARK(BM_RteHashLookup)->Arg(10000)->Arg(100000)->Arg(1000000)->Arg(10000000);
BENCHMARK(BM_RteHashLookupBulk)->Arg(10000)->Arg(100000)->Arg(1000000)->Arg(10000000);

}  // namespace
}  // namespace lqd::bench

int main(int argc, char** argv) {
  // Lcore 0 may run on any CPU this process may use, as the lease store
  // benchmark's thread does: "-l 0" would pin it to CPU 0, and on a shared
  // machine the two would then not compete for CPUs on equal terms.
  std::string lcores = "--lcores=0@(";
  {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) CPU_SET(0, &set);
    bool first = true;
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (!CPU_ISSET(c, &set)) continue;
      if (!first) lcores += ',';
      lcores += std::to_string(c);
      first = false;
    }
    lcores += ")";
  }
  // The rest of the EAL arguments are fixed; the command line goes to Google benchmark.
  // --no-shconf still creates the runtime directory: a prefix of our own,
  // removed at the end, so no empty /var/run/dpdk/rte is left behind.
  std::string prefix = "--file-prefix=rte_hash_baseline-" + std::to_string(getpid());
  char* eal_argv[] = {
      const_cast<char*>("rte_hash_baseline"), const_cast<char*>("--no-huge"),
      const_cast<char*>("-m"), const_cast<char*>("2048"),
      // --in-memory is what we mean, but DPDK 22.11 rejects it together with
      // --no-huge (which implies --legacy-mem); --no-shconf is the part of it
      // that matters here: no runtime files, no clash between runs.
      const_cast<char*>("--no-shconf"), const_cast<char*>("--no-pci"),
      const_cast<char*>("--no-telemetry"), lcores.data(), prefix.data(),
      const_cast<char*>("--log-level=lib.eal:error"),
  };
  const int eal_argc = static_cast<int>(sizeof(eal_argv) / sizeof(eal_argv[0]));
  if (rte_eal_init(eal_argc, eal_argv) < 0) {
    std::fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  rte_eal_cleanup();
  std::error_code ec;
  std::filesystem::remove_all("/var/run/dpdk/" + prefix.substr(prefix.find('=') + 1), ec);
  return 0;
}
