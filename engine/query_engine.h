// SPDX-License-Identifier: Apache-2.0
// File: engine/query_engine.h
//
// QueryEngine: the RFC 4388 server rules, as a pure function of
//   (parsed DHCPLEASEQUERY, store reader, now, policy) -> reply bytes | drop.
//
// It is what every lcore calls once per query, so it never allocates, never
// blocks and never writes to the store (a leasequery is read-only, RFC 4388
// section 3). Rules are numbered as in ../shared/reference and
// docs/rfc4388-compliance.md (S-nn); each is named where it is applied.
//
// Thread-safety: a QueryEngine holds only references; any number of threads
// may call Answer() concurrently as long as each is a registered, online
// reader of the store's Qsbr and does not pass a quiescent state while it is
// inside Answer().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dhcp/message.h"
#include "dhcp/wire.h"
#include "engine/policy.h"
#include "lease-store/lease_store.h"

namespace lqd {

// Why a query got no reply. X-macro so names and counters stay in step.
#define LQD_FOREACH_ENGINE_DROP(_)                                              \
  _(kNotBootRequest, "not-bootrequest", "op is not BOOTREQUEST")                 \
  _(kNotLeaseQuery, "not-leasequery",                                            \
    "DHCP message type is not DHCPLEASEQUERY (lqd is not a DHCP server)")         \
  _(kZeroGiaddr, "zero-giaddr", "giaddr is 0: RFC 4388 6.4.3 forbids a reply")   \
  _(kGiaddrNotUnicast, "giaddr-not-unicast",                                     \
    "giaddr is broadcast, multicast or in 0.0.0.0/8: a reply would amplify")      \
  _(kNoSelector, "no-selector", "none of ciaddr, chaddr, client-id is set")      \
  _(kMultipleSelectors, "multiple-selectors",                                    \
    "more than one of ciaddr, chaddr, client-id is set (RFC 4388 6.3)")            \
  _(kReplicaStale, "replica-stale", "replica is stale and policy says be silent") \
  _(kReplyOverflow, "reply-overflow", "reply did not fit the output buffer")      \
  /* RFC 3118 delayed authentication (engine/auth.h) */                         \
  _(kAuthMissing, "auth-missing", "auth is required and the query carries no MAC") \
  _(kAuthMalformed, "auth-malformed", "option 90 is too short or its info is not ID + MAC") \
  _(kAuthUnsupported, "auth-unsupported",                                         \
    "option 90 is not protocol 1 / HMAC-MD5 / RDM 0")                            \
  _(kAuthUnknownKey, "auth-unknown-key", "no key with this secret ID for this giaddr") \
  _(kAuthBadMac, "auth-bad-mac", "the HMAC-MD5 does not verify")                 \
  _(kAuthReplay, "auth-replay", "replay counter not above the last one accepted") \
  _(kAuthReplayTableFull, "auth-replay-table-full",                               \
    "no room left to track this requester's replay counter")

enum class EngineDrop : uint8_t {
#define LQD_ENGINE_DROP_ENUM(name, str, why) name,
  LQD_FOREACH_ENGINE_DROP(LQD_ENGINE_DROP_ENUM)
#undef LQD_ENGINE_DROP_ENUM
      kCount
};
const char* EngineDropName(EngineDrop d);
const char* EngineDropDescription(EngineDrop d);

// Which selector a query was answered by.
enum class QueryRegime : uint8_t { kByIp = 0, kByHwAddr = 1, kByClientId = 2 };
const char* QueryRegimeName(QueryRegime r);

struct QueryContext {
  uint32_t now = 0;          // seconds, same clock as the leases (primary's)
  uint32_t server_id = 0;    // option 54: config `server-id` (default: the first port's first address)
  VpnId vpn = kGlobalVpn;    // scope the query arrived in (RFC 6607; 0 today)
  bool replica_stale = false;
  const Policy* policy = nullptr;  // required
  // UDP source port of the query; the reply goes there when the relay
  // signals a non-standard port with RFC 8357 sub-option 19. 0: unknown.
  uint16_t udp_src_port = 0;
};

struct QueryResult {
  bool reply = false;                 // false: drop, see `drop`
  EngineDrop drop = EngineDrop::kCount;
  dhcp::MessageType type = dhcp::MessageType::kNone;  // 11, 12 or 13
  QueryRegime regime = QueryRegime::kByIp;
  size_t len = 0;                     // reply bytes written to `out`
  uint32_t dst_ip = 0;                // giaddr
  uint16_t dst_port = dhcp::kServerPort;  // 67, or the relay's source port (RFC 8357)
  // Addresses option 92 left out because the reply had no room for them
  // (0 almost always; see QueryEngine::Answer).
  uint32_t associated_left_out = 0;
};

class QueryEngine {
 public:
  explicit QueryEngine(const LeaseStore& store) : store_(store) {}

  // Decides and, for a reply, writes it to `out` (>= 576 bytes recommended;
  // a large option 92 may need more and is capped by the policy).
  QueryResult Answer(const dhcp::ParsedMessage& query, const QueryContext& ctx,
                     std::span<uint8_t> out) const;

  // Burst prefetch: before answering a burst, call Prefetch(kSlot, ...) for
  // every query, then Prefetch(kEntry, ...) for every query, then Answer()
  // each (LeaseStore's prefetch hints, §4 of lease_store.h). At a million
  // leases a lookup is two dependent cache misses; this overlaps them across
  // the burst. `bootp` is the unparsed query: only the fixed header is read
  // (ciaddr, else htype/hlen/chaddr), so by-client-id queries with an empty
  // chaddr get no hint. A hint only: any bytes are safe, nothing changes.
  void Prefetch(PrefetchStage stage, std::span<const uint8_t> bootp,
                VpnId vpn = kGlobalVpn) const;

 private:
  const LeaseStore& store_;
};

}  // namespace lqd
