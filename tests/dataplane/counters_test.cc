// SPDX-License-Identifier: Apache-2.0
// File: tests/dataplane/counters_test.cc
#include "dataplane/counters.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lqd::dataplane {
namespace {

using ::testing::HasSubstr;

TEST(CountersTest, SumAndPrometheus) {
  LcoreCounters a, b;
  a.rx = 10;
  b.rx = 5;
  a.CountReply(dhcp::MessageType::kLeaseActive);
  b.CountReply(dhcp::MessageType::kLeaseUnknown);
  b.parse_error[static_cast<size_t>(dhcp::ParseError::kBadMagicCookie)] = 3;
  a.classify_drop[static_cast<size_t>(ClassifyDrop::kIpFragment)] = 2;
  const LcoreCounters* all[] = {&a, &b};
  const unsigned ids[] = {1, 2};
  LcoreCounters s = Sum(all);
  EXPECT_EQ(s.rx, 15u);
  EXPECT_EQ(s.reply_type[2], 1u);
  std::string p = RenderPrometheus(all, ids);
  EXPECT_THAT(p, HasSubstr("lqd_rx_frames_total 15\n"));
  EXPECT_THAT(p, HasSubstr("# TYPE lqd_rx_frames_total counter\n"));
  EXPECT_THAT(p, HasSubstr("lqd_replies_by_type_total{type=\"active\"} 1\n"));
  EXPECT_THAT(p, HasSubstr("lqd_parse_errors_total{reason=\"bad-magic-cookie\"} 3\n"));
  EXPECT_THAT(p, HasSubstr("lqd_classify_drops_total{reason=\"ip-fragment\"} 2\n"));
  EXPECT_THAT(p, HasSubstr("lqd_lcore_rx_frames_total{lcore=\"2\"} 5\n"));
  std::string t = RenderText(s);
  EXPECT_THAT(t, HasSubstr("rx_frames 15"));
  EXPECT_THAT(t, HasSubstr("parse_error.bad-magic-cookie 3"));
  EXPECT_THAT(t, ::testing::Not(HasSubstr("tx_frames")));
}

TEST(CountersTest, CacheAligned) {
  static_assert(alignof(LcoreCounters) == 64);
  static_assert(sizeof(LcoreCounters) % 64 == 0);
}

}  // namespace
}  // namespace lqd::dataplane
