// SPDX-License-Identifier: Apache-2.0
// File: client/latency_histogram.cc
#include "client/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace lqd::client {

// Range 0 holds 0..31 exactly; range r >= 1 holds [2^(r+4), 2^(r+5)) in 32
// steps of 2^(r-1).
int LatencyHistogram::Index(uint64_t v) {
  if (v < kSub) return static_cast<int>(v);
  const int msb = 63 - std::countl_zero(v);  // >= kSubBits
  const int range = msb - kSubBits + 1;
  if (range >= kRanges) return kRanges * kSub - 1;
  const int sub = static_cast<int>((v >> (msb - kSubBits)) & (kSub - 1));
  return range * kSub + sub;
}

uint64_t LatencyHistogram::UpperEdge(int index) {
  const int range = index / kSub, sub = index % kSub;
  if (range == 0) return static_cast<uint64_t>(sub);
  const int shift = range - 1;
  return ((uint64_t{kSub} + static_cast<uint64_t>(sub) + 1) << shift) - 1;
}

void LatencyHistogram::Record(uint64_t us) {
  ++buckets_[Index(us)];
  ++count_;
  max_ = std::max(max_, us);
  min_ = std::min(min_, us);
}

void LatencyHistogram::Merge(const LatencyHistogram& o) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += o.buckets_[i];
  count_ += o.count_;
  max_ = std::max(max_, o.max_);
  min_ = std::min(min_, o.min_);
}

uint64_t LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  const uint64_t rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      if (i + 1 == buckets_.size()) return max_;  // the overflow bucket
      return std::min(UpperEdge(static_cast<int>(i)), max_);
    }
  }
  return max_;
}

}  // namespace lqd::client
