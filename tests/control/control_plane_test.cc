// SPDX-License-Identifier: Apache-2.0
// File: tests/control/control_plane_test.cc
//
// ControlPlane::Start: the `leases` file against a recovered snapshot.
#include "control/control_plane.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "control/http_client.h"

namespace lqd::control {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kNow = 1'800'000'000;
constexpr uint32_t kA = 0x0a000005;  // 10.0.0.5
constexpr uint32_t kB = 0x0a000006;  // 10.0.0.6

Lease Held(uint32_t ip, uint32_t cltt, uint8_t mac_last) {
  Lease l;
  l.ip = ip;
  l.hw.htype = 1;
  l.hw.hlen = 6;
  l.hw.bytes[0] = 0x02;
  l.hw.bytes[5] = mac_last;
  l.cltt = cltt;
  l.expire = cltt + 3600;
  return l;
}

class ControlPlaneLeaseFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lqd-cp-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  ControlConfig Config(const std::string& file_identity) const {
    ControlConfig c;
    c.state_dir = dir_.string();
    c.kea_ha.enabled = true;
    c.kea_ha.address = "127.0.0.1";
    c.kea_ha.port = 0;
    c.snapshot_every_updates = 1;  // every acknowledged push is followed by a snapshot
    c.lease_file_identity = file_identity;
    return c;
  }

  // Kea's lease4-del for `ip` over HTTP, the control thread polling
  // meanwhile; returns the HTTP body.
  static std::string PushDelete(ControlPlane& cp, const Lease& l) {
    HttpEndpoint ep;
    ep.host = "127.0.0.1";
    ep.port = cp.kea_ha_port();
    const std::string body = absl::StrCat(
        R"({"command":"lease4-del","service":["dhcp4"],"arguments":{"ip-address":"10.0.0.)", l.ip & 0xff,
        R"(","hw-address":"02:00:00:00:00:)", absl::Hex(l.hw.bytes[5], absl::kZeroPad2), R"(","valid-lft":3600,)",
        R"("expire":)", l.expire, R"(,"state":0}})");
    std::atomic<bool> done{false};
    std::string reply;
    std::thread client([&] {
      auto r = HttpPost(ep, "/", "application/json", body);
      reply = r.ok() ? r->body : std::string(r.status().message());
      done = true;
    });
    while (!done) cp.Poll(10);
    client.join();
    cp.Poll(0);  // the round after the acknowledgement: the snapshot
    return reply;
  }

  fs::path dir_;
};

// A lease of the file, deleted by a push that a snapshot then covers (the
// journal holding the delete is gone): a restart with the same, unchanged
// file must not bring it back, as no pull runs to remove it again.
TEST_F(ControlPlaneLeaseFileTest, DeletedLeaseStaysDeletedWhenTheSameFileIsLoadedAgain) {
  const std::vector<Lease> file = {Held(kA, kNow - 100, 0x0a), Held(kB, kNow - 100, 0x0b)};
  {
    LeaseStore store;
    ControlPlane cp(Config("file-v1"), store, [] { return kNow; });
    ASSERT_TRUE(cp.Start(file).ok());
    ASSERT_NE(store.FindByIp(kA), nullptr);
    EXPECT_NE(PushDelete(cp, file[0]).find("IPv4 lease deleted."), std::string::npos);
    EXPECT_EQ(store.FindByIp(kA), nullptr);
  }
  ASSERT_TRUE(fs::exists(dir_ / "snapshot.lqs"));
  ASSERT_TRUE(fs::exists(dir_ / "snapshot.leases-file"));
  LeaseStore store;
  ControlPlane cp(Config("file-v1"), store, [] { return kNow + 10; });
  ASSERT_TRUE(cp.Start(file).ok());
  EXPECT_EQ(cp.recovery().snapshot_lease_file, "file-v1");
  EXPECT_EQ(store.FindByIp(kA), nullptr) << "a lease deleted before the snapshot came back from the lease file";
  ASSERT_NE(store.FindByIp(kB), nullptr);
  EXPECT_EQ(store.size(), 1u);
}

// A changed file (the operator put a newer export in place) is merged into
// the snapshot lease by lease: a newer transaction wins, an older one loses,
// an address the snapshot lacks is added.
TEST_F(ControlPlaneLeaseFileTest, ChangedFileIsMergedByTransactionOrder) {
  {
    LeaseStore store;
    ControlPlane cp(Config("file-v1"), store, [] { return kNow; });
    ASSERT_TRUE(cp.Start({Held(kA, kNow - 100, 0x0a), Held(kB, kNow - 100, 0x0b)}).ok());
    // Any acknowledged push writes a snapshot; this one deletes nothing held.
    Lease other = Held(0x0a000063, kNow - 100, 0x63);
    EXPECT_NE(PushDelete(cp, other).find("IPv4 lease deleted."), std::string::npos);
  }
  ASSERT_TRUE(fs::exists(dir_ / "snapshot.lqs"));
  const uint32_t kC = 0x0a000007;
  LeaseStore store;
  ControlPlane cp(Config("file-v2"), store, [] { return kNow + 10; });
  ASSERT_TRUE(cp.Start({Held(kA, kNow - 50, 0xaa), Held(kB, kNow - 500, 0xbb), Held(kC, kNow - 50, 0x0c)}).ok());
  ASSERT_NE(store.FindByIp(kA), nullptr);
  EXPECT_EQ(store.FindByIp(kA)->hw_bytes()[5], 0xaa) << "the file's newer lease lost to the older snapshot";
  ASSERT_NE(store.FindByIp(kB), nullptr);
  EXPECT_EQ(store.FindByIp(kB)->hw_bytes()[5], 0x0b) << "the file's older lease replaced the snapshot's newer one";
  EXPECT_NE(store.FindByIp(kC), nullptr);
}

// Without a snapshot the file is the whole start (first start, or a state
// directory that never reached a snapshot).
TEST_F(ControlPlaneLeaseFileTest, FileAloneWithoutASnapshot) {
  LeaseStore store;
  ControlPlane cp(Config("file-v1"), store, [] { return kNow; });
  ASSERT_TRUE(cp.Start({Held(kA, kNow - 100, 0x0a), Held(kB, kNow - 100, 0x0b)}).ok());
  EXPECT_FALSE(cp.recovery().snapshot_found);
  EXPECT_EQ(store.size(), 2u);
}

}  // namespace
}  // namespace lqd::control
