// SPDX-License-Identifier: Apache-2.0
#include "lease-store/qsbr.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace lqd {
namespace {

int g_freed = 0;
void CountFree(void* p) {
  ++g_freed;
  delete static_cast<int*>(p);
}

class QsbrTest : public ::testing::Test {
 protected:
  void SetUp() override { g_freed = 0; }
  Qsbr q;
};

TEST_F(QsbrTest, NoReadersReclaimsAtOnce) {
  q.Retire(new int(1), CountFree);
  q.Retire(new int(2), CountFree);
  EXPECT_EQ(q.pending(), 2u);
  EXPECT_EQ(q.Reclaim(), 2u);
  EXPECT_EQ(g_freed, 2);
  EXPECT_EQ(q.pending(), 0u);
}

TEST_F(QsbrTest, WaitsForEveryOnlineReader) {
  const Qsbr::ReaderId a = q.RegisterReader();
  const Qsbr::ReaderId b = q.RegisterReader();
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  ASSERT_NE(a, b);
  q.Online(a);
  q.Online(b);
  q.Retire(new int(1), CountFree);
  EXPECT_EQ(q.Reclaim(), 0u);  // neither passed a quiescent state
  q.Quiescent(a);
  EXPECT_EQ(q.Reclaim(), 0u);  // b has not
  q.Retire(new int(2), CountFree);  // retired after a's quiescent state
  q.Quiescent(b);
  EXPECT_EQ(q.Reclaim(), 1u);  // the first only: a saw the second
  EXPECT_EQ(g_freed, 1);
  q.Quiescent(a);
  EXPECT_EQ(q.Reclaim(), 1u);
  EXPECT_EQ(g_freed, 2);
  q.Offline(a);
  q.Offline(b);
  q.UnregisterReader(a);
  q.UnregisterReader(b);
}

TEST_F(QsbrTest, OfflineReadersAreNotWaitedFor) {
  const Qsbr::ReaderId a = q.RegisterReader();
  const Qsbr::ReaderId b = q.RegisterReader();
  q.Online(a);
  q.Online(b);
  q.Retire(new int(1), CountFree);
  q.Offline(b);  // b holds nothing any more
  EXPECT_EQ(q.Reclaim(), 0u);
  q.Quiescent(a);
  EXPECT_EQ(q.Reclaim(), 1u);
  // A reader that comes back online is only waited for on later retires.
  q.Online(b);
  q.Retire(new int(2), CountFree);
  q.Quiescent(a);
  EXPECT_EQ(q.Reclaim(), 0u);
  q.Quiescent(b);
  EXPECT_EQ(q.Reclaim(), 1u);
  // Registered but never online: not waited for.
  const Qsbr::ReaderId c = q.RegisterReader();
  q.Retire(new int(3), CountFree);
  q.Quiescent(a);
  q.Quiescent(b);
  EXPECT_EQ(q.Reclaim(), 1u);
  EXPECT_EQ(g_freed, 3);
  q.UnregisterReader(c);
}

TEST_F(QsbrTest, ReclaimsInRetireOrderOnly) {
  const Qsbr::ReaderId a = q.RegisterReader();
  q.Online(a);
  for (int i = 0; i < 10; ++i) q.Retire(new int(i), CountFree);
  q.Quiescent(a);
  for (int i = 0; i < 5; ++i) q.Retire(new int(i), CountFree);
  EXPECT_EQ(q.Reclaim(), 10u);
  EXPECT_EQ(q.pending(), 5u);
  q.Offline(a);
  EXPECT_EQ(q.Reclaim(), 5u);
}

TEST_F(QsbrTest, RegistrationSlotsAreReused) {
  std::vector<Qsbr::ReaderId> ids;
  for (int i = 0; i < Qsbr::kMaxReaders; ++i) ids.push_back(q.RegisterReader());
  EXPECT_EQ(q.RegisterReader(), -1);
  q.UnregisterReader(ids[7]);
  EXPECT_EQ(q.RegisterReader(), ids[7]);
}

TEST_F(QsbrTest, DestructorFreesPending) {
  {
    Qsbr local;
    QsbrReader r(local);
    local.Retire(new int(1), CountFree);
    EXPECT_EQ(local.Reclaim(), 0u);
  }
  EXPECT_EQ(g_freed, 1);
}

// Threads: a reader that stops reporting quiescent states blocks reclamation
// until it goes offline; Synchronize returns once it does.
TEST_F(QsbrTest, SynchronizeWaitsForProgress) {
  std::atomic<int> phase{0};
  std::thread reader([&] {
    QsbrReader r(q);
    phase.store(1);
    while (phase.load() < 2) std::this_thread::yield();  // online, silent
    for (int i = 0; i < 1000 && phase.load() < 3; ++i) {
      r.Quiescent();
      std::this_thread::yield();
    }
    while (phase.load() < 3) {
      r.Quiescent();
      std::this_thread::yield();
    }
  });
  while (phase.load() < 1) std::this_thread::yield();
  q.Retire(new int(1), CountFree);
  EXPECT_EQ(q.Reclaim(), 0u);
  phase.store(2);
  q.Synchronize();
  EXPECT_EQ(g_freed, 1);
  phase.store(3);
  reader.join();
}

// With every slot taken (128 lcores), one more reader must not go ahead
// unprotected: it used slot -1, which aliases high_water_, and from then on
// Reclaim freed everything under the online readers.
TEST_F(QsbrTest, AReaderWithoutASlotAbortsInsteadOfCorruptingTheTable) {
  std::vector<Qsbr::ReaderId> ids;
  for (int i = 0; i < Qsbr::kMaxReaders; ++i) {
    ids.push_back(q.RegisterReader());
    ASSERT_GE(ids.back(), 0);
    q.Online(ids.back());
  }
  EXPECT_EQ(q.RegisterReader(), -1);
  q.Retire(new int(1), CountFree);
  EXPECT_DEATH({ QsbrReader extra(q); }, "all 128 reader slots of the lease store are taken");
  // (The death test ran in a child; here every reader is still online.)
  EXPECT_EQ(q.Reclaim(), 0u);
  for (Qsbr::ReaderId id : ids) q.Quiescent(id);
  EXPECT_EQ(q.Reclaim(), 1u);
  for (Qsbr::ReaderId id : ids) {
    q.Offline(id);
    q.UnregisterReader(id);
  }
}

}  // namespace
}  // namespace lqd
