// SPDX-License-Identifier: Apache-2.0
// File: tests/control/kea_ha_command_test.cc
#include "control/kea_ha_command.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "control/replica.h"

namespace lqd::control {
namespace {

constexpr char kUpdate[] =
    R"({ "arguments": { "client-id": "01:02:00:00:00:00:01", "expire": 1795939966, "force-create": true, )"
    R"("fqdn-fwd": false, "fqdn-rev": false, "hostname": "cpe-0001", "hw-address": "02:00:00:00:00:01", )"
    R"("ip-address": "198.51.100.10", "state": 0, "subnet-id": 1, "user-context": { "ISC": { )"
    R"("relay-agent-info": "0x010C657468302F312F313A31303002085249442D30303031" } }, "valid-lft": 3600 }, )"
    R"("command": "lease4-update", "service": [ "dhcp4" ] })";

TEST(KeaHaCommand, ParsesCapturedLease4Update) {
  auto cmd = ParseKeaCommand(kUpdate);
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  ASSERT_TRUE(cmd->is_lease_change);
  const Lease& l = cmd->update.lease;
  EXPECT_EQ(cmd->update.kind, LeaseUpdate::Kind::kUpsert);
  EXPECT_EQ(l.ip, 0xC633640Au);
  EXPECT_EQ(l.hw.hlen, 6);
  EXPECT_EQ(l.client_id.size(), 7u);
  EXPECT_EQ(l.expire, 1795939966u);
  EXPECT_EQ(l.cltt, 1795939966u - 3600);
  EXPECT_EQ(l.relay_agent_info.substr(2, 12), "eth0/1/1:100");
  EXPECT_EQ(l.subnet_id, 1u);
}

TEST(KeaHaCommand, Kea24RelayAgentInfoMapAndUnknownKeys) {
  auto cmd = ParseKeaCommand(
      R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.1","hw-address":"02:00:00:00:00:01",)"
      R"("valid-lft":60,"expire":1000,"state":0,"pool-id":7,"origin":"ha-partner",)"
      R"("user-context":{"ISC":{"relay-agent-info":{"sub-options":"0x0102AABB","remote-id":"AABB"}}}}})");
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  EXPECT_EQ(cmd->update.lease.relay_agent_info, std::string("\x01\x02\xaa\xbb", 4));
}

TEST(KeaHaCommand, PullShapeUsesCltt) {
  nlohmann::json j = nlohmann::json::parse(
      R"({"ip-address":"10.0.0.2","cltt":1000,"valid-lft":600,"state":1,"hw-address":""})");
  auto l = LeaseFromKeaJson(j, "arguments.leases[0]");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->cltt, 1000u);
  EXPECT_EQ(l->expire, 1600u);
  EXPECT_EQ(l->state, LeaseState::kDeclined);
  EXPECT_TRUE(l->hw.empty());
}

struct BadBody {
  const char* name;
  const char* body;
  const char* must_mention;
};

class KeaHaCommandBad : public ::testing::TestWithParam<BadBody> {};

TEST_P(KeaHaCommandBad, IsRefusedWithAPath) {
  auto cmd = ParseKeaCommand(GetParam().body);
  ASSERT_FALSE(cmd.ok());
  EXPECT_NE(std::string(cmd.status().message()).find(GetParam().must_mention), std::string::npos)
      << cmd.status();
}

INSTANTIATE_TEST_SUITE_P(
    Table, KeaHaCommandBad,
    ::testing::Values(
        BadBody{"NotJson", "{nope", "JSON"},
        BadBody{"NoCommand", R"({"arguments":{}})", "command"},
        BadBody{"NoArguments", R"({"command":"lease4-update"})", "arguments"},
        BadBody{"BadIp", R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.300","valid-lft":1,"expire":2}})", "arguments.ip-address"},
        BadBody{"BadMac", R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.1","hw-address":"zz:00","valid-lft":1,"expire":2}})", "arguments.hw-address"},
        BadBody{"NegativeLft", R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.1","valid-lft":-1,"expire":2}})", "arguments.valid-lft"},
        BadBody{"NoTimes", R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.1","valid-lft":1}})", "expire"},
        BadBody{"BadState", R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.1","valid-lft":1,"expire":2,"state":9}})", "arguments.state"},
        BadBody{"BadRai", R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.1","valid-lft":1,"expire":2,"user-context":{"ISC":{"relay-agent-info":"0x0109"}}}})", "user-context"}),
    [](const auto& i) { return std::string(i.param.name); });

TEST(KeaHaCommand, OtherCommandsAreNotLeaseChanges) {
  auto cmd = ParseKeaCommand(R"({"command":"ha-heartbeat","service":["dhcp4"]})");
  ASSERT_TRUE(cmd.ok());
  EXPECT_FALSE(cmd->is_lease_change);
  EXPECT_EQ(cmd->name, "ha-heartbeat");
}

TEST(KeaHaCommand, ResponseIsAListOfOneMap) {
  auto j = nlohmann::json::parse(KeaResponse(KeaResult::kUnsupported, "no"));
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["result"], 2);
  EXPECT_EQ(j[0]["text"], "no");
}

// Replays the 27 requests a real Kea 2.2 primary sent to its backup peer in
// the passive-backup capture and checks the replica's final content.
TEST(KeaHaCommand, CapturedPassiveBackupSessionReplays) {
  std::ifstream in(std::string(LQD_SHARED_REFERENCE) + "/kea/captured/passive-backup.requests.jsonl");
  if (!in) GTEST_SKIP() << "shared reference captures not present";
  LeaseStore store;
  Replica replica(store);
  std::string line;
  int changes = 0;
  while (std::getline(in, line)) {
    auto rec = nlohmann::json::parse(line);
    auto cmd = ParseKeaCommand(rec["body"].get<std::string>());
    ASSERT_TRUE(cmd.ok()) << cmd.status() << "\n" << rec["body"];
    if (!cmd->is_lease_change) continue;
    ++changes;
    EXPECT_NE(replica.Apply(cmd->update, 1795936400), Replica::Outcome::kRejected);
  }
  EXPECT_EQ(changes, 27);
  QsbrReader reader(store.qsbr());
  // client2 (198.51.100.11) released: deleted. 198.51.100.12 declined.
  EXPECT_EQ(store.FindByIp(0xC633640B), nullptr);
  const LeaseRecord* declined = store.FindByIp(0xC633640C);
  ASSERT_NE(declined, nullptr);
  EXPECT_EQ(declined->state, LeaseState::kDeclined);
  const LeaseRecord* active = store.FindByIp(0xC633640A);
  ASSERT_NE(active, nullptr);
  EXPECT_EQ(active->state, LeaseState::kActive);
  EXPECT_GT(active->relay_agent_info().size(), 0u);
}

}  // namespace
}  // namespace lqd::control
