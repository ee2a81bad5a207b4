// SPDX-License-Identifier: Apache-2.0
// File: tests/client/retransmit_test.cc
#include "client/retransmit.h"

#include <gtest/gtest.h>

#include "fakes.h"

namespace lqd::client {
namespace {

TEST(Retransmit, R15_DoublingFrom4sCappedAt64s) {
  testing::FixedRandom mid(0.5);  // no jitter
  Backoff b{BackoffConfig{}};
  std::vector<int64_t> waits;
  for (int i = 0; i < 7; ++i) waits.push_back(absl::ToInt64Seconds(b.Next(mid)));
  EXPECT_EQ(waits, (std::vector<int64_t>{4, 8, 16, 32, 64, 64, 64}));
  EXPECT_EQ(b.retransmissions(), 7);
  b.Reset();
  EXPECT_EQ(b.PeekBase(), absl::Seconds(4));
}

TEST(Retransmit, R15_RandomisedByPlusMinusOneSecond) {
  testing::FixedRandom lo(0.0), hi(1.0);
  Backoff a{BackoffConfig{}}, b{BackoffConfig{}};
  EXPECT_EQ(a.Next(lo), absl::Seconds(3));
  EXPECT_EQ(b.Next(hi), absl::Seconds(5));
  EXPECT_EQ(a.Next(lo), absl::Seconds(7));
  EXPECT_EQ(b.Next(hi), absl::Seconds(9));
  // A real generator stays within the bounds for every step.
  SeededRandom rng(42);
  Backoff c{BackoffConfig{}};
  for (int i = 0; i < 1000; ++i) {
    const absl::Duration base = c.PeekBase();
    const absl::Duration d = c.Next(rng);
    ASSERT_GE(d, base - absl::Seconds(1));
    ASSERT_LE(d, base + absl::Seconds(1));
    ASSERT_LE(d, absl::Seconds(65));
  }
}

TEST(Retransmit, ConfigValidation) {
  EXPECT_TRUE(BackoffConfig{}.Validate().ok());
  EXPECT_FALSE((BackoffConfig{absl::Seconds(4), absl::Seconds(2), absl::Seconds(1)}).Validate().ok());
  EXPECT_FALSE((BackoffConfig{absl::Seconds(1), absl::Seconds(64), absl::Seconds(1)}).Validate().ok());
  EXPECT_FALSE((BackoffConfig{absl::ZeroDuration(), absl::Seconds(64), absl::ZeroDuration()}).Validate().ok());
}

}  // namespace
}  // namespace lqd::client
