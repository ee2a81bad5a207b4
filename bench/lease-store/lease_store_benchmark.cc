// SPDX-License-Identifier: Apache-2.0
// File: bench/lease-store/lease_store_benchmark.cc
//
// Lookups by IP / MAC / client-id at 1 M and 10 M leases, single and batched,
// plus bulk-load time and IsAuthoritative over 4096 ranges. Each lookup also
// reads one field of the record (a real query does), as the rte_hash
// baseline does through its data pointer. Items = lookups.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/lease-store/bench_keys.h"
#include "lease-store/lease_store.h"

namespace lqd::bench {
namespace {

// A realistic lease: 6-byte MAC, 7-byte client-id, 24-byte option 82,
// 12-byte vendor class.
void MacOf(size_t i, uint8_t* out) {
  const uint8_t b[6] = {0x00, 0x1b, uint8_t(i >> 24), uint8_t(i >> 16), uint8_t(i >> 8),
                        uint8_t(i)};
  std::memcpy(out, b, 6);
}
std::string CidOf(size_t i) {
  std::string s = "\x01\x00\x1b";
  s.push_back(char(i >> 24));
  s.push_back(char(i >> 16));
  s.push_back(char(i >> 8));
  s.push_back(char(i));
  return s;
}
Lease RealisticLease(size_t i) {
  Lease l;
  l.ip = IpOf(i);
  l.hw.htype = 1;
  l.hw.hlen = 6;
  MacOf(i, l.hw.bytes);
  l.client_id = CidOf(i);
  l.relay_agent_info.assign(24, 'r');
  std::memcpy(l.relay_agent_info.data() + 2, &i, 4);
  l.vendor_class = "docsis3.0:ab";
  l.cltt = 1700000000 + static_cast<uint32_t>(i % 86400);
  l.expire = l.cltt + 86400;
  l.server_id = 0xc0a80001;
  l.subnet_id = static_cast<uint32_t>(i >> 12);
  return l;
}
std::vector<Lease> RealisticLeases(size_t n) {
  std::vector<Lease> v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i) v.push_back(RealisticLease(i));
  return v;
}

LeaseStoreOptions OptionsFor(size_t n) {
  return LeaseStoreOptions{.shards = 256, .expected_leases = n};
}

struct Fixture {
  std::unique_ptr<LeaseStore> store;
  std::vector<uint32_t> order;  // indexes into the leases, query order
  std::vector<uint32_t> ips;    // IpOf(order[i])
  double bytes_per_lease = 0;
  double load_seconds = 0;
};

Fixture& Get(size_t n) {
  static std::map<size_t, std::unique_ptr<Fixture>> fixtures;
  std::unique_ptr<Fixture>& f = fixtures[n];
  if (!f) {
    f = std::make_unique<Fixture>();
    f->store = std::make_unique<LeaseStore>(OptionsFor(n));
    {
      const std::vector<Lease> leases = RealisticLeases(n);
      const auto t0 = std::chrono::steady_clock::now();
      if (!f->store->BulkLoad(leases).ok()) std::abort();
      f->load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    const LeaseStoreStats st = f->store->Stats();
    f->bytes_per_lease =
        double(st.bytes_records + st.bytes_indexes + st.bytes_groups) / double(st.leases);
    f->order = QueryOrder(n);
    f->ips.reserve(f->order.size());
    for (uint32_t i : f->order) f->ips.push_back(IpOf(i));
  }
  return *f;
}

void Finish(benchmark::State& state, const Fixture& f) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["bytes_per_lease"] = f.bytes_per_lease;
}

void BM_FindByIp(benchmark::State& state) {
  Fixture& f = Get(state.range(0));
  QsbrReader reader(f.store->qsbr());
  size_t i = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    const LeaseRecord* r = f.store->FindByIp(f.ips[i]);
    sum += r->expire;
    if (++i % kBurst == 0) {
      reader.Quiescent();
      if (i == f.ips.size()) i = 0;
    }
  }
  benchmark::DoNotOptimize(sum);
  Finish(state, f);
}

void BM_FindByIpBatch(benchmark::State& state) {
  Fixture& f = Get(state.range(0));
  QsbrReader reader(f.store->qsbr());
  const LeaseRecord* out[kBurst];
  size_t i = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    f.store->FindByIpBatch(&f.ips[i], kBurst, out);
    for (const LeaseRecord* r : out) sum += r->expire;
    reader.Quiescent();
    i += kBurst;
    if (i == f.ips.size()) i = 0;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBurst);
  state.counters["bytes_per_lease"] = f.bytes_per_lease;
}

void BM_FindByHwAddr(benchmark::State& state) {
  Fixture& f = Get(state.range(0));
  QsbrReader reader(f.store->qsbr());
  size_t i = 0;
  uint64_t sum = 0;
  uint8_t mac[6];
  for (auto _ : state) {
    MacOf(f.order[i], mac);
    const LeaseGroupView v = f.store->FindByHwAddr(1, mac);
    sum += v[0]->expire;
    if (++i % kBurst == 0) {
      reader.Quiescent();
      if (i == f.order.size()) i = 0;
    }
  }
  benchmark::DoNotOptimize(sum);
  Finish(state, f);
}

void BM_FindByClientId(benchmark::State& state) {
  Fixture& f = Get(state.range(0));
  QsbrReader reader(f.store->qsbr());
  size_t i = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    const std::string cid = CidOf(f.order[i]);  // 7 bytes: SSO, no allocation
    const LeaseGroupView v =
        f.store->FindByClientId({reinterpret_cast<const uint8_t*>(cid.data()), cid.size()});
    sum += v[0]->expire;
    if (++i % kBurst == 0) {
      reader.Quiescent();
      if (i == f.order.size()) i = 0;
    }
  }
  benchmark::DoNotOptimize(sum);
  Finish(state, f);
}

// Parallel BulkLoad into an empty store (TBB, all cores), realistic leases.
void BM_BulkLoad(benchmark::State& state) {
  const size_t n = state.range(0);
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Lease> leases = RealisticLeases(n);
    auto store = std::make_unique<LeaseStore>(OptionsFor(n));
    state.ResumeTiming();
    if (!store->BulkLoad(leases).ok()) std::abort();
    state.PauseTiming();
    const LeaseStoreStats st = store->Stats();
    state.counters["bytes_per_lease"] =
        double(st.bytes_records + st.bytes_indexes + st.bytes_groups) / double(st.leases);
    state.counters["MiB"] = double(st.bytes_records + st.bytes_indexes) / (1 << 20);
    store.reset();
    leases = {};
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}

void BM_IsAuthoritative(benchmark::State& state) {
  LeaseStore store;
  std::mt19937 rng(1);
  std::vector<AddressRange> ranges;
  for (int i = 0; i < state.range(0); ++i) {  // disjoint /24-ish pools across 10/8
    const uint32_t first = kBaseIp + (static_cast<uint32_t>(i) << 12) + static_cast<uint32_t>(rng() % 256);
    ranges.push_back({kGlobalVpn, first, first + 200 + static_cast<uint32_t>(rng() % 1000)});
  }
  auto built = AuthoritativeRanges::Build(ranges);
  if (!built.ok()) std::abort();
  store.SetRanges(*std::move(built));
  std::vector<uint32_t> q(1 << 16);
  for (uint32_t& x : q) x = kBaseIp + static_cast<uint32_t>(rng() % (uint64_t{4096} << 12));
  QsbrReader reader(store.qsbr());
  size_t i = 0, hits = 0;
  for (auto _ : state) {
    hits += store.IsAuthoritative(q[i]);
    if (++i == q.size()) {
      i = 0;
      reader.Quiescent();
    }
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// 10 k and 100 k (cache-resident) too, for the rate-vs-size curve in
// docs/performance.md; rte_hash_baseline_benchmark has the same sizes.
BENCHMARK(BM_FindByIp)->Arg(10000)->Arg(100000)->Arg(1000000)->Arg(10000000);
BENCHMARK(BM_FindByIpBatch)->Arg(10000)->Arg(100000)->Arg(1000000)->Arg(10000000);
BENCHMARK(BM_FindByHwAddr)->Arg(1000000)->Arg(10000000);
BENCHMARK(BM_FindByClientId)->Arg(1000000)->Arg(10000000);
BENCHMARK(BM_BulkLoad)->Arg(1000000)->Arg(10000000)->Iterations(1)->UseRealTime()->Unit(
    benchmark::kMillisecond);
BENCHMARK(BM_IsAuthoritative)->Arg(4096);

}  // namespace
}  // namespace lqd::bench
