// SPDX-License-Identifier: Apache-2.0
// File: tests/client/query_builder_test.cc
#include "client/query_builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>

#include "dhcp/message.h"
#include "dhcp/relay_agent_info.h"
#include "fakes.h"

namespace lqd::client {
namespace {

using testing::Ip;

constexpr uint32_t kGiaddr = Ip(192, 0, 2, 2);

struct Built {
  std::array<uint8_t, 600> buf{};
  size_t len = 0;
  dhcp::ParsedMessage m;
};

void Build(const QueryKey& key, const QueryOptions& o, Built& b) {
  auto n = BuildQuery(key, o, 0xabcd1234, 0, b.buf);
  ASSERT_TRUE(n.ok()) << n.status();
  b.len = *n;
  ASSERT_FALSE(dhcp::ParseMessage({b.buf.data(), b.len}, b.m).has_value());
}

QueryOptions Opts() {
  QueryOptions o;
  o.giaddr = kGiaddr;
  return o;
}

bool ChaddrZero(const dhcp::ParsedMessage& m) {
  return std::all_of(m.chaddr, m.chaddr + dhcp::kChaddrLen, [](uint8_t b) { return b == 0; });
}

TEST(QueryBuilder, R01_GiaddrIsRequesterAddress) {
  for (const QueryKey& k : {QueryKey::ByIp(Ip(10, 0, 0, 5)),
                            QueryKey::ByMac(std::vector<uint8_t>{2, 0, 0, 0, 0, 1}),
                            QueryKey::ByClientId(std::vector<uint8_t>{1, 2, 3})}) {
    Built b;
    Build(k, Opts(), b);
    EXPECT_EQ(b.m.giaddr, kGiaddr) << k.ToString();
    EXPECT_NE(b.m.giaddr, b.m.ciaddr);  // independent of the queried address
  }
}

TEST(QueryBuilder, R01_ZeroGiaddrRejected) {
  std::array<uint8_t, 600> buf{};
  QueryOptions o;  // giaddr 0: the server could not reply
  auto n = BuildQuery(QueryKey::ByIp(Ip(10, 0, 0, 5)), o, 1, 0, buf);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(QueryBuilder, R02_PrlListsOptionsOfInterest) {
  Built b;
  Build(QueryKey::ByIp(Ip(10, 0, 0, 5)), Opts(), b);
  const dhcp::OptionView* prl = b.m.Find(dhcp::opt::kParamRequestList);
  ASSERT_NE(prl, nullptr);
  std::vector<uint8_t> codes(prl->data, prl->data + prl->len);
  for (uint8_t want : {51, 82, 91}) {
    EXPECT_NE(std::find(codes.begin(), codes.end(), want), codes.end()) << int{want};
  }
  QueryOptions custom = Opts();
  custom.prl = {51, 82};
  Built c;
  Build(QueryKey::ByIp(Ip(10, 0, 0, 5)), custom, c);
  prl = c.m.Find(dhcp::opt::kParamRequestList);
  ASSERT_NE(prl, nullptr);
  EXPECT_EQ(std::vector<uint8_t>(prl->data, prl->data + prl->len), (std::vector<uint8_t>{51, 82}));
}

TEST(QueryBuilder, R03_ByIpHeader) {
  Built b;
  Build(QueryKey::ByIp(Ip(198, 51, 100, 10)), Opts(), b);
  EXPECT_EQ(b.m.op, dhcp::kOpBootRequest);
  EXPECT_EQ(b.m.message_type, dhcp::MessageType::kLeaseQuery);
  EXPECT_EQ(b.m.xid, 0xabcd1234u);
  EXPECT_EQ(b.m.ciaddr, Ip(198, 51, 100, 10));
  EXPECT_EQ(b.m.htype, 0);
  EXPECT_EQ(b.m.hlen, 0);
  EXPECT_TRUE(ChaddrZero(b.m));
  EXPECT_FALSE(b.m.Has(dhcp::opt::kClientId));
  EXPECT_EQ(b.len, dhcp::kBootpMinLen);
}

TEST(QueryBuilder, R04_ByMacHeader) {
  Built b;
  Build(QueryKey::ByMac(std::vector<uint8_t>{2, 0, 0, 0, 0, 7}), Opts(), b);
  EXPECT_EQ(b.m.ciaddr, 0u);
  EXPECT_EQ(b.m.htype, 1);
  EXPECT_EQ(b.m.hlen, 6);
  EXPECT_EQ(std::vector<uint8_t>(b.m.chaddr, b.m.chaddr + 6),
            (std::vector<uint8_t>{2, 0, 0, 0, 0, 7}));
  EXPECT_TRUE(std::all_of(b.m.chaddr + 6, b.m.chaddr + 16, [](uint8_t x) { return x == 0; }));
  EXPECT_FALSE(b.m.Has(dhcp::opt::kClientId));
  EXPECT_TRUE(b.m.HasHardwareAddress());
}

TEST(QueryBuilder, R05_ByClientIdHeader) {
  Built b;
  Build(QueryKey::ByClientId(std::vector<uint8_t>{1, 2, 0, 0, 0, 0, 1}), Opts(), b);
  EXPECT_EQ(b.m.ciaddr, 0u);
  EXPECT_EQ(b.m.htype, 0);
  EXPECT_EQ(b.m.hlen, 0);
  EXPECT_TRUE(ChaddrZero(b.m));
  const dhcp::OptionView* cid = b.m.Find(dhcp::opt::kClientId);
  ASSERT_NE(cid, nullptr);
  EXPECT_EQ(std::vector<uint8_t>(cid->data, cid->data + cid->len),
            (std::vector<uint8_t>{1, 2, 0, 0, 0, 0, 1}));
}

TEST(QueryBuilder, R08_OwnRelayAgentInfoIdentifiesDevice) {
  QueryOptions o = Opts();
  o.relay_agent_info = {12, 4, 'b', 'n', 'g', '1'};  // relay-id "bng1"
  Built b;
  Build(QueryKey::ByIp(Ip(10, 0, 0, 5)), o, b);
  const dhcp::OptionView* rai = b.m.Find(dhcp::opt::kRelayAgentInfo);
  ASSERT_NE(rai, nullptr);
  auto parsed = dhcp::RelayAgentInfo::Parse(rai->bytes());
  ASSERT_TRUE(parsed.has_value());
  ASSERT_TRUE(parsed->relay_id().has_value());
  EXPECT_EQ(std::string(parsed->relay_id()->begin(), parsed->relay_id()->end()), "bng1");
  // None by default.
  Built d;
  Build(QueryKey::ByIp(Ip(10, 0, 0, 5)), Opts(), d);
  EXPECT_FALSE(d.m.Has(dhcp::opt::kRelayAgentInfo));
}

TEST(QueryBuilder, RejectsKeysThatSelectNothing) {
  std::array<uint8_t, 600> buf{};
  EXPECT_FALSE(BuildQuery(QueryKey::ByIp(0), Opts(), 1, 0, buf).ok());
  EXPECT_FALSE(BuildQuery(QueryKey::ByMac(std::vector<uint8_t>{0, 0, 0, 0, 0, 0}), Opts(), 1, 0, buf).ok());
  EXPECT_FALSE(BuildQuery(QueryKey::ByMac(std::vector<uint8_t>(17, 1)), Opts(), 1, 0, buf).ok());
  EXPECT_FALSE(BuildQuery(QueryKey::ByMac(std::vector<uint8_t>{1}, 0), Opts(), 1, 0, buf).ok());
  EXPECT_FALSE(BuildQuery(QueryKey::ByClientId({}), Opts(), 1, 0, buf).ok());
  std::array<uint8_t, 100> small{};
  EXPECT_FALSE(BuildQuery(QueryKey::ByIp(1), Opts(), 1, 0, small).ok());
}

TEST(QueryBuilder, CacheKeysDistinguishRegimes) {
  const auto ip = QueryKey::ByIp(0x01020304);
  const auto cid = QueryKey::ByClientId(std::vector<uint8_t>{4, 3, 2, 1});
  const auto mac = QueryKey::ByMac(std::vector<uint8_t>{4, 3, 2, 1});
  EXPECT_NE(ip.CacheKey(), cid.CacheKey());
  EXPECT_NE(mac.CacheKey(), cid.CacheKey());
  EXPECT_EQ(ip.CacheKey(), QueryKey::ByIp(0x01020304).CacheKey());
  EXPECT_EQ(ip.ToString(), "ip 1.2.3.4");
  EXPECT_EQ(mac.ToString(), "mac 04:03:02:01");
}

}  // namespace
}  // namespace lqd::client
