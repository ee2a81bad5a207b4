// SPDX-License-Identifier: Apache-2.0
// File: engine/policy.h
//
// What the operator decides about answers (RFC 4388 leaves these to local
// configuration). Immutable while the engine reads it: the control plane
// builds a new Policy and swaps the pointer (hot reload).
#pragma once

#include <bitset>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "lease-store/lease.h"

namespace lqd {

struct Ipv4Prefix {
  uint32_t addr = 0;  // host order
  uint8_t len = 0;    // 0..32
  bool Contains(uint32_t ip) const {
    if (len == 0) return true;
    uint32_t mask = len >= 32 ? 0xffffffffu : ~(0xffffffffu >> len);
    return (ip & mask) == (addr & mask);
  }
};
// Parses "10.0.0.0/8" or "10.1.2.3" (= /32).
absl::StatusOr<Ipv4Prefix> ParseIpv4Prefix(const char* text);
absl::StatusOr<uint32_t> ParseIpv4(const char* text);

class AuthKeyring;  // engine/auth.h

enum class StalePolicy : uint8_t {
  kAnswerNormally = 0,   // ignore staleness
  kUnknownForUnassigned, // answer UNKNOWN where UNASSIGNED would be (default)
  kSilent,               // do not answer at all while stale
};

struct Policy {
  // Options beyond the leasequery set (51, 58, 59, 60, 61, 82, 91, 92) that
  // may be returned when requested (RFC 4388 6.4.2, "non-sensitive").
  std::bitset<256> non_sensitive;
  // Options returned when the query has no Parameter Request List. RFC 4388
  // 6.2 asks for "the same options as a DHCPREQUEST without PRL"; lqd's
  // default is the leasequery set that a relay needs to rebuild its state.
  std::vector<uint8_t> default_options = {51, 58, 59, 61, 82, 91};
  // T1/T2 when the primary's feed did not carry them, as fractions of the
  // lease's valid lifetime (RFC 2131 4.4.5 defaults).
  double t1_fraction = 0.5;
  double t2_fraction = 0.875;
  // Requesters (by giaddr) allowed to send several selectors in one query;
  // lqd then applies ISC dhcpd's precedence ciaddr > client-id > chaddr
  // instead of dropping the query (RFC 4388 6.3 says MUST be exactly one).
  std::vector<Ipv4Prefix> lenient_requesters;
  // What to do when the control plane says the replica is stale.
  StalePolicy stale_policy = StalePolicy::kUnknownForUnassigned;
  // RFC 4388 6.4 says DHCPLEASEUNKNOWN carries no other options; option 54
  // is still useful to a relay that queries several servers (Kea sends it).
  // On by default; turn off for the strict reading.
  bool server_id_in_unknown = true;
  // Upper bound on addresses listed in option 92 (split over several
  // instances per RFC 3396 when above 63). Guards the reply size.
  uint32_t max_associated_ips = 256;
  // RFC 3118 delayed authentication (engine/auth.h); null = off. Shared
  // with the config it came from; its replay state is internally atomic.
  std::shared_ptr<AuthKeyring> auth;

  bool IsLenient(uint32_t giaddr) const {
    for (const auto& p : lenient_requesters)
      if (p.Contains(giaddr)) return true;
    return false;
  }
};

// The default policy: nothing beyond the leasequery set is non-sensitive.
Policy DefaultPolicy();

}  // namespace lqd
