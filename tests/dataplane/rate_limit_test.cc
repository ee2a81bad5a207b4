// SPDX-License-Identifier: Apache-2.0
// File: tests/dataplane/rate_limit_test.cc
#include "dataplane/rate_limit.h"

#include <gtest/gtest.h>

namespace lqd::dataplane {
namespace {

constexpr uint64_t kHz = 1'000'000'000;  // 1 cycle = 1 ns

TEST(RateLimiterTest, DisabledAllowsEverything) {
  RateLimiter r(0, 0, kHz);
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(r.Allow(1, 0));
}

TEST(RateLimiterTest, BurstThenRate) {
  RateLimiter r(100, 10, kHz);  // 100 pps, burst 10
  int ok = 0;
  for (int i = 0; i < 50; ++i) ok += r.Allow(7, 1000);
  EXPECT_EQ(ok, 10);
  // 100 ms later: 10 more tokens.
  ok = 0;
  for (int i = 0; i < 50; ++i) ok += r.Allow(7, 1000 + kHz / 10);
  EXPECT_EQ(ok, 10);
  // Another requester is independent.
  EXPECT_TRUE(r.Allow(8, 1000 + kHz / 10));
  // Over a long idle time the bucket does not overfill.
  ok = 0;
  for (int i = 0; i < 50; ++i) ok += r.Allow(7, 100 * kHz);
  EXPECT_EQ(ok, 10);
}

TEST(RateLimiterTest, ReconfigureKeepsBucketsAndCutsCredit) {
  RateLimiter r(100, 10, kHz);
  EXPECT_TRUE(r.Allow(7, 1000));  // 9 left
  r.Reconfigure(100, 3);          // burst 3: credit cut to 3
  int ok = 0;
  for (int i = 0; i < 50; ++i) ok += r.Allow(7, 1000);
  EXPECT_EQ(ok, 3);
  r.Reconfigure(0, 0);  // off
  EXPECT_FALSE(r.enabled());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(r.Allow(7, 1000));
  r.Reconfigure(1000, 5);  // on again, 1 ms per packet
  EXPECT_TRUE(r.enabled());
  ok = 0;
  for (int i = 0; i < 50; ++i) ok += r.Allow(9, 2000);
  EXPECT_EQ(ok, 5);
}

TEST(RateLimiterTest, ManyRequestersNeverFail) {
  RateLimiter r(10, 1, kHz);
  // Far more keys than slots: eviction keeps it working, each new key gets
  // its first packet.
  for (uint32_t k = 0; k < 100000; ++k) ASSERT_TRUE(r.Allow(k, k)) << k;
}

TEST(AclTest, SourceAndGiaddr) {
  Acl open;
  EXPECT_TRUE(open.Allows(1, 2));
  Acl acl({{0x0a000000, 8}, {0xc0000207, 32}});
  EXPECT_TRUE(acl.Allows(0x0a010203, 0xc0000207));
  EXPECT_FALSE(acl.Allows(0x0b000001, 0x0a000001));
  EXPECT_FALSE(acl.Allows(0x0a000001, 0xc0000208));
}

}  // namespace
}  // namespace lqd::dataplane
