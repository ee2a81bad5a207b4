// SPDX-License-Identifier: Apache-2.0
// File: engine/query_engine.cc
//
// The decision (which lease, which reply type) and the reply (which
// options) are kept in two halves: Decide*() look at the store, BuildReply()
// only writes. Both run on the lcore's stack; nothing here allocates.
#include "engine/query_engine.h"

#include <algorithm>
#include <bitset>

#include "dhcp/message_builder.h"
#include "dhcp/relay_agent_info.h"
#include "engine/auth.h"

namespace lqd {

namespace {

#define LQD_ENGINE_DROP_NAME(name, str, why) str,
#define LQD_ENGINE_DROP_WHY(name, str, why) why,
constexpr const char* kDropNames[] = {LQD_FOREACH_ENGINE_DROP(LQD_ENGINE_DROP_NAME)};
constexpr const char* kDropWhy[] = {LQD_FOREACH_ENGINE_DROP(LQD_ENGINE_DROP_WHY)};
#undef LQD_ENGINE_DROP_NAME
#undef LQD_ENGINE_DROP_WHY

using dhcp::MessageType;
namespace opt = dhcp::opt;

// Upper bound on one client's addresses the engine looks at (option 92 is
// further capped by Policy::max_associated_ips).
constexpr uint32_t kMaxGroupScan = 1024;

QueryResult Drop(EngineDrop d) {
  QueryResult r;
  r.drop = d;
  return r;
}

// A giaddr a reply may be sent to: not 0.0.0.0/8, not multicast (224/4),
// not class E or limited broadcast (240/4). Directed broadcasts cannot be
// told apart without the relay's prefix length; the ACL covers those.
bool IsUnicastDestination(uint32_t ip) {
  const uint32_t first = ip >> 24;
  return first != 0 && first < 224;
}

// RFC 4388 6.4.1 / S-11: among a client's active leases, the one from the
// most recent transaction (highest CLTT). Ties: later expiry, then lower
// address, so the answer never depends on index order.
bool MoreRecent(const LeaseRecord* a, const LeaseRecord* b) {
  if (a->cltt != b->cltt) return a->cltt > b->cltt;
  if (a->expire != b->expire) return a->expire > b->expire;
  return a->ip < b->ip;
}

// Seconds from `now` until `when`, or 0 if `when` is not in the future.
uint32_t Remaining(uint32_t when, uint32_t now) { return when > now ? when - now : 0; }

// T1 or T2 as an absolute time: the primary's value if the feed had one,
// else the policy fraction of the valid lifetime (RFC 2131 4.4.5).
uint32_t RenewTime(const LeaseRecord& l, uint32_t stored, double fraction) {
  if (stored != 0) return stored;
  if (l.expire == kInfiniteTime || l.expire <= l.cltt) return 0;
  return l.cltt + static_cast<uint32_t>(static_cast<double>(l.expire - l.cltt) * fraction);
}

// Finds option `code` in the record's stored extra options (code/len/value
// TLVs written by the control plane). Returns an empty span if absent.
std::span<const uint8_t> FindExtraOption(const LeaseRecord& l, uint8_t code, bool* found) {
  auto extra = l.extra_options();
  size_t i = 0;
  while (i + 2 <= extra.size()) {
    const uint8_t c = extra[i];
    const uint8_t n = extra[i + 1];
    if (i + 2 + n > extra.size()) break;
    if (c == code) {
      *found = true;
      return extra.subspan(i + 2, n);
    }
    i += 2 + n;
  }
  *found = false;
  return {};
}

// What the decision half hands to the building half.
struct Decision {
  MessageType type = MessageType::kLeaseUnknown;
  const LeaseRecord* lease = nullptr;   // ACTIVE only
  uint32_t ciaddr = 0;                  // ACTIVE and UNASSIGNED
  // Other active addresses of the same client (option 92).
  uint32_t associated[kMaxGroupScan];
  uint32_t num_associated = 0;
  bool force_associated = false;        // S-16: MAC/client-id queries always list them
};

// Fills `d` with the client's best active lease and the others (S-11, S-16).
void PickFromGroup(const LeaseGroupView& group, uint32_t now, const Policy& policy,
                   Decision& d) {
  const LeaseRecord* best = nullptr;
  const uint32_t n = std::min(group.size(), kMaxGroupScan);
  for (uint32_t i = 0; i < n; ++i) {
    const LeaseRecord* l = group[i];
    if (!l->IsActiveAt(now)) continue;
    if (best == nullptr || MoreRecent(l, best)) best = l;
  }
  if (best == nullptr) return;
  d.type = MessageType::kLeaseActive;
  d.lease = best;
  d.ciaddr = best->ip;
  for (uint32_t i = 0; i < n && d.num_associated < policy.max_associated_ips; ++i) {
    const LeaseRecord* l = group[i];
    if (l != best && l->IsActiveAt(now)) d.associated[d.num_associated++] = l->ip;
  }
  std::sort(d.associated, d.associated + d.num_associated);
}

// Writes one option the query asked for, if lqd has it and may send it.
// Option 82 and 92 are written by the caller (placement rules).
void AddRequestedOption(dhcp::MessageBuilder& b, uint8_t code, const LeaseRecord& l,
                        const QueryContext& ctx) {
  const Policy& p = *ctx.policy;
  switch (code) {
    case opt::kMessageType:
    case opt::kServerId:
    case opt::kRelayAgentInfo:
    case opt::kAssociatedIp:
    case opt::kPad:
    case opt::kEnd:
      return;
    case opt::kLeaseTime:  // S-17: time remaining, only for a valid lease
      b.AddU32(code, l.expire == kInfiniteTime ? kInfiniteTime : Remaining(l.expire, ctx.now));
      return;
    case opt::kRenewalTime:    // S-18: only if not yet in the past
    case opt::kRebindingTime: {
      const bool t1 = code == opt::kRenewalTime;
      const uint32_t at = RenewTime(l, t1 ? l.t1 : l.t2, t1 ? p.t1_fraction : p.t2_fraction);
      const uint32_t left = Remaining(at, ctx.now);
      if (left > 0) b.AddU32(code, left);
      return;
    }
    case opt::kClientLastTransactionTime:  // S-25: seconds in the past
      b.AddU32(code, ctx.now >= l.cltt ? ctx.now - l.cltt : 0);
      return;
    case opt::kClientId:  // S-15
      if (!l.client_id().empty()) b.AddOption(code, l.client_id());
      return;
    case opt::kVendorClass:  // S-27: stored vendor class
      if (!l.vendor_class().empty()) b.AddOption(code, l.vendor_class());
      return;
    default: {  // S-20/S-21: only what the operator declared non-sensitive
      if (!p.non_sensitive.test(code)) return;
      bool found = false;
      auto v = FindExtraOption(l, code, &found);
      if (found) b.AddOption(code, v);
      return;
    }
  }
}

}  // namespace

const char* EngineDropName(EngineDrop d) {
  auto i = static_cast<size_t>(d);
  return i < std::size(kDropNames) ? kDropNames[i] : "unknown";
}
const char* EngineDropDescription(EngineDrop d) {
  auto i = static_cast<size_t>(d);
  return i < std::size(kDropWhy) ? kDropWhy[i] : "unknown";
}
const char* QueryRegimeName(QueryRegime r) {
  switch (r) {
    case QueryRegime::kByIp: return "by-ip";
    case QueryRegime::kByHwAddr: return "by-mac";
    case QueryRegime::kByClientId: return "by-client-id";
  }
  return "unknown";
}

void QueryEngine::Prefetch(PrefetchStage stage, std::span<const uint8_t> bootp,
                           VpnId vpn) const {
  if (bootp.size() < dhcp::kFixedHeaderLen) return;
  if (const uint32_t ciaddr = dhcp::LoadBe32(bootp.data() + dhcp::kOffCiaddr)) {
    store_.PrefetchIp(stage, ciaddr, vpn);
    return;
  }
  const uint8_t hlen = bootp[dhcp::kOffHlen];
  if (hlen == 0 || hlen > dhcp::kChaddrLen) return;
  store_.PrefetchHwAddr(stage, bootp[dhcp::kOffHtype],
                        bootp.subspan(dhcp::kOffChaddr, hlen), vpn);
}

QueryResult QueryEngine::Answer(const dhcp::ParsedMessage& q, const QueryContext& ctx,
                                std::span<uint8_t> out) const {
  const Policy& policy = *ctx.policy;

  // ---- Is this a leasequery we may answer at all?
  if (q.op != dhcp::kOpBootRequest) return Drop(EngineDrop::kNotBootRequest);
  if (q.message_type != MessageType::kLeaseQuery) return Drop(EngineDrop::kNotLeaseQuery);
  if (q.giaddr == 0) return Drop(EngineDrop::kZeroGiaddr);  // S-26
  if (!IsUnicastDestination(q.giaddr)) return Drop(EngineDrop::kGiaddrNotUnicast);

  // ---- [auth call site 1/2] RFC 3118 (engine/auth.h): verify before any lookup.
  const AuthKeyring::Key* auth_key = nullptr;
  if (policy.auth)
    if (auto drop = policy.auth->Verify(q, &auth_key)) return Drop(*drop);

  // ---- Which selector (S-04): exactly one of ciaddr, chaddr, client-id.
  const dhcp::OptionView* cid = q.Find(opt::kClientId);
  const bool by_ip = q.ciaddr != 0;
  const bool by_hw = q.HasHardwareAddress();
  const bool by_cid = cid != nullptr;
  const int selectors = int{by_ip} + int{by_hw} + int{by_cid};
  if (selectors == 0) return Drop(EngineDrop::kNoSelector);
  if (selectors > 1 && !policy.IsLenient(q.giaddr)) return Drop(EngineDrop::kMultipleSelectors);
  // Lenient requesters get ISC dhcpd's precedence: ciaddr, client-id, chaddr.
  const QueryRegime regime = by_ip    ? QueryRegime::kByIp
                             : by_cid ? QueryRegime::kByClientId
                                      : QueryRegime::kByHwAddr;

  // ---- Decide (S-05, S-07..S-12): the store is only read.
  Decision d;
  if (regime == QueryRegime::kByIp) {
    const LeaseRecord* l = store_.FindByIp(q.ciaddr, ctx.vpn);
    if (l != nullptr && l->IsActiveAt(ctx.now)) {
      d.type = MessageType::kLeaseActive;
      d.lease = l;
      d.ciaddr = l->ip;
    } else if (l != nullptr || store_.IsAuthoritative(q.ciaddr, ctx.vpn)) {
      d.type = MessageType::kLeaseUnassigned;  // S-07, S-10
      d.ciaddr = q.ciaddr;
    }
  } else {
    LeaseGroupView group =
        regime == QueryRegime::kByClientId
            ? store_.FindByClientId(cid->bytes(), ctx.vpn)
            : store_.FindByHwAddr(q.htype, {q.chaddr, q.hlen}, ctx.vpn);
    PickFromGroup(group, ctx.now, policy, d);  // S-11, S-12
    d.force_associated = true;                          // S-16
  }

  // A stale replica must not tell a relay "nobody has this address": the
  // relay would cache that (RFC 4388 6.5) and blackhole a real subscriber.
  if (ctx.replica_stale && d.type == MessageType::kLeaseUnassigned) {
    if (policy.stale_policy == StalePolicy::kSilent) return Drop(EngineDrop::kReplicaStale);
    if (policy.stale_policy == StalePolicy::kUnknownForUnassigned) {
      d.type = MessageType::kLeaseUnknown;
      d.ciaddr = 0;
    }
  }

  // ---- Build the reply (S-13..S-25).
  const dhcp::OptionView* prl = q.Find(opt::kParamRequestList);
  dhcp::BootpHeader h;
  h.op = dhcp::kOpBootReply;
  h.xid = q.xid;
  h.flags = q.flags;
  h.giaddr = q.giaddr;
  if (d.type == MessageType::kLeaseActive) {
    // S-14: the owner's hardware address.
    h.htype = d.lease->htype;
    h.hlen = d.lease->hlen;
    std::copy_n(d.lease->chaddr, d.lease->hlen, h.chaddr);
    h.ciaddr = d.ciaddr;
  } else if (d.type == MessageType::kLeaseUnassigned) {
    h.ciaddr = d.ciaddr;  // S-10, S-13
  } else {
    // UNKNOWN: the query's own selector fields are echoed in the header so
    // the relay can match the answer; no lease data, no options (S-08).
    h.ciaddr = q.ciaddr;
    if (q.HasHardwareAddress()) {
      h.htype = q.htype;
      h.hlen = q.hlen;
      std::copy_n(q.chaddr, q.hlen, h.chaddr);
    }
  }

  dhcp::MessageBuilder b(out);
  b.SetHeader(h);
  b.AddMessageType(d.type);
  if (d.type != MessageType::kLeaseUnknown || policy.server_id_in_unknown)
    b.AddU32(opt::kServerId, ctx.server_id);
  // [auth call site 2/2] option 90 now, its MAC once the reply is complete.
  const size_t auth_mac_at = auth_key ? policy.auth->AddReplyOption(b, *auth_key) : 0;

  uint32_t left_out = 0;  // option 92 addresses cut for room
  if (d.type == MessageType::kLeaseActive) {
    const LeaseRecord& l = *d.lease;
    std::span<const uint8_t> wanted =
        prl ? prl->bytes()
            : std::span<const uint8_t>(policy.default_options.data(), policy.default_options.size());
    std::bitset<256> done;
    bool want_rai = false;
    bool want_assoc = d.force_associated;
    for (uint8_t code : wanted) {
      if (done[code]) continue;  // operator[]: a uint8_t is always in range
      done[code] = true;
      if (code == opt::kRelayAgentInfo) want_rai = true;
      if (code == opt::kAssociatedIp) want_assoc = true;
      AddRequestedOption(b, code, l, ctx);
    }
    if (want_assoc && regime == QueryRegime::kByIp) {
      // By-IP queries list the owner's other addresses only on request.
      LeaseGroupView group =
          !l.client_id().empty() ? store_.FindByClientId(l.client_id(), ctx.vpn)
                                 : store_.FindByHwAddr(l.htype, l.hw_bytes(), ctx.vpn);
      Decision other;
      PickFromGroup(group, ctx.now, policy, other);
      for (uint32_t i = 0; i < other.num_associated + (other.lease ? 1 : 0); ++i) {
        uint32_t ip = i < other.num_associated ? other.associated[i] : other.lease->ip;
        if (ip != l.ip && d.num_associated < policy.max_associated_ips)
          d.associated[d.num_associated++] = ip;
      }
      std::sort(d.associated, d.associated + d.num_associated);
    }
    // S-19: the stored option 82 goes last (RFC 3046 2.2), then END. What
    // room is left before them bounds option 92: a client with many leases
    // gets a shorter list rather than no answer at all (the reply must fit
    // one IP packet, and a relay that hears nothing retries).
    const bool add_rai = want_rai && !l.relay_agent_info().empty();
    const size_t tail = 1 + (add_rai ? dhcp::MessageBuilder::OptionBytes(l.relay_agent_info().size()) : 0);
    if (want_assoc && d.num_associated > 0) {  // S-16
      const size_t fit = b.room() > tail ? dhcp::MessageBuilder::AddressesThatFit(b.room() - tail) : 0;
      const uint32_t n = static_cast<uint32_t>(std::min<size_t>(d.num_associated, fit));
      left_out = d.num_associated - n;
      if (n > 0) b.AddAddressList(opt::kAssociatedIp, {d.associated, n});
    }
    if (add_rai) b.AddOption(opt::kRelayAgentInfo, l.relay_agent_info());
  }

  QueryResult r;
  r.associated_left_out = left_out;
  r.len = b.Finish();
  if (r.len == 0) return Drop(EngineDrop::kReplyOverflow);
  if (auth_key) AuthKeyring::SignReply(out.first(r.len), auth_mac_at, *auth_key);
  r.reply = true;
  r.type = d.type;
  r.regime = regime;
  r.dst_ip = q.giaddr;
  // S-26 / RFC 8357: sub-option 19 says the relay listens on the source
  // port it sent from, not on 67; the reply goes back to that port.
  if (const dhcp::OptionView* rai = q.Find(opt::kRelayAgentInfo)) {
    if (auto info = dhcp::RelayAgentInfo::Parse(rai->bytes())) {
      if (info->Find(dhcp::rai::kRelayPort) && ctx.udp_src_port != 0) r.dst_port = ctx.udp_src_port;
    }
  }
  return r;
}

}  // namespace lqd
