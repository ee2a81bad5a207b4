// SPDX-License-Identifier: Apache-2.0
// File: control/kea_times.h
//
// Kea's "expire" (an HA push's lease4-update/-del, the memfile CSV's expire
// column) is cltt + valid-lft computed in 64 bits. An infinite lease
// (valid-lft 0xffffffff, Kea's BOOTP leases among them) therefore has an
// expire above 2^32, and so does any lease ending after 2106. lqd keeps
// 32-bit Unix times: KeaTimesFromExpire turns Kea's pair into lqd's.
#pragma once

#include <cstdint>

#include "lease-store/lease.h"

namespace lqd::control {

// The largest expire Kea can write: a 32-bit cltt plus a 32-bit valid-lft.
inline constexpr uint64_t kMaxKeaExpire = 2 * uint64_t{0xffffffff};

// cltt = expire - valid (0 if expire < valid, as before a cltt is known);
// expire = kInfiniteTime for an infinite valid-lft or a sum past 32 bits.
// False when the pair is no Kea lease's: expire beyond kMaxKeaExpire, or a
// cltt that does not fit 32 bits.
inline bool KeaTimesFromExpire(uint64_t expire, uint32_t valid, uint32_t* cltt, uint32_t* expire_out) {
  if (expire > kMaxKeaExpire) return false;
  const uint64_t c = expire >= valid ? expire - valid : 0;
  if (c > 0xffffffffull) return false;
  *cltt = static_cast<uint32_t>(c);
  *expire_out = valid == kInfiniteTime || expire >= kInfiniteTime ? kInfiniteTime : static_cast<uint32_t>(expire);
  return true;
}

}  // namespace lqd::control
