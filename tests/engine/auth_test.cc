// SPDX-License-Identifier: Apache-2.0
// File: tests/engine/auth_test.cc
//
// RFC 3118 delayed authentication through QueryEngine::Answer (RFC 4388
// section 7 / S-30): a good signed query is answered with a reply signed by
// the same key; a bad MAC, a replayed counter, an unknown key (or a known
// key from a giaddr it does not serve), a missing option when required are
// each dropped under their own reason. Plus the replay table under several
// threads (run it under TSan too).
#include "engine/auth.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <utility>
#include <string>
#include <thread>
#include <vector>

#include "dhcp/auth_option.h"
#include "dhcp/message.h"
#include "dhcp/message_builder.h"
#include "engine/query_engine.h"

namespace lqd {
namespace {

using dhcp::MessageType;

constexpr uint32_t kNow = 1'700'000'000;
constexpr uint32_t kGiaddr = 0x0A000001;   // 10.0.0.1
constexpr uint32_t kOther = 0x0B000001;    // 11.0.0.1, outside the key's prefix
constexpr uint32_t kLeaseIp = 0x0A010005;  // 10.1.0.5

std::vector<uint8_t> Secret(const std::string& s) { return {s.begin(), s.end()}; }

class AuthEngineTest : public ::testing::Test {
 protected:
  AuthEngineTest() : engine_(store_) {
    Lease l;
    l.ip = kLeaseIp;
    l.hw.htype = 1;
    l.hw.hlen = 6;
    l.hw.bytes[5] = 5;
    l.cltt = kNow - 10;
    l.expire = kNow + 3600;
    l.state = LeaseState::kActive;
    EXPECT_TRUE(store_.Upsert(l).ok());
    ctx_.now = kNow;
    ctx_.server_id = 0xC0000201;
    ctx_.policy = &policy_;
  }

  void UseAuth(AuthMode mode) {
    AuthConfig c;
    c.mode = mode;
    c.keys.push_back({7, Secret("relay-7-secret"), {{0x0A000000, 8}}});
    c.keys.push_back({9, Secret("relay-9-secret"), {{0x0A000000, 8}}});
    auto ring = AuthKeyring::Create(c, kNow);
    ASSERT_TRUE(ring.ok()) << ring.status();
    policy_.auth = *ring;
  }

  // A by-IP leasequery; `id` < 0: no option 90; `sign_secret` empty: MAC left zero.
  std::vector<uint8_t> MakeQuery(int64_t id, uint64_t counter, const std::string& sign_secret,
                                 uint32_t giaddr = kGiaddr) {
    uint8_t buf[600];
    dhcp::MessageBuilder b(buf);
    dhcp::BootpHeader h;
    h.op = dhcp::kOpBootRequest;
    h.xid = 0x1234;
    h.ciaddr = kLeaseIp;
    h.giaddr = giaddr;
    b.SetHeader(h);
    b.AddMessageType(MessageType::kLeaseQuery);
    const uint8_t prl[] = {51, 91};
    b.AddOption(dhcp::opt::kParamRequestList, prl);
    size_t mac_at = 0;
    if (id >= 0) mac_at = dhcp::AddDelayedAuthOption(b, counter, static_cast<uint32_t>(id));
    std::vector<uint8_t> q(buf, buf + b.Finish());
    if (id >= 0 && !sign_secret.empty())
      dhcp::SignMessage(dhcp::HmacMd5Key(Secret(sign_secret)), q, mac_at);
    return q;
  }

  QueryResult Ask(const std::vector<uint8_t>& bytes) {
    query_bytes_ = bytes;
    EXPECT_FALSE(dhcp::ParseMessage(query_bytes_, query_).has_value());
    QsbrReader reader(store_.qsbr());
    QueryResult r = engine_.Answer(query_, ctx_, out_);
    if (r.reply) {
      reply_bytes_.assign(out_, out_ + r.len);
      EXPECT_FALSE(dhcp::ParseMessage(reply_bytes_, reply_).has_value());
    }
    return r;
  }

  LeaseStore store_;
  QueryEngine engine_;
  Policy policy_ = DefaultPolicy();
  QueryContext ctx_;
  std::vector<uint8_t> query_bytes_, reply_bytes_;
  dhcp::ParsedMessage query_, reply_;
  uint8_t out_[1500];
};

TEST_F(AuthEngineTest, GoodQueryIsAnsweredAndTheReplyIsSignedWithTheSameKey) {
  UseAuth(AuthMode::kRequired);
  QueryResult r = Ask(MakeQuery(7, 100, "relay-7-secret"));
  ASSERT_TRUE(r.reply) << EngineDropName(r.drop);
  EXPECT_EQ(r.type, MessageType::kLeaseActive);
  uint64_t counter = 0;
  EXPECT_EQ(dhcp::VerifyDelayedAuth(reply_, 7, dhcp::HmacMd5Key(Secret("relay-7-secret")), &counter),
            dhcp::MacCheck::kOk);
  EXPECT_GT(counter, uint64_t{kNow} << 32);  // seeded from the clock (RDM 0 across restarts)
  EXPECT_EQ(dhcp::VerifyDelayedAuth(reply_, 7, dhcp::HmacMd5Key(Secret("wrong")), &counter),
            dhcp::MacCheck::kBadMac);
  // A second query: the reply counter grows.
  ASSERT_TRUE(Ask(MakeQuery(9, 5, "relay-9-secret")).reply);
  uint64_t counter2 = 0;
  EXPECT_EQ(dhcp::VerifyDelayedAuth(reply_, 9, dhcp::HmacMd5Key(Secret("relay-9-secret")), &counter2),
            dhcp::MacCheck::kOk);
  EXPECT_GT(counter2, counter);
}

TEST_F(AuthEngineTest, BadMacIsDropped) {
  UseAuth(AuthMode::kOptional);
  EXPECT_EQ(Ask(MakeQuery(7, 100, "not-the-secret")).drop, EngineDrop::kAuthBadMac);
  EXPECT_EQ(Ask(MakeQuery(7, 100, "")).drop, EngineDrop::kAuthBadMac);  // MAC all zero
  auto q = MakeQuery(7, 100, "relay-7-secret");
  q[12] ^= 1;  // ciaddr changed after signing
  EXPECT_EQ(Ask(q).drop, EngineDrop::kAuthBadMac);
  // The forgeries did not burn counter 100.
  EXPECT_TRUE(Ask(MakeQuery(7, 100, "relay-7-secret")).reply);
}

TEST_F(AuthEngineTest, ReplayIsDropped) {
  UseAuth(AuthMode::kRequired);
  const auto q = MakeQuery(7, 100, "relay-7-secret");
  ASSERT_TRUE(Ask(q).reply);
  EXPECT_EQ(Ask(q).drop, EngineDrop::kAuthReplay);                               // same packet
  EXPECT_EQ(Ask(MakeQuery(7, 99, "relay-7-secret")).drop, EngineDrop::kAuthReplay);  // older
  EXPECT_TRUE(Ask(MakeQuery(7, 101, "relay-7-secret")).reply);
  // Counters are per key and per requester: key 9 and another relay start afresh.
  EXPECT_TRUE(Ask(MakeQuery(9, 1, "relay-9-secret")).reply);
  EXPECT_TRUE(Ask(MakeQuery(7, 1, "relay-7-secret", 0x0A000002)).reply);
}

TEST_F(AuthEngineTest, UnknownKeyIsDropped) {
  UseAuth(AuthMode::kOptional);
  EXPECT_EQ(Ask(MakeQuery(8, 1, "relay-7-secret")).drop, EngineDrop::kAuthUnknownKey);
  // Key 7 exists but not for 11.0.0.0/8: a captured query re-addressed is refused.
  EXPECT_EQ(Ask(MakeQuery(7, 1, "relay-7-secret", kOther)).drop, EngineDrop::kAuthUnknownKey);
}

TEST_F(AuthEngineTest, MissingWhenRequiredIsDroppedAnsweredUnsignedWhenOptional) {
  UseAuth(AuthMode::kRequired);
  EXPECT_EQ(Ask(MakeQuery(-1, 0, "")).drop, EngineDrop::kAuthMissing);
  UseAuth(AuthMode::kOptional);
  ASSERT_TRUE(Ask(MakeQuery(-1, 0, "")).reply);
  EXPECT_EQ(reply_.Find(dhcp::auth::kOptionCode), nullptr);
  policy_.auth = nullptr;  // off: option 90 ignored, reply unsigned
  ASSERT_TRUE(Ask(MakeQuery(7, 1, "garbage")).reply);
  EXPECT_EQ(reply_.Find(dhcp::auth::kOptionCode), nullptr);
}

TEST_F(AuthEngineTest, DiscoverStyleRequestGetsASignedReplyOnlyWhenOptional) {
  // RFC 3118 5.4: option 90 without authentication information.
  auto build = [&](AuthMode mode) {
    UseAuth(mode);
    uint8_t buf[600];
    dhcp::MessageBuilder b(buf);
    dhcp::BootpHeader h;
    h.op = dhcp::kOpBootRequest;
    h.ciaddr = kLeaseIp;
    h.giaddr = kGiaddr;
    b.SetHeader(h);
    b.AddMessageType(MessageType::kLeaseQuery);
    const uint8_t v[11] = {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    b.AddOption(dhcp::auth::kOptionCode, v);
    return std::vector<uint8_t>(buf, buf + b.Finish());
  };
  EXPECT_EQ(Ask(build(AuthMode::kRequired)).drop, EngineDrop::kAuthMissing);
  ASSERT_TRUE(Ask(build(AuthMode::kOptional)).reply);
  uint64_t c = 0;
  EXPECT_EQ(dhcp::VerifyDelayedAuth(reply_, 7, dhcp::HmacMd5Key(Secret("relay-7-secret")), &c),
            dhcp::MacCheck::kOk);
}

TEST_F(AuthEngineTest, UnsupportedAndMalformedOptionsAreDropped) {
  UseAuth(AuthMode::kOptional);
  auto q = MakeQuery(7, 1, "relay-7-secret");
  // Find option 90's value in the packet and change protocol / length.
  size_t i = dhcp::kOffOptions;
  while (q[i] != dhcp::auth::kOptionCode) i += 2 + q[i + 1];
  auto token = q;
  token[i + 2] = 0;  // protocol 0: configuration token (RFC 3118 4), not accepted
  EXPECT_EQ(Ask(token).drop, EngineDrop::kAuthUnsupported);
  auto rdm = q;
  rdm[i + 4] = 1;
  EXPECT_EQ(Ask(rdm).drop, EngineDrop::kAuthUnsupported);
  auto shortened = q;
  shortened[i + 1] = 5;  // 5-byte value; the rest of the old value becomes options (PAD/ignored)
  std::fill(shortened.begin() + static_cast<long>(i) + 7, shortened.begin() + static_cast<long>(i) + 33, 0);
  EXPECT_EQ(Ask(shortened).drop, EngineDrop::kAuthMalformed);
}

TEST_F(AuthEngineTest, ReplayStateSurvivesAReloadedKeyring) {
  UseAuth(AuthMode::kRequired);
  ASSERT_TRUE(Ask(MakeQuery(7, 100, "relay-7-secret")).reply);
  auto old = policy_.auth;
  UseAuth(AuthMode::kRequired);  // a reload builds a fresh keyring
  policy_.auth->AdoptReplayState(*old);
  EXPECT_EQ(Ask(MakeQuery(7, 100, "relay-7-secret")).drop, EngineDrop::kAuthReplay);
}

TEST(AuthKeyringCreate, RejectsUnusableConfigs) {
  AuthConfig c;
  c.mode = AuthMode::kRequired;
  EXPECT_FALSE(AuthKeyring::Create(c, 0).ok());  // required without keys
  c.keys.push_back({1, {}, {{0, 0}}});
  EXPECT_FALSE(AuthKeyring::Create(c, 0).ok());  // empty secret
  c.keys[0].secret = Secret("s");
  c.keys[0].requesters.clear();
  EXPECT_FALSE(AuthKeyring::Create(c, 0).ok());  // no requesters
  c.keys[0].requesters.push_back({0, 0});
  EXPECT_TRUE(AuthKeyring::Create(c, 0).ok());
}

// Several lcores checking counters of the same requesters at once: every
// counter value is accepted exactly once per (key, requester).
TEST(AuthReplayState, EachCounterAcceptedOnceAcrossThreads) {
  AuthReplayState state(0);
  constexpr int kThreads = 4, kCounters = 20000, kRequesters = 8;
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int c = 1; c <= kCounters; ++c)
        for (int r = 0; r < kRequesters; ++r)
          if (state.Advance(7, 0x0A000001 + static_cast<uint32_t>(r), static_cast<uint64_t>(c)) ==
              AuthReplayState::Result::kFresh)
            accepted.fetch_add(1, std::memory_order_relaxed);
    });
  }
  for (auto& t : threads) t.join();
  // Strictly increasing per requester: at most kCounters acceptances each,
  // and the last value is always accepted by someone.
  EXPECT_LE(accepted.load(), kCounters * kRequesters);
  EXPECT_GE(accepted.load(), kRequesters);
  for (int r = 0; r < kRequesters; ++r)
    EXPECT_EQ(state.Advance(7, 0x0A000001 + static_cast<uint32_t>(r), kCounters),
              AuthReplayState::Result::kReplay);
}

TEST(AuthReplayState, FullTableIsReportedNotOverwritten) {
  AuthReplayState state(0);
  size_t full = 0;
  for (uint32_t g = 1; g <= AuthReplayState::kSlots + 100; ++g)
    if (state.Advance(1, g, 1) == AuthReplayState::Result::kFull) ++full;
  EXPECT_GE(full, 100u);
  // Requesters already tracked keep their state.
  EXPECT_EQ(state.Advance(1, 1, 1), AuthReplayState::Result::kReplay);
}

}  // namespace
}  // namespace lqd

namespace lqd {
namespace {

// What a restart restores (dataplane/auth_replay_file.h): Seed only raises
// a requester's floor, and ForEach reports exactly what was accepted.
TEST(AuthReplayState, SeedRaisesTheFloorAndForEachReportsIt) {
  AuthReplayState state(0);
  ASSERT_TRUE(state.Seed(7, 0xc0000201, 500));
  ASSERT_TRUE(state.Seed(7, 0xc0000201, 300));  // never lowers
  EXPECT_FALSE(state.Seed(7, 0, 1));            // giaddr 0 is never a requester
  EXPECT_EQ(state.Advance(7, 0xc0000201, 500), AuthReplayState::Result::kReplay);
  EXPECT_EQ(state.Advance(7, 0xc0000201, 501), AuthReplayState::Result::kFresh);
  EXPECT_EQ(state.Advance(9, 0xc0000202, 4), AuthReplayState::Result::kFresh);
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> seen;
  state.ForEach([&](uint32_t id, uint32_t giaddr, uint64_t last) { seen[{id, giaddr}] = last; });
  EXPECT_EQ(seen, (std::map<std::pair<uint32_t, uint32_t>, uint64_t>{{{7, 0xc0000201}, 501}, {{9, 0xc0000202}, 4}}));
}

}  // namespace
}  // namespace lqd
