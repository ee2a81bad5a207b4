// SPDX-License-Identifier: Apache-2.0
// File: tests/control/kea_ha_command_test.cc
#include "control/kea_ha_command.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "control/kea_ha_command_fast.h"
#include "control/kea_ha_ingest.h"
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

// Plain messages take a shortcut around the JSON library; texts that need
// escaping do not. Both must be exactly what nlohmann::json::dump() writes.
TEST(KeaHaCommand, ResponseBytesMatchTheJsonLibrary) {
  for (const std::string text : {"IPv4 lease updated.", "", "quote \" and \\ backslash", "tab\there",
                                 "caf\xc3\xa9", "'x' is not supported"}) {
    for (KeaResult r : {KeaResult::kSuccess, KeaResult::kError, KeaResult::kUnsupported}) {
      const nlohmann::json want = nlohmann::json::array({nlohmann::json{{"result", static_cast<int>(r)}, {"text", text}}});
      EXPECT_EQ(KeaResponse(r, text), want.dump()) << text;
    }
  }
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

// ParseKeaCommand's fast scanner must agree with the DOM parse on every
// body: same success, same error text, same update. Bodies: the captured
// Kea session, hand-written shapes the scanner must hand over, and every
// one-byte mutation (delete, or replace by a structural character) of a
// few of them.
void ExpectSameAsDom(const std::string& body) {
  const auto fast = ParseKeaCommand(body);
  const auto dom = ParseKeaCommandDom(body);
  ASSERT_EQ(fast.ok(), dom.ok()) << body << "\nfast: " << fast.status() << "\ndom: " << dom.status();
  if (!fast.ok()) {
    EXPECT_EQ(fast.status(), dom.status()) << body;
    return;
  }
  EXPECT_EQ(fast->name, dom->name) << body;
  EXPECT_EQ(fast->is_lease_change, dom->is_lease_change) << body;
  if (!fast->is_lease_change) return;
  const LeaseUpdate &a = fast->update, &b = dom->update;
  EXPECT_EQ(a.kind, b.kind) << body;
  EXPECT_EQ(a.source, b.source) << body;
  EXPECT_EQ(a.lease.ip, b.lease.ip) << body;
  EXPECT_EQ(a.lease.vpn, b.lease.vpn) << body;
  EXPECT_TRUE(a.lease.hw == b.lease.hw) << body;
  EXPECT_EQ(a.lease.client_id, b.lease.client_id) << body;
  EXPECT_EQ(a.lease.state, b.lease.state) << body;
  EXPECT_EQ(a.lease.cltt, b.lease.cltt) << body;
  EXPECT_EQ(a.lease.expire, b.lease.expire) << body;
  EXPECT_EQ(a.lease.t1, b.lease.t1) << body;
  EXPECT_EQ(a.lease.t2, b.lease.t2) << body;
  EXPECT_EQ(a.lease.relay_agent_info, b.lease.relay_agent_info) << body;
  EXPECT_EQ(a.lease.subnet_id, b.lease.subnet_id) << body;
  EXPECT_EQ(a.lease.server_id, b.lease.server_id) << body;
}

TEST(KeaHaCommandFastPath, AgreesWithTheDomParse) {
  std::vector<std::string> bodies = {
      kUpdate,
      // Kea 2.4 map, pull shape (cltt), delete, infinite lifetime.
      R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.1","valid-lft":4294967295,"cltt":5,)"
      R"("user-context":{"ISC":{"relay-agent-info":{"sub-options":"0x0103616263","remote-id":"x"}}}}})",
      R"({"command":"lease4-del","arguments":{"ip-address":"10.0.0.2","valid-lft":60,"expire":30,"state":3}})",
      R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.3","valid-lft":60,"expire":100,)"
      R"("hw-address":"","user-context":{"ISC":5,"other":{"a":[1,-2.5e3,true,null]}}}})",
      // Handed to the DOM path: escapes, duplicates, floats, bad values.
      R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.\u0034","valid-lft":60,"expire":1}})",
      R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.4","ip-address":"10.0.0.5","valid-lft":60,"expire":1}})",
      R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.4","valid-lft":60.0,"expire":1}})",
      R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.4","valid-lft":60,"expire":4294967296}})",
      R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.4","valid-lft":60,"state":4,"expire":1}})",
      R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.4","valid-lft":60}})",
      R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.4","valid-lft":60,"expire":1,)"
      R"("user-context":{"ISC":{"relay-agent-info":{"remote-id":"x"}}}}})",
      R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.4","valid-lft":60,"expire":1,)"
      R"("user-context":{"ISC":{"relay-agent-info":"0x01"}}}})",
      R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.4","valid-lft":60,"expire":1}} x)",
      R"({"command":"list-commands"})",
      R"({"command":"lease4-update","command":"lease4-del","arguments":{"ip-address":"10.0.0.4","valid-lft":60,"expire":1}})",
      R"([1,2])",
      "",
  };
  std::ifstream in(std::string(LQD_SHARED_REFERENCE) + "/kea/captured/passive-backup.requests.jsonl");
  std::string line;
  while (std::getline(in, line)) bodies.push_back(nlohmann::json::parse(line)["body"].get<std::string>());
  for (const auto& b : bodies) ExpectSameAsDom(b);
  for (size_t n = 0; n < 4 && n < bodies.size(); ++n) {
    const std::string& b = bodies[n];
    for (size_t i = 0; i < b.size(); ++i) {
      std::string del = b;
      del.erase(i, 1);
      ExpectSameAsDom(del);
      for (char c : {'"', '\\', '0', '9', '-', '.', '}', ',', ':', ' ', 'x', '\x80'}) {
        std::string m = b;
        m[i] = c;
        ExpectSameAsDom(m);
      }
    }
  }
}

// Every body a real Kea 2.2 sent in the captures (passive-backup,
// hot-standby, backup-down, TLS): each lease4-update / lease4-del takes the
// fast path (the point of it: if it silently handed Kea's own shape to the
// DOM, ingest would be slow but still correct), everything else is left to
// the DOM path, and both paths agree on all of them.
TEST(KeaHaCommandFastPath, TakesEveryCapturedKeaLeaseChange) {
  int lease_changes = 0, others = 0;
  for (const char* capture : {"passive-backup", "hot-standby", "backup-down", "tls"}) {
    std::ifstream in(std::string(LQD_SHARED_REFERENCE) + "/kea/captured/" + capture + ".requests.jsonl");
    if (!in) GTEST_SKIP() << "shared reference captures not present";
    std::string line;
    while (std::getline(in, line)) {
      const std::string body = nlohmann::json::parse(line)["body"].get<std::string>();
      ExpectSameAsDom(body);
      const std::string name = nlohmann::json::parse(body)["command"].get<std::string>();
      KeaCommand fast;
      const bool took = FastParseKeaCommand(body, &fast);
      if (name == "lease4-update" || name == "lease4-del") {
        ++lease_changes;
        EXPECT_TRUE(took) << capture << ": " << body;
      } else {
        ++others;
        EXPECT_FALSE(took) << capture << ": " << body;
      }
    }
  }
  EXPECT_EQ(lease_changes, 27 + 5 + 2 + 1);
  EXPECT_EQ(others, 28);  // hot-standby: heartbeats, dhcp-disable/enable, lease4-get-page, sync-complete
}

// Hand-written edge cases around what the fast path accepts: the result
// must be the DOM path's in every case, and `fast` says whether the fast
// path is expected to take the body itself (false: it must hand over).
TEST(KeaHaCommandFastPath, EdgeCasesAgreeWithTheDomParse) {
  struct Case {
    bool fast;
    std::string args;  // the "arguments" object's members (lease4-update)
  };
  const std::string base = R"("ip-address":"10.1.2.3","valid-lft":60,"expire":1000)";
  const std::vector<Case> cases = {
      {true, base},
      {true, base + R"(,"hw-address":"0A:bC:00:ff:10:01","client-id":"ff:00:01")"},
      {true, base + R"(,"hw-address":"","client-id":"")"},
      {true, base + R"(,"state":3,"subnet-id":4294967295)"},
      {true, base + R"(,"user-context":{"ISC":{"relay-agent-info":"0X0103616263"}})"},
      {true, base + R"(,"user-context":{"ISC":{"relay-agent-info":"0103616263"}})"},
      {true, base + R"(,"user-context":{"ISC":{"relay-agent-info":{"remote-id":"x","sub-options":"0x0103616263"}}})"},
      {true, base + R"(,"user-context":{"other":[{"a":[]},{}],"ISC":{"x":{"y":[1,2e-3,-0.5]}}})"},
      {true, base + R"(,"user-context":"not a map")"},
      {true, base + ",\t\"hostname\" :\r\n \"x\" \n"},
      // Escapes anywhere: handed over, same result (the DOM unescapes).
      {false, R"("ip-address":"10.1.2.\u0033","valid-lft":60,"expire":1000)"},
      {false, R"("ip\u002daddress":"10.1.2.3","valid-lft":60,"expire":1000)"},
      {false, base + R"(,"hw-address":"02\u003a00")"},
      {false, base + R"(,"hostname":"a\"b")"},
      {false, base + R"(,"hostname":"caf\u00e9")"},
      {false, base + "," R"("hostname":"caf)" "\xc3\xa9" R"(")"},  // raw UTF-8
      {false, base + R"(,"user-context":{"ISC":{"relay-agent-info":"0x01036162\u0036\u0033"}})"},
      // Non-canonical but valid, or invalid: handed over.
      {false, R"("ip-address":"010.1.2.3","valid-lft":60,"expire":1000)"},
      {false, R"("ip-address":"10.1.2.3 ","valid-lft":60,"expire":1000)"},
      {false, R"("ip-address":"10.1.2","valid-lft":60,"expire":1000)"},
      {false, R"("ip-address":"10.1.2.256","valid-lft":60,"expire":1000)"},
      {false, R"("ip-address":"1.2.3.4.5","valid-lft":60,"expire":1000)"},
      {false, R"("ip-address":"1234.2.3.4","valid-lft":60,"expire":1000)"},
      {false, R"("ip-address":10,"valid-lft":60,"expire":1000)"},
      {false, base + R"(,"hw-address":"2:0:5e:0:0:1")"},
      {false, base + R"(,"hw-address":"02:00:5e:00:00:01:")"},
      {false, base + R"(,"hw-address":"00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10")"},
      {false, base + R"(,"client-id":"0g:01")"},
      {false, base + R"(,"user-context":{"ISC":{"relay-agent-info":"0x010"}})"},
      {false, base + R"(,"user-context":{"ISC":{"relay-agent-info":"0x0105616263"}})"},
      {false, base + R"(,"user-context":{"ISC":{"relay-agent-info":""}})"},
      {false, base + R"(,"user-context":{"ISC":{"relay-agent-info":{"remote-id":"x"}}})"},
      {false, base + R"(,"user-context":{"ISC":{"relay-agent-info":{"sub-options":7}}})"},
      {false, base + R"(,"user-context":{"ISC":{"relay-agent-info":null}})"},
      // Missing and bad fields: handed over, the DOM writes the error.
      {false, R"("valid-lft":60,"expire":1000)"},
      {false, R"("ip-address":"10.1.2.3","expire":1000)"},
      {false, R"("ip-address":"10.1.2.3","valid-lft":60)"},
      {false, base + R"(,"state":4)"},
      {false, base + R"(,"state":null)"},
      {false, base + R"(,"subnet-id":-1)"},
      {false, base + R"(,"subnet-id":4294967296)"},
      {false, base + R"(,"subnet-id":01)"},
      {false, base + R"(,"subnet-id":1.0)"},
      {false, base + R"(,"subnet-id":1e2)"},
      {false, base + R"(,"expire":1001)"},
      {false, base + R"(,"hostname":tru)"},
  };
  for (const Case& c : cases) {
    for (const char* command : {"lease4-update", "lease4-del"}) {
      const std::string body =
          std::string(R"({"command":")") + command + R"(","arguments":{)" + c.args + "}}";
      ExpectSameAsDom(body);
      KeaCommand fast;
      EXPECT_EQ(FastParseKeaCommand(body, &fast), c.fast) << body;
    }
  }
  // Cltt instead of expire, and the infinite lifetime, on the fast path.
  const std::string pull = R"({"command":"lease4-update","arguments":{"ip-address":"10.1.2.3","valid-lft":4294967295,"cltt":7}})";
  KeaCommand fast;
  ASSERT_TRUE(FastParseKeaCommand(pull, &fast));
  EXPECT_EQ(fast.update.lease.expire, kInfiniteTime);
  ExpectSameAsDom(pull);
  // Kea's HA push computes expire = cltt + valid-lft in 64 bits: an infinite
  // lease arrives with an expire past 2^32 and must be taken, infinite, with
  // its real cltt, by both paths. A cltt that would not fit is refused.
  const std::string infinite_push =
      R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.9","hw-address":"02:00:00:00:00:09",)"
      R"("valid-lft":4294967295,"expire":6090903661,"state":0,"subnet-id":1}})";
  KeaCommand inf;
  ASSERT_TRUE(FastParseKeaCommand(infinite_push, &inf));
  EXPECT_EQ(inf.update.lease.expire, kInfiniteTime);
  EXPECT_EQ(inf.update.lease.cltt, 1795936366u);
  ExpectSameAsDom(infinite_push);
  auto dom = ParseKeaCommand(infinite_push);
  ASSERT_TRUE(dom.ok()) << dom.status();
  EXPECT_EQ(dom->update.lease.expire, kInfiniteTime);
  for (const char* bad : {R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.9","valid-lft":60,"expire":8000000000}})",
                          R"({"command":"lease4-update","arguments":{"ip-address":"10.0.0.9","valid-lft":60,"expire":8589934591}})"}) {
    KeaCommand f;
    EXPECT_FALSE(FastParseKeaCommand(bad, &f)) << bad;
    ExpectSameAsDom(bad);
    EXPECT_FALSE(ParseKeaCommand(bad).ok()) << bad;
  }
  // Unknown commands, whatever their arguments, are not lease changes.
  for (const char* body : {R"({"command":"lease4-add","arguments":{"ip-address":"10.1.2.3","valid-lft":60,"expire":1000}})",
                           R"({"command":"lease6-update","arguments":{}})", R"({"command":"LEASE4-UPDATE"})"}) {
    KeaCommand f;
    EXPECT_FALSE(FastParseKeaCommand(body, &f)) << body;
    ExpectSameAsDom(body);
    auto cmd = ParseKeaCommand(body);
    ASSERT_TRUE(cmd.ok()) << body;
    EXPECT_FALSE(cmd->is_lease_change) << body;
  }
}

// The ingest's answers: result 0 and the journal hook for an applied
// change, 2 for a command lqd does not implement, 1 for a bad one; neither
// of the last two touches the replica or the journal.
TEST(KeaHaIngest, UnknownAndBadCommandsChangeNothing) {
  LeaseStore store;
  Replica replica(store);
  int journaled = 0;
  KeaHaIngest ingest(replica, [] { return 1000u; }, [&](const LeaseUpdate&) { ++journaled; });
  auto post = [&](const std::string& body) {
    const HttpRequest r{"POST", "/", {}, body};
    return ingest.Handle(r);
  };
  auto ok = post(R"({"command":"lease4-update","arguments":{"ip-address":"10.1.2.3","valid-lft":600,"expire":1500}})");
  EXPECT_EQ(ok.body, R"([{"result":0,"text":"IPv4 lease updated."}])");
  EXPECT_EQ(journaled, 1);
  EXPECT_EQ(store.size(), 1u);
  auto unknown = post(R"({"command":"lease4-wipe","arguments":{"subnet-id":1}})");
  EXPECT_NE(unknown.body.find(R"("result":2)"), std::string::npos) << unknown.body;
  EXPECT_NE(unknown.body.find("lease4-wipe"), std::string::npos) << unknown.body;
  for (const char* bad :
       {R"({"command":"lease4-del","arguments":{"ip-address":"10.1.2.3","valid-lft":600}})",
        R"({"command":"lease4-del","arguments":{"ip-address":"10.1.2.3","valid-lft":600,"expire":1600,"state":7}})",
        R"({"command":"lease4-del","arguments":{"ip-address":"10.1.2.3","valid-lft":600,"expire":1600})"}) {
    auto r = post(bad);
    EXPECT_NE(r.body.find(R"("result":1)"), std::string::npos) << bad << " -> " << r.body;
  }
  EXPECT_EQ(journaled, 1);
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(ingest.counters().updates, 1u);
  EXPECT_EQ(ingest.counters().unsupported, 1u);
  EXPECT_EQ(ingest.counters().errors, 3u);
  auto del = post(R"({"command":"lease4-del","arguments":{"ip-address":"10.1.2.3","valid-lft":600,"expire":1600}})");
  EXPECT_EQ(del.body, R"([{"result":0,"text":"IPv4 lease deleted."}])");
  EXPECT_EQ(journaled, 2);
  EXPECT_EQ(store.size(), 0u);
}

}  // namespace
}  // namespace lqd::control
