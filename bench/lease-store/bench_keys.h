// SPDX-License-Identifier: Apache-2.0
// File: bench/lease-store/bench_keys.h
//
// Keys and query order shared by lease_store_benchmark and
// rte_hash_baseline_benchmark, so both measure the same work: n leases at
// 10.0.0.0 + i, queried in one fixed pseudo-random order (all hits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace lqd::bench {

inline constexpr uint32_t kBaseIp = 0x0a000000;  // 10.0.0.0; 10 M fit in 10/8
inline constexpr size_t kQueries = size_t{1} << 22;  // 16 MiB of queries, cycled
inline constexpr int kBurst = 32;                    // batch size, quiescent period

inline uint32_t IpOf(size_t i) { return kBaseIp + static_cast<uint32_t>(i); }

// Indexes 0..n-1 drawn uniformly (with replacement), fixed seed.
inline std::vector<uint32_t> QueryOrder(size_t n) {
  std::mt19937_64 rng(0x6c7164);
  std::vector<uint32_t> q(kQueries);
  for (uint32_t& x : q) x = static_cast<uint32_t>(rng() % n);
  return q;
}

}  // namespace lqd::bench
