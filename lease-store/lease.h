// SPDX-License-Identifier: Apache-2.0
// File: lease-store/lease.h
//
// What lqd knows about one lease, in two shapes:
//  * `Lease` is the writer's input: a plain value with owning byte strings,
//    built by the control plane from a Kea/dhcpd feed or a snapshot.
//  * `LeaseRecord` is the stored form: one immutable, variable-length block
//    (fixed fields + the byte strings packed behind them). Readers get a
//    `const LeaseRecord*` and may read it until their next quiescent state.
//
// Times are absolute seconds on the primary's clock (Unix epoch, uint32;
// good until 2106). Addresses are host-order uint32.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace lqd {

// RFC 6607 VPN scope. 0 is the global (default) address space; other values
// are small integers the control plane interns from VPN names. Every key
// carries one, so overlapping address spaces need no new index later.
using VpnId = uint32_t;
inline constexpr VpnId kGlobalVpn = 0;

enum class LeaseState : uint8_t {
  kActive = 0,
  kFree = 1,      // known to the primary, not leased
  kExpired = 2,
  kReleased = 3,
  kDeclined = 4,  // declined or abandoned: the primary will not hand it out
};
const char* LeaseStateName(LeaseState s);

inline constexpr uint32_t kInfiniteTime = 0xffffffff;

// Hardware address exactly as in the BOOTP header: htype, hlen, chaddr.
struct HwAddr {
  uint8_t htype = 0;
  uint8_t hlen = 0;  // <= 16
  uint8_t bytes[16] = {};
  std::span<const uint8_t> view() const { return {bytes, hlen}; }
  bool empty() const { return hlen == 0; }
  friend bool operator==(const HwAddr& a, const HwAddr& b);
};

// Writer-side lease value.
struct Lease {
  uint32_t ip = 0;
  VpnId vpn = kGlobalVpn;
  HwAddr hw;
  std::string client_id;        // option 61 value, raw bytes; empty = none
  LeaseState state = LeaseState::kActive;
  uint32_t cltt = 0;            // client-last-transaction-time
  uint32_t expire = 0;          // absolute; kInfiniteTime = never
  uint32_t t1 = 0;              // absolute; 0 = derive from policy
  uint32_t t2 = 0;              // absolute; 0 = derive from policy
  std::string relay_agent_info; // most recent option 82 payload, raw
  std::string vendor_class;     // option 60 value, raw
  uint32_t server_id = 0;       // the primary's server identifier
  uint32_t subnet_id = 0;       // the primary's subnet / pool id
  // Other options the primary handed out, as concatenated code/len/value
  // TLVs (only returned when on the non-sensitive list).
  std::string extra_options;
};

// Borrowed view of a lease: the same fields as Lease, with the byte strings
// pointing into someone else's buffer (a Lease, or a snapshot record being
// decoded). BulkLoad takes these so a decoder can hand over leases without
// building a std::string per field (at 10 M leases that was ~2 GB of Lease
// values, a heap string each for option 82, written once and read once).
struct LeaseRef {
  uint32_t ip = 0;
  VpnId vpn = kGlobalVpn;
  HwAddr hw;
  LeaseState state = LeaseState::kActive;
  uint32_t cltt = 0;
  uint32_t expire = 0;
  uint32_t t1 = 0;
  uint32_t t2 = 0;
  uint32_t server_id = 0;
  uint32_t subnet_id = 0;
  std::string_view client_id;
  std::string_view relay_agent_info;
  std::string_view vendor_class;
  std::string_view extra_options;

  // A view of `l`, valid while `l` lives unchanged.
  static LeaseRef Of(const Lease& l);
  // An owning copy.
  Lease ToLease() const;
};

// Stored, immutable form. Created and destroyed only by LeaseStore.
struct LeaseRecord {
  uint32_t ip;
  VpnId vpn;
  uint32_t cltt;
  uint32_t expire;
  uint32_t t1;
  uint32_t t2;
  uint32_t server_id;
  uint32_t subnet_id;
  LeaseState state;
  uint8_t htype;
  uint8_t hlen;
  uint8_t client_id_len;
  uint8_t rai_len;
  uint8_t vendor_class_len;
  uint16_t extra_len;
  uint8_t chaddr[16];
  // client_id, relay_agent_info, vendor_class, extra_options follow, packed.
  uint8_t data[];

  std::span<const uint8_t> hw_bytes() const { return {chaddr, hlen}; }
  std::span<const uint8_t> client_id() const { return {data, client_id_len}; }
  std::span<const uint8_t> relay_agent_info() const {
    return {data + client_id_len, rai_len};
  }
  std::span<const uint8_t> vendor_class() const {
    return {data + client_id_len + rai_len, vendor_class_len};
  }
  std::span<const uint8_t> extra_options() const {
    return {data + client_id_len + rai_len + vendor_class_len, extra_len};
  }
  // Active on the primary and not past its expiry at `now`.
  bool IsActiveAt(uint32_t now) const {
    return state == LeaseState::kActive && (expire == kInfiniteTime || expire > now);
  }
};

}  // namespace lqd
