// SPDX-License-Identifier: Apache-2.0
// File: tests/client/requester_test.cc
//
// The requester rules end to end against a fake clock and a recording
// transport: every test drives time explicitly, so minutes of protocol
// time take microseconds.
#include "client/requester.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "dhcp/auth_option.h"
#include "fakes.h"

namespace lqd::client {
namespace {

using dhcp::MessageType;
using testing::AnswerTo;
using testing::Ip;
using testing::Sent;

constexpr uint32_t kGiaddr = Ip(192, 0, 2, 2);
constexpr uint32_t kA = Ip(192, 0, 2, 1);
constexpr uint32_t kB = Ip(192, 0, 2, 3);

class RequesterTest : public ::testing::Test {
 protected:
  RequesterConfig Config(std::vector<uint32_t> servers = {kA}) {
    RequesterConfig c;
    c.giaddr = kGiaddr;
    c.servers = std::move(servers);
    return c;
  }
  void Make(const RequesterConfig& c) {
    auto r = Requester::Create(c, clock_, net_, rng_);
    ASSERT_TRUE(r.ok()) << r.status();
    req_ = std::move(*r);
  }
  QueryCallback Collect() {
    return [this](const QueryResult& r) { results_.push_back(r); };
  }
  void Ask(const QueryKey& k) { ASSERT_TRUE(req_->Query(k, Collect()).ok()); }
  void Reply(const Sent& q, MessageType t, std::optional<uint32_t> lease = std::nullopt,
             std::optional<uint32_t> cltt = std::nullopt) {
    req_->OnDatagram(q.server, AnswerTo(q, t, lease, cltt));
  }
  // Moves the clock to `until`, calling Poll() at every wake-up on the way.
  void RunUntil(absl::Time until) {
    for (int guard = 0; guard < 1'000'000; ++guard) {
      const absl::Time next = req_->NextWakeup();
      if (next > until) break;
      if (next > clock_.Now()) clock_.Set(next);
      req_->Poll();
    }
    clock_.Set(until);
    req_->Poll();
  }
  void RunFor(absl::Duration d) { RunUntil(clock_.Now() + d); }
  absl::Time Now() const { return clock_.Now(); }

  FakeClock clock_;
  testing::RecordingTransport net_;
  testing::FixedRandom rng_;
  std::unique_ptr<Requester> req_;
  std::vector<QueryResult> results_;
};


TEST_F(RequesterTest, R01_AllQueriesCarryConfiguredGiaddr) {
  Make(Config());
  Ask(QueryKey::ByIp(Ip(10, 0, 0, 1)));
  Reply(net_.sent.back(), MessageType::kLeaseUnknown);
  Ask(QueryKey::ByMac(std::vector<uint8_t>{2, 0, 0, 0, 0, 1}));
  Ask(QueryKey::ByClientId(std::vector<uint8_t>{1, 2, 3}));
  ASSERT_EQ(net_.sent.size(), 3u);
  for (const Sent& s : net_.sent) EXPECT_EQ(s.giaddr(), kGiaddr);
  RequesterConfig bad = Config();
  bad.giaddr = 0;
  EXPECT_FALSE(Requester::Create(bad, clock_, net_, rng_).ok());
}

TEST_F(RequesterTest, R07_SendsToAllConfiguredServersWhenManagerUnknown) {
  Make(Config({kA, kB}));
  Ask(QueryKey::ByIp(Ip(10, 0, 0, 1)));
  EXPECT_EQ(net_.CountTo(kA), 1u);
  EXPECT_EQ(net_.CountTo(kB), 1u);
}

TEST_F(RequesterTest, R07_R11_SendsOnlyToServerKnownToManageTheAddress) {
  Make(Config({kA, kB}));
  const auto key = QueryKey::ByIp(Ip(10, 0, 0, 1));
  Ask(key);
  ASSERT_EQ(net_.sent.size(), 2u);
  const Sent to_a = net_.sent[0].server == kA ? net_.sent[0] : net_.sent[1];
  const Sent to_b = net_.sent[0].server == kB ? net_.sent[0] : net_.sent[1];
  Reply(to_b, MessageType::kLeaseUnknown);
  Reply(to_a, MessageType::kLeaseUnassigned);
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].outcome, Outcome::kUnassigned);
  EXPECT_EQ(req_->cache().ManagingServer(Ip(10, 0, 0, 1)), kA);
  req_->Invalidate(key);  // gleaning: a lease appeared
  net_.sent.clear();
  Ask(key);
  ASSERT_EQ(net_.sent.size(), 1u);
  EXPECT_EQ(net_.sent[0].server, kA);
}

TEST_F(RequesterTest, R09_ActiveAnsweredFromCacheUntilLeaseExpiry) {
  Make(Config());
  const auto key = QueryKey::ByIp(Ip(10, 0, 0, 1));
  Ask(key);
  Reply(net_.sent.back(), MessageType::kLeaseActive, 100);
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].outcome, Outcome::kActive);
  EXPECT_FALSE(results_[0].from_cache);
  ASSERT_TRUE(results_[0].answer.has_value());
  EXPECT_EQ(results_[0].answer->chaddr, (std::vector<uint8_t>{2, 0, 0, 0, 0, 1}));
  RunFor(absl::Seconds(99));
  Ask(key);
  ASSERT_EQ(results_.size(), 2u);
  EXPECT_TRUE(results_[1].from_cache);
  EXPECT_EQ(results_[1].outcome, Outcome::kActive);
  EXPECT_EQ(results_[1].answer->chaddr, (std::vector<uint8_t>{2, 0, 0, 0, 0, 1}));
  EXPECT_EQ(net_.sent.size(), 1u);
  RunFor(absl::Seconds(1));  // lease expired
  Ask(key);
  EXPECT_EQ(net_.sent.size(), 2u);
  EXPECT_EQ(req_->stats().cache_hits, 1u);
}

TEST_F(RequesterTest, R10_UnassignedCachedUntilGleaningInvalidates) {
  Make(Config());
  const auto key = QueryKey::ByIp(Ip(10, 0, 0, 1));
  Ask(key);
  Reply(net_.sent.back(), MessageType::kLeaseUnassigned);
  RunFor(absl::Hours(48));
  Ask(key);
  ASSERT_EQ(results_.size(), 2u);
  EXPECT_TRUE(results_[1].from_cache);
  EXPECT_EQ(results_[1].outcome, Outcome::kUnassigned);
  EXPECT_EQ(net_.sent.size(), 1u);
  req_->Invalidate(key);
  Ask(key);
  EXPECT_EQ(net_.sent.size(), 2u);
}

TEST_F(RequesterTest, R12_UnknownNotRequeriedForFiveMinutes) {
  Make(Config());
  const auto key = QueryKey::ByIp(Ip(10, 0, 0, 1));
  Ask(key);
  Reply(net_.sent.back(), MessageType::kLeaseUnknown);
  RunFor(absl::Seconds(299));
  Ask(key);
  EXPECT_EQ(net_.sent.size(), 1u);
  EXPECT_EQ(results_.back().outcome, Outcome::kUnknown);
  EXPECT_TRUE(results_.back().from_cache);
  RunFor(absl::Seconds(1));
  Ask(key);
  EXPECT_EQ(net_.sent.size(), 2u);
}

TEST_F(RequesterTest, R13_SilentServerGetsOnePacketPer10To70Seconds) {
  for (double f : {0.0, 0.5, 1.0}) {
    net_.sent.clear();
    rng_.set_fraction(f);
    Make(Config());
    for (int i = 0; i < 5; ++i) Ask(QueryKey::ByIp(Ip(10, 0, 0, 1 + i)));
    ASSERT_EQ(net_.sent.size(), 1u);
    std::vector<absl::Time> at{Now()};
    size_t seen = 1;
    const absl::Time end = Now() + absl::Minutes(30);
    while (Now() < end) {
      RunUntil(std::min(end, req_->NextWakeup()));
      for (; seen < net_.sent.size(); ++seen) at.push_back(Now());
    }
    ASSERT_GT(at.size(), 20u);
    for (size_t i = 1; i < at.size(); ++i) {
      EXPECT_GE(at[i] - at[i - 1], absl::Seconds(10)) << "fraction " << f << " packet " << i;
      EXPECT_LE(at[i] - at[i - 1], absl::Seconds(70)) << "fraction " << f << " packet " << i;
    }
    // Only the first query is ever outstanding.
    std::set<uint32_t> xids;
    for (const Sent& s : net_.sent) xids.insert(s.xid());
    EXPECT_EQ(xids.size(), 1u);
  }
}

TEST_F(RequesterTest, R14_OneOutstandingUntilFirstAnswer) {
  Make(Config());
  for (int i = 0; i < 10; ++i) Ask(QueryKey::ByIp(Ip(10, 0, 0, 1 + i)));
  EXPECT_EQ(net_.sent.size(), 1u);
  EXPECT_EQ(req_->outstanding(kA), 1u);
  EXPECT_EQ(req_->queued(kA), 9u);
  EXPECT_FALSE(req_->pacer(kA)->TimerRunning(Now()));
  Reply(net_.sent[0], MessageType::kLeaseUnknown);
  EXPECT_TRUE(req_->pacer(kA)->TimerRunning(Now()));
  EXPECT_EQ(net_.sent.size(), 10u);  // the other 9 go out in parallel now
  EXPECT_EQ(req_->outstanding(kA), 9u);
}

TEST_F(RequesterTest, R15_RetransmissionsFollowRfc2131Backoff) {
  Make(Config());
  Ask(QueryKey::ByIp(Ip(10, 0, 0, 1)));
  Reply(net_.sent[0], MessageType::kLeaseUnknown);  // server known to answer
  const absl::Time t0 = Now();
  Ask(QueryKey::ByIp(Ip(10, 0, 0, 2)));
  const uint32_t xid = net_.sent.back().xid();
  std::vector<int64_t> offsets{0}, secs{net_.sent.back().secs()};
  size_t seen = net_.sent.size();
  while (req_->NextWakeup() <= t0 + absl::Seconds(200)) {
    RunUntil(req_->NextWakeup());
    for (; seen < net_.sent.size(); ++seen) {
      EXPECT_EQ(net_.sent[seen].xid(), xid);  // same xid on every retry
      offsets.push_back(absl::ToInt64Seconds(Now() - t0));
      secs.push_back(net_.sent[seen].secs());
    }
  }
  EXPECT_EQ(offsets, (std::vector<int64_t>{0, 4, 12, 28, 60, 124, 188}));
  EXPECT_EQ(secs, (std::vector<int64_t>{0, 4, 12, 28, 60, 124, 188}));
}

TEST_F(RequesterTest, R16_ParallelQueriesLimitedAfterFirstAnswer) {
  RequesterConfig c = Config();
  c.pacer.max_outstanding = 100;
  Make(c);
  for (int i = 0; i < 300; ++i) Ask(QueryKey::ByIp(Ip(10, 0, 1, 0) + i));
  EXPECT_EQ(net_.sent.size(), 1u);
  Reply(net_.sent[0], MessageType::kLeaseUnassigned);
  EXPECT_EQ(req_->outstanding(kA), 100u);
  EXPECT_EQ(req_->queued(kA), 199u);
  EXPECT_EQ(net_.sent.size(), 101u);
  // Each answer frees one slot for one queued query.
  Reply(net_.sent[1], MessageType::kLeaseUnassigned);
  EXPECT_EQ(req_->outstanding(kA), 100u);
  EXPECT_EQ(req_->queued(kA), 198u);
  EXPECT_EQ(net_.sent.size(), 102u);
}

TEST_F(RequesterTest, R17_TimerFiresDropsAllButOneWhichPollsEvery64s) {
  RequesterConfig c = Config();
  c.pacer.max_outstanding = 100;
  Make(c);
  for (int i = 0; i < 300; ++i) Ask(QueryKey::ByIp(Ip(10, 0, 1, 0) + i));
  Reply(net_.sent[0], MessageType::kLeaseUnassigned);
  const uint32_t oldest = net_.sent[1].xid();
  const absl::Time answered = Now();
  RunUntil(answered + absl::Seconds(59));
  EXPECT_EQ(req_->outstanding(kA), 100u);
  RunUntil(answered + absl::Seconds(60));  // timer fires
  EXPECT_EQ(req_->outstanding(kA), 1u);
  EXPECT_EQ(req_->queued(kA), 298u);  // dropped ones wait, they are not lost
  EXPECT_EQ(req_->stats().dropped_by_timer, 99u);
  const size_t before = net_.sent.size();
  std::vector<absl::Time> polls;
  size_t seen = before;
  while (Now() < answered + absl::Seconds(60 + 64 * 5)) {
    RunUntil(req_->NextWakeup());
    for (; seen < net_.sent.size(); ++seen) {
      EXPECT_EQ(net_.sent[seen].xid(), oldest);  // only the survivor polls
      polls.push_back(Now());
    }
  }
  ASSERT_GE(polls.size(), 4u);
  for (size_t i = 1; i < polls.size(); ++i) {
    EXPECT_EQ(polls[i] - polls[i - 1], absl::Seconds(64));
  }
  EXPECT_TRUE(results_.size() == 1u);  // nothing given up
  // The server is back: the survivor's answer restarts the timer and the
  // dropped queries go out again.
  Reply(net_.sent.back(), MessageType::kLeaseUnassigned);
  EXPECT_EQ(req_->outstanding(kA), 100u);
  EXPECT_EQ(req_->queued(kA), 198u);
}

TEST_F(RequesterTest, R18_IdleMinuteBringsBackOneOutstanding) {
  Make(Config());
  Ask(QueryKey::ByIp(Ip(10, 0, 0, 1)));
  Reply(net_.sent[0], MessageType::kLeaseUnknown);
  RunFor(absl::Seconds(30));
  for (int i = 0; i < 3; ++i) Ask(QueryKey::ByIp(Ip(10, 0, 0, 10 + i)));
  EXPECT_EQ(net_.sent.size(), 4u);  // timer running: all three in parallel
  for (size_t i = 1; i < 4; ++i) Reply(net_.sent[i], MessageType::kLeaseUnknown);
  RunFor(absl::Seconds(60));  // no traffic for a minute
  EXPECT_FALSE(req_->pacer(kA)->TimerRunning(Now()));
  for (int i = 0; i < 5; ++i) Ask(QueryKey::ByIp(Ip(10, 0, 0, 20 + i)));
  EXPECT_EQ(net_.sent.size(), 5u);
  EXPECT_EQ(req_->outstanding(kA), 1u);
  EXPECT_EQ(req_->queued(kA), 4u);
}

TEST_F(RequesterTest, R19_ConflictingServersResolvedByMostRecentTransaction) {
  Make(Config({kA, kB}));
  Ask(QueryKey::ByIp(Ip(10, 0, 0, 1)));
  ASSERT_EQ(net_.sent.size(), 2u);
  const Sent to_a = net_.sent[0].server == kA ? net_.sent[0] : net_.sent[1];
  const Sent to_b = net_.sent[0].server == kB ? net_.sent[0] : net_.sent[1];
  Reply(to_a, MessageType::kLeaseActive, 3600, 500);
  EXPECT_TRUE(results_.empty());  // B still has its grace period
  Reply(to_b, MessageType::kLeaseActive, 3600, 20);
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].server, kB);  // 20 s since CLTT beats 500 s
  EXPECT_EQ(results_[0].answers.size(), 2u);
  EXPECT_EQ(results_[0].answer->client_last_transaction_time, 20u);
}

TEST_F(RequesterTest, R19_SilentSecondServerDoesNotHoldTheAnswerBack) {
  Make(Config({kA, kB}));
  Ask(QueryKey::ByIp(Ip(10, 0, 0, 1)));
  const Sent to_a = net_.sent[0].server == kA ? net_.sent[0] : net_.sent[1];
  Reply(to_a, MessageType::kLeaseActive, 3600, 500);
  RunFor(absl::Milliseconds(1999));
  EXPECT_TRUE(results_.empty());
  RunFor(absl::Milliseconds(1));
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].server, kA);
  EXPECT_EQ(req_->outstanding(kB), 0u);  // B's leg cancelled
  EXPECT_EQ(req_->in_flight(), 0u);
}

// Only B manages 10.2.0.5 and B's first query is lost: A's UNKNOWN says
// nothing about the address, so B keeps being asked (RFC 4388 6.5, 6.8).
TEST_F(RequesterTest, R07_R19_UnknownFromOneServerDoesNotEndTheQuery) {
  Make(Config({kA, kB}));
  const auto key = QueryKey::ByIp(Ip(10, 2, 0, 5));
  Ask(key);
  ASSERT_EQ(net_.sent.size(), 2u);
  const Sent to_a = net_.sent[0].server == kA ? net_.sent[0] : net_.sent[1];
  Reply(to_a, MessageType::kLeaseUnknown);
  RunFor(absl::Seconds(10));
  EXPECT_TRUE(results_.empty());
  EXPECT_EQ(net_.CountTo(kB), 2u);  // retransmitted after the 2-s grace
  EXPECT_EQ(net_.CountTo(kA), 1u);
  ASSERT_EQ(net_.sent.back().server, kB);
  Reply(net_.sent.back(), MessageType::kLeaseActive, 3600);
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].outcome, Outcome::kActive);
  EXPECT_EQ(results_[0].server, kB);
  EXPECT_EQ(results_[0].answers.size(), 2u);
  EXPECT_EQ(req_->cache().ManagingServer(Ip(10, 2, 0, 5)), kB);
  Ask(key);  // the ACTIVE is what was cached, not A's UNKNOWN
  ASSERT_EQ(results_.size(), 2u);
  EXPECT_TRUE(results_[1].from_cache);
  EXPECT_EQ(results_[1].outcome, Outcome::kActive);
}

// A server that is down (polled without a transmission limit, the
// library's default) does not hold an UNKNOWN back forever: the other
// servers get unknown_grace, then the UNKNOWN is the answer.
TEST_F(RequesterTest, R19_UnknownWaitsForOtherServersOnlyUnknownGrace) {
  Make(Config({kA, kB}));
  Ask(QueryKey::ByIp(Ip(10, 2, 0, 6)));
  ASSERT_EQ(net_.sent.size(), 2u);
  const Sent to_a = net_.sent[0].server == kA ? net_.sent[0] : net_.sent[1];
  Reply(to_a, MessageType::kLeaseUnknown);
  RunFor(absl::Seconds(25) - absl::Milliseconds(1));
  EXPECT_TRUE(results_.empty());
  EXPECT_EQ(net_.CountTo(kB), 3u);  // asked twice more meanwhile (R-13: one datagram per 10 s)
  RunFor(absl::Milliseconds(1));
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].outcome, Outcome::kUnknown);
  EXPECT_EQ(req_->in_flight(), 0u);
}

// UNASSIGNED comes from a server that manages the address (RFC 4388 6.5):
// like ACTIVE it is an answer, and the others get only the grace period.
TEST_F(RequesterTest, R19_UnassignedEndsTheQueryAfterTheGracePeriod) {
  Make(Config({kA, kB}));
  Ask(QueryKey::ByIp(Ip(10, 0, 0, 1)));
  const Sent to_a = net_.sent[0].server == kA ? net_.sent[0] : net_.sent[1];
  Reply(to_a, MessageType::kLeaseUnassigned);
  RunFor(absl::Milliseconds(1999));
  EXPECT_TRUE(results_.empty());
  RunFor(absl::Milliseconds(1));
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].outcome, Outcome::kUnassigned);
  EXPECT_EQ(req_->in_flight(), 0u);
}

TEST_F(RequesterTest, R12_UnknownFromEveryServerIsTheAnswer) {
  RequesterConfig c = Config({kA, kB});
  c.max_transmissions = 2;
  Make(c);
  const auto key = QueryKey::ByIp(Ip(10, 0, 0, 1));
  Ask(key);
  const Sent to_a = net_.sent[0].server == kA ? net_.sent[0] : net_.sent[1];
  const Sent to_b = net_.sent[0].server == kB ? net_.sent[0] : net_.sent[1];
  Reply(to_a, MessageType::kLeaseUnknown);
  Reply(to_b, MessageType::kLeaseUnknown);
  ASSERT_EQ(results_.size(), 1u);  // everyone answered: no need to wait
  EXPECT_EQ(results_[0].outcome, Outcome::kUnknown);
  // A silent B that gives up does not hold an UNKNOWN back for ever.
  const auto other = QueryKey::ByIp(Ip(10, 0, 0, 2));
  Ask(other);
  Reply(net_.sent[net_.sent[2].server == kA ? 2 : 3], MessageType::kLeaseUnknown);
  RunFor(absl::Minutes(1));
  ASSERT_EQ(results_.size(), 2u);
  EXPECT_EQ(results_[1].outcome, Outcome::kUnknown);
  Ask(other);
  EXPECT_TRUE(results_.back().from_cache);
}

// A said UNASSIGNED, so it manages the address; later it says
// UNKNOWN, so it no longer does: the next query goes to every server again.
TEST_F(RequesterTest, R07_R11_ManagerForgottenWhenItAnswersUnknown) {
  Make(Config({kA, kB}));
  const uint32_t ip = Ip(10, 0, 0, 1);
  const auto key = QueryKey::ByIp(ip);
  Ask(key);
  const Sent to_a = net_.sent[0].server == kA ? net_.sent[0] : net_.sent[1];
  const Sent to_b = net_.sent[0].server == kB ? net_.sent[0] : net_.sent[1];
  Reply(to_a, MessageType::kLeaseUnassigned);
  Reply(to_b, MessageType::kLeaseUnknown);
  ASSERT_EQ(results_.size(), 1u);
  ASSERT_EQ(req_->cache().ManagingServer(ip), kA);
  req_->Invalidate(key);
  net_.sent.clear();
  Ask(key);
  ASSERT_EQ(net_.sent.size(), 1u);
  ASSERT_EQ(net_.sent[0].server, kA);
  Reply(net_.sent[0], MessageType::kLeaseUnknown);
  ASSERT_EQ(results_.size(), 2u);
  EXPECT_EQ(results_[1].outcome, Outcome::kUnknown);
  EXPECT_FALSE(req_->cache().ManagingServer(ip).has_value());
  RunFor(absl::Minutes(5));  // the UNKNOWN expires
  net_.sent.clear();
  Ask(key);
  EXPECT_EQ(net_.CountTo(kA), 1u);
  EXPECT_EQ(net_.CountTo(kB), 1u);
}

// Gleaning saw a new lease while a query was out: its answer predates the
// lease, so the caller hears it but it is not cached.
TEST_F(RequesterTest, R10_AnswerInFlightDuringGleaningNotCached) {
  Make(Config());
  const auto key = QueryKey::ByIp(Ip(10, 0, 0, 1));
  Ask(key);
  req_->Invalidate(key);
  Reply(net_.sent[0], MessageType::kLeaseUnassigned);
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].outcome, Outcome::kUnassigned);
  EXPECT_EQ(req_->cache().size(), 0u);
  Ask(key);
  ASSERT_EQ(net_.sent.size(), 2u);
  EXPECT_EQ(results_.size(), 1u);
  // The new query's answer is cached as usual.
  Reply(net_.sent[1], MessageType::kLeaseUnassigned);
  Ask(key);
  EXPECT_EQ(net_.sent.size(), 2u);
  EXPECT_TRUE(results_.back().from_cache);
}

// Only a reply to one of our queries, from the server it was sent to, shows
// that the server speaks leasequery and starts its timer.
TEST_F(RequesterTest, R13_R14_UnmatchedReplyDoesNotLiftTheLimits) {
  Make(Config({kA, kB}));
  for (int i = 0; i < 3; ++i) Ask(QueryKey::ByIp(Ip(10, 0, 0, 1 + i)));
  ASSERT_EQ(net_.sent.size(), 2u);
  const Sent to_a = net_.sent[0].server == kA ? net_.sent[0] : net_.sent[1];
  req_->OnDatagram(kB, AnswerTo(to_a, MessageType::kLeaseUnknown));  // A's xid, from B
  Sent unknown_xid = to_a;
  dhcp::StoreBe32(&unknown_xid.bytes[dhcp::kOffXid], 0xdead0000);
  req_->OnDatagram(kA, AnswerTo(unknown_xid, MessageType::kLeaseUnknown));
  EXPECT_EQ(req_->stats().stray, 2u);
  for (uint32_t s : {kA, kB}) {
    EXPECT_FALSE(req_->pacer(s)->known_to_support_lq());
    EXPECT_FALSE(req_->pacer(s)->TimerRunning(Now()));
    EXPECT_EQ(req_->outstanding(s), 1u);
    EXPECT_EQ(req_->queued(s), 2u);
  }
  EXPECT_EQ(net_.sent.size(), 2u);
  RunFor(absl::Seconds(9));  // still at most one packet per 10 s to each
  EXPECT_EQ(net_.sent.size(), 2u);
  EXPECT_TRUE(results_.empty());
}

// B answered once and then went silent; A answers every query. B's timer
// fires while a query is out to it; that survivor is cancelled when A's
// answer decides it, and the queries after it take over the 64-s poll
// instead of each going to B at once.
TEST_F(RequesterTest, R17_PollToSilentServerSurvivesCancelledQueries) {
  Make(Config({kA, kB}));
  size_t answered_upto = 0;
  // A answers every query sent to it so far (ACTIVE, so each query ends
  // 2 s later, B's leg cancelled).
  auto a_answers = [&] {
    const size_t end = net_.sent.size();
    for (; answered_upto < end; ++answered_upto) {
      if (net_.sent[answered_upto].server == kA) {
        Reply(net_.sent[answered_upto], MessageType::kLeaseActive, 3600, 10);
      }
    }
  };
  const absl::Time t0 = Now();
  uint32_t next_ip = Ip(10, 0, 1, 0);
  Ask(QueryKey::ByIp(next_ip++));
  const Sent to_b = net_.sent[0].server == kB ? net_.sent[0] : net_.sent[1];
  Reply(to_b, MessageType::kLeaseUnknown);  // B's timer runs until t0 + 60 s
  a_answers();
  ASSERT_EQ(results_.size(), 1u);
  RunUntil(t0 + absl::Seconds(58));
  Ask(QueryKey::ByIp(next_ip++));  // out to B when its timer fires
  RunUntil(t0 + absl::Seconds(61));
  a_answers();
  while (Now() < t0 + absl::Minutes(5)) {
    RunFor(absl::Seconds(9));
    Ask(QueryKey::ByIp(next_ip++));
    RunFor(absl::Seconds(1));
    a_answers();
  }
  RunUntil(t0 + absl::Minutes(5));
  EXPECT_GE(results_.size(), 25u);
  // 0 s (answered), 58 s, its retransmission at 62 s, then one poll per
  // ~64 s: at most 6 in 5 minutes.
  EXPECT_LE(net_.CountTo(kB), 6u) << net_.CountTo(kB);
  EXPECT_GE(net_.CountTo(kB), 5u);  // but still polled, not given up on
}

TEST_F(RequesterTest, R20_CiaddrRestrictedToAccessNetworks) {
  RequesterConfig c = Config();
  c.access_networks = {*ParsePrefix("10.0.0.0/16")};
  Make(c);
  auto s = req_->Query(QueryKey::ByIp(Ip(10, 1, 0, 1)), Collect());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(net_.sent.empty());
  EXPECT_TRUE(req_->Query(QueryKey::ByIp(Ip(10, 0, 200, 1)), Collect()).ok());
  EXPECT_EQ(net_.sent.size(), 1u);
}

TEST_F(RequesterTest, R20_AtMostOneQueryPerAddressAfterReboot) {
  Make(Config());
  const auto key = QueryKey::ByIp(Ip(10, 0, 0, 1));
  // Data traffic for the same address keeps asking while the query is out.
  for (int i = 0; i < 3; ++i) Ask(key);
  EXPECT_EQ(net_.sent.size(), 1u);
  EXPECT_EQ(req_->stats().coalesced, 2u);
  Reply(net_.sent[0], MessageType::kLeaseUnknown);
  ASSERT_EQ(results_.size(), 3u);  // every caller told
  for (const auto& r : results_) EXPECT_EQ(r.outcome, Outcome::kUnknown);
  Ask(key);  // and the negative answer is cached
  EXPECT_EQ(net_.sent.size(), 1u);
}

TEST_F(RequesterTest, GivesUpAfterMaxTransmissions) {
  RequesterConfig c = Config();
  c.max_transmissions = 3;
  Make(c);
  Ask(QueryKey::ByIp(Ip(10, 0, 0, 1)));
  RunFor(absl::Minutes(5));
  EXPECT_EQ(net_.sent.size(), 3u);
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].outcome, Outcome::kNoAnswer);
  EXPECT_EQ(results_[0].transmissions, 3);
  // Unknown server: sends at 0, 10, 20, gives up 16 s after the third.
  EXPECT_EQ(results_[0].latency, absl::Seconds(36));
  EXPECT_EQ(req_->stats().gave_up, 1u);
}

TEST_F(RequesterTest, StrayAndMalformedAnswersIgnored) {
  Make(Config());
  Ask(QueryKey::ByIp(Ip(10, 0, 0, 1)));
  Sent q = net_.sent[0];
  req_->OnDatagram(kA, std::vector<uint8_t>(50, 0));
  EXPECT_EQ(req_->stats().malformed, 1u);
  req_->OnDatagram(Ip(203, 0, 113, 9), AnswerTo(q, MessageType::kLeaseActive, 60));
  Sent wrong = q;
  dhcp::StoreBe32(&wrong.bytes[dhcp::kOffXid], q.xid() + 1);
  req_->OnDatagram(kA, AnswerTo(wrong, MessageType::kLeaseActive, 60));
  EXPECT_EQ(req_->stats().stray, 2u);
  EXPECT_TRUE(results_.empty());
  Reply(q, MessageType::kLeaseActive, 60);
  EXPECT_EQ(results_.size(), 1u);
  Reply(q, MessageType::kLeaseActive, 60);  // duplicate
  EXPECT_EQ(req_->stats().stray, 3u);
  EXPECT_EQ(results_.size(), 1u);
}

TEST_F(RequesterTest, CallbackMayQueryAgain) {
  Make(Config());
  std::vector<Outcome> seen;
  ASSERT_TRUE(req_->Query(QueryKey::ByIp(Ip(10, 0, 0, 1)), [&](const QueryResult& r) {
    seen.push_back(r.outcome);
    ASSERT_TRUE(req_->Query(QueryKey::ByIp(Ip(10, 0, 0, 2)), Collect()).ok());
  }).ok());
  Reply(net_.sent[0], MessageType::kLeaseUnassigned);
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_EQ(net_.sent.size(), 2u);
  Reply(net_.sent[1], MessageType::kLeaseUnassigned);
  EXPECT_EQ(results_.size(), 1u);
}

}  // namespace
}  // namespace lqd::client

// RFC 4388 section 7 / RFC 3118 delayed authentication on the requester side.
namespace lqd::client {
namespace {

constexpr uint32_t kAuthGiaddr = testing::Ip(192, 0, 2, 2);
constexpr uint32_t kAuthServer = testing::Ip(192, 0, 2, 1);

std::vector<uint8_t> SignedAnswer(const testing::Sent& q, const std::string& secret, uint32_t id,
                                  uint64_t counter) {
  std::vector<uint8_t> buf(600);
  dhcp::BootpHeader h;
  h.op = dhcp::kOpBootReply;
  h.xid = q.xid();
  h.ciaddr = q.ciaddr();
  h.giaddr = q.giaddr();
  dhcp::MessageBuilder b(buf);
  b.SetHeader(h);
  b.AddMessageType(MessageType::kLeaseUnassigned);
  const size_t at = dhcp::AddDelayedAuthOption(b, counter, id);
  buf.resize(b.Finish());
  dhcp::SignMessage(dhcp::HmacMd5Key({reinterpret_cast<const uint8_t*>(secret.data()), secret.size()}),
                    buf, at);
  return buf;
}

TEST(RequesterAuthTest, SignsQueriesAcceptsOnlyFreshRepliesSignedWithItsKey) {
  FakeClock clock;
  testing::RecordingTransport net;
  testing::FixedRandom rng;
  RequesterConfig c;
  c.giaddr = kAuthGiaddr;
  c.servers = {kAuthServer};
  c.cache_answers = false;
  c.auth = AuthKeySpec{7, {'k', 'e', 'y'}};
  auto made = Requester::Create(c, clock, net, rng);
  ASSERT_TRUE(made.ok()) << made.status();
  Requester& req = **made;
  std::vector<QueryResult> results;
  auto collect = [&](const QueryResult& r) { results.push_back(r); };

  ASSERT_TRUE(req.Query(QueryKey::ByIp(testing::Ip(10, 0, 0, 5)), collect).ok());
  ASSERT_EQ(net.sent.size(), 1u);
  // The query carries option 90 that verifies with the key.
  dhcp::ParsedMessage m;
  ASSERT_FALSE(dhcp::ParseMessage(net.sent[0].bytes, m).has_value());
  uint64_t q_counter = 0;
  ASSERT_EQ(dhcp::VerifyDelayedAuth(m, 7, dhcp::HmacMd5Key(std::vector<uint8_t>{'k', 'e', 'y'}),
                                    &q_counter),
            dhcp::MacCheck::kOk);
  EXPECT_GT(q_counter, 0u);

  // Unsigned, wrong key, wrong key id: ignored (the query stays open).
  req.OnDatagram(kAuthServer, testing::AnswerTo(net.sent[0], MessageType::kLeaseUnassigned));
  req.OnDatagram(kAuthServer, SignedAnswer(net.sent[0], "other", 7, 10));
  req.OnDatagram(kAuthServer, SignedAnswer(net.sent[0], "key", 8, 10));
  EXPECT_EQ(req.stats().auth_rejected, 3u);
  EXPECT_TRUE(results.empty());
  // Signed with the key: accepted.
  req.OnDatagram(kAuthServer, SignedAnswer(net.sent[0], "key", 7, 10));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].outcome, Outcome::kUnassigned);

  // A second query's counter is higher; an answer replaying counter 10 is refused.
  ASSERT_TRUE(req.Query(QueryKey::ByIp(testing::Ip(10, 0, 0, 6)), collect).ok());
  ASSERT_EQ(net.sent.size(), 2u);
  ASSERT_FALSE(dhcp::ParseMessage(net.sent[1].bytes, m).has_value());
  uint64_t q2 = 0;
  ASSERT_EQ(dhcp::VerifyDelayedAuth(m, 7, dhcp::HmacMd5Key(std::vector<uint8_t>{'k', 'e', 'y'}), &q2),
            dhcp::MacCheck::kOk);
  EXPECT_GT(q2, q_counter);
  req.OnDatagram(kAuthServer, SignedAnswer(net.sent[1], "key", 7, 10));
  EXPECT_EQ(req.stats().auth_replayed, 1u);
  EXPECT_EQ(results.size(), 1u);
  req.OnDatagram(kAuthServer, SignedAnswer(net.sent[1], "key", 7, 11));
  EXPECT_EQ(results.size(), 2u);
}

TEST(ParseAuthKeyTest, TextAndHexSecretsAndClearErrors) {
  auto k = ParseAuthKey("7:s3cret");
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->id, 7u);
  EXPECT_EQ(std::string(k->secret.begin(), k->secret.end()), "s3cret");
  k = ParseAuthKey("4294967295:hex:00fFa0");
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->id, 4294967295u);
  EXPECT_EQ(k->secret, (std::vector<uint8_t>{0x00, 0xff, 0xa0}));
  EXPECT_EQ(ParseAuthKey("x:1").status().message(), "the key ID before ':' must be a number 0..4294967295");
  EXPECT_FALSE(ParseAuthKey("4294967296:a").ok());
  EXPECT_FALSE(ParseAuthKey("7").ok());
  EXPECT_FALSE(ParseAuthKey("7:").ok());
  EXPECT_FALSE(ParseAuthKey("7:hex:abc").ok());
  EXPECT_FALSE(ParseAuthKey("7:hex:zz").ok());
}

}  // namespace
}  // namespace lqd::client
