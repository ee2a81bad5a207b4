// SPDX-License-Identifier: Apache-2.0
// File: tests/dhcp/relay_agent_info_test.cc
#include "dhcp/relay_agent_info.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dhcp/message.h"
#include "dhcp/wire.h"
#include "tests/dhcp/test_packets.h"

namespace lqd::dhcp {
namespace {

std::string Str(std::optional<std::span<const uint8_t>> v) {
  return v ? std::string(v->begin(), v->end()) : "<absent>";
}

TEST(RelayAgentInfo, NamedAccessors) {
  const std::vector<uint8_t> raw = {
      rai::kCircuitId, 3, 'c', 'i', 'd',             //
      rai::kRemoteId, 2, 'r', 'i',                   //
      rai::kLinkSelection, 4, 10, 0, 0, 1,           //
      rai::kServerIdOverride, 4, 192, 168, 0, 1,     //
      rai::kRelayId, 3, 'r', 'l', 'y',               //
      rai::kRelayPort, 2, 0x04, 0x01,                //
  };
  const auto r = RelayAgentInfo::Parse(raw);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->raw().data(), raw.data());
  EXPECT_EQ(r->raw().size(), raw.size());
  EXPECT_EQ(Str(r->circuit_id()), "cid");
  EXPECT_EQ(Str(r->remote_id()), "ri");
  EXPECT_EQ(Str(r->relay_id()), "rly");
  EXPECT_EQ(r->relay_port(), 1025);
  EXPECT_EQ(r->link_selection(), 0x0a000001u);
  EXPECT_EQ(r->server_id_override(), 0xc0a80001u);
  // Views point into the given bytes: nothing is copied.
  EXPECT_EQ(r->circuit_id()->data(), raw.data() + 2);
}

TEST(RelayAgentInfo, AbsentSubOptions) {
  const std::vector<uint8_t> raw = {rai::kCircuitId, 1, 'x'};
  const auto r = RelayAgentInfo::Parse(raw);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->remote_id().has_value());
  EXPECT_FALSE(r->relay_id().has_value());
  EXPECT_FALSE(r->relay_port().has_value());
  EXPECT_FALSE(r->link_selection().has_value());
  EXPECT_FALSE(r->server_id_override().has_value());
  EXPECT_FALSE(r->Find(rai::kVssInfo).has_value());
}

TEST(RelayAgentInfo, FixedSizeSubOptionsWithWrongLengthAreAbsent) {
  const std::vector<uint8_t> raw = {rai::kRelayPort, 0,  //
                                    rai::kLinkSelection, 3, 1, 2, 3, rai::kServerIdOverride, 5, 1, 2, 3, 4, 5};
  const auto r = RelayAgentInfo::Parse(raw);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->Find(rai::kRelayPort).has_value());  // still reachable raw
  EXPECT_FALSE(r->relay_port().has_value());
  EXPECT_FALSE(r->link_selection().has_value());
  EXPECT_FALSE(r->server_id_override().has_value());
}

TEST(RelayAgentInfo, RelayPortOfThreeBytesIsAbsent) {
  const std::vector<uint8_t> raw = {rai::kRelayPort, 3, 0x04, 0x01, 0x00};
  const auto r = RelayAgentInfo::Parse(raw);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->relay_port().has_value());
}

TEST(RelayAgentInfo, FindReturnsTheFirstOfRepeatedSubOptions) {
  const std::vector<uint8_t> raw = {1, 1, 'a', 2, 0, 1, 1, 'b'};
  const auto r = RelayAgentInfo::Parse(raw);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(Str(r->circuit_id()), "a");
  EXPECT_EQ(Str(r->remote_id()), "");  // zero length is legal (RFC 3046)
}

TEST(RelayAgentInfo, IteratesEverySubOptionInWireOrder) {
  // Including ones lqd has no accessor for: DOCSIS class, VSS (151/152),
  // and codes nobody assigned.
  const std::vector<uint8_t> raw = {rai::kDocsisDeviceClass, 4, 0, 0, 0, 1,  //
                                    rai::kVssInfo, 2, 0, 'v',                //
                                    rai::kVssControl, 0,                     //
                                    200, 1, 'z'};
  const auto r = RelayAgentInfo::Parse(raw);
  ASSERT_TRUE(r.has_value());
  std::vector<std::pair<uint8_t, std::string>> seen;
  for (const SubOptionView s : *r) seen.emplace_back(s.code, std::string(s.value.begin(), s.value.end()));
  const std::vector<std::pair<uint8_t, std::string>> want = {
      {rai::kDocsisDeviceClass, std::string("\0\0\0\x01", 4)},
      {rai::kVssInfo, std::string("\0v", 2)},
      {rai::kVssControl, ""},
      {200, "z"}};
  EXPECT_EQ(seen, want);
  EXPECT_EQ(Str(r->Find(rai::kVssInfo)), std::string("\0v", 2));
}

struct InvalidCase {
  const char* name;
  std::vector<uint8_t> raw;
};

class RelayAgentInfoInvalid : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(RelayAgentInfoInvalid, IsRejected) {
  const std::vector<uint8_t> raw(GetParam().raw);  // exact size, for ASan
  EXPECT_FALSE(RelayAgentInfo::Parse(raw).has_value());
}

INSTANTIATE_TEST_SUITE_P(
    Table, RelayAgentInfoInvalid,
    ::testing::Values(InvalidCase{"empty", {}},                       //
                      InvalidCase{"code_only", {1}},                  //
                      InvalidCase{"value_short", {1, 3, 'a', 'b'}},   //
                      InvalidCase{"trailing_code", {1, 1, 'a', 2}},   //
                      InvalidCase{"second_overruns", {1, 0, 2, 1}},   //
                      InvalidCase{"length_255", {1, 255, 0, 0, 0}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(RelayAgentInfo, SmallestValidIsOneEmptySubOption) {
  const std::vector<uint8_t> raw = {rai::kCircuitId, 0};
  const auto r = RelayAgentInfo::Parse(raw);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(Str(r->circuit_id()), "");
}

TEST(RelayAgentInfo, HandBuiltIteratorStopsAtTheEndOfTruncatedBytes) {
  // The iterator is public; over unvalidated bytes it must still terminate
  // at end instead of stepping past it.
  const std::vector<uint8_t> raw = {1, 1, 'a', 2, 9, 'b'};
  RelayAgentInfo::Iterator it(raw.data(), raw.data() + raw.size());
  const RelayAgentInfo::Iterator end(raw.data() + raw.size(), raw.data() + raw.size());
  EXPECT_EQ((*it).code, 1);
  ++it;
  ASSERT_TRUE(it != end);
  EXPECT_EQ((*it).code, 2);
  ++it;
  EXPECT_FALSE(it != end);
}

TEST(RelayAgentInfo, ParsesStoredBytesIndependentlyOfThePacket) {
  // lqd stores option 82 verbatim; the stored copy parses on its own.
  const std::vector<uint8_t> packet = testing::LeaseQueryByIpWithRai();
  ParsedMessage m;
  ASSERT_EQ(ParseMessage(packet, m), std::nullopt);
  const OptionView* o = m.Find(opt::kRelayAgentInfo);
  ASSERT_NE(o, nullptr);
  const std::vector<uint8_t> stored(o->data, o->data + o->len);
  const auto r = RelayAgentInfo::Parse(stored);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(Str(r->circuit_id()), "eth0");
  EXPECT_EQ(Str(r->remote_id()), "\xaa\xbb");
  EXPECT_EQ(r->relay_port(), 0x1000);
  EXPECT_EQ(r->circuit_id()->data(), stored.data() + 2);
}

TEST(SubOptionName, NamesKnownCodesOnly) {
  EXPECT_STREQ(SubOptionName(rai::kCircuitId), "circuit-id");
  EXPECT_STREQ(SubOptionName(rai::kRemoteId), "remote-id");
  EXPECT_STREQ(SubOptionName(rai::kRelayId), "relay-id");
  EXPECT_STREQ(SubOptionName(rai::kRelayPort), "relay-port");
  EXPECT_STREQ(SubOptionName(rai::kLinkSelection), "link-selection");
  EXPECT_STREQ(SubOptionName(rai::kServerIdOverride), "server-id-override");
  EXPECT_STREQ(SubOptionName(rai::kVssInfo), "vss-info");
  EXPECT_STREQ(SubOptionName(rai::kVssControl), "vss-control");
  for (int code = 4; code <= 12; ++code) EXPECT_NE(SubOptionName(static_cast<uint8_t>(code)), nullptr) << code;
  EXPECT_EQ(SubOptionName(0), nullptr);
  EXPECT_EQ(SubOptionName(3), nullptr);
  EXPECT_EQ(SubOptionName(200), nullptr);
}

}  // namespace
}  // namespace lqd::dhcp
