// SPDX-License-Identifier: Apache-2.0
// File: tests/client/storm_parts_test.cc
//
// lq-storm's library pieces: subscriber sources, the latency histogram and
// the query mix.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "client/latency_histogram.h"
#include "client/query_mix.h"
#include "client/subscribers.h"

namespace lqd::client {
namespace {

std::string TempPath(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::to_string(getpid()) + name)).string();
}

TEST(Subscribers, ReadsKeaCsvColumns) {
  const std::string path = TempPath("-leases.csv");
  {
    std::ofstream f(path);
    f << "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,"
         "state,user_context\n"
      << "198.51.100.10,02:00:00:00:01:01,,86400,2000,1,0,0,cpe-0001,0,{ \"ISC\": { \"a\": 1, "
         "\"b\": 2 } }\n"
      << "198.51.100.11,02:00:00:00:01:02,01:02:00:00:00:01:02,86400,2000,1,0,0,,0,\n"
      << "198.51.100.12,02:00:00:00:01:03,,86400,500,1,0,0,,0,\n"   // expired
      << "198.51.100.13,02:00:00:00:01:04,,86400,2000,1,0,0,,1,\n";  // declined
  }
  auto subs = ReadKeaLeases(path, 1000);
  std::remove(path.c_str());
  ASSERT_TRUE(subs.ok()) << subs.status();
  ASSERT_EQ(subs->size(), 4u);
  EXPECT_EQ((*subs)[0].ip, 0xc633640au);
  EXPECT_EQ((*subs)[0].mac, (std::vector<uint8_t>{2, 0, 0, 0, 1, 1}));
  EXPECT_TRUE((*subs)[0].client_id.empty());
  EXPECT_EQ((*subs)[1].client_id, (std::vector<uint8_t>{1, 2, 0, 0, 0, 1, 2}));
  EXPECT_TRUE((*subs)[0].active);
  EXPECT_FALSE((*subs)[2].active);
  EXPECT_FALSE((*subs)[3].active);
}

TEST(Subscribers, BadCsvIsAnErrorNamingTheLine) {
  const std::string path = TempPath("-bad.csv");
  {
    std::ofstream f(path);
    f << "address,hwaddr\n10.0.0.1,02:00:00:00:00:01\nnot-an-ip,\n";
  }
  auto subs = ReadKeaLeases(path, 0);
  std::remove(path.c_str());
  ASSERT_FALSE(subs.ok());
  EXPECT_NE(std::string(subs.status().message()).find(":3:"), std::string::npos);
  EXPECT_FALSE(ReadKeaLeases("/nonexistent/leases.csv", 0).ok());
}

TEST(Subscribers, GeneratedPopulationIsDeterministicAndRoundTrips) {
  const Prefix p = *ParsePrefix("10.0.0.0/20");
  const auto a = GeneratePopulation(p, 0.8);
  const auto b = GeneratePopulation(p, 0.8);
  ASSERT_EQ(a.size(), 4094u);  // network and broadcast skipped
  EXPECT_EQ(a[0].ip, 0x0a000001u);
  EXPECT_EQ(a[0].mac, (std::vector<uint8_t>{2, 0, 10, 0, 0, 1}));
  EXPECT_EQ(a[0].client_id, (std::vector<uint8_t>{1, 2, 0, 10, 0, 0, 1}));
  size_t active = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].active, b[i].active);
    active += a[i].active;
  }
  EXPECT_NEAR(static_cast<double>(active) / a.size(), 0.8, 0.03);
  // Written as Kea CSV and read back: the active members only, same keys.
  const std::string path = TempPath("-pop.csv");
  ASSERT_TRUE(WriteKeaCsv(path, a, 1000).ok());
  auto back = ReadKeaLeases(path, 1000);
  std::remove(path.c_str());
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), active);
  EXPECT_TRUE((*back)[0].active);
  EXPECT_FALSE(back->front().client_id.empty());
}

TEST(LatencyHistogram, PercentilesWithinBucketError) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.max(), 100000u);
  EXPECT_EQ(h.min(), 1u);
  for (double q : {0.5, 0.99, 0.999}) {
    const double want = q * 100000;
    EXPECT_NEAR(static_cast<double>(h.Percentile(q)), want, want * 0.035) << q;
  }
  EXPECT_EQ(h.Percentile(1.0), 100000u);
  LatencyHistogram small;
  for (uint64_t v : {3, 3, 3, 7}) small.Record(v);
  EXPECT_EQ(small.Percentile(0.5), 3u);  // exact below 32 us
  EXPECT_EQ(small.Percentile(1.0), 7u);
  LatencyHistogram huge;
  huge.Record(UINT64_MAX);  // clamps into the last bucket, no overflow
  EXPECT_EQ(huge.Percentile(0.5), UINT64_MAX);
}

TEST(LatencyHistogram, MergeAddsCounts) {
  LatencyHistogram a, b;
  for (int i = 0; i < 10; ++i) a.Record(100);
  for (int i = 0; i < 10; ++i) b.Record(10000);
  a.Merge(b);
  EXPECT_EQ(a.count(), 20u);
  EXPECT_LE(a.Percentile(0.5), 103u);
  EXPECT_GE(a.Percentile(0.9), 9700u);
  EXPECT_EQ(a.max(), 10000u);
}

TEST(QueryMix, R06_DefaultIsQueryByIp) {
  SeededRandom rng(1);
  QueryMix m;  // lq-storm's default: by IP, the RFC's preferred regime
  Subscriber s{0x0a000001, {2, 0, 0, 0, 0, 1}, {1, 2, 3}, true};
  for (int i = 0; i < 100; ++i) EXPECT_EQ(m.KeyFor(s, rng).kind, QueryKind::kByIp);
}

TEST(QueryMix, ParsesAndHonoursWeights) {
  auto m = ParseQueryMix("ip=80,mac=10,cid=10");
  ASSERT_TRUE(m.ok());
  SeededRandom rng(7);
  std::map<QueryKind, int> n;
  Subscriber s{0x0a000001, {2, 0, 0, 0, 0, 1}, {1, 2, 3}, true};
  for (int i = 0; i < 10000; ++i) ++n[m->KeyFor(s, rng).kind];
  EXPECT_NEAR(n[QueryKind::kByIp], 8000, 300);
  EXPECT_NEAR(n[QueryKind::kByMac], 1000, 200);
  EXPECT_NEAR(n[QueryKind::kByClientId], 1000, 200);
  // Without a client-id the subscriber is asked by IP.
  Subscriber no_cid{0x0a000002, {2, 0, 0, 0, 0, 2}, {}, true};
  auto only_cid = ParseQueryMix("cid=1");
  EXPECT_EQ(only_cid->KeyFor(no_cid, rng).kind, QueryKind::kByIp);
  EXPECT_FALSE(ParseQueryMix("ip=80,foo=1").ok());
  EXPECT_FALSE(ParseQueryMix("ip=x").ok());
  EXPECT_FALSE(ParseQueryMix("ip=0").ok());
}

}  // namespace
}  // namespace lqd::client
