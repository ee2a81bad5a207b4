// SPDX-License-Identifier: Apache-2.0
// File: tests/client/server_pacer_test.cc
#include "client/server_pacer.h"

#include <gtest/gtest.h>

namespace lqd::client {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(ServerPacer, R14_StartsExpiredOneOutstanding) {
  ServerPacer p;
  EXPECT_FALSE(p.TimerRunning(kT0));
  EXPECT_EQ(p.Limit(kT0), 1u);
  EXPECT_TRUE(p.CanSend(kT0, 0));
  EXPECT_FALSE(p.CanSend(kT0, 1));
  EXPECT_FALSE(p.TakeExpiry(kT0));  // never ran, nothing to drop
}

TEST(ServerPacer, R13_UnknownServerAtMostOnePacketPer10s) {
  ServerPacer p;
  p.OnSend(kT0);
  EXPECT_FALSE(p.known_to_support_lq());
  EXPECT_EQ(p.EarliestSend(), kT0 + absl::Seconds(10));
  EXPECT_FALSE(p.CanSend(kT0 + absl::Seconds(9), 0));
  EXPECT_TRUE(p.CanSend(kT0 + absl::Seconds(10), 0));
  p.OnResponse(kT0 + absl::Seconds(11));  // now known: no spacing
  EXPECT_TRUE(p.known_to_support_lq());
  p.OnSend(kT0 + absl::Seconds(11));
  EXPECT_TRUE(p.CanSend(kT0 + absl::Seconds(11), 5));
}

TEST(ServerPacer, R16_LimitAfterFirstResponse) {
  ServerPacer p(PacerConfig{.max_outstanding = 200});
  p.OnResponse(kT0);
  EXPECT_TRUE(p.TimerRunning(kT0));
  EXPECT_EQ(p.Limit(kT0), 200u);
  EXPECT_TRUE(p.CanSend(kT0, 199));
  EXPECT_FALSE(p.CanSend(kT0, 200));
}

TEST(ServerPacer, R14_EveryResponseRestartsTheTimer) {
  ServerPacer p;
  p.OnResponse(kT0);
  p.OnResponse(kT0 + absl::Seconds(50));
  EXPECT_TRUE(p.TimerRunning(kT0 + absl::Seconds(109)));
  EXPECT_EQ(p.TimerExpiry(), kT0 + absl::Seconds(110));
  EXPECT_FALSE(p.TakeExpiry(kT0 + absl::Seconds(109)));
}

TEST(ServerPacer, R18_OneMinuteWithoutResponseExpiresTimer) {
  ServerPacer p;
  p.OnResponse(kT0);
  EXPECT_EQ(p.Limit(kT0 + absl::Seconds(59)), 100u);
  EXPECT_FALSE(p.TimerRunning(kT0 + absl::Seconds(60)));
  EXPECT_EQ(p.Limit(kT0 + absl::Seconds(60)), 1u);
  // the expiry is reported exactly once, so outstanding are dropped once.
  EXPECT_TRUE(p.TakeExpiry(kT0 + absl::Seconds(60)));
  EXPECT_FALSE(p.TakeExpiry(kT0 + absl::Seconds(61)));
  p.OnResponse(kT0 + absl::Seconds(200));
  EXPECT_TRUE(p.TakeExpiry(kT0 + absl::Seconds(260)));
}

TEST(ServerPacer, R16_ConfigLimitedTo200) {
  EXPECT_TRUE((PacerConfig{.max_outstanding = 100}).Validate().ok());
  EXPECT_TRUE((PacerConfig{.max_outstanding = 200}).Validate().ok());
  EXPECT_FALSE((PacerConfig{.max_outstanding = 201}).Validate().ok());
  EXPECT_FALSE((PacerConfig{.max_outstanding = 0}).Validate().ok());
}

}  // namespace
}  // namespace lqd::client
