// SPDX-License-Identifier: Apache-2.0
// File: tests/control/replica_test.cc
// The conflict rule between racing feeds, one case per clause.
#include "control/replica.h"

#include <gtest/gtest.h>

namespace lqd::control {
namespace {

LeaseUpdate Update(uint32_t ip, uint32_t cltt, uint32_t expire, LeaseState s = LeaseState::kActive) {
  LeaseUpdate u;
  u.lease.ip = ip;
  u.lease.hw.htype = 1;
  u.lease.hw.hlen = 6;
  u.lease.hw.bytes[5] = static_cast<uint8_t>(ip);
  u.lease.cltt = cltt;
  u.lease.expire = expire;
  u.lease.state = s;
  return u;
}
LeaseUpdate Delete(uint32_t ip, uint32_t cltt, uint32_t expire) {
  LeaseUpdate u = Update(ip, cltt, expire);
  u.kind = LeaseUpdate::Kind::kDelete;
  return u;
}

class ReplicaTest : public ::testing::Test {
 protected:
  const LeaseRecord* Get(uint32_t ip) { return store_.FindByIp(ip); }
  LeaseStore store_;
  Replica replica_{store_, ReplicaOptions{60}};
  QsbrReader reader_{store_.qsbr()};
};

TEST_F(ReplicaTest, NewerExpireWinsOlderIsStale) {
  EXPECT_EQ(replica_.Apply(Update(1, 100, 200), 100), Replica::Outcome::kApplied);
  EXPECT_EQ(replica_.Apply(Update(1, 150, 250), 150), Replica::Outcome::kApplied);  // renew
  EXPECT_EQ(replica_.Apply(Update(1, 100, 200), 160), Replica::Outcome::kStale);    // late old push
  EXPECT_EQ(Get(1)->expire, 250u);
  EXPECT_EQ(replica_.counters().stale, 1u);
}

TEST_F(ReplicaTest, StateChangeWithNewerClttWinsEvenWithShorterExpire) {
  replica_.Apply(Update(1, 100, 3700), 100);
  // DECLINE: probation shortens expire, cltt moves forward.
  EXPECT_EQ(replica_.Apply(Update(1, 200, 800, LeaseState::kDeclined), 200), Replica::Outcome::kApplied);
  EXPECT_EQ(Get(1)->state, LeaseState::kDeclined);
  // A state change that is older than what we hold loses.
  EXPECT_EQ(replica_.Apply(Update(1, 150, 700, LeaseState::kActive), 210), Replica::Outcome::kStale);
}

TEST_F(ReplicaTest, DeleteLeavesTombstoneAgainstLateOlderUpdate) {
  replica_.Apply(Update(1, 100, 200), 100);
  EXPECT_EQ(replica_.Apply(Delete(1, 100, 200), 120), Replica::Outcome::kApplied);
  EXPECT_EQ(Get(1), nullptr);
  // The same lease arriving late over another connection must not resurrect it.
  EXPECT_EQ(replica_.Apply(Update(1, 100, 200), 121), Replica::Outcome::kStale);
  EXPECT_EQ(Get(1), nullptr);
  // A genuinely new lease does.
  EXPECT_EQ(replica_.Apply(Update(1, 300, 400), 300), Replica::Outcome::kApplied);
  ASSERT_NE(Get(1), nullptr);
  EXPECT_EQ(replica_.counters().tombstones, 0u);
}

TEST_F(ReplicaTest, OlderDeleteDoesNotRemoveNewerLease) {
  replica_.Apply(Update(1, 300, 400), 300);
  EXPECT_EQ(replica_.Apply(Delete(1, 100, 200), 301), Replica::Outcome::kStale);
  ASSERT_NE(Get(1), nullptr);
}

// Transactions are ordered by cltt, not by expire: a new client's lease
// may end sooner than the one it replaced.
TEST_F(ReplicaTest, LaterTransactionWinsEvenWhenItEndsSooner) {
  // Client A: cltt 1000, one hour. Its delete was lost; client B takes the
  // address at 2000 for ten minutes.
  replica_.Apply(Update(1, 1000, 4600), 1000);
  LeaseUpdate b = Update(1, 2000, 2600);
  b.lease.hw.bytes[5] = 0xbb;
  EXPECT_EQ(replica_.Apply(b, 2000), Replica::Outcome::kApplied);
  ASSERT_NE(Get(1), nullptr);
  EXPECT_EQ(Get(1)->chaddr[5], 0xbb) << "answered with the previous client's MAC";
  // A's update arriving late (another connection, or a pull) loses.
  EXPECT_EQ(replica_.Apply(Update(1, 1000, 4600), 2001), Replica::Outcome::kStale);
  EXPECT_EQ(Get(1)->chaddr[5], 0xbb);
  // Same cltt: expire decides; a state change alone (reclamation) applies.
  EXPECT_EQ(replica_.Apply(Update(1, 2000, 2500), 2002), Replica::Outcome::kStale);
  LeaseUpdate reclaimed = b;
  reclaimed.lease.state = LeaseState::kExpired;
  EXPECT_EQ(replica_.Apply(reclaimed, 2700), Replica::Outcome::kApplied);
  EXPECT_EQ(Get(1)->state, LeaseState::kExpired);
}

TEST_F(ReplicaTest, DeleteThenLaterShorterLeaseIsApplied) {
  replica_.Apply(Update(1, 1000, 4600), 1000);
  EXPECT_EQ(replica_.Apply(Delete(1, 1000, 4600), 1500), Replica::Outcome::kApplied);
  // The tombstone stops A coming back, not B.
  EXPECT_EQ(replica_.Apply(Update(1, 1000, 4600), 1501), Replica::Outcome::kStale);
  EXPECT_EQ(replica_.Apply(Update(1, 2000, 2600), 2000), Replica::Outcome::kApplied);
  ASSERT_NE(Get(1), nullptr);
  EXPECT_EQ(Get(1)->expire, 2600u);
  // A's late delete does not remove B's lease either.
  EXPECT_EQ(replica_.Apply(Delete(1, 1000, 4600), 2001), Replica::Outcome::kStale);
  EXPECT_NE(Get(1), nullptr);
}

// A late, older delete does not replace a newer delete's tombstone.
TEST_F(ReplicaTest, OlderDeleteDoesNotWeakenANewerTombstone) {
  replica_.Apply(Update(1, 2000, 2600), 2000);
  EXPECT_EQ(replica_.Apply(Delete(1, 2000, 2600), 2100), Replica::Outcome::kApplied);
  EXPECT_EQ(replica_.Apply(Delete(1, 1000, 4600), 2101), Replica::Outcome::kStale);
  // A late copy of the deleted lease stays out.
  EXPECT_EQ(replica_.Apply(Update(1, 2000, 2600), 2102), Replica::Outcome::kStale);
  EXPECT_EQ(Get(1), nullptr);
}

TEST_F(ReplicaTest, TombstonesExpire) {
  replica_.Apply(Delete(1, 100, 200), 100);
  EXPECT_EQ(replica_.counters().tombstones, 1u);
  replica_.ExpireTombstones(159);
  EXPECT_EQ(replica_.counters().tombstones, 1u);
  replica_.ExpireTombstones(160);
  EXPECT_EQ(replica_.counters().tombstones, 0u);
  // With the tombstone gone, a late copy is accepted again (bounded memory
  // is the trade-off; the reconciliation pull repairs it).
  EXPECT_EQ(replica_.Apply(Update(1, 100, 200), 161), Replica::Outcome::kApplied);
}

TEST_F(ReplicaTest, InvalidLeaseIsRejectedWithReason) {
  LeaseUpdate u = Update(1, 100, 200);
  u.lease.hw.hlen = 17;
  absl::Status why;
  EXPECT_EQ(replica_.Apply(u, 100, &why), Replica::Outcome::kRejected);
  EXPECT_FALSE(why.ok());
  EXPECT_EQ(replica_.counters().rejected, 1u);
}

TEST_F(ReplicaTest, LagPerSource) {
  EXPECT_EQ(replica_.LagSeconds(FeedSource::kKeaHaPush, 100), UINT32_MAX);
  replica_.Apply(Update(1, 100, 200), 100);
  EXPECT_EQ(replica_.LagSeconds(FeedSource::kKeaHaPush, 130), 30u);
  replica_.MarkSynced(FeedSource::kKeaPull, 120);
  EXPECT_EQ(replica_.LagSeconds(FeedSource::kKeaPull, 125), 5u);
}

}  // namespace
}  // namespace lqd::control
