// SPDX-License-Identifier: Apache-2.0
// File: dataplane/rate_limit.h
//
// Admission control in front of the query engine, per lcore, no allocation
// on the fast path, no DPDK header (time comes in as TSC cycles):
//
//  * Acl: the source address and giaddr must both be inside acl.allow
//    (empty list = allow all). The reply goes to giaddr, so checking only
//    the source would let an allowed relay aim replies anywhere.
//  * RateLimiter: one token bucket per requester (giaddr) in a fixed-size
//    open-addressing table. Credit is kept in TSC cycles: a packet costs
//    hz / pps cycles, the bucket holds at most burst * cost, and elapsed
//    time refills it, all in integer arithmetic. When a probe window is
//    full, the least recently seen entry is evicted, so a flood of spoofed
//    giaddrs costs memory nothing and only ever evicts idle requesters.
//
// Each lcore has its own limiter. RSS hashes a relay's (src, dst, ports)
// to one queue, so one requester's packets meet one bucket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/policy.h"

namespace lqd::dataplane {

class Acl {
 public:
  Acl() = default;
  explicit Acl(std::vector<Ipv4Prefix> allow) : allow_(std::move(allow)) {}
  bool Allows(uint32_t ip) const {
    if (allow_.empty()) return true;
    for (const auto& p : allow_)
      if (p.Contains(ip)) return true;
    return false;
  }
  bool Allows(uint32_t src, uint32_t giaddr) const { return Allows(src) && Allows(giaddr); }
  bool empty() const { return allow_.empty(); }

 private:
  std::vector<Ipv4Prefix> allow_;
};

class RateLimiter {
 public:
  static constexpr size_t kSlots = 4096;  // power of two
  static constexpr size_t kProbe = 8;

  // pps == 0 disables the limiter. burst == 0 means one second's worth.
  RateLimiter(uint32_t pps, uint32_t burst, uint64_t tsc_hz)
      : slots_(std::make_unique<Slot[]>(kSlots)), tsc_hz_(tsc_hz) {
    Reconfigure(pps, burst);
  }

  bool enabled() const { return enabled_; }

  // New rate and burst (config reload), no allocation: requesters keep
  // their buckets, with credit cut to the new depth.
  void Reconfigure(uint32_t pps, uint32_t burst) {
    enabled_ = pps != 0;
    cost_ = pps ? tsc_hz_ / pps : 0;
    cap_ = cost_ * (burst ? burst : (pps ? pps : 1));
    for (size_t i = 0; i < kSlots; ++i)
      if (slots_[i].credit > cap_) slots_[i].credit = cap_;
  }

  // True if the requester may send one more query at time `now` (TSC).
  bool Allow(uint32_t key, uint64_t now) {
    if (!enabled_) return true;
    const size_t h = Hash(key);
    Slot* victim = nullptr;
    for (size_t i = 0; i < kProbe; ++i) {
      Slot& s = slots_[(h + i) & (kSlots - 1)];
      if (s.used && s.key == key) return Spend(s, now);
      if (!s.used) {
        if (!victim || victim->used) victim = &s;
      } else if (!victim || (victim->used && s.last < victim->last)) {
        victim = &s;
      }
    }
    // New requester: a full bucket, minus this packet.
    *victim = Slot{key, true, now, cap_};
    return Spend(*victim, now);
  }

 private:
  struct Slot {
    uint32_t key = 0;
    bool used = false;
    uint64_t last = 0;    // TSC of the last refill
    uint64_t credit = 0;  // cycles of credit, <= cap_
  };

  static size_t Hash(uint32_t k) {
    return static_cast<size_t>((uint64_t{k} * 0x9e3779b97f4a7c15ull) >> 40);
  }

  bool Spend(Slot& s, uint64_t now) {
    if (now > s.last) {
      const uint64_t elapsed = now - s.last;
      s.credit = elapsed >= cap_ - s.credit ? cap_ : s.credit + elapsed;
      s.last = now;
    }
    if (s.credit < cost_) return false;
    s.credit -= cost_;
    return true;
  }

  bool enabled_ = false;
  uint64_t cost_ = 0;
  uint64_t cap_ = 0;
  std::unique_ptr<Slot[]> slots_;
  uint64_t tsc_hz_;
};

}  // namespace lqd::dataplane
