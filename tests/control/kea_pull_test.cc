// SPDX-License-Identifier: Apache-2.0
// File: tests/control/kea_pull_test.cc
// A lease4-get-page answer parsed, and a walk applied: a lease object lqd
// cannot parse is reported and skipped, and never taken for a deletion of
// what lqd already holds at that address.
#include "control/kea_pull.h"

#include <gtest/gtest.h>

namespace lqd::control {
namespace {

constexpr uint32_t kStarted = 10'000;

std::string Page(const std::string& leases, int result = 0) {
  return R"([{"result":)" + std::to_string(result) + R"(,"text":"t","arguments":{"count":3,"leases":[)" + leases +
         "]}}]";
}
std::string LeaseJson(const std::string& ip, const std::string& hw) {
  return R"({"ip-address":")" + ip + R"(","hw-address":")" + hw +
         R"(","cltt":9000,"valid-lft":3600,"state":0,"subnet-id":1})";
}

TEST(KeaPullPage, BadObjectIsCountedSkippedAndItsAddressKept) {
  auto page = ParseLeasePage(Page(LeaseJson("10.0.0.1", "02:00:00:00:00:01") + "," +
                                  LeaseJson("10.0.0.2", "not-hex") + "," +
                                  LeaseJson("10.0.0.3", "02:00:00:00:00:03")),
                             1000);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->leases.size(), 2u);
  EXPECT_EQ(page->leases[0].ip, 0x0a000001u);
  EXPECT_EQ(page->leases[1].ip, 0x0a000003u);
  EXPECT_EQ(page->bad, 1u);
  EXPECT_NE(page->first_error.find("arguments.leases[1].hw-address"), std::string::npos) << page->first_error;
  EXPECT_EQ(page->bad_ips, std::vector<uint32_t>{0x0a000002u});
  EXPECT_EQ(page->next_from, "10.0.0.3");
  EXPECT_TRUE(page->last);  // 3 < page size
}

TEST(KeaPullPage, MalformedAnswersAreErrorsNotCrashes) {
  for (const std::string& body : {std::string("[]"), std::string(R"([{"result":"0"}])"),
                                 std::string(R"([{"result":0}])"), std::string(R"([{"result":0,"arguments":[]}])"),
                                 std::string(R"([{"result":0,"arguments":{"leases":{}}}])"),
                                 std::string("not json")}) {
    auto page = ParseLeasePage(body, 1000);
    EXPECT_FALSE(page.ok()) << body;
  }
  auto done = ParseLeasePage(R"([{"result":3,"text":"0 IPv4 lease(s) found."}])", 1000);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->last);
  EXPECT_FALSE(ParseLeasePage(Page("", 1), 1000).ok());
}

class KeaPullWalkTest : public ::testing::Test {
 protected:
  void Hold(uint32_t ip, uint32_t cltt = 5000) {
    LeaseUpdate u;
    u.lease.ip = ip;
    u.lease.hw.htype = 1;
    u.lease.hw.hlen = 6;
    u.lease.hw.bytes[5] = static_cast<uint8_t>(ip);
    u.lease.cltt = cltt;
    u.lease.expire = cltt + 86400;
    u.source = FeedSource::kKeaHaPush;
    ASSERT_EQ(replica_.Apply(u, 5000), Replica::Outcome::kApplied);
  }
  LeaseStore store_;
  Replica replica_{store_, ReplicaOptions{60}};
  QsbrReader reader_{store_.qsbr()};
};

TEST_F(KeaPullWalkTest, OnlyAddressesTheWalkDidNotSeeAtAllAreRemoved) {
  Hold(0x0a000001);
  Hold(0x0a000002);  // the primary has it, in a form lqd cannot parse
  Hold(0x0a000004);  // gone on the primary
  auto page = ParseLeasePage(Page(LeaseJson("10.0.0.1", "02:00:00:00:00:01") + "," +
                                  LeaseJson("10.0.0.2", "not-hex") + "," +
                                  LeaseJson("10.0.0.3", "02:00:00:00:00:03")),
                             1000);
  ASSERT_TRUE(page.ok());
  KeaPullWalk walk(replica_, kStarted);
  walk.Apply(*page);
  const KeaPullResult res = walk.Finish();
  EXPECT_EQ(res.bad, 1u);
  EXPECT_EQ(res.removed, 1u);
  EXPECT_NE(store_.FindByIp(0x0a000001), nullptr);
  ASSERT_NE(store_.FindByIp(0x0a000002), nullptr) << "a lease the primary still has was removed";
  EXPECT_EQ(store_.FindByIp(0x0a000002)->cltt, 5000u);  // kept as held
  EXPECT_NE(store_.FindByIp(0x0a000003), nullptr);
  EXPECT_EQ(store_.FindByIp(0x0a000004), nullptr);
}

// The walk tells a lease pushed while it ran (on a page already fetched)
// from one deleted before it by watching the other feeds, not by cltt: cltt
// is the primary's clock, which may lag lqd's (or lead it).
TEST_F(KeaPullWalkTest, LeasePushedDuringTheWalkIsKeptWhateverItsCltt) {
  ASSERT_GT(kStarted, 20u);
  Hold(0x0a000009, kStarted + 30);  // before the walk, stamped by a primary clock ahead of lqd's; gone since
  KeaPullWalk walk(replica_, kStarted);
  auto page = ParseLeasePage(Page(LeaseJson("10.0.0.1", "02:00:00:00:00:01")), 1000);
  ASSERT_TRUE(page.ok());
  walk.Apply(*page);
  // After that page was fetched, the primary allocates 10.0.0.7 and pushes
  // it, stamped by a clock 20 s behind lqd's.
  Hold(0x0a000007, kStarted - 20);
  const KeaPullResult res = walk.Finish();
  ASSERT_NE(store_.FindByIp(0x0a000007), nullptr) << "a lease pushed during the walk was removed";
  EXPECT_EQ(store_.FindByIp(0x0a000009), nullptr) << "a lease the primary no longer has was kept for its cltt";
  EXPECT_EQ(res.removed, 1u);
}

}  // namespace
}  // namespace lqd::control
