// SPDX-License-Identifier: Apache-2.0
// File: client/latency_histogram.h
//
// HDR-like latency histogram in fixed memory: values (microseconds) fall
// in log2 ranges, each split into 32 linear sub-buckets, so a percentile is
// off by at most ~3 % of the value; 0 us .. ~2^40 us (12 days) in 41 x 32
// counters. Not thread-safe: one per thread, Merge() at the end.
#pragma once

#include <array>
#include <cstdint>

namespace lqd::client {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 5;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kRanges = 41;

  void Record(uint64_t us);
  void Merge(const LatencyHistogram& o);
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  // Value at quantile q in [0, 1] (upper edge of its bucket, capped at max).
  uint64_t Percentile(double q) const;

 private:
  static int Index(uint64_t v);
  static uint64_t UpperEdge(int index);
  std::array<uint64_t, kRanges * kSub> buckets_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
  uint64_t min_ = UINT64_MAX;
};

}  // namespace lqd::client
