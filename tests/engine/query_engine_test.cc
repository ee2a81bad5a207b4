// SPDX-License-Identifier: Apache-2.0
// File: tests/engine/query_engine_test.cc
//
// One test (or table row) per RFC 4388 server rule; the S-nn ids match
// docs/rfc4388-compliance.md. Queries are built with the codec's builder,
// answered by the engine, and the reply is parsed back with the codec.
#include "engine/query_engine.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dhcp/message.h"
#include "dhcp/message_builder.h"
#include "dhcp/relay_agent_info.h"

namespace lqd {
namespace {

using dhcp::MessageType;
namespace opt = dhcp::opt;

constexpr uint32_t kNow = 1'700'000'000;
constexpr uint32_t kServerId = 0xC0000201;  // 192.0.2.1
constexpr uint32_t kGiaddr = 0x0A000001;    // 10.0.0.1
constexpr uint32_t kIp(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d;
}
const std::string kRai = std::string("\x01\x04" "eth0" "\x02\x06" "\x00\x11\x22\x33\x44\x55", 14);

HwAddr Mac(uint8_t last) {
  HwAddr h;
  h.htype = 1;
  h.hlen = 6;
  const uint8_t m[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, last};
  std::copy(m, m + 6, h.bytes);
  return h;
}

Lease MakeLease(uint32_t ip, uint8_t mac_last, uint32_t cltt_ago, uint32_t expire_in) {
  Lease l;
  l.ip = ip;
  l.hw = Mac(mac_last);
  l.cltt = kNow - cltt_ago;
  l.expire = kNow + expire_in;
  l.relay_agent_info = kRai;
  l.state = LeaseState::kActive;
  return l;
}

struct Query {
  uint32_t ciaddr = 0;
  uint32_t giaddr = kGiaddr;
  std::optional<HwAddr> hw;
  std::optional<std::string> client_id;
  std::optional<std::vector<uint8_t>> prl;
  MessageType type = MessageType::kLeaseQuery;
  uint8_t op = dhcp::kOpBootRequest;
  std::optional<std::string> rai;
};

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : engine_(store_) {
    ranges_ = {{kGlobalVpn, kIp(10, 1, 0, 0), kIp(10, 1, 255, 255)}};
    store_.SetRanges(*AuthoritativeRanges::Build(ranges_));
    ctx_.now = kNow;
    ctx_.server_id = kServerId;
    ctx_.policy = &policy_;
  }

  void Add(const Lease& l) { ASSERT_TRUE(store_.Upsert(l).ok()); }

  // Builds, parses, answers; parses the reply into reply_.
  QueryResult Ask(const Query& q) {
    uint8_t qbuf[600];
    dhcp::MessageBuilder b(qbuf);
    dhcp::BootpHeader h;
    h.op = q.op;
    h.xid = 0xdeadbeef;
    h.ciaddr = q.ciaddr;
    h.giaddr = q.giaddr;
    if (q.hw) {
      h.htype = q.hw->htype;
      h.hlen = q.hw->hlen;
      std::copy(q.hw->bytes, q.hw->bytes + q.hw->hlen, h.chaddr);
    }
    b.SetHeader(h);
    b.AddMessageType(q.type);
    if (q.client_id)
      b.AddOption(opt::kClientId,
                  {reinterpret_cast<const uint8_t*>(q.client_id->data()), q.client_id->size()});
    if (q.prl) b.AddOption(opt::kParamRequestList, *q.prl);
    if (q.rai)
      b.AddOption(opt::kRelayAgentInfo,
                  {reinterpret_cast<const uint8_t*>(q.rai->data()), q.rai->size()});
    size_t n = b.Finish();
    EXPECT_GT(n, 0u);
    query_bytes_.assign(qbuf, qbuf + n);
    auto err = dhcp::ParseMessage(query_bytes_, query_);
    EXPECT_FALSE(err.has_value()) << dhcp::ParseErrorName(*err);
    QueryReader reader(store_);
    QueryResult r = engine_.Answer(query_, ctx_, {out_, out_len_});
    if (r.reply) {
      reply_bytes_.assign(out_, out_ + r.len);
      auto rerr = dhcp::ParseMessage(reply_bytes_, reply_);
      EXPECT_FALSE(rerr.has_value()) << "reply does not parse: " << dhcp::ParseErrorName(*rerr);
    }
    return r;
  }

  uint32_t U32Option(uint8_t code) {
    const dhcp::OptionView* o = reply_.Find(code);
    EXPECT_NE(o, nullptr) << "option " << int{code} << " missing";
    if (o == nullptr || o->len != 4) return 0xffffffff;
    return dhcp::LoadBe32(o->data);
  }
  std::vector<uint8_t> OptionCodes() {
    std::vector<uint8_t> codes;
    for (const auto& o : reply_.options()) codes.push_back(o.code);
    return codes;
  }

  // RAII online reader for the duration of one Answer().
  struct QueryReader {
    explicit QueryReader(const LeaseStore& s) : r(s.qsbr()) {}
    QsbrReader r;
  };

  LeaseStore store_;
  Policy policy_ = DefaultPolicy();
  QueryEngine engine_;
  QueryContext ctx_;
  std::vector<AddressRange> ranges_;
  std::vector<uint8_t> query_bytes_, reply_bytes_;
  dhcp::ParsedMessage query_, reply_;
  uint8_t out_[1500];
  size_t out_len_ = sizeof out_;  // room given to Answer()
};

// ---- S-04 / S-26: which queries get no reply at all.
struct DropCase {
  const char* name;
  Query q;
  EngineDrop want;
};

class EngineDropTest : public EngineTest, public ::testing::WithParamInterface<DropCase> {};

TEST_P(EngineDropTest, DropsWithReason) {
  QueryResult r = Ask(GetParam().q);
  EXPECT_FALSE(r.reply);
  EXPECT_EQ(r.drop, GetParam().want) << EngineDropName(r.drop);
}

Query WithIp(uint32_t ip) {
  Query q;
  q.ciaddr = ip;
  return q;
}

INSTANTIATE_TEST_SUITE_P(
    RulesS04S26, EngineDropTest,
    ::testing::Values(
        DropCase{"ZeroGiaddr_S26", [] { Query q = WithIp(kIp(10, 1, 0, 5)); q.giaddr = 0; return q; }(),
                 EngineDrop::kZeroGiaddr},
        DropCase{"BroadcastGiaddr", [] { Query q = WithIp(kIp(10, 1, 0, 5)); q.giaddr = 0xffffffff; return q; }(),
                 EngineDrop::kGiaddrNotUnicast},
        DropCase{"MulticastGiaddr", [] { Query q = WithIp(kIp(10, 1, 0, 5)); q.giaddr = kIp(224, 0, 0, 1); return q; }(),
                 EngineDrop::kGiaddrNotUnicast},
        DropCase{"NoSelector_S04", Query{}, EngineDrop::kNoSelector},
        DropCase{"IpAndMac_S04", [] { Query q = WithIp(kIp(10, 1, 0, 5)); q.hw = Mac(1); return q; }(),
                 EngineDrop::kMultipleSelectors},
        DropCase{"IpAndClientId_S04", [] { Query q = WithIp(kIp(10, 1, 0, 5)); q.client_id = "\x01xyz"; return q; }(),
                 EngineDrop::kMultipleSelectors},
        DropCase{"MacAndClientId_S04", [] { Query q; q.hw = Mac(1); q.client_id = "\x01xyz"; return q; }(),
                 EngineDrop::kMultipleSelectors},
        DropCase{"Discover_NotLeaseQuery", [] { Query q = WithIp(kIp(10, 1, 0, 5)); q.type = MessageType::kDiscover; return q; }(),
                 EngineDrop::kNotLeaseQuery},
        DropCase{"DhcpAck_NotLeaseQuery", [] { Query q = WithIp(kIp(10, 1, 0, 5)); q.type = MessageType::kAck; return q; }(),
                 EngineDrop::kNotLeaseQuery},
        DropCase{"DraftType13_NotLeaseQuery", [] { Query q = WithIp(kIp(10, 1, 0, 5)); q.type = MessageType::kLeaseActive; return q; }(),
                 EngineDrop::kNotLeaseQuery},
        DropCase{"BootReply_NotBootRequest", [] { Query q = WithIp(kIp(10, 1, 0, 5)); q.op = dhcp::kOpBootReply; return q; }(),
                 EngineDrop::kNotBootRequest}),
    [](const ::testing::TestParamInfo<DropCase>& i) { return std::string(i.param.name); });

// S-04 with the documented lenient mode: precedence ciaddr > client-id > chaddr.
TEST_F(EngineTest, S04_LenientRequesterUsesPrecedence) {
  Add(MakeLease(kIp(10, 1, 0, 5), 1, 10, 3600));
  policy_.lenient_requesters.push_back(*ParseIpv4Prefix("10.0.0.0/24"));
  Query q = WithIp(kIp(10, 1, 0, 5));
  q.hw = Mac(99);
  QueryResult r = Ask(q);
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.regime, QueryRegime::kByIp);
  EXPECT_EQ(r.type, MessageType::kLeaseActive);

  Query q2;
  q2.hw = Mac(1);
  q2.client_id = "\x01unknown";
  r = Ask(q2);
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.regime, QueryRegime::kByClientId);
  EXPECT_EQ(r.type, MessageType::kLeaseUnknown);
}

// ---- S-07 / S-09 / S-10 by IP: the three answers.
TEST_F(EngineTest, S09_ByIpActiveLease) {
  Add(MakeLease(kIp(10, 1, 0, 5), 7, 100, 3500));
  QueryResult r = Ask(WithIp(kIp(10, 1, 0, 5)));
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.type, MessageType::kLeaseActive);
  EXPECT_EQ(reply_.message_type, MessageType::kLeaseActive);
  EXPECT_EQ(reply_.ciaddr, kIp(10, 1, 0, 5));
  EXPECT_EQ(reply_.op, dhcp::kOpBootReply);
  EXPECT_EQ(reply_.xid, 0xdeadbeefu);
  EXPECT_EQ(reply_.giaddr, kGiaddr);
}

TEST_F(EngineTest, S07_S10_ByIpInRangeWithoutLeaseIsUnassigned) {
  QueryResult r = Ask(WithIp(kIp(10, 1, 2, 3)));
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.type, MessageType::kLeaseUnassigned);
  EXPECT_EQ(reply_.ciaddr, kIp(10, 1, 2, 3));
}

TEST_F(EngineTest, S07_ByIpNonActiveStatesAreUnassigned) {
  const LeaseState states[] = {LeaseState::kFree, LeaseState::kExpired, LeaseState::kReleased,
                               LeaseState::kDeclined};
  uint8_t last = 10;
  for (LeaseState s : states) {
    Lease l = MakeLease(kIp(10, 1, 0, last), last, 10, 3600);
    l.state = s;
    Add(l);
    QueryResult r = Ask(WithIp(l.ip));
    ASSERT_TRUE(r.reply);
    EXPECT_EQ(r.type, MessageType::kLeaseUnassigned) << LeaseStateName(s);
    ++last;
  }
  // Active in the store but past its expiry: aged by lqd itself.
  Add(MakeLease(kIp(10, 1, 0, 50), 50, 7200, 0));
  EXPECT_EQ(Ask(WithIp(kIp(10, 1, 0, 50))).type, MessageType::kLeaseUnassigned);
}

TEST_F(EngineTest, S10_ByIpOutsideRangesIsUnknown) {
  QueryResult r = Ask(WithIp(kIp(172, 16, 0, 1)));
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.type, MessageType::kLeaseUnknown);
}

TEST_F(EngineTest, S07_KnownLeaseOutsideRangesIsUnassignedWhenNotActive) {
  Lease l = MakeLease(kIp(172, 16, 0, 9), 9, 10, 3600);
  l.state = LeaseState::kReleased;
  Add(l);
  EXPECT_EQ(Ask(WithIp(l.ip)).type, MessageType::kLeaseUnassigned);
}

// ---- S-08 / S-13: negative answers carry no lease data.
TEST_F(EngineTest, S08_UnknownCarriesOnlyMessageTypeAndServerId) {
  Query q = WithIp(kIp(172, 16, 0, 1));
  q.prl = std::vector<uint8_t>{51, 82, 91, 61};
  ASSERT_TRUE(Ask(q).reply);
  EXPECT_EQ(OptionCodes(), (std::vector<uint8_t>{opt::kMessageType, opt::kServerId}));
  policy_.server_id_in_unknown = false;
  ASSERT_TRUE(Ask(q).reply);
  EXPECT_EQ(OptionCodes(), (std::vector<uint8_t>{opt::kMessageType}));
}

TEST_F(EngineTest, S13_UnassignedCarriesOnlyMessageTypeAndServerId) {
  Query q = WithIp(kIp(10, 1, 9, 9));
  q.prl = std::vector<uint8_t>{51, 82, 91, 61};
  ASSERT_TRUE(Ask(q).reply);
  EXPECT_EQ(reply_.message_type, MessageType::kLeaseUnassigned);
  EXPECT_EQ(OptionCodes(), (std::vector<uint8_t>{opt::kMessageType, opt::kServerId}));
  EXPECT_EQ(reply_.hlen, 0);
  EXPECT_EQ(U32Option(opt::kServerId), kServerId);
}

// ---- S-11 / S-12 / S-16 by MAC and by client-id.
TEST_F(EngineTest, S11_ByMacPicksNewestCltt) {
  Add(MakeLease(kIp(10, 1, 0, 1), 3, 500, 3000));
  Add(MakeLease(kIp(10, 1, 0, 2), 3, 20, 3000));   // most recent transaction
  Add(MakeLease(kIp(10, 1, 0, 3), 3, 900, 3000));
  Query q;
  q.hw = Mac(3);
  QueryResult r = Ask(q);
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.type, MessageType::kLeaseActive);
  EXPECT_EQ(r.regime, QueryRegime::kByHwAddr);
  EXPECT_EQ(reply_.ciaddr, kIp(10, 1, 0, 2));
}

TEST_F(EngineTest, S11_TiesAreBrokenDeterministically) {
  Add(MakeLease(kIp(10, 1, 0, 9), 4, 100, 3000));
  Add(MakeLease(kIp(10, 1, 0, 8), 4, 100, 3000));
  Query q;
  q.hw = Mac(4);
  ASSERT_TRUE(Ask(q).reply);
  EXPECT_EQ(reply_.ciaddr, kIp(10, 1, 0, 8));  // same CLTT and expiry: lower address
}

TEST_F(EngineTest, S16_AssociatedIpListsAllOthersWithoutPrl) {
  Add(MakeLease(kIp(10, 1, 0, 1), 5, 500, 3000));
  Add(MakeLease(kIp(10, 1, 0, 2), 5, 20, 3000));
  Add(MakeLease(kIp(10, 1, 0, 3), 5, 900, 3000));
  Lease expired = MakeLease(kIp(10, 1, 0, 4), 5, 9000, 0);
  Add(expired);
  Query q;
  q.hw = Mac(5);
  q.prl = std::vector<uint8_t>{51};  // 92 not requested: still sent
  ASSERT_TRUE(Ask(q).reply);
  const dhcp::OptionView* a = reply_.Find(opt::kAssociatedIp);
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->len, 8);
  EXPECT_EQ(dhcp::LoadBe32(a->data), kIp(10, 1, 0, 1));
  EXPECT_EQ(dhcp::LoadBe32(a->data + 4), kIp(10, 1, 0, 3));
}

TEST_F(EngineTest, S16_ManyAddressesSplitPerRfc3396) {
  for (int i = 0; i < 100; ++i) {
    Lease l = MakeLease(kIp(10, 1, 1, static_cast<uint8_t>(i)), 6, 1000 - i, 3000);
    l.client_id = std::string("\x01" "bigclient", 10);
    Add(l);
  }
  Query q;
  q.client_id = std::string("\x01" "bigclient", 10);
  QueryResult r = Ask(q);
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.regime, QueryRegime::kByClientId);
  EXPECT_EQ(reply_.ciaddr, kIp(10, 1, 1, 99));
  const dhcp::OptionView* a = reply_.Find(opt::kAssociatedIp);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->len, 99 * 4);  // concatenated back from two instances
  EXPECT_EQ(r.associated_left_out, 0u);
  // On the wire: more than one instance of option 92.
  int instances = 0;
  for (size_t i = dhcp::kOffOptions; i + 1 < reply_bytes_.size();) {
    uint8_t c = reply_bytes_[i];
    if (c == opt::kEnd) break;
    if (c == opt::kPad) { ++i; continue; }
    if (c == opt::kAssociatedIp) ++instances;
    i += 2 + reply_bytes_[i + 1];
  }
  EXPECT_EQ(instances, 2);
}

// A client with more addresses than one packet can list still gets its
// answer: option 92 is cut to the room the lcore gives a reply (1472 bytes
// of UDP payload), option 82 still goes last, and the cut is reported.
TEST_F(EngineTest, S16_AssociatedListIsCutToFitNotDropped) {
  policy_.max_associated_ips = 1024;
  const std::string rai = "\x01\x6c" + std::string(108, 'c');  // circuit-id, 108 bytes
  std::string cid("\x01" "manyleases", 11);
  for (int i = 0; i < 400; ++i) {
    Lease l = MakeLease(kIp(10, 1, 2, 0) + static_cast<uint32_t>(i), 9, 1000 - i, 3000);
    l.client_id = cid;
    l.relay_agent_info = rai;
    Add(l);
  }
  out_len_ = 1472;
  Query q;
  q.client_id = cid;
  q.prl = std::vector<uint8_t>{51, 82};
  QueryResult r = Ask(q);
  ASSERT_TRUE(r.reply) << EngineDropName(r.drop);
  EXPECT_EQ(r.type, MessageType::kLeaseActive);
  EXPECT_LE(r.len, 1472u);
  const uint32_t best = kIp(10, 1, 2, 0) + 399;  // most recent transaction
  EXPECT_EQ(reply_.ciaddr, best);
  const dhcp::OptionView* a = reply_.Find(opt::kAssociatedIp);
  ASSERT_NE(a, nullptr);
  const uint32_t listed = a->len / 4;
  EXPECT_GT(listed, 200u);
  EXPECT_LT(listed, 399u);
  EXPECT_EQ(r.associated_left_out, 399u - listed);
  // The lowest addresses, in order; one more would not have fit.
  for (uint32_t i = 0; i < listed; ++i) ASSERT_EQ(dhcp::LoadBe32(a->data + 4 * i), kIp(10, 1, 2, 0) + i);
  // Under 6 bytes left: no room for one more address (4 bytes, or 6 with
  // the header of a new RFC 3396 instance).
  EXPECT_GT(r.len, 1472u - 6);
  // Option 82 whole, and the last option.
  const dhcp::OptionView* o82 = reply_.Find(opt::kRelayAgentInfo);
  ASSERT_NE(o82, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(o82->data), o82->len), rai);
  EXPECT_EQ(OptionCodes().back(), opt::kRelayAgentInfo);

  // A bigger buffer: fewer cut (none at all: S16_ManyAddressesSplitPerRfc3396).
  out_len_ = sizeof out_;
  QueryResult wide = Ask(q);
  ASSERT_TRUE(wide.reply);
  EXPECT_LT(wide.associated_left_out, r.associated_left_out);
}

TEST_F(EngineTest, S12_ByMacWithoutActiveLeaseIsUnknownNeverUnassigned) {
  Lease l = MakeLease(kIp(10, 1, 0, 7), 8, 10, 3600);
  l.state = LeaseState::kReleased;
  Add(l);
  Query q;
  q.hw = Mac(8);
  EXPECT_EQ(Ask(q).type, MessageType::kLeaseUnknown);
  q.hw = Mac(200);  // never seen
  EXPECT_EQ(Ask(q).type, MessageType::kLeaseUnknown);
}

TEST_F(EngineTest, S01_ByClientIdActive) {
  Lease l = MakeLease(kIp(10, 1, 0, 33), 9, 10, 3600);
  l.client_id = std::string("\x01\x02\x00\x5e\x10\x00\x09", 7);
  Add(l);
  Query q;
  q.client_id = l.client_id;
  q.prl = std::vector<uint8_t>{61};
  QueryResult r = Ask(q);
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.type, MessageType::kLeaseActive);
  EXPECT_EQ(reply_.ciaddr, l.ip);
  const dhcp::OptionView* c = reply_.Find(opt::kClientId);  // S-15
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(c->data), c->len), l.client_id);
}

// ---- S-14: DHCPLEASEACTIVE carries the owner's hardware address.
TEST_F(EngineTest, S14_ActiveCarriesOwnersChaddr) {
  Add(MakeLease(kIp(10, 1, 0, 5), 0x42, 10, 3600));
  ASSERT_TRUE(Ask(WithIp(kIp(10, 1, 0, 5))).reply);
  EXPECT_EQ(reply_.htype, 1);
  EXPECT_EQ(reply_.hlen, 6);
  EXPECT_EQ(reply_.chaddr[5], 0x42);
}

// ---- S-17 / S-18 / S-25: times are relative to now.
TEST_F(EngineTest, S17_S18_S25_TimesAreRemainingOrElapsed) {
  Lease l = MakeLease(kIp(10, 1, 0, 5), 1, 600, 3000);  // valid 3600 s, 600 s ago
  Add(l);
  Query q = WithIp(l.ip);
  q.prl = std::vector<uint8_t>{51, 58, 59, 91};
  ASSERT_TRUE(Ask(q).reply);
  EXPECT_EQ(U32Option(opt::kLeaseTime), 3000u);
  EXPECT_EQ(U32Option(opt::kRenewalTime), 1800u - 600u);   // T1 = 50 %
  EXPECT_EQ(U32Option(opt::kRebindingTime), 3150u - 600u); // T2 = 87.5 %
  EXPECT_EQ(U32Option(opt::kClientLastTransactionTime), 600u);
}

TEST_F(EngineTest, S18_PastT1IsOmittedAndStoredT1T2Win) {
  Lease l = MakeLease(kIp(10, 1, 0, 5), 1, 2000, 1600);  // T1 (1800) is past
  Add(l);
  Query q = WithIp(l.ip);
  q.prl = std::vector<uint8_t>{58, 59};
  ASSERT_TRUE(Ask(q).reply);
  EXPECT_EQ(reply_.Find(opt::kRenewalTime), nullptr);
  EXPECT_EQ(U32Option(opt::kRebindingTime), 3150u - 2000u);

  l.t1 = kNow + 100;
  l.t2 = kNow + 200;
  Add(l);
  ASSERT_TRUE(Ask(q).reply);
  EXPECT_EQ(U32Option(opt::kRenewalTime), 100u);
  EXPECT_EQ(U32Option(opt::kRebindingTime), 200u);
}

TEST_F(EngineTest, S17_InfiniteLeaseReportsInfinity) {
  Lease l = MakeLease(kIp(10, 1, 0, 5), 1, 60, 0);
  l.expire = kInfiniteTime;
  Add(l);
  Query q = WithIp(l.ip);
  q.prl = std::vector<uint8_t>{51, 58};
  ASSERT_TRUE(Ask(q).reply);
  EXPECT_EQ(U32Option(opt::kLeaseTime), kInfiniteTime);
  EXPECT_EQ(reply_.Find(opt::kRenewalTime), nullptr);
}

// ---- S-19: stored option 82, verbatim, last.
TEST_F(EngineTest, S19_StoredRaiIsReturnedVerbatimAndLast) {
  Add(MakeLease(kIp(10, 1, 0, 5), 1, 10, 3600));
  Query q = WithIp(kIp(10, 1, 0, 5));
  q.prl = std::vector<uint8_t>{82, 51, 91};
  ASSERT_TRUE(Ask(q).reply);
  const dhcp::OptionView* rai = reply_.Find(opt::kRelayAgentInfo);
  ASSERT_NE(rai, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(rai->data), rai->len), kRai);
  EXPECT_EQ(OptionCodes().back(), opt::kRelayAgentInfo);
  auto info = dhcp::RelayAgentInfo::Parse(rai->bytes());
  ASSERT_TRUE(info.has_value());
  ASSERT_TRUE(info->circuit_id().has_value());
  EXPECT_EQ(info->circuit_id()->size(), 4u);
}

TEST_F(EngineTest, S19_RaiNotRequestedNotSent) {
  Add(MakeLease(kIp(10, 1, 0, 5), 1, 10, 3600));
  Query q = WithIp(kIp(10, 1, 0, 5));
  q.prl = std::vector<uint8_t>{51};
  ASSERT_TRUE(Ask(q).reply);
  EXPECT_EQ(reply_.Find(opt::kRelayAgentInfo), nullptr);
}

// ---- S-20 / S-21: only non-sensitive extra options.
TEST_F(EngineTest, S20_S21_NonSensitiveListGovernsOtherOptions) {
  Lease l = MakeLease(kIp(10, 1, 0, 5), 1, 10, 3600);
  // Primary handed out subnet mask (1) and host name (12).
  l.extra_options = std::string("\x01\x04\xff\xff\xff\x00" "\x0c\x03" "cpe", 11);
  Add(l);
  Query q = WithIp(l.ip);
  q.prl = std::vector<uint8_t>{1, 12};
  ASSERT_TRUE(Ask(q).reply);
  EXPECT_EQ(reply_.Find(1), nullptr);
  EXPECT_EQ(reply_.Find(12), nullptr);
  policy_.non_sensitive.set(1);
  ASSERT_TRUE(Ask(q).reply);
  ASSERT_NE(reply_.Find(1), nullptr);
  EXPECT_EQ(U32Option(1), 0xffffff00u);
  EXPECT_EQ(reply_.Find(12), nullptr);
}

// ---- S-24: no PRL -> the documented default set.
TEST_F(EngineTest, S24_NoPrlReturnsDefaultSet) {
  Lease l = MakeLease(kIp(10, 1, 0, 5), 1, 10, 3600);
  l.client_id = "\x01" "abc";
  l.vendor_class = "docsis3.1";
  Add(l);
  ASSERT_TRUE(Ask(WithIp(l.ip)).reply);
  EXPECT_EQ(OptionCodes(), (std::vector<uint8_t>{opt::kMessageType, opt::kServerId, 51, 58, 59, 61,
                                                 91, opt::kRelayAgentInfo}));
}

// ---- S-26: reply to giaddr:67, or the RFC 8357 relay port.
TEST_F(EngineTest, S26_ReplyGoesToGiaddrPort67) {
  QueryResult r = Ask(WithIp(kIp(10, 1, 0, 5)));
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.dst_ip, kGiaddr);
  EXPECT_EQ(r.dst_port, 67);
}

TEST_F(EngineTest, S26_Rfc8357RelayPortIsHonoured) {
  ctx_.udp_src_port = 4163;  // the relay sent from a non-standard port
  Query q = WithIp(kIp(10, 1, 0, 5));
  EXPECT_EQ(Ask(q).dst_port, 67);  // no sub-option 19: port 67 whatever the source
  q.rai = std::string("\x13\x00", 2);  // sub-option 19 present
  QueryResult r = Ask(q);
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.dst_port, 4163);
}

// ---- Replica staleness policy.
TEST_F(EngineTest, StaleReplicaNeverClaimsUnassigned) {
  ctx_.replica_stale = true;
  EXPECT_EQ(Ask(WithIp(kIp(10, 1, 2, 3))).type, MessageType::kLeaseUnknown);
  policy_.stale_policy = StalePolicy::kSilent;
  QueryResult r = Ask(WithIp(kIp(10, 1, 2, 3)));
  EXPECT_FALSE(r.reply);
  EXPECT_EQ(r.drop, EngineDrop::kReplicaStale);
  policy_.stale_policy = StalePolicy::kAnswerNormally;
  EXPECT_EQ(Ask(WithIp(kIp(10, 1, 2, 3))).type, MessageType::kLeaseUnassigned);
  // Active leases are still answered while stale.
  Add(MakeLease(kIp(10, 1, 0, 5), 1, 10, 3600));
  policy_.stale_policy = StalePolicy::kSilent;
  EXPECT_EQ(Ask(WithIp(kIp(10, 1, 0, 5))).type, MessageType::kLeaseActive);
}

// ---- S-33: a leasequery never changes the store.
TEST_F(EngineTest, S33_QueriesDoNotChangeTheStore) {
  Add(MakeLease(kIp(10, 1, 0, 5), 1, 10, 3600));
  const LeaseStoreStats before = store_.Stats();
  Ask(WithIp(kIp(10, 1, 0, 5)));
  Query q;
  q.hw = Mac(1);
  Ask(q);
  const LeaseStoreStats after = store_.Stats();
  EXPECT_EQ(before.leases, after.leases);
  EXPECT_EQ(before.bytes_records, after.bytes_records);
  EXPECT_EQ(before.retired_pending, after.retired_pending);
}

// ---- Builder limits: a reply that cannot fit is dropped, not truncated.
TEST_F(EngineTest, ReplyThatDoesNotFitIsDropped) {
  Add(MakeLease(kIp(10, 1, 0, 5), 1, 10, 3600));
  Ask(WithIp(kIp(10, 1, 0, 5)));  // fills query_
  QsbrReader reader(store_.qsbr());
  uint8_t tiny[100];
  QueryResult r = engine_.Answer(query_, ctx_, tiny);
  EXPECT_FALSE(r.reply);
  EXPECT_EQ(r.drop, EngineDrop::kReplyOverflow);
}

// ---- Burst prefetch hints: safe on any bytes, no effect on the answer.
TEST_F(EngineTest, PrefetchHintsChangeNoAnswerAndTolerateAnyBytes) {
  Add(MakeLease(kIp(10, 1, 0, 5), 1, 10, 3600));
  QsbrReader reader(store_.qsbr());
  // Garbage, short, and header-only inputs (hlen 0, hlen > 16) are ignored.
  std::vector<uint8_t> junk(300, 0xff);
  junk[dhcp::kOffHlen] = 200;
  for (auto stage : {PrefetchStage::kSlot, PrefetchStage::kEntry}) {
    engine_.Prefetch(stage, {});
    engine_.Prefetch(stage, std::span<const uint8_t>(junk.data(), 20));
    engine_.Prefetch(stage, junk);
  }
  Query by_mac;
  by_mac.hw = Mac(1);
  for (const Query& q : {WithIp(kIp(10, 1, 0, 5)), WithIp(kIp(10, 1, 0, 6)), by_mac}) {
    const QueryResult plain = Ask(q);
    const std::vector<uint8_t> plain_reply = reply_bytes_;
    engine_.Prefetch(PrefetchStage::kSlot, query_bytes_);
    engine_.Prefetch(PrefetchStage::kEntry, query_bytes_);
    const QueryResult hinted = engine_.Answer(query_, ctx_, out_);
    ASSERT_EQ(plain.reply, hinted.reply);
    EXPECT_EQ(plain.type, hinted.type);
    EXPECT_EQ(std::vector<uint8_t>(out_, out_ + hinted.len), plain_reply);
  }
}

TEST(EngineNames, EveryDropHasANameAndDescription) {
  for (size_t i = 0; i < static_cast<size_t>(EngineDrop::kCount); ++i) {
    auto d = static_cast<EngineDrop>(i);
    EXPECT_STRNE(EngineDropName(d), "unknown");
    EXPECT_GT(std::string(EngineDropDescription(d)).size(), 10u);
  }
}

}  // namespace
}  // namespace lqd
