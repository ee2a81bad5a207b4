// SPDX-License-Identifier: Apache-2.0
// File: lease-store/lease.cc
#include "lease-store/lease.h"

#include <cstring>

namespace lqd {

const char* LeaseStateName(LeaseState s) {
  switch (s) {
    case LeaseState::kActive: return "active";
    case LeaseState::kFree: return "free";
    case LeaseState::kExpired: return "expired";
    case LeaseState::kReleased: return "released";
    case LeaseState::kDeclined: return "declined";
  }
  return "invalid";
}

bool operator==(const HwAddr& a, const HwAddr& b) {
  if (a.htype != b.htype || a.hlen != b.hlen) return false;
  const size_t n = a.hlen <= sizeof(a.bytes) ? a.hlen : sizeof(a.bytes);
  return std::memcmp(a.bytes, b.bytes, n) == 0;
}

}  // namespace lqd
