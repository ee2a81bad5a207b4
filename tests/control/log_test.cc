// SPDX-License-Identifier: Apache-2.0
// File: tests/control/log_test.cc
// The structured log: line format, escaping, level filter; and that a whole
// control-plane start-up (listeners with basic auth, a pull refused with
// 401, retries) at debug level never writes a configured password.
#include "control/log.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "control/control_plane.h"
#include "control/http_server.h"

namespace lqd::control {
namespace {

class Capture {
 public:
  Capture() {
    log::SetSink([this](const std::string& l) {
      std::lock_guard<std::mutex> g(mu_);
      lines_.push_back(l);
    });
  }
  ~Capture() {
    log::SetSink(nullptr);
    log::SetLevel(log::Level::kInfo);
  }
  std::string All() {
    std::lock_guard<std::mutex> g(mu_);
    std::string s;
    for (const auto& l : lines_) s += l + "\n";
    return s;
  }
  size_t size() {
    std::lock_guard<std::mutex> g(mu_);
    return lines_.size();
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

TEST(LogTest, LogfmtLineWithQuotingAndEscapes) {
  // 2026-11-29T11:40:01.234Z
  const std::string l = log::Format(log::Level::kWarn, "kea-pull", "pull failed: \"x\"\nnext",
                                    {{"leases", "5"}, {"file", "/a b/c=d"}, {"empty", ""}, {"ctl", "\x01"}},
                                    1795952401234);
  EXPECT_EQ(l,
            "ts=2026-11-29T11:40:01.234Z level=warn component=kea-pull msg=\"pull failed: \\\"x\\\"\\nnext\" "
            "leases=5 file=\"/a b/c=d\" empty=\"\" ctl=\"\\x01\"");
  EXPECT_EQ(l.find('\n'), std::string::npos);
}

TEST(LogTest, LevelsFilterAndParse) {
  Capture cap;
  log::SetLevel(log::Level::kWarn);
  log::Debug("t", "d");
  log::Info("t", "i");
  log::Warn("t", "w");
  log::Error("t", "e");
  EXPECT_EQ(cap.size(), 2u);
  EXPECT_NE(cap.All().find("level=warn component=t msg=w"), std::string::npos) << cap.All();
  EXPECT_NE(cap.All().find("level=error component=t msg=e"), std::string::npos);
  EXPECT_EQ(*log::ParseLevel("DEBUG"), log::Level::kDebug);
  EXPECT_EQ(*log::ParseLevel("warning"), log::Level::kWarn);
  EXPECT_FALSE(log::ParseLevel("verbose").ok());
}

TEST(LogTest, NoConfiguredPasswordEverReachesTheLog) {
  const std::string kHaPass = "ha-pass-7Qz1", kPullPass = "pull-pass-9Wx4", kMgmtPass = "mgmt-pass-3Rt8";
  // A stand-in kea-ctrl-agent that refuses every request with 401.
  auto agent = HttpServer::Listen({}, [](const HttpRequest&) { return HttpResponse{401, "text/plain", "no\n"}; });
  ASSERT_TRUE(agent.ok()) << agent.status();
  Capture cap;
  log::SetLevel(log::Level::kDebug);
  std::vector<std::string> errors;
  nlohmann::json j = {
      {"kea-ha", {{"address", "127.0.0.1"}, {"port", 0u}, {"user", "kea"}, {"password", kHaPass}}},
      {"management", {{"address", "127.0.0.1"}, {"port", 0u}, {"user", "ops"}, {"password", kMgmtPass}}},
      {"kea-pull",
       {{"url", "http://127.0.0.1:" + std::to_string((*agent)->port()) + "/"}, {"user", "lqd"}, {"password", kPullPass},
        {"timeout-ms", 2000u}}},
      // A wrongly typed password must not be echoed by the parser either.
      {"stale-after-seconds", kHaPass}};
  ControlConfig cfg = ParseControlConfig(j, "control", &errors);
  ASSERT_EQ(errors.size(), 1u);
  for (const auto& e : errors) log::Error("config", e);
  j.erase("stale-after-seconds");
  errors.clear();
  cfg = ParseControlConfig(j, "control", &errors);
  ASSERT_TRUE(errors.empty());
  LeaseStore store;
  uint32_t now = 1000;
  ControlPlane cp(cfg, store, [&] { return now; });
  std::atomic<bool> done{false};
  std::thread agent_thread([&] {
    while (!done.load()) (*agent)->Poll(20);
  });
  ASSERT_TRUE(cp.Start({}).ok());
  // The pull runs in its own thread; its refusal is logged when the control
  // thread collects it. Poll until it is (or 30 s, a failure below).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (cap.All().find("level=error component=kea-pull") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    cp.Poll(10);
  }
  now += 3;
  cp.Poll(0);  // the retry of the refused pull
  done.store(true);
  agent_thread.join();
  EXPECT_FALSE(cp.ready());
  const std::string out = cap.All();
  // The log did say what happened...
  EXPECT_NE(out.find("level=error component=kea-pull"), std::string::npos) << out;
  EXPECT_NE(out.find("401"), std::string::npos) << out;
  EXPECT_NE(out.find("basic_auth=on"), std::string::npos) << out;
  // ...and holds no password, plain or as the Authorization header's base64.
  for (const std::string& secret :
       {kHaPass, kPullPass, kMgmtPass, absl::Base64Escape("lqd:" + kPullPass), absl::Base64Escape("kea:" + kHaPass)})
    EXPECT_EQ(out.find(secret), std::string::npos) << secret << " in:\n" << out;
}

}  // namespace
}  // namespace lqd::control
