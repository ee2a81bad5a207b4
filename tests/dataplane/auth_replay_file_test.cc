// SPDX-License-Identifier: Apache-2.0
// File: tests/dataplane/auth_replay_file_test.cc
#include "dataplane/auth_replay_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/temp_dir.h"

namespace lqd::dataplane {
namespace {

using Result = AuthReplayState::Result;
constexpr uint32_t kRelayA = 0xc0000201;  // 192.0.2.1
constexpr uint32_t kRelayB = 0xc0000202;

class AuthReplayFileTest : public ::testing::Test {
 protected:
  std::string Read() {
    std::ifstream in(dir_ + "/auth-replay");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  lqd::testutil::TempDir tmp_{"lqd-auth-replay"};
  const std::string& dir_ = tmp_.path();
};

TEST_F(AuthReplayFileTest, ARestartRefusesWhatWasAcceptedBeforeTheLastSave) {
  {
    AuthReplayState before(0);
    AuthReplayFile f(dir_);
    ASSERT_EQ(*f.Load(before), 0u);  // no file yet
    ASSERT_EQ(before.Advance(7, kRelayA, 100), Result::kFresh);
    ASSERT_EQ(before.Advance(7, kRelayB, 5000), Result::kFresh);
    ASSERT_EQ(*f.SaveIfChanged(before), true);
    EXPECT_EQ(*f.SaveIfChanged(before), false);  // nothing moved: no write
    ASSERT_EQ(before.Advance(7, kRelayA, 101), Result::kFresh);
    ASSERT_EQ(*f.SaveIfChanged(before), true);
  }
  EXPECT_NE(Read().find("7 192.0.2.1 101\n"), std::string::npos) << Read();

  AuthReplayState after(0);  // the restarted process
  AuthReplayFile f(dir_);
  ASSERT_EQ(*f.Load(after), 2u);
  EXPECT_EQ(after.Advance(7, kRelayA, 100), Result::kReplay);
  EXPECT_EQ(after.Advance(7, kRelayA, 101), Result::kReplay);
  EXPECT_EQ(after.Advance(7, kRelayB, 5000), Result::kReplay);
  EXPECT_EQ(after.Advance(8, kRelayA, 50), Result::kFresh);  // another key: its own counter
  EXPECT_EQ(after.Advance(7, kRelayA, 102), Result::kFresh);
}

TEST_F(AuthReplayFileTest, TheFileNeverGoesBackwards) {
  AuthReplayFile f(dir_);
  AuthReplayState first(0);
  ASSERT_EQ(first.Advance(1, kRelayA, 900), Result::kFresh);
  ASSERT_TRUE(*f.SaveIfChanged(first));
  // A reload that turned auth off and on again brings an empty table: the
  // reloader's seeder loads the file into it before it is published.
  AuthReplayState second(0);
  ASSERT_EQ(*f.Load(second), 1u);
  EXPECT_EQ(second.Advance(1, kRelayA, 900), Result::kReplay);
  ASSERT_EQ(second.Advance(1, kRelayB, 3), Result::kFresh);
  ASSERT_TRUE(*f.SaveIfChanged(second));
  // Even a table that was never seeded cannot lower what is on disk.
  AuthReplayState unseeded(0);
  ASSERT_EQ(unseeded.Advance(1, kRelayA, 5), Result::kFresh);
  EXPECT_FALSE(*f.SaveIfChanged(unseeded));
  AuthReplayState third(0);
  AuthReplayFile g(dir_);
  ASSERT_EQ(*g.Load(third), 2u);
  EXPECT_EQ(third.Advance(1, kRelayA, 900), Result::kReplay);
  EXPECT_EQ(third.Advance(1, kRelayB, 3), Result::kReplay);
}

TEST_F(AuthReplayFileTest, ADamagedFileIsAClearErrorAndSeedsNothing) {
  AuthReplayFile f(dir_);
  AuthReplayState s(0);
  ASSERT_EQ(s.Advance(1, kRelayA, 77), Result::kFresh);
  ASSERT_TRUE(*f.SaveIfChanged(s));
  std::string text = Read();
  text[text.find("77")] = '9';  // 97: a flipped digit
  std::ofstream(dir_ + "/auth-replay", std::ios::trunc) << text;
  AuthReplayState fresh(0);
  auto r = AuthReplayFile(dir_).Load(fresh);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("checksum"), std::string::npos) << r.status();
  EXPECT_EQ(fresh.Advance(1, kRelayA, 1), Result::kFresh);  // untouched

  std::ofstream(dir_ + "/auth-replay", std::ios::trunc) << "lqd-auth-replay 1\n1 192.0.2.1 5\n";
  r = AuthReplayFile(dir_).Load(fresh);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status();
}

TEST_F(AuthReplayFileTest, AnUnwritableDirectoryIsAnError) {
  AuthReplayFile f(dir_ + "/missing");
  AuthReplayState s(0);
  ASSERT_EQ(s.Advance(1, kRelayA, 1), Result::kFresh);
  auto r = f.SaveIfChanged(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot create"), std::string::npos) << r.status();
}

}  // namespace
}  // namespace lqd::dataplane
