// SPDX-License-Identifier: Apache-2.0
// File: tests/control/kea_config_test.cc
// Authoritative ranges from Kea's config-get. The fixture
// tests/control/testdata/kea-2.2.0-config-get.json is a real answer of
// kea-ctrl-agent 2.2.0 (Debian 12) to {"command": "config-get", "service":
// ["dhcp4"]}, captured from a kea-dhcp4 with: subnet 198.51.100.0/24 with
// pools "198.51.100.10 - 198.51.100.200" and "198.51.100.224/28" and a
// reservation 198.51.100.250 outside them; subnet 203.0.113.0/24 without
// pools; shared network "cable-1" with 192.0.2.0/25 (pool
// "192.0.2.20-192.0.2.99") and 192.0.2.128/25 (pool "192.0.2.130 -
// 192.0.2.139"). Kea prints every pool back without spaces.
#include "control/kea_config.h"

#include <arpa/inet.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "control/control_plane.h"
#include "control/http_server.h"

namespace lqd::control {
namespace {

uint32_t Ip(const char* s) {
  in_addr a{};
  EXPECT_EQ(inet_pton(AF_INET, s, &a), 1) << s;
  return ntohl(a.s_addr);
}

std::string Fixture() {
  std::ifstream f(std::string(LQD_SOURCE_DIR) + "/tests/control/testdata/kea-2.2.0-config-get.json");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(KeaConfigTest, PoolsAndReservationsFromARealConfigGet) {
  const std::string text = Fixture();
  ASSERT_FALSE(text.empty());
  auto r = KeaRangesFromConfigGet(nlohmann::json::parse(text));
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<std::pair<uint32_t, uint32_t>> got;
  for (const AddressRange& a : *r) {
    EXPECT_EQ(a.vpn, kGlobalVpn);
    got.emplace_back(a.first, a.last);
  }
  const std::vector<std::pair<uint32_t, uint32_t>> want = {
      {Ip("198.51.100.10"), Ip("198.51.100.200")}, {Ip("198.51.100.224"), Ip("198.51.100.239")},
      {Ip("198.51.100.250"), Ip("198.51.100.250")}, {Ip("192.0.2.20"), Ip("192.0.2.99")},
      {Ip("192.0.2.130"), Ip("192.0.2.139")}};
  EXPECT_EQ(got, want);
}

TEST(KeaConfigTest, ErrorsNameWhatIsWrong) {
  auto r = KeaRangesFromConfigGet(nlohmann::json::parse(R"([{"result": 1, "text": "not permitted"}])"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not permitted"), absl::string_view::npos);
  r = KeaRangesFromConfigGet(nlohmann::json::parse(
      R"([{"result": 0, "arguments": {"Dhcp4": {"subnet4": [{"pools": [{"pool": "10.0.0.9-10.0.0.1"}]}]}}}])"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Dhcp4.subnet4[0].pools[0].pool: '10.0.0.9-10.0.0.1'"), absl::string_view::npos)
      << r.status();
  EXPECT_FALSE(KeaRangesFromConfigGet(nlohmann::json::parse(R"([{"result": 0, "arguments": {}}])")).ok());
  EXPECT_FALSE(KeaRangesFromConfigGet(nlohmann::json::parse(R"({"result": 0})")).ok());
  r = KeaRangesFromConfigGet(
      nlohmann::json::parse(R"([{"result": 0, "arguments": {"Dhcp4": {"subnet4": [{"pools": [{"pool": "10.1.2.3/30"}]}]}}}])"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].first, Ip("10.1.2.0"));
  EXPECT_EQ((*r)[0].last, Ip("10.1.2.3"));
}

// A stand-in agent: config-get answers with `config`, lease4-get-page with
// "no more leases".
class FakeAgent {
 public:
  explicit FakeAgent(std::string* config) {
    auto s = HttpServer::Listen({}, [config](const HttpRequest& req) {
      auto j = nlohmann::json::parse(req.body);
      if (j["command"] == "config-get") return HttpResponse{200, "application/json", *config};
      return HttpResponse{200, "application/json", R"([{"result": 3, "text": "0 IPv4 lease(s) found."}])"};
    });
    EXPECT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }
  uint16_t port() const { return server_->port(); }
  // Serves while f runs.
  template <typename F>
  void While(F f) {
    std::atomic<bool> stop{false};
    std::thread t([&] {
      while (!stop.load()) server_->Poll(5);
    });
    f();
    stop = true;
    t.join();
  }

 private:
  std::unique_ptr<HttpServer> server_;
};

TEST(KeaConfigTest, ControlPlaneMergesLearnedRangesWithTheConfigAndRefreshes) {
  std::string config = Fixture();
  FakeAgent agent(&config);
  std::vector<std::string> errors;
  ControlConfig cfg = ParseControlConfig(
      {{"kea-pull", {{"url", "http://127.0.0.1:" + std::to_string(agent.port()) + "/"}, {"interval-seconds", 10u}}}},
      "control", &errors);
  ASSERT_TRUE(errors.empty());
  LeaseStore store;
  uint32_t now = 1000;
  ControlPlane cp(cfg, store, [&] { return now; });
  ASSERT_TRUE(cp.SetConfigRanges({{kGlobalVpn, Ip("10.0.0.0"), Ip("10.0.0.255")},
                                  {kGlobalVpn, Ip("198.51.100.1"), Ip("198.51.100.20")}})
                  .ok());
  // The pull runs in a worker thread: poll until a walk has ended.
  auto poll_until_walk_ends = [&] {
    const uint64_t before = cp.pull_walks_ended();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (cp.pull_walks_ended() == before && std::chrono::steady_clock::now() < deadline) cp.Poll(5);
    ASSERT_GT(cp.pull_walks_ended(), before) << "the pull did not finish in 20 s";
  };
  agent.While([&] {
    ASSERT_TRUE(cp.Start({}).ok());
    poll_until_walk_ends();
  });
  EXPECT_TRUE(cp.ready());
  EXPECT_EQ(cp.learned_ranges(), 5u);
  EXPECT_TRUE(store.IsAuthoritative(Ip("10.0.0.7")));        // config only
  EXPECT_TRUE(store.IsAuthoritative(Ip("198.51.100.5")));    // config, overlapping a Kea pool
  EXPECT_TRUE(store.IsAuthoritative(Ip("198.51.100.150")));  // Kea pool only
  EXPECT_TRUE(store.IsAuthoritative(Ip("198.51.100.250")));  // Kea reservation
  EXPECT_TRUE(store.IsAuthoritative(Ip("192.0.2.135")));     // shared network's subnet
  EXPECT_FALSE(store.IsAuthoritative(Ip("198.51.100.220")));
  EXPECT_FALSE(store.IsAuthoritative(Ip("203.0.113.5")));    // subnet without pools

  // The operator shrinks Kea's pool; the next reconcile follows.
  auto j = nlohmann::json::parse(config);
  j[0]["arguments"]["Dhcp4"]["subnet4"][0]["pools"][0]["pool"] = "198.51.100.10-198.51.100.100";
  config = j.dump();
  now += 10;
  agent.While(poll_until_walk_ends);
  EXPECT_TRUE(store.IsAuthoritative(Ip("198.51.100.100")));
  EXPECT_FALSE(store.IsAuthoritative(Ip("198.51.100.150")));

  // config-get failing keeps what was learned; a reload's config ranges still merge.
  config = R"([{"result": 1, "text": "not permitted"}])";
  now += 10;
  agent.While(poll_until_walk_ends);
  EXPECT_TRUE(store.IsAuthoritative(Ip("198.51.100.50")));
  ASSERT_TRUE(cp.SetConfigRanges({{kGlobalVpn, Ip("10.9.0.0"), Ip("10.9.0.9")}}).ok());
  EXPECT_FALSE(store.IsAuthoritative(Ip("10.0.0.7")));
  EXPECT_TRUE(store.IsAuthoritative(Ip("10.9.0.1")));
  EXPECT_TRUE(store.IsAuthoritative(Ip("198.51.100.50")));
  store.Reclaim();
}

}  // namespace
}  // namespace lqd::control
