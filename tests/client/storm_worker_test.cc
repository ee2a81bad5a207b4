// SPDX-License-Identifier: Apache-2.0
// File: tests/client/storm_worker_test.cc
//
// lq-storm's loops over a fake StormIo that plays the server in memory:
// the counts the report is made of (sent, answered, lost, retries, answers
// by type, unexpected, stray, recovery), whatever path carries the frames.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <set>

#include "client/storm.h"
#include "tests/client/fakes.h"

namespace lqd::client {
namespace {

using testing::AnswerTo;
using testing::Ip;
using testing::Sent;

// Answers from memory: ACTIVE for the active subscribers, UNASSIGNED for the
// others, UNKNOWN for anything else. `drop(n, query)` (n counts sends from
// 0) loses a query; `lie` answers ACTIVE to everything.
class FakeServerIo final : public StormIo {
 public:
  explicit FakeServerIo(const std::vector<Subscriber>& subs) : subs_(subs) {}
  std::function<bool(size_t, const Sent&)> drop = [](size_t, const Sent&) { return false; };
  bool lie = false;
  size_t strays_to_inject = 0;
  size_t sends = 0;

  void Send(size_t ci, std::span<const uint8_t> dhcp) override {
    Sent q{0, {dhcp.begin(), dhcp.end()}};
    if (drop(sends++, q)) return;
    dhcp::MessageType t = dhcp::MessageType::kLeaseUnknown;
    for (const Subscriber& s : subs_) {
      if (s.ip == q.ciaddr()) {
        t = s.active ? dhcp::MessageType::kLeaseActive : dhcp::MessageType::kLeaseUnassigned;
      }
    }
    if (lie) t = dhcp::MessageType::kLeaseActive;
    pending_.push_back({ci, AnswerTo(q, t, 3600)});
  }
  size_t Receive(absl::Duration,
                 absl::FunctionRef<void(size_t, std::span<const uint8_t>)> on_answer) override {
    stray_ += strays_to_inject;
    strays_to_inject = 0;
    size_t n = 0;
    while (!pending_.empty()) {
      auto [ci, bytes] = std::move(pending_.front());
      pending_.pop_front();
      on_answer(ci, bytes);
      ++n;
    }
    return n;
  }
  uint64_t stray() const override { return stray_; }

 private:
  const std::vector<Subscriber>& subs_;
  std::deque<std::pair<size_t, std::vector<uint8_t>>> pending_;
  uint64_t stray_ = 0;
};

class StormWorkerTest : public ::testing::Test {
 protected:
  StormWorkerTest() {
    for (uint32_t i = 0; i < 10; ++i) subs_.push_back({Ip(10, 0, 0, 1 + i), {}, {}, i % 2 == 0});
    opt_.server = Ip(192, 0, 2, 1);
    opt_.giaddr_base = Ip(192, 0, 2, 10);
    opt_.concentrators = 2;
    opt_.duration_s = 30;
    opt_.timeout_s = 0.05;
    opt_.max_queries = 100;
    opt_.window = 8;
    sh_.opt = &opt_;
  }

  StormResult Run(FakeServerIo& io) {
    conc_ = DealConcentrators(subs_, opt_.concentrators, 0, opt_.giaddr_base);
    std::vector<StormConcentrator*> all;
    for (auto& c : conc_) all.push_back(&c);
    StormWorker w(sh_, all, io, 7, absl::Now());
    w.Run();
    return w.result();
  }

  std::vector<Subscriber> subs_;
  std::vector<StormConcentrator> conc_;
  StormOptions opt_;
  StormShared sh_;
};

TEST_F(StormWorkerTest, DealsSubscribersRoundRobinWithGiaddrs) {
  auto conc = DealConcentrators(subs_, 3, 3, Ip(192, 0, 2, 10));
  ASSERT_EQ(conc.size(), 3u);
  EXPECT_EQ(conc[0].subs.size(), 3u);  // 10 dealt over 3, at most 3 each
  EXPECT_EQ(conc[2].subs.size(), 3u);
  EXPECT_EQ(conc[1].subs[0]->ip, Ip(10, 0, 0, 2));
  EXPECT_EQ(conc[2].giaddr, Ip(192, 0, 2, 12));
  EXPECT_EQ(conc[2].recovered.size(), 3u);
}

TEST_F(StormWorkerTest, ClosedLoopAsksEverySubscriberEquallyAndCountsByType) {
  FakeServerIo io(subs_);
  const StormResult r = Run(io);
  EXPECT_EQ(sh_.sent.load(), 100u);
  EXPECT_EQ(sh_.answered.load(), 100u);
  EXPECT_EQ(sh_.lost.load(), 0u);
  EXPECT_EQ(r.by_state[static_cast<int>(LeaseState::kActive)], 50u);  // 10 rounds of 5
  EXPECT_EQ(r.by_state[static_cast<int>(LeaseState::kUnassigned)], 50u);
  EXPECT_EQ(r.unexpected, 0u);
  EXPECT_EQ(r.latency.count(), 100u);
  EXPECT_EQ(r.recovered, 2u);
  EXPECT_EQ(r.concentrators, 2u);
}

TEST_F(StormWorkerTest, UnansweredQueriesAreLostAfterTheTimeout) {
  FakeServerIo io(subs_);
  io.drop = [](size_t n, const Sent&) { return n % 5 == 0; };
  Run(io);
  EXPECT_EQ(sh_.sent.load(), 100u);
  EXPECT_EQ(sh_.lost.load(), 20u);
  EXPECT_EQ(sh_.answered.load(), 80u);
  EXPECT_EQ(sh_.retries.load(), 0u);
}

TEST_F(StormWorkerTest, RetriesResendTheSameXidWithinTheCap) {
  opt_.retries = 1;
  FakeServerIo io(subs_);
  std::vector<uint32_t> seen, dropped;  // every 5th first attempt, 10 of them
  io.drop = [&](size_t, const Sent& q) {
    if (std::find(seen.begin(), seen.end(), q.xid()) != seen.end()) return false;
    seen.push_back(q.xid());
    if (seen.size() % 5 != 1 || dropped.size() == 10) return false;
    dropped.push_back(q.xid());
    return true;
  };
  Run(io);
  ASSERT_EQ(dropped.size(), 10u);
  EXPECT_EQ(sh_.sent.load(), 100u);  // retries count against --max-queries
  // A dropped query is resent once (and answered) unless the cap was used
  // up by then: then it is lost. Every query is answered or lost, once.
  EXPECT_GT(sh_.retries.load(), 0u);
  EXPECT_EQ(sh_.retries.load() + sh_.lost.load(), 10u);
  EXPECT_EQ(sh_.answered.load() + sh_.lost.load(), 100u - sh_.retries.load());
}

TEST_F(StormWorkerTest, ProbesOutsideThePopulationExpectUnknown) {
  opt_.unknown_fraction = 0.5;
  FakeServerIo io(subs_);
  const StormResult r = Run(io);
  const uint64_t unknown = r.by_state[static_cast<int>(LeaseState::kUnknown)];
  EXPECT_GT(unknown, 20u);
  EXPECT_LT(unknown, 80u);
  EXPECT_EQ(unknown + r.by_state[0] + r.by_state[1], 100u);
  EXPECT_EQ(r.unexpected, 0u);
}

TEST_F(StormWorkerTest, AnswersContradictingThePopulationAreUnexpected) {
  FakeServerIo io(subs_);
  io.lie = true;
  io.strays_to_inject = 3;
  const StormResult r = Run(io);
  EXPECT_EQ(r.unexpected, 50u);  // every inactive subscriber, 10 rounds of 5
  EXPECT_EQ(r.stray, 3u);
}

TEST_F(StormWorkerTest, OpenLoopStopsAtTheQueryCap) {
  opt_.mode = StormMode::kOpen;
  opt_.rate = 10000;
  opt_.max_queries = 200;
  FakeServerIo io(subs_);
  Run(io);
  EXPECT_EQ(sh_.sent.load(), 200u);
  EXPECT_EQ(sh_.answered.load(), 200u);
}

TEST_F(StormWorkerTest, FloodSendsEveryQueryInTurnUpToTheCapAndCountsAnswersByType) {
  opt_.mode = StormMode::kFlood;
  opt_.max_queries = 40;
  FakeServerIo io(subs_);
  std::vector<uint32_t> asked;
  io.drop = [&](size_t n, const Sent& q) {
    asked.push_back(q.ciaddr());
    return n % 4 == 3;  // every 4th query is lost
  };
  const StormResult r = Run(io);
  EXPECT_EQ(sh_.sent.load(), 40u);
  EXPECT_EQ(sh_.answered.load(), 30u);
  EXPECT_EQ(sh_.lost.load(), 10u);
  // Both concentrators' 5 subscribers each, in a fixed cycle of 10.
  ASSERT_EQ(asked.size(), 40u);
  for (size_t i = 10; i < asked.size(); ++i) EXPECT_EQ(asked[i], asked[i - 10]) << i;
  EXPECT_EQ(std::set<uint32_t>(asked.begin(), asked.end()).size(), 10u);
  EXPECT_EQ(r.by_state[0] + r.by_state[1] + r.by_state[2], 30u);
  EXPECT_GT(r.by_state[0], 0u);  // ACTIVE for the active half
  EXPECT_GT(r.by_state[1], 0u);  // UNASSIGNED for the others
  EXPECT_EQ(r.latency.count(), 0u);  // nothing matched per query
}

TEST_F(StormWorkerTest, FloodWithPacedRateFloodsFromTheFirstGiaddrOnlyAndCountsPerGiaddr) {
  opt_.mode = StormMode::kFlood;
  opt_.concentrators = 3;
  opt_.paced_rate = 100;  // concentrators 2 and 3 together
  opt_.duration_s = 0.3;
  opt_.max_queries = 1'000'000'000;
  FakeServerIo io(subs_);
  std::vector<size_t> sends_by_ci(3);
  io.drop = [&](size_t, const Sent& q) {
    // The giaddr is the only thing telling the concentrators apart here.
    const uint32_t giaddr = q.giaddr();
    EXPECT_GE(giaddr, opt_.giaddr_base);
    EXPECT_LT(giaddr, opt_.giaddr_base + 3);
    ++sends_by_ci[giaddr - opt_.giaddr_base];
    return false;
  };
  const StormResult r = Run(io);
  ASSERT_EQ(r.per_concentrator.size(), 3u);
  uint64_t answered = 0;
  for (size_t i = 0; i < 3; ++i) {
    const auto& c = r.per_concentrator[i];
    EXPECT_EQ(c.giaddr, opt_.giaddr_base + i);
    EXPECT_EQ(c.sent, sends_by_ci[i]) << i;
    EXPECT_EQ(c.answered, c.sent) << i;  // the fake server answers everything
    answered += c.answered;
  }
  EXPECT_EQ(answered, sh_.answered.load());
  // The paced two never exceed their schedule (100/s for 0.3 s, whatever
  // the machine's speed) and did start; the first sends 64 per turn.
  const uint64_t paced = r.per_concentrator[1].sent + r.per_concentrator[2].sent;
  EXPECT_GE(paced, 1u);
  EXPECT_LE(paced, 31u);
  EXPECT_GE(r.per_concentrator[0].sent, 64u);
  EXPECT_GT(r.per_concentrator[0].sent, paced);
}

TEST_F(StormWorkerTest, FloodWithRateKeepsToItsSchedule) {
  opt_.mode = StormMode::kFlood;
  opt_.rate = 1000;
  opt_.duration_s = 0.3;
  opt_.max_queries = 1'000'000'000;
  FakeServerIo io(subs_);
  Run(io);
  // Never ahead of 1000/s for 0.3 s, whatever the machine's speed; started.
  EXPECT_GE(sh_.sent.load(), 1u);
  EXPECT_LE(sh_.sent.load(), 301u);
  EXPECT_EQ(sh_.answered.load(), sh_.sent.load());
}

TEST_F(StormWorkerTest, RfcModeAsksEachSubscriberOnce) {
  opt_.mode = StormMode::kRfc;
  FakeServerIo io(subs_);
  const StormResult r = Run(io);
  EXPECT_EQ(sh_.sent.load(), 10u);
  EXPECT_EQ(r.by_state[0] + r.by_state[1], 10u);
  EXPECT_EQ(r.recovered, 2u);
}

TEST_F(StormWorkerTest, GiaddrRangeMustNotBeZeroOrWrap) {
  EXPECT_TRUE(ValidateGiaddrRange(Ip(192, 0, 2, 10), 3).ok());
  EXPECT_TRUE(ValidateGiaddrRange(Ip(255, 255, 255, 250), 6).ok());  // up to .255
  EXPECT_TRUE(ValidateGiaddrRange(Ip(0, 0, 0, 1), 1).ok());
  const absl::Status zero = ValidateGiaddrRange(0, 1);
  EXPECT_EQ(zero.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(zero.message().find("0.0.0.0"), absl::string_view::npos) << zero;
  const absl::Status wraps = ValidateGiaddrRange(Ip(255, 255, 255, 250), 7);  // 7th would be 0
  EXPECT_EQ(wraps.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(wraps.message().find("255.255.255.250"), absl::string_view::npos) << wraps;
  EXPECT_FALSE(ValidateGiaddrRange(Ip(255, 255, 255, 255), 60000).ok());
}

// --giaddr-base 0.0.0.0 makes concentrator 0 one that cannot ask anything
// (lq-storm refuses it; the worker must still not crash or over-count).
TEST_F(StormWorkerTest, ClosedLoopCountsOnlyQueriesActuallySent) {
  opt_.giaddr_base = 0;
  FakeServerIo io(subs_);
  const StormResult r = Run(io);
  EXPECT_EQ(sh_.sent.load(), io.sends);
  ASSERT_EQ(r.per_concentrator.size(), 2u);
  EXPECT_EQ(r.per_concentrator[0].sent, 0u);  // 0.0.0.0
  EXPECT_EQ(r.per_concentrator[1].sent, io.sends);
  EXPECT_EQ(sh_.answered.load() + sh_.lost.load(), sh_.sent.load());
  EXPECT_EQ(r.recovered, 1u);  // the other concentrator still ran
}

TEST_F(StormWorkerTest, RfcModeSkipsAConcentratorWithoutAddress) {
  opt_.mode = StormMode::kRfc;
  opt_.giaddr_base = 0;
  FakeServerIo io(subs_);
  const StormResult r = Run(io);
  EXPECT_EQ(io.sends, 5u);  // 0.0.0.1's five subscribers
  EXPECT_EQ(sh_.sent.load(), 5u);
  EXPECT_EQ(r.recovered, 1u);
}

}  // namespace
}  // namespace lqd::client
