// SPDX-License-Identifier: Apache-2.0
// File: bench/control/lookup_under_churn_benchmark.cc
//
// Does replication slow the answers down? One reader thread (an lcore's
// shape: FindByIp in bursts of 32, Qsbr Quiescent after each burst) looks
// up random addresses among 1,000,000 leases while the writer thread (the
// control thread's shape: Replica::Apply of Kea-like updates, Reclaim every
// millisecond) applies 0, 10,000 or 100,000 updates per second, paced.
// Reported: lookups/s per case and relative to the idle case (goal: within
// 10 %), plus the writer's achieved rate. Cases are interleaved over
// several rounds (medians), and lookups are also given per second of the
// reader's own CPU time, which other load on a shared machine does not skew.
//
//   lookup_under_churn_benchmark [--seconds S] [--rounds R] [--leases N] [--quick]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <thread>
#include <vector>

#include "control/replica.h"
#include "lease-store/lease_store.h"

namespace {

using Clock = std::chrono::steady_clock;
using lqd::Lease;
using lqd::LeaseStore;
using lqd::LeaseStoreOptions;
using lqd::QsbrReader;
using lqd::control::LeaseUpdate;
using lqd::control::Replica;

constexpr uint32_t kBase = 0x0a000000;  // 10.0.0.0
constexpr int kBurst = 32;

Lease MakeLease(uint32_t i, uint32_t now, uint32_t gen) {
  Lease l;
  l.ip = kBase + i;
  l.hw.htype = 1;
  l.hw.hlen = 6;
  const uint8_t mac[6] = {2, 0, uint8_t(i >> 24), uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
  std::memcpy(l.hw.bytes, mac, 6);
  if (i & 1) l.client_id = std::string("\x01", 1) + std::string(reinterpret_cast<const char*>(mac), 6);
  l.cltt = now - 600 + gen;
  l.expire = l.cltt + 3600;
  l.relay_agent_info = std::string("\x01\x0c") + "eth0/1/1:100" + "\x02\x08" + "RID-" + std::to_string(i % 10000);
  l.subnet_id = 1;
  return l;
}

struct CaseResult {
  double lookups_per_s = 0;
  double lookups_per_cpu_s = 0;  // per second of the reader's own CPU time
  double updates_per_s = 0;
  uint64_t found = 0;
};

CaseResult RunCase(LeaseStore& store, Replica& replica, uint32_t n, double rate, double seconds, uint32_t now,
                   uint32_t* gen) {
  std::atomic<bool> go{false}, stop{false};
  std::atomic<uint64_t> lookups{0}, found{0};
  std::atomic<double> reader_cpu{0};
  std::thread reader([&] {
    QsbrReader r(store.qsbr());
    std::mt19937 rng(42);
    std::vector<uint32_t> ips(1 << 16);
    for (auto& ip : ips) ip = kBase + rng() % n;
    size_t k = 0;
    uint64_t local = 0, hit = 0;
    while (!go.load(std::memory_order_acquire)) {
    }
    timespec t0{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    const double cpu0 = static_cast<double>(t0.tv_sec) + static_cast<double>(t0.tv_nsec) * 1e-9;
    while (!stop.load(std::memory_order_relaxed)) {
      for (int b = 0; b < kBurst; ++b) {
        const lqd::LeaseRecord* rec = store.FindByIp(ips[k]);
        hit += rec != nullptr && rec->expire != 0;
        k = (k + 1) & (ips.size() - 1);
      }
      r.Quiescent();
      local += kBurst;
    }
    lookups = local;
    found = hit;
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    reader_cpu = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9 - cpu0;
  });
  std::mt19937 wrng(7);
  uint64_t applied = 0;
  ++*gen;
  const auto t0 = Clock::now();
  go.store(true, std::memory_order_release);
  auto last_reclaim = t0;
  const auto end = t0 + std::chrono::duration<double>(seconds);
  for (auto t = Clock::now(); t < end; t = Clock::now()) {
    if (rate > 0) {
      const double due = rate * std::chrono::duration<double>(t - t0).count();
      while (static_cast<double>(applied) < due) {
        LeaseUpdate u;
        u.lease = MakeLease(wrng() % n, now, *gen);
        replica.Apply(u, now);
        ++applied;
      }
    }
    if (t - last_reclaim > std::chrono::milliseconds(1)) {
      store.Reclaim();
      last_reclaim = t;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));  // the control thread's epoll wait
  }
  stop = true;
  reader.join();
  const double took = std::chrono::duration<double>(Clock::now() - t0).count();
  store.Reclaim();
  return {static_cast<double>(lookups.load()) / took, static_cast<double>(lookups.load()) / reader_cpu.load(),
          static_cast<double>(applied) / took, found.load()};
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 1.0;
  int rounds = 3;
  uint32_t n = 1'000'000;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--leases") && i + 1 < argc) n = static_cast<uint32_t>(std::atol(argv[++i]));
    else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--quick")) seconds = 0.5, rounds = 1;
    else {
      std::fprintf(stderr, "usage: lookup_under_churn_benchmark [--seconds S] [--rounds R] [--leases N] [--quick]\n");
      return 2;
    }
  }
  const uint32_t now = static_cast<uint32_t>(time(nullptr));
  LeaseStore store(LeaseStoreOptions{.shards = 256, .expected_leases = n});
  {
    std::vector<Lease> all;
    all.reserve(n);
    for (uint32_t i = 0; i < n; ++i) all.push_back(MakeLease(i, now, 0));
    if (auto st = store.BulkLoad(all); !st.ok()) {
      std::fprintf(stderr, "BulkLoad: %s\n", std::string(st.message()).c_str());
      return 1;
    }
  }
  Replica replica(store);
  uint32_t gen = 0;
  std::printf("lookup_under_churn_benchmark: %u leases, 1 reader (bursts of %d, quiescent after each), "
              "1 writer (Replica::Apply, paced), %d rounds of %.1f s per case, interleaved; medians\n",
              n, kBurst, rounds, seconds);
  const double rates[] = {0, 10'000, 100'000};
  std::vector<CaseResult> results[3];
  for (int round = 0; round < rounds; ++round)
    for (int c = 0; c < 3; ++c) results[c].push_back(RunCase(store, replica, n, rates[c], seconds, now, &gen));
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  double idle_wall = 0, idle_cpu = 0;
  std::printf("%-10s %10s %14s %8s %18s %8s\n", "updates/s", "achieved", "lookups/s", "vs idle",
              "lookups/cpu-s", "vs idle");
  int rc = 0;
  for (int c = 0; c < 3; ++c) {
    std::vector<double> wall, cpu, ach;
    for (const auto& r : results[c]) {
      wall.push_back(r.lookups_per_s);
      cpu.push_back(r.lookups_per_cpu_s);
      ach.push_back(r.updates_per_s);
      if (r.found == 0) rc = 1;
    }
    const double w = median(wall), u = median(cpu);
    if (c == 0) idle_wall = w, idle_cpu = u;
    std::printf("%-10.0f %10.0f %14.0f %7.1f%% %18.0f %7.1f%%\n", rates[c], median(ach), w, 100 * w / idle_wall, u,
                100 * u / idle_cpu);
  }
  std::printf("(lookups/cpu-s: per second of the reader thread's own CPU time, which a busy machine does not\n"
              " distort; achieved below the target means the writer could not keep the pace)\n");
  return rc;
}
