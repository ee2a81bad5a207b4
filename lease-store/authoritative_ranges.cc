// SPDX-License-Identifier: Apache-2.0
// File: lease-store/authoritative_ranges.cc
#include "lease-store/authoritative_ranges.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace lqd {

absl::StatusOr<AuthoritativeRanges> AuthoritativeRanges::Build(std::vector<AddressRange> ranges) {
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (ranges[i].first > ranges[i].last) {
      return absl::InvalidArgumentError(
          absl::StrFormat("range %d (vpn %u): first 0x%08x > last 0x%08x", i, ranges[i].vpn,
                          ranges[i].first, ranges[i].last));
    }
  }
  std::sort(ranges.begin(), ranges.end(), [](const AddressRange& a, const AddressRange& b) {
    return a.vpn != b.vpn ? a.vpn < b.vpn : a.first < b.first;
  });
  AuthoritativeRanges out;
  out.ranges_.reserve(ranges.size());
  for (const AddressRange& r : ranges) {
    if (!out.ranges_.empty()) {
      AddressRange& cur = out.ranges_.back();
      // Overlapping or adjacent (64-bit arithmetic: last may be 0xffffffff).
      if (cur.vpn == r.vpn && uint64_t{r.first} <= uint64_t{cur.last} + 1) {
        cur.last = std::max(cur.last, r.last);
        continue;
      }
    }
    out.ranges_.push_back(r);
  }
  out.ranges_.shrink_to_fit();
  out.keys_.reserve(out.ranges_.size());
  out.lasts_.reserve(out.ranges_.size());
  for (const AddressRange& r : out.ranges_) {
    out.keys_.push_back(uint64_t{r.vpn} << 32 | r.first);
    out.lasts_.push_back(r.last);
  }
  return out;
}

bool AuthoritativeRanges::Contains(VpnId vpn, uint32_t ip) const {
  size_t n = keys_.size();
  if (n == 0) return false;
  const uint64_t key = uint64_t{vpn} << 32 | ip;
  const uint64_t* base = keys_.data();
  // Branchless: afterwards base is the last key <= `key` (or keys_[0]).
  while (n > 1) {
    const size_t half = n / 2;
    base = base[half] <= key ? base + half : base;
    n -= half;
  }
  if (*base > key) return false;
  const size_t i = static_cast<size_t>(base - keys_.data());
  return (*base >> 32) == vpn && ip <= lasts_[i];
}

}  // namespace lqd
