// SPDX-License-Identifier: Apache-2.0
// File: tests/client/answer_test.cc
#include "client/answer.h"

#include <gtest/gtest.h>

#include "client/answer_format.h"
#include "fakes.h"

namespace lqd::client {
namespace {

using testing::AnswerSpec;
using testing::BuildAnswer;
using testing::Ip;

AnswerSpec FullActive() {
  AnswerSpec s;
  s.type = dhcp::MessageType::kLeaseActive;
  s.xid = 0x01020304;
  s.ciaddr = Ip(198, 51, 100, 10);
  s.giaddr = Ip(192, 0, 2, 2);
  s.mac = {2, 0, 0, 0, 0, 1};
  s.lease_time = 3000;
  s.t1 = 1200;
  s.t2 = 2400;
  s.server_id = Ip(192, 0, 2, 1);
  s.cltt = 600;
  s.client_id = {1, 2, 0, 0, 0, 0, 1};
  // circuit-id "eth0/1/1:100", remote-id "RID-0001"
  s.rai = {1, 12, 'e', 't', 'h', '0', '/', '1', '/', '1', ':', '1', '0', '0',
           2, 8, 'R', 'I', 'D', '-', '0', '0', '0', '1'};
  s.associated = {Ip(198, 51, 100, 10), Ip(198, 51, 100, 77)};
  return s;
}

TEST(Answer, DecodesEveryOption) {
  const auto bytes = BuildAnswer(FullActive());
  auto a = DecodeAnswer(bytes);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->state, LeaseState::kActive);
  EXPECT_EQ(a->xid, 0x01020304u);
  EXPECT_EQ(a->ciaddr, Ip(198, 51, 100, 10));
  EXPECT_EQ(a->giaddr, Ip(192, 0, 2, 2));
  EXPECT_EQ(a->chaddr, (std::vector<uint8_t>{2, 0, 0, 0, 0, 1}));
  EXPECT_TRUE(a->HasHardwareAddress());
  EXPECT_EQ(a->lease_time, 3000u);
  EXPECT_EQ(a->renewal_time, 1200u);
  EXPECT_EQ(a->rebinding_time, 2400u);
  EXPECT_EQ(a->server_id, Ip(192, 0, 2, 1));
  EXPECT_EQ(a->client_last_transaction_time, 600u);
  EXPECT_EQ(a->client_id, (std::vector<uint8_t>{1, 2, 0, 0, 0, 0, 1}));
  ASSERT_EQ(a->relay_sub_options.size(), 2u);
  EXPECT_EQ(a->relay_sub_options[0].code, 1);
  EXPECT_EQ(std::string(a->relay_sub_options[0].value.begin(), a->relay_sub_options[0].value.end()),
            "eth0/1/1:100");
  EXPECT_EQ(a->relay_sub_options[1].code, 2);
  EXPECT_EQ(a->associated_ips, (std::vector<uint32_t>{Ip(198, 51, 100, 10), Ip(198, 51, 100, 77)}));
  // 53, 54, 51, 58, 59, 61, 82, 91, 92 in wire order.
  ASSERT_EQ(a->options.size(), 9u);
  EXPECT_EQ(a->options.front().code, 53);
  EXPECT_EQ(a->options.back().code, 92);
}

TEST(Answer, UnassignedAndUnknown) {
  AnswerSpec s;
  s.type = dhcp::MessageType::kLeaseUnassigned;
  EXPECT_EQ(DecodeAnswer(BuildAnswer(s))->state, LeaseState::kUnassigned);
  s.type = dhcp::MessageType::kLeaseUnknown;
  auto a = DecodeAnswer(BuildAnswer(s));
  EXPECT_EQ(a->state, LeaseState::kUnknown);
  EXPECT_FALSE(a->HasHardwareAddress());
}

TEST(Answer, RejectsWhatIsNotALeasequeryAnswer) {
  AnswerSpec s;
  s.type = dhcp::MessageType::kAck;  // draft-era / Cisco legacy answer
  EXPECT_EQ(DecodeAnswer(BuildAnswer(s)).status().code(), absl::StatusCode::kInvalidArgument);
  s.type = dhcp::MessageType::kLeaseQuery;
  EXPECT_FALSE(DecodeAnswer(BuildAnswer(s)).ok());
  auto bytes = BuildAnswer(FullActive());
  bytes[0] = dhcp::kOpBootRequest;
  EXPECT_FALSE(DecodeAnswer(bytes).ok());
  EXPECT_FALSE(DecodeAnswer(std::vector<uint8_t>(100, 0)).ok());
}

TEST(Answer, RejectsBadOptionLengths) {
  auto bytes = BuildAnswer(FullActive());
  // Option 54 follows 53 (3 bytes) at offset 240: shorten its length byte.
  ASSERT_EQ(bytes[243], dhcp::opt::kServerId);
  bytes[244] = 3;
  auto a = DecodeAnswer(bytes);
  EXPECT_FALSE(a.ok());
  AnswerSpec s;
  s.rai = {1, 10, 'x'};  // sub-option overruns option 82
  EXPECT_FALSE(DecodeAnswer(BuildAnswer(s)).ok());
}

TEST(AnswerFormat, TableNamesEverything) {
  const std::string t = FormatAnswerTable(*DecodeAnswer(BuildAnswer(FullActive())));
  for (const char* want : {"DHCPLEASEACTIVE (13)", "0x01020304", "198.51.100.10",
                           "02:00:00:00:00:01", "lease-time", "3000 s", "(T1)", "1200 s", "(T2)",
                           "circuit-id", "\"eth0/1/1:100\"", "remote-id", "\"RID-0001\"",
                           "198.51.100.77", "600 s ago", "server-id", "192.0.2.1",
                           "01:02:00:00:00:00:01"}) {
    EXPECT_NE(t.find(want), std::string::npos) << want << "\n" << t;
  }
}

TEST(AnswerFormat, JsonCarriesEveryField) {
  const std::string j = FormatAnswerJson(*DecodeAnswer(BuildAnswer(FullActive())));
  for (const char* want : {"\"state\":\"ACTIVE\"", "\"xid\":16909060",
                           "\"ciaddr\":\"198.51.100.10\"", "\"chaddr\":\"02:00:00:00:00:01\"",
                           "\"lease_time\":3000", "\"renewal_time\":1200",
                           "\"rebinding_time\":2400", "\"client_last_transaction_time\":600",
                           "\"name\":\"circuit-id\"", "\"text\":\"eth0/1/1:100\"",
                           "\"associated_ips\":[\"198.51.100.10\",\"198.51.100.77\"]"}) {
    EXPECT_NE(j.find(want), std::string::npos) << want << "\n" << j;
  }
  EXPECT_EQ(JsonString("a\"b\\\x01"), "\"a\\\"b\\\\\\u0001\"");
}

}  // namespace
}  // namespace lqd::client
