// SPDX-License-Identifier: Apache-2.0
// File: tests/control/file_follower_test.cc
// Following kea-leases4.csv and dhcpd.leases through appends, torn writes,
// rotation by rename, rewrites, truncation, Kea's LFC and dhcpd's rewrite.
#include "control/file_follower.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "control/control_plane.h"
#include "tests/temp_dir.h"

namespace lqd::control {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kNow = 2000000000;
constexpr char kKeaHeader[] =
    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n";

uint32_t Ip(int n) { return 0x0A000000u + n; }  // 10.0.0.n

// A Kea row for 10.0.0.n; valid 0 is Kea's deletion record.
std::string Row(int n, uint32_t valid = 3600, uint32_t expire = kNow + 3600, int state = 0,
                const std::string& rai_hex = "") {
  return absl::StrCat("10.0.0.", n, ",02:00:00:00:00:", absl::Hex(n, absl::kZeroPad2), ",,", valid, ",", expire,
                      ",1,0,0,,", state, ",",
                      rai_hex.empty() ? "" : absl::StrCat("{ \"ISC\": { \"relay-agent-info\": \"0x", rai_hex, "\" } }"),
                      "\n");
}

// A dhcpd lease block for 10.0.0.n.
std::string Block(int n, const char* state = "active", uint32_t ends = kNow + 3600, const char* circuit = "c1") {
  return absl::StrCat("lease 10.0.0.", n, " {\n  cltt epoch ", ends - 3600, ";\n  ends epoch ", ends,
                      ";\n  binding state ", state, ";\n  hardware ethernet 02:00:00:00:00:0", n % 10,
                      ";\n  option agent.circuit-id \"", circuit, "\";\n}\n");
}

class FollowerTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return tmp_.Path(name); }
  static void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }
  static void Append(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::app) << text;
  }
  const LeaseRecord* Get(int n) { return store_.FindByIp(Ip(n)); }
  FollowerPoll Poll(FileFollower& f) { return f.Poll(now_++); }

  lqd::testutil::TempDir tmp_{"lqd-follow"};
  uint32_t now_ = kNow;
  LeaseStore store_;
  Replica replica_{store_};
  QsbrReader reader_{store_.qsbr()};
};

TEST_F(FollowerTest, KeaAppendsPartialLinesErrorsAndDeletions) {
  const std::string x = Path("kea-leases4.csv");
  Write(x, std::string(kKeaHeader) + Row(1, 3600, kNow + 3600, 0, "0103414243"));
  FileFollower f({LeaseFileFormat::kKeaCsv, x}, replica_);
  FollowerPoll p = Poll(f);
  ASSERT_TRUE(f.loaded());
  EXPECT_TRUE(p.errors.empty());
  ASSERT_NE(Get(1), nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(Get(1)->relay_agent_info().data()), 5), "\x01\x03" "ABC");
  EXPECT_LT(replica_.LagSeconds(FeedSource::kKeaCsv, now_), 2u);

  // A row still being written is not taken until its newline arrives.
  const std::string row2 = Row(2);
  Append(x, row2.substr(0, 20));
  Poll(f);
  EXPECT_EQ(Get(2), nullptr);
  Append(x, row2.substr(20));
  Poll(f);
  ASSERT_NE(Get(2), nullptr);

  // A bad line: reported once with file and line (4), skipped; later lines apply.
  Append(x, "10.0.0.300,02:00:00:00:00:03,,3600,1,1,0,0,,0,\n" + Row(3));
  p = Poll(f);
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].file, x);
  EXPECT_EQ(p.errors[0].line, 4u);
  EXPECT_NE(p.errors[0].reason.find("not an IPv4"), std::string::npos);
  EXPECT_NE(Get(3), nullptr);
  EXPECT_TRUE(Poll(f).errors.empty());

  // RELEASE: valid_lifetime 0, expire = the release time, removes the lease.
  Append(x, Row(1, 0, kNow + 5));
  p = Poll(f);
  EXPECT_EQ(p.removed, 1u);
  EXPECT_EQ(Get(1), nullptr);
  EXPECT_EQ(f.counters().full_reads, 1u);
  EXPECT_EQ(f.counters().bad, 1u);
}

TEST_F(FollowerTest, MissingFileIsWaitedForNotTakenAsEmpty) {
  const std::string x = Path("dhcpd.leases");
  FileFollower f({LeaseFileFormat::kDhcpdLeases, x}, replica_);
  FollowerPoll p = Poll(f);
  EXPECT_FALSE(f.loaded());
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_NE(p.errors[0].reason.find("cannot open"), std::string::npos);
  EXPECT_TRUE(Poll(f).errors.empty());  // reported once
  Write(x, Block(1));
  Poll(f);
  EXPECT_TRUE(f.loaded());
  EXPECT_NE(Get(1), nullptr);
  // Gone from its path: nothing is removed, the open file is still followed.
  fs::rename(x, Path("elsewhere"));
  Append(Path("elsewhere"), Block(2));
  Poll(f);
  EXPECT_NE(Get(1), nullptr);
  EXPECT_NE(Get(2), nullptr);
}

TEST_F(FollowerTest, DhcpdAppendsTornBlocksAndLineNumbers) {
  const std::string x = Path("dhcpd.leases");
  Write(x, "# header\nauthoring-byte-order little-endian;\n\n" + Block(1));  // block on lines 4-10
  FileFollower f({LeaseFileFormat::kDhcpdLeases, x}, replica_);
  Poll(f);
  ASSERT_NE(Get(1), nullptr);
  EXPECT_EQ(Get(1)->state, LeaseState::kActive);

  const std::string b2 = Block(2);
  Append(x, b2.substr(0, b2.size() - 3));  // torn: no closing brace yet
  Poll(f);
  EXPECT_EQ(Get(2), nullptr);
  Append(x, b2.substr(b2.size() - 3));
  Poll(f);
  ASSERT_NE(Get(2), nullptr);

  // Lines 18-24: a bad block, reported at its own line in the file.
  Append(x, "lease 10.0.0.3 {\n  ends epoch 1;\n  binding state dozing;\n}\n" + Block(4));
  FollowerPoll p = Poll(f);
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].line, 20u);
  EXPECT_EQ(Get(3), nullptr);
  EXPECT_NE(Get(4), nullptr);

  // A later block for the same address wins: released.
  Append(x, Block(1, "released", kNow + 3610));
  Poll(f);
  EXPECT_EQ(Get(1)->state, LeaseState::kReleased);
  EXPECT_TRUE(Get(1)->relay_agent_info().size() > 0);
}

// dhcpd's rewrite (server/db.c new_lease_file): write dhcpd.leases.<epoch>,
// unlink dhcpd.leases~, link dhcpd.leases to dhcpd.leases~, rename the new
// file over dhcpd.leases. The new file is the whole database.
TEST_F(FollowerTest, DhcpdRewriteSequenceReconciles) {
  const std::string x = Path("dhcpd.leases");
  Write(x, Block(1) + Block(2) + Block(3));
  FileFollower f({LeaseFileFormat::kDhcpdLeases, x}, replica_);
  Poll(f);
  ASSERT_NE(Get(2), nullptr);
  const uint64_t applied = f.counters().applied;

  const std::string fresh = Path("dhcpd.leases.1795936485");
  Write(fresh, "# rewritten\n" + Block(1) + Block(3, "active", kNow + 7200, "c3-new") + Block(5));
  fs::remove(x + "~");
  fs::create_hard_link(x, x + "~");
  fs::rename(fresh, x);
  Append(x, Block(6));
  FollowerPoll p = Poll(f);
  EXPECT_EQ(f.counters().rotations, 1u);
  EXPECT_EQ(f.counters().full_reads, 2u);
  EXPECT_NE(Get(1), nullptr);
  EXPECT_EQ(Get(2), nullptr) << "vanished from the rewritten file: deleted";
  ASSERT_NE(Get(3), nullptr);
  EXPECT_EQ(Get(3)->expire, kNow + 7200);
  EXPECT_NE(Get(5), nullptr);
  EXPECT_NE(Get(6), nullptr);
  EXPECT_EQ(p.removed, 1u);
  // Unchanged leases are not applied again: 3, 5 and 6 only.
  EXPECT_EQ(f.counters().applied, applied + 3);

  // And it keeps tailing the new file.
  Append(x, Block(7));
  Poll(f);
  EXPECT_NE(Get(7), nullptr);
}

TEST_F(FollowerTest, RotationByRenameDrainsTheOldFileFirst) {
  const std::string x = Path("kea-leases4.csv");
  Write(x, std::string(kKeaHeader) + Row(1));
  FileFollower f({LeaseFileFormat::kKeaCsv, x}, replica_);
  Poll(f);
  // Rows land in the old file after the last poll, then it is rotated.
  Append(x, Row(2));
  fs::rename(x, x + ".1");
  Write(x, std::string(kKeaHeader) + Row(3));
  Poll(f);
  EXPECT_NE(Get(1), nullptr);
  EXPECT_NE(Get(2), nullptr);
  EXPECT_NE(Get(3), nullptr);
  EXPECT_EQ(f.counters().rotations, 1u);
}

TEST_F(FollowerTest, TruncationAndInPlaceRewriteAreFullReloads) {
  const std::string x = Path("dhcpd.leases");
  Write(x, Block(1) + Block(2));
  FileFollower f({LeaseFileFormat::kDhcpdLeases, x}, replica_);
  Poll(f);
  ASSERT_NE(Get(2), nullptr);
  // Truncated and rewritten shorter, same inode.
  Write(x, Block(1));
  Poll(f);
  EXPECT_NE(Get(1), nullptr);
  EXPECT_EQ(Get(2), nullptr);
  EXPECT_EQ(f.counters().rotations, 1u);
  // Rewritten in place with more than before: the size alone cannot tell.
  Write(x, Block(3) + Block(4) + Block(5));
  Poll(f);
  EXPECT_EQ(Get(1), nullptr);
  EXPECT_NE(Get(3), nullptr);
  EXPECT_NE(Get(5), nullptr);
  EXPECT_EQ(f.counters().rotations, 2u);
}

// Kea's LFC (kea-lease-feeds.md §4.3): X -> X.1, new X; kea-lfc (holding
// X.pid) writes X.output -> X.completed, deletes X.2 and X.1, renames
// X.completed to X.2.
TEST_F(FollowerTest, KeaLfcSequence) {
  const std::string x = Path("kea-leases4.csv");
  Write(x + ".2", std::string(kKeaHeader) + Row(1) + Row(2));  // an earlier LFC's result
  Write(x, std::string(kKeaHeader) + Row(3) + Row(2, 0, kNow) + Row(4));
  FileFollower f({LeaseFileFormat::kKeaCsv, x}, replica_);
  Poll(f);
  ASSERT_TRUE(f.loaded());
  EXPECT_NE(Get(1), nullptr);  // from X.2
  EXPECT_EQ(Get(2), nullptr);  // deleted in X
  EXPECT_NE(Get(3), nullptr);

  // kea-dhcp4 rotates and spawns kea-lfc (alive: this process's pid).
  Append(x, Row(5));
  Write(x + ".pid", absl::StrCat(getpid(), "\n"));
  fs::rename(x, x + ".1");
  Write(x, std::string(kKeaHeader) + Row(6));
  FollowerPoll p = Poll(f);
  EXPECT_NE(Get(5), nullptr) << "drained from the renamed file";
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_NE(p.errors[0].reason.find("kea-lfc"), std::string::npos);
  EXPECT_EQ(Get(6), nullptr) << "no full read while kea-lfc runs";

  // kea-lfc mid-way: X.completed written, X.2 and X.1 deleted.
  Write(x + ".output", std::string(kKeaHeader) + Row(1) + Row(3) + Row(4) + Row(5));
  fs::rename(x + ".output", x + ".completed");
  fs::remove(x + ".2");
  fs::remove(x + ".1");
  Poll(f);
  EXPECT_EQ(Get(6), nullptr);
  fs::rename(x + ".completed", x + ".2");
  fs::remove(x + ".pid");
  p = Poll(f);
  EXPECT_EQ(p.removed, 0u);
  for (int n : {1, 3, 4, 5, 6}) EXPECT_NE(Get(n), nullptr) << n;
  EXPECT_EQ(Get(2), nullptr);
  EXPECT_EQ(f.counters().full_reads, 2u);

  Append(x, Row(7) + Row(3, 0, kNow + 1));
  Poll(f);
  EXPECT_NE(Get(7), nullptr);
  EXPECT_EQ(Get(3), nullptr);

  // A stale pid file (no such process) does not block: next rotation reloads.
  Write(x + ".pid", "999999999\n");
  fs::rename(x, x + ".1");
  Write(x, std::string(kKeaHeader) + Row(8));
  Poll(f);
  EXPECT_NE(Get(8), nullptr);
  EXPECT_EQ(f.counters().full_reads, 3u);
}

TEST_F(FollowerTest, KeaBootstrapFromCapturedLfcResult) {
  if (!fs::exists(LQD_SHARED_REFERENCE "/kea/captured/lfc/kea-leases4.csv.2"))
    GTEST_SKIP() << "shared reference captures not present beside the checkout";
  const std::string x = Path("kea-leases4.csv");
  fs::copy_file(LQD_SHARED_REFERENCE "/kea/captured/lfc/kea-leases4.csv", x);
  fs::copy_file(LQD_SHARED_REFERENCE "/kea/captured/lfc/kea-leases4.csv.2", x + ".2");
  FileFollower f({LeaseFileFormat::kKeaCsv, x}, replica_);
  FollowerPoll p = Poll(f);
  EXPECT_TRUE(f.loaded());
  EXPECT_TRUE(p.errors.empty()) << p.errors[0].reason;
  EXPECT_EQ(store_.size(), 22u);
}

// A full read keeps the last row of each address in Kea's load order
// (X.2, X.1, then X; within a file, top to bottom), whatever the order of
// the addresses, and counts one record per address. 40 addresses with 4 or
// 5 rows each, interleaved: enough rows that an unstable sort of them (the
// full read sorts by address) would reorder some address's rows.
TEST_F(FollowerTest, FullReadKeepsTheLastRowOfEachAddressInLoadOrder) {
  constexpr int kAddrs = 40;
  // Row k of address n expires at kNow + 1000 * n + k.
  auto row = [](int n, int k) { return Row(n, 3600, kNow + 1000 * n + k); };
  std::string x2 = kKeaHeader, x1 = kKeaHeader, x = kKeaHeader;
  std::map<int, int> last;  // address -> the k of its last row in load order
  for (int n = 1; n <= kAddrs; ++n) {  // X.2: rows 0 and 1 of every address, far apart
    x2 += row(n, 0);
    last[n] = 0;
  }
  for (int n = 1; n <= kAddrs; ++n) x2 += row(n, 1), last[n] = 1;
  for (int n = kAddrs; n >= 1; n -= 2) x1 += row(n, 2), last[n] = 2;  // X.1: every other, downwards
  for (int i = 0; i < 2 * kAddrs; ++i) {  // X: a scattered walk over every address, twice
    const int n = 1 + (i * 17) % kAddrs;
    // The last row is not always the latest lease: for every third address
    // it expires before all the earlier rows, and must still win.
    const int k = i < kAddrs ? 3 : (n % 3 == 0 ? -1 : 4);
    x += row(n, k);
    last[n] = k;
  }
  const std::string path = Path("kea-leases4.csv");
  Write(path + ".2", x2);
  Write(path + ".1", x1);
  Write(path, x);
  FileFollower f({LeaseFileFormat::kKeaCsv, path}, replica_);
  const FollowerPoll p = Poll(f);
  ASSERT_TRUE(f.loaded());
  EXPECT_TRUE(p.errors.empty());
  for (const auto& [n, k] : last) {
    const LeaseRecord* r = Get(n);
    ASSERT_NE(r, nullptr) << n;
    EXPECT_EQ(r->expire, kNow + 1000 * n + k) << "address " << n;
  }
  EXPECT_EQ(store_.size(), size_t{kAddrs});
  EXPECT_EQ(f.counters().records, size_t{kAddrs});
}

TEST_F(FollowerTest, SoleFeedFirstLoadRemovesSnapshotLeasesTheFileLacks) {
  Lease old;
  old.ip = Ip(9);
  old.cltt = kNow - 10;
  old.expire = kNow + 100;
  ASSERT_TRUE(store_.Upsert(old).ok());
  const std::string x = Path("dhcpd.leases");
  Write(x, Block(1));
  FileFollower shared({LeaseFileFormat::kDhcpdLeases, x}, replica_);
  Poll(shared);
  EXPECT_NE(Get(9), nullptr) << "another feed may own it";
  FileFollower sole({LeaseFileFormat::kDhcpdLeases, x, /*sole_feed=*/true}, replica_);
  Poll(sole);
  EXPECT_EQ(Get(9), nullptr);
  EXPECT_NE(Get(1), nullptr);
}

TEST(FollowerConfig, ParsedWithJsonPathsInErrors) {
  std::vector<std::string> errors;
  ControlConfig c = ParseControlConfig(nlohmann::json::parse(R"({"followers": [
      {"type": "kea-csv", "path": "/var/lib/kea/kea-leases4.csv"},
      {"type": "dhcpd-leases", "path": "/var/lib/dhcp/dhcpd.leases"}]})"),
                                       "control", &errors);
  EXPECT_TRUE(errors.empty()) << errors[0];
  ASSERT_EQ(c.followers.size(), 2u);
  EXPECT_EQ(c.followers[0].format, LeaseFileFormat::kKeaCsv);
  EXPECT_EQ(c.followers[1].format, LeaseFileFormat::kDhcpdLeases);
  EXPECT_EQ(c.followers[1].path, "/var/lib/dhcp/dhcpd.leases");

  ParseControlConfig(nlohmann::json::parse(R"({"followers": [
      {"type": "csv", "path": "/a"}, {"type": "kea-csv"}, 7, {"type": "kea-csv", "path": "/a", "every": 1}]})"),
                     "control", &errors);
  const std::vector<std::string> want = {
      "control.followers[0].type: must be \"kea-csv\" or \"dhcpd-leases\", not 'csv'",
      "control.followers[1].path: required: the lease file to follow",
      "control.followers[2]: must be an object",
      "control.followers[3].every: unknown key",
      "control.followers[3].path: '/a' is followed twice"};
  EXPECT_EQ(errors, want);
  errors.clear();
  ParseControlConfig(nlohmann::json::parse(R"({"followers": {"path": "/a"}})"), "control", &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("control.followers: must be a list", 0), 0u) << errors[0];
}

// Readiness waits for every follower's first complete read; then Poll
// follows the file once a second.
TEST_F(FollowerTest, ControlPlaneReadyOnlyAfterEveryFollowerLoaded) {
  const std::string a = Path("dhcpd.leases"), b = Path("kea-leases4.csv");
  Write(a, Block(1));
  ControlConfig cfg;
  cfg.followers = {{LeaseFileFormat::kDhcpdLeases, a}, {LeaseFileFormat::kKeaCsv, b}};
  uint32_t clock = kNow;
  ControlPlane cp(cfg, store_, [&] { return clock; });
  ASSERT_TRUE(cp.Start({}).ok());
  EXPECT_FALSE(cp.ready()) << "kea-leases4.csv does not exist yet";
  EXPECT_NE(Get(1), nullptr);
  Write(b, std::string(kKeaHeader) + Row(2));
  cp.Poll(0);
  EXPECT_FALSE(cp.ready()) << "followers are polled once a second";
  ++clock;
  cp.Poll(0);
  EXPECT_TRUE(cp.ready());
  EXPECT_NE(Get(2), nullptr);
  Append(a, Block(3));
  ++clock;
  cp.Poll(0);
  EXPECT_NE(Get(3), nullptr);
}

}  // namespace
}  // namespace lqd::control
