// SPDX-License-Identifier: Apache-2.0
// File: tests/engine/query_engine_property_test.cc
//
// Random and mutated packets through parse + engine, as the dataplane runs
// them, with invariants checked on every answer. Deterministic (fixed
// seeds); meant to run under ASan/UBSan (scripts/test.sh does).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "dhcp/message.h"
#include "dhcp/message_builder.h"
#include "engine/query_engine.h"

namespace lqd {
namespace {

constexpr uint32_t kNow = 1'700'000'000;

class EngineProperty : public ::testing::Test {
 protected:
  void SetUp() override {
    for (uint32_t i = 0; i < 512; ++i) {
      Lease l;
      l.ip = 0x0A000000 + i;
      l.hw.htype = 1;
      l.hw.hlen = 6;
      l.hw.bytes[5] = static_cast<uint8_t>(i % 64);  // 64 clients, 8 addresses each
      l.client_id = std::string("\x01", 1) + std::string(1, static_cast<char>(i % 64));
      l.cltt = kNow - i;
      l.expire = i % 5 == 0 ? kNow - 1 : kNow + 3600;
      l.state = static_cast<LeaseState>(i % 7 < 5 ? 0 : i % 5);
      l.relay_agent_info = std::string("\x01\x02\xab\xcd\x02\x01", 6) + std::string(1, char(i));
      ASSERT_TRUE(store_.Upsert(l).ok());
    }
    store_.SetRanges(*AuthoritativeRanges::Build({{kGlobalVpn, 0x0A000000, 0x0A0003ff}}));
    policy_.non_sensitive.set(1);
    policy_.lenient_requesters.push_back({0x0A000000, 8});
  }

  std::vector<uint8_t> ValidQuery(std::mt19937& rng) {
    uint8_t buf[600];
    dhcp::MessageBuilder b(buf);
    dhcp::BootpHeader h;
    h.op = dhcp::kOpBootRequest;
    h.xid = rng();
    h.giaddr = rng() % 4 ? 0x0A0000FE : rng();
    switch (rng() % 3) {
      case 0: h.ciaddr = 0x0A000000 + rng() % 1100; break;
      case 1: h.htype = 1; h.hlen = 6; h.chaddr[5] = static_cast<uint8_t>(rng() % 80); break;
      default: break;
    }
    b.SetHeader(h);
    b.AddMessageType(rng() % 10 ? dhcp::MessageType::kLeaseQuery
                                : static_cast<dhcp::MessageType>(rng() % 20));
    if (h.ciaddr == 0 && h.hlen == 0) {
      uint8_t cid[2] = {1, static_cast<uint8_t>(rng() % 80)};
      b.AddOption(dhcp::opt::kClientId, cid);
    }
    if (rng() % 2) {
      uint8_t prl[8];
      for (auto& c : prl) c = static_cast<uint8_t>(rng());
      prl[0] = 82;
      b.AddOption(dhcp::opt::kParamRequestList, prl);
    }
    size_t n = b.Finish();
    return {buf, buf + n};
  }

  LeaseStore store_;
  Policy policy_ = DefaultPolicy();
};

// Checks every promise the engine makes about a reply.
void CheckReply(const dhcp::ParsedMessage& q, const QueryResult& r, const uint8_t* out) {
  ASSERT_GT(r.len, 0u);
  ASSERT_LE(r.len, 1500u);
  EXPECT_NE(q.giaddr, 0u);
  EXPECT_EQ(r.dst_ip, q.giaddr);
  dhcp::ParsedMessage reply;
  auto err = dhcp::ParseMessage({out, r.len}, reply);
  ASSERT_FALSE(err.has_value()) << dhcp::ParseErrorName(*err);
  EXPECT_EQ(reply.op, dhcp::kOpBootReply);
  EXPECT_EQ(reply.xid, q.xid);
  EXPECT_EQ(reply.message_type, r.type);
  EXPECT_TRUE(r.type == dhcp::MessageType::kLeaseActive ||
              r.type == dhcp::MessageType::kLeaseUnassigned ||
              r.type == dhcp::MessageType::kLeaseUnknown);
  if (r.type != dhcp::MessageType::kLeaseActive) {
    for (const auto& o : reply.options())
      EXPECT_TRUE(o.code == dhcp::opt::kMessageType || o.code == dhcp::opt::kServerId)
          << "negative reply carries option " << int{o.code};
  } else {
    EXPECT_NE(reply.ciaddr, 0u);
    EXPECT_GT(reply.hlen, 0);
  }
  if (r.type == dhcp::MessageType::kLeaseUnassigned) {
    EXPECT_EQ(r.regime, QueryRegime::kByIp);
  }
}

TEST_F(EngineProperty, ValidAndMutatedQueriesKeepEveryInvariant) {
  std::mt19937 rng(20261129);
  QueryEngine engine(store_);
  QueryContext ctx{kNow, 0xC0000201, kGlobalVpn, false, &policy_};
  QsbrReader reader(store_.qsbr());
  dhcp::ParsedMessage q;
  uint8_t out[1500];
  size_t replies = 0, parse_errors = 0, drops = 0;
  for (int iter = 0; iter < 200'000; ++iter) {
    std::vector<uint8_t> pkt = ValidQuery(rng);
    const int mutations = iter % 3 == 0 ? 0 : static_cast<int>(rng() % 6);
    for (int m = 0; m < mutations; ++m) {
      switch (rng() % 4) {
        case 0: pkt[rng() % pkt.size()] = static_cast<uint8_t>(rng()); break;
        case 1: pkt.resize(rng() % (pkt.size() + 1)); break;
        case 2:
          if (pkt.size() > 241) pkt[240 + rng() % (pkt.size() - 240)] ^= 0xff;
          break;
        default: pkt.push_back(static_cast<uint8_t>(rng())); break;
      }
      if (pkt.empty()) break;
    }
    ctx.replica_stale = iter % 11 == 0;
    if (dhcp::ParseMessage(pkt, q)) {
      ++parse_errors;
      continue;
    }
    QueryResult r = engine.Answer(q, ctx, out);
    if (!r.reply) {
      ++drops;
      EXPECT_LT(static_cast<size_t>(r.drop), static_cast<size_t>(EngineDrop::kCount));
      continue;
    }
    ++replies;
    CheckReply(q, r, out);
    if (HasFatalFailure() || HasFailure()) FAIL() << "at iteration " << iter;
    if (iter % 64 == 0) reader.Quiescent();
  }
  // The generator must exercise all three outcomes, or the test proves little.
  EXPECT_GT(replies, 50'000u);
  EXPECT_GT(parse_errors, 10'000u);
  EXPECT_GT(drops, 5'000u);
}

}  // namespace
}  // namespace lqd
