// SPDX-License-Identifier: Apache-2.0
// File: lease-store/authoritative_ranges.h
//
// The address ranges the primary manages (its pools), per VPN. RFC 4388
// 6.4 needs them to tell DHCPLEASEUNASSIGNED (we manage this address, it
// has no active lease) from DHCPLEASEUNKNOWN (not ours).
//
// Immutable once built: the control plane builds a new set and publishes it
// through LeaseStore::SetRanges(); readers see either the old or the new one.
// Lookup is a branchless binary search over merged, sorted intervals
// (~12 steps for 4096 ranges, no allocation) on a dense array of 8-byte
// (vpn << 32 | first) keys, so the search touches few cache lines.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "lease-store/lease.h"

namespace lqd {

struct AddressRange {
  VpnId vpn = kGlobalVpn;
  uint32_t first = 0;  // inclusive, host order
  uint32_t last = 0;   // inclusive
};

class AuthoritativeRanges {
 public:
  AuthoritativeRanges() = default;
  // Sorts and merges overlapping or adjacent ranges. Fails (with the index
  // of the offending range) if first > last.
  static absl::StatusOr<AuthoritativeRanges> Build(std::vector<AddressRange> ranges);

  bool Contains(VpnId vpn, uint32_t ip) const;
  size_t size() const { return ranges_.size(); }
  const std::vector<AddressRange>& ranges() const { return ranges_; }

 private:
  std::vector<AddressRange> ranges_;  // sorted by (vpn, first), disjoint
  std::vector<uint64_t> keys_;        // (vpn << 32 | first), parallel to ranges_
  std::vector<uint32_t> lasts_;       // ranges_[i].last
};

}  // namespace lqd
