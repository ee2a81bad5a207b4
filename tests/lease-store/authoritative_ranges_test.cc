// SPDX-License-Identifier: Apache-2.0
#include "lease-store/authoritative_ranges.h"

#include <random>

#include "gtest/gtest.h"

namespace lqd {
namespace {

TEST(AuthoritativeRangesTest, EmptyContainsNothing) {
  AuthoritativeRanges r;
  EXPECT_FALSE(r.Contains(kGlobalVpn, 0));
  EXPECT_FALSE(r.Contains(kGlobalVpn, 0x0a000001));
}

TEST(AuthoritativeRangesTest, MergesOverlappingAndAdjacent) {
  auto r = AuthoritativeRanges::Build({
      {0, 20, 30}, {0, 10, 19},  // adjacent -> 10..30
      {0, 25, 40},               // overlapping -> 10..40
      {0, 50, 60}, {0, 55, 58},  // contained
      {0, 70, 70},               // single address, gap before
  });
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ(r->ranges()[0].first, 10u);
  EXPECT_EQ(r->ranges()[0].last, 40u);
  EXPECT_EQ(r->ranges()[1].first, 50u);
  EXPECT_EQ(r->ranges()[1].last, 60u);
  EXPECT_EQ(r->ranges()[2].first, 70u);
  EXPECT_EQ(r->ranges()[2].last, 70u);
  struct {
    uint32_t ip;
    bool in;
  } cases[] = {{9, false}, {10, true}, {40, true}, {41, false}, {49, false},
               {50, true}, {60, true}, {69, false}, {70, true}, {71, false}};
  for (const auto& c : cases) EXPECT_EQ(r->Contains(kGlobalVpn, c.ip), c.in) << c.ip;
}

TEST(AuthoritativeRangesTest, VpnsAreSeparate) {
  auto r = AuthoritativeRanges::Build({{1, 100, 200}, {0, 300, 400}, {2, 0, 0xffffffff}});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->Contains(1, 150));
  EXPECT_FALSE(r->Contains(0, 150));
  EXPECT_FALSE(r->Contains(1, 350));
  EXPECT_TRUE(r->Contains(0, 350));
  EXPECT_TRUE(r->Contains(2, 0));
  EXPECT_TRUE(r->Contains(2, 0xffffffff));
  EXPECT_FALSE(r->Contains(3, 5));
  // Same bounds in two VPNs are not merged with each other.
  auto s = AuthoritativeRanges::Build({{0, 1, 5}, {1, 6, 9}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->size(), 2u);
  EXPECT_FALSE(s->Contains(0, 7));
}

TEST(AuthoritativeRangesTest, TopOfAddressSpaceDoesNotOverflow) {
  auto r = AuthoritativeRanges::Build({{0, 0xfffffff0, 0xffffffff}, {0, 0, 3}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 2u);  // 0xffffffff + 1 must not wrap to 0 and merge
  EXPECT_TRUE(r->Contains(0, 0xffffffff));
  EXPECT_TRUE(r->Contains(0, 0));
  EXPECT_FALSE(r->Contains(0, 4));
}

TEST(AuthoritativeRangesTest, RejectsInvertedRangeWithIndex) {
  auto r = AuthoritativeRanges::Build({{0, 1, 2}, {0, 9, 8}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("range 1"), std::string::npos) << r.status();
}

// 4096 random ranges in 3 VPNs against a brute-force check.
TEST(AuthoritativeRangesTest, ThousandsOfRangesMatchBruteForce) {
  std::mt19937 rng(42);
  std::vector<AddressRange> in;
  for (int i = 0; i < 4096; ++i) {
    const uint32_t first = rng() % 1000000;
    in.push_back({static_cast<VpnId>(rng() % 3), first, first + static_cast<uint32_t>(rng() % 300)});
  }
  auto r = AuthoritativeRanges::Build(in);
  ASSERT_TRUE(r.ok());
  for (size_t i = 1; i < r->size(); ++i) {  // sorted, disjoint, not adjacent
    const auto& a = r->ranges()[i - 1];
    const auto& b = r->ranges()[i];
    EXPECT_TRUE(a.vpn < b.vpn || (a.vpn == b.vpn && uint64_t{a.last} + 1 < b.first));
  }
  for (int q = 0; q < 20000; ++q) {
    const VpnId vpn = rng() % 4;
    const uint32_t ip = rng() % 1001000;
    bool want = false;
    for (const auto& a : in) want |= a.vpn == vpn && a.first <= ip && ip <= a.last;
    ASSERT_EQ(r->Contains(vpn, ip), want) << vpn << " " << ip;
  }
}

}  // namespace
}  // namespace lqd
