// SPDX-License-Identifier: Apache-2.0
// File: tests/dataplane/reload_test.cc
//
// ConfigReloader: what a reload changes live, what it refuses, what waits
// for a restart, and that an old LiveSettings outlives every reader that
// may still hold it (Qsbr).
#include "dataplane/reload.h"

#include "control/log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace lqd::dataplane {
namespace {

constexpr uint32_t kRelayA = 0xc0000202;  // 192.0.2.2
constexpr uint32_t kRelayB = 0xc0000203;  // 192.0.2.3

std::string ConfigText(const std::string& acl, const std::string& extra = "") {
  return R"({ "ports": [{"device": "net_null0", "addresses": ["192.0.2.1"]}],
             // comments are fine
             "authoritative-ranges": ["198.51.100.0/24"],
             "acl": {"allow": [)" + acl + "]}" + extra + "}";
}

struct Fixture : ::testing::Test {
  LeaseStore store{LeaseStoreOptions{.shards = 4, .expected_leases = 16}};
  std::unique_ptr<ConfigReloader> reloader;

  void Start(const std::string& text) {
    ConfigResult cr = ParseConfig(text);
    ASSERT_TRUE(cr.config) << (cr.errors.empty() ? "" : cr.errors[0]);
    auto ranges = AuthoritativeRanges::Build(cr.config->ranges);
    ASSERT_TRUE(ranges.ok());
    store.SetRanges(*std::move(ranges));
    store.Reclaim();  // the empty ranges SetRanges replaced
    reloader = std::make_unique<ConfigReloader>("/nonexistent/lqd.json", *cr.config, text, store);
  }
  const LiveSettings& Live() { return *reloader->live().load(); }
};

using ReloadTest = Fixture;

TEST_F(ReloadTest, StartsAtGenerationOneFromTheConfig) {
  Start(ConfigText(R"("192.0.2.2/32")", R"(, "rate-limit": {"per-requester-pps": 50})"));
  EXPECT_EQ(Live().generation, 1u);
  EXPECT_TRUE(Live().acl.Allows(kRelayA));
  EXPECT_FALSE(Live().acl.Allows(kRelayB));
  EXPECT_EQ(Live().rate_limit.per_requester_pps, 50u);
  EXPECT_EQ(Live().server_id, 0xc0000201u);
}

TEST_F(ReloadTest, AclChangeIsPublishedAndTheOldSettingsRetired) {
  Start(ConfigText(R"("192.0.2.2/32")"));
  const LiveSettings* before = &Live();
  ReloadResult r = reloader->ReloadText(ConfigText(R"("192.0.2.3/32")"), 100);
  ASSERT_TRUE(r.ok) << r.errors[0];
  EXPECT_EQ(r.generation, 2u);
  EXPECT_EQ(r.applied, std::vector<std::string>{"acl"});
  EXPECT_TRUE(r.restart.empty());
  EXPECT_NE(&Live(), before);
  EXPECT_FALSE(Live().acl.Allows(kRelayA));
  EXPECT_TRUE(Live().acl.Allows(kRelayB));
  EXPECT_EQ(store.qsbr().pending(), 1u);  // the old one, waiting for readers
  store.Reclaim();                        // no reader online: freed
  EXPECT_EQ(store.qsbr().pending(), 0u);
  EXPECT_EQ(reloader->counters().ok, 1u);
  EXPECT_EQ(reloader->counters().last_ok_unix, 100u);
}

TEST_F(ReloadTest, AReaderHoldingTheOldSettingsKeepsThemAlive) {
  Start(ConfigText(R"("192.0.2.2/32")"));
  Qsbr& q = store.qsbr();
  const Qsbr::ReaderId id = q.RegisterReader();
  q.Online(id);
  const LiveSettings* held = reloader->live().load(std::memory_order_acquire);  // an lcore's burst
  ASSERT_TRUE(reloader->ReloadText(ConfigText(R"("192.0.2.3/32")"), 1).ok);
  store.Reclaim();
  EXPECT_EQ(q.pending(), 1u);             // still referenced: not freed
  EXPECT_TRUE(held->acl.Allows(kRelayA));  // readable (ASan would object otherwise)
  q.Quiescent(id);                         // end of the burst
  store.Reclaim();
  EXPECT_EQ(q.pending(), 0u);
  q.Offline(id);
  q.UnregisterReader(id);
}

TEST_F(ReloadTest, BadConfigIsRefusedWithEveryPathAndNothingChanges) {
  Start(ConfigText(R"("192.0.2.2/32")"));
  const LiveSettings* before = &Live();
  ReloadResult r = reloader->ReloadText(
      ConfigText(R"("192.0.2.300/32", "10.0.0.1/8")", R"(, "policy": {"max-associated-ips": -1})"), 7);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.generation, 1u);
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_NE(r.errors[0].find("policy.max-associated-ips"), std::string::npos) << r.errors[0];
  EXPECT_NE(r.errors[1].find("acl.allow[0]"), std::string::npos) << r.errors[1];
  EXPECT_NE(r.errors[2].find("acl.allow[1]"), std::string::npos) << r.errors[2];
  EXPECT_EQ(&Live(), before);
  EXPECT_EQ(store.qsbr().pending(), 0u);
  EXPECT_EQ(reloader->counters().failed, 1u);
  EXPECT_EQ(reloader->counters().ok, 0u);
  r = reloader->ReloadText("{ not json", 8);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.errors.at(0).find("(syntax)"), std::string::npos);
  EXPECT_NE(ConfigReloader::Describe(r).find("keeping the running configuration"), std::string::npos);
}

TEST_F(ReloadTest, RestartOnlyChangesAreReportedAndKept) {
  Start(ConfigText(R"("192.0.2.2/32")", R"(, "control": {"management": {"port": 8080}})"));
  // New ports (and server-id left to default), new lcores and management
  // port: all need a restart; the policy change next to them applies.
  const std::string next =
      R"({ "ports": [{"device": "net_null1", "addresses": ["192.0.2.9"]}], "lcores": [1],
           "authoritative-ranges": ["198.51.100.0/24"], "acl": {"allow": ["192.0.2.2/32"]},
           "policy": {"non-sensitive-options": [3]},
           "control": {"management": {"port": 8081}} })";
  ReloadResult r = reloader->ReloadText(next, 1);
  ASSERT_TRUE(r.ok) << r.errors[0];
  EXPECT_EQ(r.applied, std::vector<std::string>{"policy"});
  EXPECT_EQ(r.restart, (std::vector<std::string>{"ports", "lcores", "control.management"}));
  EXPECT_TRUE(Live().policy.non_sensitive.test(3));
  EXPECT_EQ(Live().server_id, 0xc0000201u);  // from the running port, not 192.0.2.9
  const std::string line = ConfigReloader::Describe(r);
  EXPECT_NE(line.find("needs a restart"), std::string::npos) << line;
  // Reverting those keys later is again "nothing to restart".
  r = reloader->ReloadText(ConfigText(R"("192.0.2.2/32")", R"(, "control": {"management": {"port": 8080}})"), 2);
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.restart.empty());
  EXPECT_EQ(r.applied, std::vector<std::string>{"policy"});
}

// log-level is live: a reload sets the logger's level (and removing the key
// goes back to the default, info); with --log-level pinned the file's
// value is reported and not applied.
TEST_F(ReloadTest, LogLevelChangesAtReloadUnlessPinned) {
  const log::Level before = log::GetLevel();
  Start(ConfigText(R"("192.0.2.2/32")"));
  log::SetLevel(log::Level::kInfo);
  ReloadResult r = reloader->ReloadText(ConfigText(R"("192.0.2.2/32")", R"(, "log-level": "debug")"), 1);
  ASSERT_TRUE(r.ok) << r.errors[0];
  EXPECT_EQ(r.applied, std::vector<std::string>{"log-level"});
  EXPECT_TRUE(r.restart.empty());
  EXPECT_EQ(log::GetLevel(), log::Level::kDebug);
  r = reloader->ReloadText(ConfigText(R"("192.0.2.2/32")", R"(, "log-level": "debug")"), 2);
  EXPECT_TRUE(r.applied.empty());  // unchanged: nothing to apply
  r = reloader->ReloadText(ConfigText(R"("192.0.2.2/32")"), 3);
  EXPECT_EQ(r.applied, std::vector<std::string>{"log-level"});
  EXPECT_EQ(log::GetLevel(), log::Level::kInfo);
  r = reloader->ReloadText(ConfigText(R"("192.0.2.2/32")", R"(, "log-level": "bogus")"), 4);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(log::GetLevel(), log::Level::kInfo);

  reloader->PinLogLevel();
  log::SetLevel(log::Level::kWarn);  // as --log-level warn
  r = reloader->ReloadText(ConfigText(R"("192.0.2.2/32")", R"(, "log-level": "error")"), 5);
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.applied.empty());
  EXPECT_EQ(r.restart, std::vector<std::string>{"log-level (--log-level given: it wins)"});
  EXPECT_EQ(log::GetLevel(), log::Level::kWarn);
  log::SetLevel(before);
}

TEST_F(ReloadTest, RangesRateLimitAndServerIdAreLive) {
  Start(ConfigText(""));
  EXPECT_TRUE(store.IsAuthoritative(0xc6336405));   // 198.51.100.5
  EXPECT_FALSE(store.IsAuthoritative(0xcb007105));  // 203.0.113.5
  const std::string next =
      R"({ "ports": [{"device": "net_null0", "addresses": ["192.0.2.1"]}],
           "authoritative-ranges": ["203.0.113.0/24"], "server-id": "192.0.2.77",
           "rate-limit": {"per-requester-pps": 10, "burst": 20} })";
  ReloadResult r = reloader->ReloadText(next, 1);
  ASSERT_TRUE(r.ok) << r.errors[0];
  EXPECT_EQ(r.applied, (std::vector<std::string>{"acl", "rate-limit", "server-id", "authoritative-ranges"}));
  EXPECT_FALSE(store.IsAuthoritative(0xc6336405));
  EXPECT_TRUE(store.IsAuthoritative(0xcb007105));
  EXPECT_EQ(Live().server_id, 0xc000024du);
  EXPECT_EQ(Live().rate_limit.per_requester_pps, 10u);
  EXPECT_EQ(Live().rate_limit.burst, 20u);
  EXPECT_TRUE(Live().acl.empty());  // absent acl = allow all
}

TEST_F(ReloadTest, ReloadReadsTheFileAndReportsAMissingOne) {
  const std::string path = ::testing::TempDir() + "/reload_test_lqd.json";
  const std::string text = ConfigText(R"("192.0.2.2/32")");
  ConfigResult cr = ParseConfig(text);
  ASSERT_TRUE(cr.config);
  ConfigReloader missing("/nonexistent/dir/lqd.json", *cr.config, text, store);
  ReloadResult r = missing.Reload(1);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.errors.at(0).find("cannot open"), std::string::npos);
  {
    std::ofstream(path) << ConfigText(R"("192.0.2.3/32")");
  }
  ConfigReloader from_file(path, *cr.config, text, store);
  r = from_file.Reload(2);
  ASSERT_TRUE(r.ok) << r.errors[0];
  EXPECT_TRUE(from_file.current().acl.Allows(kRelayB));
  const std::string prom = from_file.RenderPrometheus();
  EXPECT_NE(prom.find("lqd_config_reloads_total{result=\"ok\"} 1"), std::string::npos) << prom;
  EXPECT_NE(prom.find("lqd_config_generation 2"), std::string::npos) << prom;
  std::remove(path.c_str());
}

// RFC 3118 replay counters across reloads that switch policy.auth off and
// on: a table that starts (auth switched on) is seeded before it is
// published, so no lcore checks a query against an empty table; a table
// carried over from a running keyring is adopted, not seeded again.
TEST_F(ReloadTest, ReplayTableIsSeededBeforeAReloadSwitchingAuthOnPublishesIt) {
  const std::string off = ConfigText(R"("192.0.2.2/32")");
  const std::string on = ConfigText(R"("192.0.2.2/32")",
                                    R"(, "policy": {"auth": {"mode": "required", "keys": [)"
                                    R"({"id": 1, "secret": "s3cret", "requesters": ["192.0.2.0/24"]}]}})");
  Start(off);
  int seeded = 0;
  reloader->SetReplaySeeder([&](AuthReplayState& s) {
    ++seeded;
    EXPECT_TRUE(s.Seed(1, kRelayA, 1000));
  });
  auto last_for_relay_a = [&]() -> std::optional<uint64_t> {
    std::optional<uint64_t> v;
    Live().policy.auth->replay_state().ForEach([&](uint32_t id, uint32_t giaddr, uint64_t last) {
      if (id == 1 && giaddr == kRelayA) v = last;
    });
    return v;
  };
  ASSERT_TRUE(reloader->ReloadText(on, 100).ok);
  ASSERT_NE(Live().policy.auth, nullptr);
  EXPECT_EQ(seeded, 1);
  EXPECT_EQ(last_for_relay_a(), 1000u) << "published with an unseeded replay table";
  // Still on: the same table, not seeded again.
  ASSERT_TRUE(reloader->ReloadText(on + " ", 101).ok);
  EXPECT_EQ(seeded, 1);
  EXPECT_EQ(last_for_relay_a(), 1000u);
  // Off, then on again (a fresh table, whatever address it gets): seeded.
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(reloader->ReloadText(off, 102 + 2 * round).ok);
    EXPECT_EQ(Live().policy.auth, nullptr);
    ASSERT_TRUE(reloader->ReloadText(on, 103 + 2 * round).ok);
    EXPECT_EQ(seeded, 2 + round);
    EXPECT_EQ(last_for_relay_a(), 1000u);
  }
}

}  // namespace
}  // namespace lqd::dataplane
