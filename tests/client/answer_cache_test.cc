// SPDX-License-Identifier: Apache-2.0
// File: tests/client/answer_cache_test.cc
#include "client/answer_cache.h"

#include <gtest/gtest.h>

#include "fakes.h"

namespace lqd::client {
namespace {

using testing::Ip;

constexpr uint32_t kServer = Ip(192, 0, 2, 1);
const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

Answer Make(LeaseState s, std::optional<uint32_t> lease_time = std::nullopt, uint32_t ciaddr = 0) {
  Answer a;
  a.state = s;
  a.lease_time = lease_time;
  a.ciaddr = ciaddr;
  if (s == LeaseState::kActive) {
    a.htype = 1;
    a.hlen = 6;
    a.chaddr = {2, 0, 0, 0, 0, 9};
    a.relay_agent_info = std::vector<uint8_t>{1, 1, 'x'};
  }
  return a;
}

TEST(AnswerCache, R09_ActiveCachedUntilLeaseExpiryWithLocation) {
  AnswerCache c;
  const auto key = QueryKey::ByIp(Ip(10, 0, 0, 1));
  c.Store(key, Make(LeaseState::kActive, 3600), kServer, kT0);
  auto hit = c.Lookup(key, kT0 + absl::Seconds(3599));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->state, LeaseState::kActive);
  // The location (chaddr + RAI) is what the concentrator refreshes from.
  EXPECT_EQ(hit->answer.chaddr, (std::vector<uint8_t>{2, 0, 0, 0, 0, 9}));
  EXPECT_TRUE(hit->answer.relay_agent_info.has_value());
  EXPECT_FALSE(c.Lookup(key, kT0 + absl::Seconds(3600)).has_value());
  EXPECT_EQ(c.size(), 0u);  // expired entry erased
}

TEST(AnswerCache, R09_ActiveWithoutLeaseTimeNotCachedInfiniteKept) {
  AnswerCache c;
  const auto a = QueryKey::ByIp(Ip(10, 0, 0, 1));
  const auto b = QueryKey::ByIp(Ip(10, 0, 0, 2));
  c.Store(a, Make(LeaseState::kActive), kServer, kT0);
  EXPECT_FALSE(c.Lookup(a, kT0).has_value());
  c.Store(b, Make(LeaseState::kActive, 0xffffffffu), kServer, kT0);
  EXPECT_TRUE(c.Lookup(b, kT0 + absl::Hours(24 * 365 * 10)).has_value());
}

TEST(AnswerCache, R10_UnassignedCachedUntilInvalidated) {
  AnswerCache c;
  const auto key = QueryKey::ByIp(Ip(10, 0, 0, 1));
  c.Store(key, Make(LeaseState::kUnassigned), kServer, kT0);
  EXPECT_EQ(c.Lookup(key, kT0 + absl::Hours(24 * 30))->state, LeaseState::kUnassigned);
  c.Invalidate(key);  // gleaning saw a lease appear
  EXPECT_FALSE(c.Lookup(key, kT0 + absl::Hours(24 * 30)).has_value());
}

TEST(AnswerCache, R11_RemembersManagingServer) {
  AnswerCache c;
  c.Store(QueryKey::ByIp(Ip(10, 0, 0, 1)), Make(LeaseState::kUnassigned), kServer, kT0);
  c.Store(QueryKey::ByMac(std::vector<uint8_t>{2, 0, 0, 0, 0, 9}),
          Make(LeaseState::kActive, 60, Ip(10, 0, 0, 2)), Ip(192, 0, 2, 3), kT0);
  c.Store(QueryKey::ByIp(Ip(10, 0, 0, 3)), Make(LeaseState::kUnknown), kServer, kT0);
  EXPECT_EQ(c.ManagingServer(Ip(10, 0, 0, 1)), kServer);
  EXPECT_EQ(c.ManagingServer(Ip(10, 0, 0, 2)), Ip(192, 0, 2, 3));
  EXPECT_FALSE(c.ManagingServer(Ip(10, 0, 0, 3)).has_value());  // UNKNOWN: does not manage it
}

TEST(AnswerCache, R12_UnknownCachedAboutFiveMinutes) {
  AnswerCache c;
  const auto key = QueryKey::ByIp(Ip(10, 0, 0, 1));
  c.Store(key, Make(LeaseState::kUnknown), kServer, kT0);
  EXPECT_TRUE(c.Lookup(key, kT0 + absl::Seconds(299)).has_value());
  EXPECT_FALSE(c.Lookup(key, kT0 + absl::Seconds(300)).has_value());
  AnswerCache shorter(CacheConfig{absl::Seconds(30)});
  shorter.Store(key, Make(LeaseState::kUnknown), kServer, kT0);
  EXPECT_FALSE(shorter.Lookup(key, kT0 + absl::Seconds(30)).has_value());
}

TEST(AnswerCache, R20_NewAnswerReplacesOld) {
  AnswerCache c;
  const auto key = QueryKey::ByIp(Ip(10, 0, 0, 1));
  c.Store(key, Make(LeaseState::kUnknown), kServer, kT0);
  c.Store(key, Make(LeaseState::kActive, 100), kServer, kT0 + absl::Seconds(1));
  EXPECT_EQ(c.Lookup(key, kT0 + absl::Seconds(50))->state, LeaseState::kActive);
  EXPECT_EQ(c.size(), 1u);
}

TEST(AnswerCache, ExpiredEntriesSweptWithoutBeingLookedUp) {
  AnswerCache c;
  for (uint32_t i = 0; i < 1000; ++i) {
    c.Store(QueryKey::ByIp(Ip(10, 1, 0, 0) + i), Make(LeaseState::kUnknown), kServer, kT0);
  }
  EXPECT_EQ(c.size(), 1000u);
  c.Store(QueryKey::ByIp(Ip(10, 2, 0, 1)), Make(LeaseState::kUnknown), kServer,
          kT0 + absl::Minutes(6));
  EXPECT_EQ(c.size(), 1u);
}

TEST(AnswerCache, SizeCappedForAnswersAndManagingServers) {
  CacheConfig config;
  config.max_entries = 100;
  AnswerCache c(config);
  for (uint32_t i = 0; i < 1000; ++i) {  // UNASSIGNED: never expires
    c.Store(QueryKey::ByIp(Ip(10, 1, 0, 0) + i), Make(LeaseState::kUnassigned), kServer, kT0);
  }
  // At the cap a pass drops arbitrary entries down to 7/8 of it.
  EXPECT_LE(c.size(), 100u);
  EXPECT_GE(c.size(), 87u);
  EXPECT_LE(c.managing_servers(), 100u);
  EXPECT_GE(c.managing_servers(), 87u);
  EXPECT_TRUE(c.Lookup(QueryKey::ByIp(Ip(10, 1, 0, 0) + 999), kT0).has_value());  // the newest
  const size_t before = c.size();
  c.Store(QueryKey::ByIp(Ip(10, 1, 0, 0) + 999), Make(LeaseState::kUnassigned), kServer, kT0);
  EXPECT_EQ(c.size(), before);  // a replaced entry evicts nothing
  for (size_t cap : {1u, 2u, 7u}) {  // caps too small for an eighth
    CacheConfig small;
    small.max_entries = cap;
    AnswerCache t(small);
    for (uint32_t i = 0; i < 50; ++i) t.Store(QueryKey::ByIp(Ip(10, 2, 0, 0) + i), Make(LeaseState::kUnassigned), kServer, kT0);
    EXPECT_LE(t.size(), cap);
    EXPECT_LE(t.managing_servers(), cap);
  }
}

TEST(AnswerCache, R11_ManagingServerForgottenWhenItSaysUnknown) {
  AnswerCache c;
  const uint32_t ip = Ip(10, 0, 0, 1);
  const auto key = QueryKey::ByIp(ip);
  c.Store(key, Make(LeaseState::kUnassigned), kServer, kT0);
  c.Store(key, Make(LeaseState::kUnknown), Ip(192, 0, 2, 3), kT0);  // another server
  EXPECT_EQ(c.ManagingServer(ip), kServer);
  c.Store(key, Make(LeaseState::kUnknown), kServer, kT0);
  EXPECT_FALSE(c.ManagingServer(ip).has_value());
  c.Store(key, Make(LeaseState::kActive, 60), kServer, kT0);
  EXPECT_EQ(c.ManagingServer(ip), kServer);
  c.ForgetManagingServer(ip, Ip(192, 0, 2, 3));
  EXPECT_EQ(c.ManagingServer(ip), kServer);
  c.ForgetManagingServer(ip, kServer);
  EXPECT_FALSE(c.ManagingServer(ip).has_value());
}

}  // namespace
}  // namespace lqd::client
