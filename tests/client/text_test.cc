// SPDX-License-Identifier: Apache-2.0
// File: tests/client/text_test.cc
#include "client/text.h"

#include <gtest/gtest.h>

namespace lqd::client {
namespace {

TEST(Text, Ipv4RoundTrip) {
  auto a = ParseIpv4("192.0.2.1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, 0xc0000201u);
  EXPECT_EQ(FormatIpv4(*a), "192.0.2.1");
  EXPECT_FALSE(ParseIpv4("192.0.2").ok());
  EXPECT_FALSE(ParseIpv4("300.0.0.1").ok());
}

TEST(Text, Prefix) {
  auto p = ParsePrefix("10.0.0.0/16");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->Contains(0x0a00ffff));
  EXPECT_FALSE(p->Contains(0x0a010000));
  EXPECT_EQ(p->Size(), 65536u);
  EXPECT_FALSE(ParsePrefix("10.0.0.1/16").ok());  // host bits
  EXPECT_FALSE(ParsePrefix("10.0.0.0").ok());
  EXPECT_FALSE(ParsePrefix("10.0.0.0/33").ok());
  EXPECT_TRUE(ParsePrefix("0.0.0.0/0")->Contains(0xffffffff));
}

TEST(Text, Mac) {
  EXPECT_EQ(*ParseMac("02:00:00:00:00:01"), (std::vector<uint8_t>{2, 0, 0, 0, 0, 1}));
  EXPECT_EQ(*ParseMac("02-00-0a-00-00-01"), (std::vector<uint8_t>{2, 0, 10, 0, 0, 1}));
  EXPECT_EQ(*ParseMac("020000000001"), (std::vector<uint8_t>{2, 0, 0, 0, 0, 1}));
  EXPECT_FALSE(ParseMac("02:00:zz").ok());
  EXPECT_FALSE(ParseMac("").ok());
}

TEST(Text, ClientIdHexOrString) {
  EXPECT_EQ(*ParseClientId("01:02:00:00:00:00:01"), (std::vector<uint8_t>{1, 2, 0, 0, 0, 0, 1}));
  EXPECT_EQ(*ParseClientId("0x0102"), (std::vector<uint8_t>{1, 2}));
  EXPECT_EQ(*ParseClientId("cpe-0001"), (std::vector<uint8_t>{'c', 'p', 'e', '-', '0', '0', '0', '1'}));
  EXPECT_FALSE(ParseClientId("").ok());
  EXPECT_FALSE(ParseClientId("0x123").ok());
}

TEST(Text, OptionList) {
  EXPECT_EQ(*ParseOptionList("51,82,91"), (std::vector<uint8_t>{51, 82, 91}));
  EXPECT_FALSE(ParseOptionList("51,foo").ok());
  EXPECT_FALSE(ParseOptionList("0").ok());
  EXPECT_FALSE(ParseOptionList("255").ok());
}

TEST(Text, HexAndPrintable) {
  const std::vector<uint8_t> v{'a', 0, 0xff, 'Z'};
  EXPECT_EQ(HexColon(v), "61:00:ff:5a");
  EXPECT_EQ(Printable(v), "a..Z");
}

}  // namespace
}  // namespace lqd::client
