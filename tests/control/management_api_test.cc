// SPDX-License-Identifier: Apache-2.0
// File: tests/control/management_api_test.cc
#include "control/management_api.h"

#include <gtest/gtest.h>

#include "control/replica.h"
#include "lease-store/qsbr.h"

namespace lqd::control {
namespace {

class ManagementApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LeaseUpdate u;
    u.lease.ip = 0x0a000001;
    u.lease.hw.htype = 1;
    u.lease.hw.hlen = 6;
    const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x00, 0x00, 0x01};
    std::copy(mac, mac + 6, u.lease.hw.bytes);
    u.lease.client_id = std::string("\x01\x02\x00\x5e\x00\x00\x01", 7);  // type 1 + the MAC
    u.lease.cltt = 1000;
    u.lease.expire = 1000 + 3600;
    ASSERT_EQ(replica_.Apply(u, 1000), Replica::Outcome::kApplied);
  }
  HttpResponse Get(const std::string& target) {
    HttpRequest r;
    r.method = "GET";
    r.target = target;
    return api_.Handle(r);
  }
  LeaseStore store_;
  Replica replica_{store_};
  ManagementState state_;
  ManagementApi api_{replica_, state_, [] { return 1100u; }};
};

TEST_F(ManagementApiTest, LeasesByMacInEveryUsualSpelling) {
  for (const char* mac : {"02:00:5e:00:00:01", "02-00-5E-00-00-01", "02005e000001"}) {
    HttpResponse r = Get(std::string("/v1/leases?mac=") + mac);
    EXPECT_EQ(r.status, 200) << mac;
    EXPECT_NE(r.body.find("\"10.0.0.1\""), std::string::npos) << mac << ": " << r.body;
  }
}

// Each of these was read as some other MAC (the separators were never
// checked): a 200 with an empty list, where the operator needed a 400.
TEST_F(ManagementApiTest, MalformedMacIsA400NotAnotherMac) {
  for (const char* mac : {"aabbccddeef", "02:00:5e:0:0:1", "02:00:5e:00:00", "02:00:5e:00:00:01:02",
                          "02.00.5e.00.00.01", "0x005e000001", "02:00:5e:00:00:0g", "02:00:5e:00:00:01x"}) {
    HttpResponse r = Get(std::string("/v1/leases?mac=") + mac);
    EXPECT_EQ(r.status, 400) << mac << ": " << r.body;
    EXPECT_NE(r.body.find("is not like 02:00:5e:00:00:01"), std::string::npos) << mac << ": " << r.body;
  }
}

TEST_F(ManagementApiTest, LeasesByClientId) {
  for (const char* cid : {"01:02:00:5e:00:00:01", "0102005e000001"}) {
    HttpResponse r = Get(std::string("/v1/leases?client-id=") + cid);
    EXPECT_EQ(r.status, 200) << cid << ": " << r.body;
    EXPECT_NE(r.body.find("\"10.0.0.1\""), std::string::npos) << cid << ": " << r.body;
  }
  HttpResponse bad = Get("/v1/leases?client-id=01:0g");
  EXPECT_EQ(bad.status, 400) << bad.body;
}

}  // namespace
}  // namespace lqd::control
