// SPDX-License-Identifier: Apache-2.0
#include "lease-store/lease_store.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lqd {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr uint32_t kNet = 0x0a000000;  // 10.0.0.0

HwAddr Mac(uint32_t n) {
  HwAddr hw;
  hw.htype = 1;
  hw.hlen = 6;
  const uint8_t b[6] = {0x02, 0x00, uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8),
                        uint8_t(n)};
  std::copy(b, b + 6, hw.bytes);
  return hw;
}
std::string Cid(uint32_t n) { return "\x01" "cid" + std::to_string(n); }

Lease MakeLease(uint32_t ip, int mac, int cid, uint32_t cltt = 1000, VpnId vpn = kGlobalVpn) {
  Lease l;
  l.ip = ip;
  l.vpn = vpn;
  if (mac >= 0) l.hw = Mac(mac);
  if (cid >= 0) l.client_id = Cid(cid);
  l.cltt = cltt;
  l.expire = cltt + 3600;
  return l;
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// IPs of a group view, in view order.
std::vector<uint32_t> Ips(const LeaseGroupView& v) {
  std::vector<uint32_t> out;
  for (const LeaseRecord* r : v) out.push_back(r->ip);
  return out;
}
std::vector<uint32_t> ByMac(const LeaseStore& s, int mac, VpnId vpn = kGlobalVpn) {
  const HwAddr hw = Mac(mac);
  return Ips(s.FindByHwAddr(hw.htype, hw.view(), vpn));
}
std::vector<uint32_t> ByCid(const LeaseStore& s, int cid, VpnId vpn = kGlobalVpn) {
  return Ips(s.FindByClientId(Bytes(Cid(cid)), vpn));
}

// ---------------------------------------------------------------------------
// Table-driven scenarios: a sequence of upserts/erases, then expectations on
// every index. Group views list newest CLTT first.

struct Op {
  bool erase = false;
  Lease lease;  // for erase: ip and vpn only
};
Op Up(Lease l) { return Op{false, std::move(l)}; }
Op Del(uint32_t ip, VpnId vpn = kGlobalVpn) {
  Op o{true, {}};
  o.lease.ip = ip;
  o.lease.vpn = vpn;
  return o;
}
enum class By { kIp, kMac, kCid };
struct Expect {
  By by;
  uint32_t key;  // ip, mac number or client-id number
  std::vector<uint32_t> ips;  // empty = not found
  VpnId vpn = kGlobalVpn;
};
struct Scenario {
  const char* name;
  std::vector<Op> ops;
  std::vector<Expect> expect;
  size_t size;
};

class ScenarioTest : public ::testing::TestWithParam<Scenario> {};

TEST_P(ScenarioTest, Run) {
  const Scenario& sc = GetParam();
  LeaseStore s(LeaseStoreOptions{.shards = 4, .expected_leases = 4});
  for (const Op& op : sc.ops) {
    if (op.erase) {
      s.Erase(op.lease.ip, op.lease.vpn);
    } else {
      ASSERT_TRUE(s.Upsert(op.lease).ok());
    }
  }
  for (const Expect& e : sc.expect) {
    std::vector<uint32_t> got;
    switch (e.by) {
      case By::kIp:
        if (const LeaseRecord* r = s.FindByIp(e.key, e.vpn)) got.push_back(r->ip);
        break;
      case By::kMac: got = ByMac(s, e.key, e.vpn); break;
      case By::kCid: got = ByCid(s, e.key, e.vpn); break;
    }
    EXPECT_THAT(got, ElementsAreArray(e.ips))
        << "by " << static_cast<int>(e.by) << " key " << e.key << " vpn " << e.vpn;
  }
  EXPECT_EQ(s.size(), sc.size);
  s.qsbr().Synchronize();
  EXPECT_EQ(s.Stats().retired_pending, 0u);
}

const uint32_t A = kNet + 1, B = kNet + 2, C = kNet + 3;

INSTANTIATE_TEST_SUITE_P(
    LeaseStore, ScenarioTest,
    ::testing::Values(
        Scenario{"SingleLeaseAllIndexes",
                 {Up(MakeLease(A, 1, 1))},
                 {{By::kIp, A, {A}}, {By::kMac, 1, {A}}, {By::kCid, 1, {A}},
                  {By::kIp, B, {}}, {By::kMac, 2, {}}, {By::kCid, 2, {}}},
                 1},
        Scenario{"NoHwNoClientIdIsIpOnly",
                 {Up(MakeLease(A, -1, -1))},
                 {{By::kIp, A, {A}}, {By::kMac, 1, {}}, {By::kCid, 1, {}}},
                 1},
        Scenario{"UpdateInPlaceKeepsIndexes",
                 {Up(MakeLease(A, 1, 1, 100)), Up(MakeLease(A, 1, 1, 200))},
                 {{By::kIp, A, {A}}, {By::kMac, 1, {A}}, {By::kCid, 1, {A}}},
                 1},
        Scenario{"EraseRemovesFromAllIndexes",
                 {Up(MakeLease(A, 1, 1)), Up(MakeLease(B, 2, 2)), Del(A), Del(C)},
                 {{By::kIp, A, {}}, {By::kMac, 1, {}}, {By::kCid, 1, {}},
                  {By::kIp, B, {B}}, {By::kMac, 2, {B}}, {By::kCid, 2, {B}}},
                 1},
        Scenario{"GroupNewestFirst",
                 {Up(MakeLease(A, 1, 1, 100)), Up(MakeLease(B, 1, 1, 300)),
                  Up(MakeLease(C, 1, 1, 200))},
                 {{By::kMac, 1, {B, C, A}}, {By::kCid, 1, {B, C, A}}},
                 3},
        Scenario{"GroupReordersOnRenewal",
                 {Up(MakeLease(A, 1, 1, 100)), Up(MakeLease(B, 1, 1, 300)),
                  Up(MakeLease(A, 1, 1, 400))},
                 {{By::kMac, 1, {A, B}}, {By::kCid, 1, {A, B}}},
                 2},
        Scenario{"GroupShrinksToSingleThenEmpty",
                 {Up(MakeLease(A, 1, 1, 100)), Up(MakeLease(B, 1, 1, 300)),
                  Up(MakeLease(C, 1, 1, 200)), Del(B), Del(A)},
                 {{By::kMac, 1, {C}}, {By::kCid, 1, {C}}, {By::kIp, B, {}}},
                 1},
        Scenario{"ClientMovesMac",  // same client-id, new NIC
                 {Up(MakeLease(A, 1, 7)), Up(MakeLease(A, 2, 7))},
                 {{By::kMac, 1, {}}, {By::kMac, 2, {A}}, {By::kCid, 7, {A}}},
                 1},
        Scenario{"AddressMovesBetweenClients",
                 {Up(MakeLease(A, 1, 1, 100)), Up(MakeLease(B, 1, 1, 200)),
                  Up(MakeLease(A, 2, 2, 300))},
                 {{By::kMac, 1, {B}}, {By::kCid, 1, {B}}, {By::kMac, 2, {A}},
                  {By::kCid, 2, {A}}, {By::kIp, A, {A}}},
                 2},
        Scenario{"ClientDropsClientId",
                 {Up(MakeLease(A, 1, 1)), Up(MakeLease(A, 1, -1))},
                 {{By::kMac, 1, {A}}, {By::kCid, 1, {}}},
                 1},
        Scenario{"VpnSeparation",
                 {Up(MakeLease(A, 1, 1, 100, 0)), Up(MakeLease(A, 1, 1, 200, 5)),
                  Up(MakeLease(B, 1, 1, 300, 5)), Del(A, 0)},
                 {{By::kIp, A, {}, 0}, {By::kIp, A, {A}, 5}, {By::kMac, 1, {}, 0},
                  {By::kMac, 1, {B, A}, 5}, {By::kCid, 1, {B, A}, 5}, {By::kIp, B, {}, 0},
                  {By::kIp, B, {B}, 5}, {By::kCid, 1, {}, 6}},
                 2}),
    [](const ::testing::TestParamInfo<Scenario>& i) { return std::string(i.param.name); });

// ---------------------------------------------------------------------------

TEST(LeaseStoreTest, RecordRoundTripsEveryField) {
  LeaseStore s;
  Lease l = MakeLease(kNet + 9, 3, 3, 1234);
  l.hw.htype = 6;
  l.hw.hlen = 16;
  for (int i = 0; i < 16; ++i) l.hw.bytes[i] = uint8_t(0xa0 + i);
  l.state = LeaseState::kReleased;
  l.t1 = 1500;
  l.t2 = 2000;
  l.relay_agent_info = std::string("\x01\x04port\x02\x03" "abc", 11);
  l.vendor_class = "MSFT 5.0";
  l.server_id = 0xc0a80001;
  l.subnet_id = 77;
  l.extra_options = std::string("\x0f\x07" "example", 9);
  ASSERT_TRUE(s.Upsert(l).ok());
  const LeaseRecord* r = s.FindByIp(l.ip);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->ip, l.ip);
  EXPECT_EQ(r->vpn, l.vpn);
  EXPECT_EQ(r->cltt, 1234u);
  EXPECT_EQ(r->expire, 1234u + 3600);
  EXPECT_EQ(r->t1, 1500u);
  EXPECT_EQ(r->t2, 2000u);
  EXPECT_EQ(r->state, LeaseState::kReleased);
  EXPECT_EQ(r->server_id, l.server_id);
  EXPECT_EQ(r->subnet_id, 77u);
  EXPECT_EQ(r->htype, 6);
  EXPECT_THAT(r->hw_bytes(), ElementsAreArray(l.hw.view()));
  EXPECT_THAT(r->client_id(), ElementsAreArray(Bytes(l.client_id)));
  EXPECT_THAT(r->relay_agent_info(), ElementsAreArray(Bytes(l.relay_agent_info)));
  EXPECT_THAT(r->vendor_class(), ElementsAreArray(Bytes(l.vendor_class)));
  EXPECT_THAT(r->extra_options(), ElementsAreArray(Bytes(l.extra_options)));
  EXPECT_FALSE(r->IsActiveAt(1300));  // released
  // Found by its 16-byte hardware address, not by a prefix of it.
  EXPECT_EQ(s.FindByHwAddr(6, l.hw.view()).size(), 1u);
  EXPECT_TRUE(s.FindByHwAddr(6, l.hw.view().first(15)).empty());
  EXPECT_TRUE(s.FindByHwAddr(1, l.hw.view()).empty());
}

TEST(LeaseStoreTest, MaximumLengthsAreAccepted) {
  LeaseStore s;
  Lease l = MakeLease(kNet + 1, 1, -1);
  l.client_id.assign(255, 'c');
  l.relay_agent_info.assign(255, 'r');
  l.vendor_class.assign(255, 'v');
  l.extra_options.assign(65535, 'x');
  ASSERT_TRUE(s.Upsert(l).ok());
  const LeaseRecord* r = s.FindByIp(l.ip);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->client_id().size(), 255u);
  EXPECT_EQ(r->extra_options().size(), 65535u);
  EXPECT_EQ(r->extra_options().back(), 'x');
  EXPECT_EQ(s.FindByClientId(Bytes(l.client_id)).size(), 1u);
}

struct InvalidCase {
  const char* name;
  void (*mutate)(Lease&);
  const char* field;
};

class InvalidLeaseTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidLeaseTest, UpsertRejectsAndNamesTheField) {
  LeaseStore s;
  Lease l = MakeLease(kNet + 1, 1, 1);
  GetParam().mutate(l);
  const absl::Status st = s.Upsert(l);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr(GetParam().field));
  EXPECT_THAT(std::string(st.message()), HasSubstr("10.0.0.1"));
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.FindByIp(l.ip), nullptr);
}

INSTANTIATE_TEST_SUITE_P(
    LeaseStore, InvalidLeaseTest,
    ::testing::Values(
        InvalidCase{"Hlen", [](Lease& l) { l.hw.hlen = 17; }, "hw.hlen 17 > 16"},
        InvalidCase{"ClientId", [](Lease& l) { l.client_id.assign(256, 'c'); },
                    "client_id is 256 bytes"},
        InvalidCase{"RelayAgentInfo", [](Lease& l) { l.relay_agent_info.assign(300, 'r'); },
                    "relay_agent_info is 300 bytes"},
        InvalidCase{"VendorClass", [](Lease& l) { l.vendor_class.assign(256, 'v'); },
                    "vendor_class is 256 bytes"},
        InvalidCase{"ExtraOptions", [](Lease& l) { l.extra_options.assign(65536, 'x'); },
                    "extra_options is 65536 bytes"},
        InvalidCase{"State", [](Lease& l) { l.state = static_cast<LeaseState>(9); },
                    "state 9"}),
    [](const ::testing::TestParamInfo<InvalidCase>& i) { return std::string(i.param.name); });

TEST(LeaseStoreTest, InvalidUpdateKeepsTheOldLease) {
  LeaseStore s;
  ASSERT_TRUE(s.Upsert(MakeLease(kNet + 1, 1, 1, 100)).ok());
  Lease bad = MakeLease(kNet + 1, 2, 2, 200);
  bad.hw.hlen = 20;
  EXPECT_FALSE(s.Upsert(bad).ok());
  ASSERT_NE(s.FindByIp(kNet + 1), nullptr);
  EXPECT_EQ(s.FindByIp(kNet + 1)->cltt, 100u);
  EXPECT_THAT(ByMac(s, 1), ElementsAreArray({kNet + 1}));
}

// Growth from the smallest table through many rehashes; every index stays
// complete, and big groups (one MAC per 100 addresses) are rebuilt correctly.
TEST(LeaseStoreTest, GrowsPastSeveralRehashes) {
  LeaseStore s(LeaseStoreOptions{.shards = 2, .expected_leases = 1});
  constexpr int kN = 20000;
  for (int i = 0; i < kN; ++i) {
    ASSERT_TRUE(s.Upsert(MakeLease(kNet + i, i / 100, i, 1000 + i)).ok());
  }
  const LeaseStoreStats st = s.Stats();
  EXPECT_GE(st.rehashes, 3u * 8);  // each shard of each index grew >= 8 times
  EXPECT_EQ(s.size(), size_t{kN});
  for (int i = 0; i < kN; ++i) {
    const LeaseRecord* r = s.FindByIp(kNet + i);
    ASSERT_NE(r, nullptr) << i;
    ASSERT_EQ(r->ip, uint32_t(kNet + i));
    ASSERT_THAT(ByCid(s, i), ElementsAreArray({uint32_t(kNet + i)}));
  }
  for (int m = 0; m < kN / 100; ++m) {
    const std::vector<uint32_t> ips = ByMac(s, m);
    ASSERT_EQ(ips.size(), 100u);
    EXPECT_EQ(ips.front(), uint32_t(kNet + m * 100 + 99));  // newest first
    EXPECT_TRUE(std::is_sorted(ips.rbegin(), ips.rend()));
  }
  s.qsbr().Synchronize();
  EXPECT_EQ(s.Stats().retired_pending, 0u);
}

// Churn of distinct keys through a small live set: tombstones are purged
// and the tables do not grow with the number of operations.
TEST(LeaseStoreTest, TombstonesArePurgedUnderChurn) {
  LeaseStore s(LeaseStoreOptions{.shards = 1, .expected_leases = 64});
  std::mt19937 rng(7);
  std::set<uint32_t> live;
  size_t max_index_bytes = 0;
  uint32_t next = 0;
  for (int op = 0; op < 200000; ++op) {
    if (live.size() < 64 || (rng() & 1)) {
      const uint32_t ip = kNet + next++;  // never reused: no tombstone reuse by key
      ASSERT_TRUE(s.Upsert(MakeLease(ip, ip % 1000, ip, op)).ok());
      live.insert(ip);
    } else {
      auto it = live.begin();
      std::advance(it, rng() % live.size());
      ASSERT_TRUE(s.Erase(*it));
      live.erase(it);
    }
    if (op > 1000) max_index_bytes = std::max(max_index_bytes, s.Stats().bytes_indexes);
  }
  const LeaseStoreStats st = s.Stats();
  EXPECT_GT(st.rehashes, 10u);             // purges happened
  EXPECT_LT(max_index_bytes, 3u * 64 * 1024);  // bounded by the live set, not by churn
  EXPECT_EQ(s.size(), live.size());
  for (uint32_t ip : live) {
    ASSERT_NE(s.FindByIp(ip), nullptr);
    ASSERT_EQ(ByCid(s, ip), std::vector<uint32_t>{ip});
  }
  // Erase everything: tables shrink back to the minimum, no tombstones left
  // to slow down misses.
  for (uint32_t ip : live) ASSERT_TRUE(s.Erase(ip));
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.Stats().tombstones, 0u);
  EXPECT_EQ(s.FindByIp(kNet + 5), nullptr);
}

TEST(LeaseStoreTest, BatchMatchesSingleLookups) {
  LeaseStore s(LeaseStoreOptions{.shards = 8, .expected_leases = 1000});
  for (uint32_t i = 0; i < 1000; i += 2) ASSERT_TRUE(s.Upsert(MakeLease(kNet + i, i, i)).ok());
  ASSERT_TRUE(s.Upsert(MakeLease(kNet + 1, 1, 1, 5, /*vpn=*/3)).ok());
  std::vector<uint32_t> ips;
  for (uint32_t i = 0; i < 1037; ++i) ips.push_back(kNet + (i * 7919) % 1100);
  for (VpnId vpn : {VpnId{0}, VpnId{3}}) {
    std::vector<const LeaseRecord*> out(ips.size(), nullptr);
    s.FindByIpBatch(ips.data(), ips.size(), out.data(), vpn);
    for (size_t i = 0; i < ips.size(); ++i) ASSERT_EQ(out[i], s.FindByIp(ips[i], vpn)) << i;
  }
}

TEST(LeaseStoreTest, ForEachVisitsEveryLease) {
  LeaseStore s;
  for (uint32_t i = 0; i < 300; ++i) ASSERT_TRUE(s.Upsert(MakeLease(kNet + i, i, -1)).ok());
  s.Erase(kNet + 10);
  std::set<uint32_t> seen;
  s.ForEach([&](const LeaseRecord& r) { seen.insert(r.ip); });
  EXPECT_EQ(seen.size(), 299u);
  EXPECT_EQ(seen.count(kNet + 10), 0u);
}

TEST(LeaseStoreTest, RangesSwapThroughQsbr) {
  LeaseStore s;
  EXPECT_FALSE(s.IsAuthoritative(kNet + 1));
  QsbrReader reader(s.qsbr());
  auto r1 = AuthoritativeRanges::Build({{0, kNet, kNet + 255}, {4, kNet, kNet + 9}});
  ASSERT_TRUE(r1.ok());
  s.SetRanges(*std::move(r1));
  EXPECT_TRUE(s.IsAuthoritative(kNet + 1));
  EXPECT_FALSE(s.IsAuthoritative(kNet + 256));
  EXPECT_TRUE(s.IsAuthoritative(kNet + 9, 4));
  EXPECT_FALSE(s.IsAuthoritative(kNet + 10, 4));
  EXPECT_EQ(s.Stats().retired_pending, 1u);  // the empty initial set
  EXPECT_EQ(s.Reclaim(), 0u);                // reader not yet quiescent
  reader.Quiescent();
  EXPECT_EQ(s.Reclaim(), 1u);
  s.SetRanges(AuthoritativeRanges());
  EXPECT_FALSE(s.IsAuthoritative(kNet + 1));
}

// A reader's pointers stay valid (not freed) until it is quiescent.
TEST(LeaseStoreTest, ReplacedRecordsWaitForReaders) {
  LeaseStore s;
  QsbrReader reader(s.qsbr());
  ASSERT_TRUE(s.Upsert(MakeLease(kNet + 1, 1, 1, 100)).ok());
  ASSERT_TRUE(s.Upsert(MakeLease(kNet + 2, 1, 1, 50)).ok());
  const LeaseRecord* held = s.FindByIp(kNet + 1);
  const LeaseGroupView group = s.FindByHwAddr(1, Mac(1).view());
  ASSERT_EQ(group.size(), 2u);
  ASSERT_TRUE(s.Upsert(MakeLease(kNet + 1, 1, 1, 200)).ok());
  ASSERT_TRUE(s.Erase(kNet + 2));
  EXPECT_EQ(s.Reclaim(), 0u);
  EXPECT_EQ(held->cltt, 100u);  // still readable (ASan would catch a free)
  EXPECT_EQ(group[0]->ip, kNet + 1);
  EXPECT_EQ(group[1]->ip, kNet + 2);
  EXPECT_EQ(s.FindByIp(kNet + 1)->cltt, 200u);
  reader.Quiescent();
  EXPECT_GT(s.Reclaim(), 0u);
  EXPECT_EQ(s.Stats().retired_pending, 0u);
}

// ---------------------------------------------------------------------------
// BulkLoad

// Everything a store answers, in a comparable form.
std::map<std::string, std::vector<uint32_t>> Dump(const LeaseStore& s, int macs, int cids,
                                                  uint32_t ips) {
  std::map<std::string, std::vector<uint32_t>> d;
  for (uint32_t i = 0; i < ips; ++i) {
    if (const LeaseRecord* r = s.FindByIp(kNet + i)) {
      d["ip" + std::to_string(i)] = {r->cltt, r->hlen ? uint32_t(r->chaddr[5]) : 999u};
    }
  }
  for (int m = 0; m < macs; ++m) d["mac" + std::to_string(m)] = ByMac(s, m);
  for (int c = 0; c < cids; ++c) d["cid" + std::to_string(c)] = ByCid(s, c);
  return d;
}

TEST(LeaseStoreTest, BulkLoadDuplicatesAndInvalidEntries) {
  std::vector<Lease> in;
  std::mt19937 rng(3);
  for (int i = 0; i < 20000; ++i) {
    // ~1/3 duplicates of earlier addresses; clients own several addresses.
    in.push_back(MakeLease(kNet + rng() % 15000, rng() % 3000, rng() % 4000, i));
    if (i % 7 == 0) in.back().hw = HwAddr{};
  }
  in[5].hw.hlen = 40;
  in[6].client_id.assign(999, 'x');
  in[7000].relay_agent_info.assign(256, 'r');
  LeaseStore bulk(LeaseStoreOptions{.shards = 16, .expected_leases = 20000});
  const absl::Status st = bulk.BulkLoad(in);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("3 invalid"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("#5: "));
  EXPECT_THAT(std::string(st.message()), HasSubstr("hw.hlen 40"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("#7000: "));

  LeaseStore one_by_one(LeaseStoreOptions{.shards = 4});
  size_t rejected = 0;
  for (const Lease& l : in) rejected += !one_by_one.Upsert(l).ok();
  EXPECT_EQ(rejected, 3u);
  EXPECT_EQ(bulk.size(), one_by_one.size());
  EXPECT_EQ(Dump(bulk, 3000, 4000, 15000), Dump(one_by_one, 3000, 4000, 15000));
  EXPECT_EQ(bulk.Stats().retired_pending, 0u);

  // A second BulkLoad into the non-empty store behaves like Upserts.
  std::vector<Lease> more = {MakeLease(kNet + 1, 1, 1, 99999), MakeLease(kNet + 20001, 1, 1, 5)};
  ASSERT_TRUE(bulk.BulkLoad(more).ok());
  for (const Lease& l : more) ASSERT_TRUE(one_by_one.Upsert(l).ok());
  EXPECT_EQ(Dump(bulk, 3000, 4000, 15000), Dump(one_by_one, 3000, 4000, 15000));
  EXPECT_EQ(bulk.FindByIp(kNet + 1)->cltt, 99999u);
}

// Large enough that BulkLoad buckets in several parallel chunks: a later
// duplicate must still win when it lies in another chunk than the earlier one.
TEST(LeaseStoreTest, BulkLoadAcrossChunksMatchesUpserts) {
  std::vector<Lease> in;
  std::mt19937 rng(11);
  for (int i = 0; i < 300000; ++i) {
    in.push_back(MakeLease(kNet + rng() % 150000, rng() % 40000, rng() % 50000, i));
    if (i % 11 == 0) in.back().client_id.clear();
  }
  LeaseStore bulk(LeaseStoreOptions{.shards = 64, .expected_leases = in.size()});
  ASSERT_TRUE(bulk.BulkLoad(in).ok());
  LeaseStore one_by_one(LeaseStoreOptions{.shards = 4});
  for (const Lease& l : in) ASSERT_TRUE(one_by_one.Upsert(l).ok());
  EXPECT_EQ(bulk.size(), one_by_one.size());
  EXPECT_EQ(Dump(bulk, 40000, 50000, 150000), Dump(one_by_one, 40000, 50000, 150000));
  const LeaseStoreStats a = bulk.Stats();
  EXPECT_EQ(a.bytes_records, one_by_one.Stats().bytes_records);
  EXPECT_EQ(a.retired_pending, 0u);
}

// BulkLoad sizes every shard's table at once, in one huge-page block per
// index (lease_store.h §6). Later a shard's table is replaced on its own
// (here: shrinks as leases go), its pages handed back, and the block freed
// with its last table; lookups stay right all along. (Under ASan and TSan
// tables are never in a block, so there this checks the same sequence on
// separate tables, where a late read of a freed one would be reported.)
TEST(LeaseStoreTest, BulkLoadedTablesAreReplacedOneShardAtATime) {
  constexpr int kN = 120000;
  std::vector<Lease> in;
  for (int i = 0; i < kN; ++i) in.push_back(MakeLease(kNet + i, i, i, 1000 + i));
  LeaseStore s(LeaseStoreOptions{.shards = 16});  // small tables first: BulkLoad grows all 16
  ASSERT_TRUE(s.BulkLoad(in).ok());
  const size_t loaded_index_bytes = s.Stats().bytes_indexes;
  EXPECT_GE(loaded_index_bytes, size_t{3} * kN * 8);  // three indexes, 8 bytes a slot
  auto check = [&](const std::set<int>& gone) {
    for (int i = 0; i < kN; i += 7) {
      const bool live = gone.count(i) == 0;
      const LeaseRecord* r = s.FindByIp(kNet + i);
      ASSERT_EQ(r != nullptr, live) << i;
      ASSERT_EQ(ByMac(s, i).size(), live ? 1u : 0u) << i;
      ASSERT_EQ(ByCid(s, i).size(), live ? 1u : 0u) << i;
    }
  };
  // Erase 15 of every 16 leases in IP order: shards shrink one by one,
  // at different moments, while the others still live in the block.
  std::set<int> gone;
  for (int i = 0; i < kN; ++i) {
    if (i % 16 == 0) continue;
    ASSERT_TRUE(s.Erase(kNet + i)) << i;
    gone.insert(i);
    if (i % 20000 == 1) check(gone);
  }
  s.qsbr().Synchronize();
  check(gone);
  EXPECT_GT(s.Stats().rehashes, 0u);
  EXPECT_LT(s.Stats().bytes_indexes, loaded_index_bytes / 4);  // every table was replaced
  // And everything else: the blocks' last tables go, the store still works.
  for (int i = 0; i < kN; i += 16) ASSERT_TRUE(s.Erase(kNet + i));
  for (int i = 0; i < kN; i += 16) gone.insert(i);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(s.Upsert(MakeLease(kNet + i, i, i, 5000)).ok());
  for (int i = 0; i < 1000; ++i) gone.erase(i);
  s.qsbr().Synchronize();
  check(gone);
  EXPECT_EQ(s.size(), 1000u);
}

// A relay MAC and client-id holding thousands of addresses (one group
// each) next to ordinary clients: BulkLoad groups them as Upserts do,
// newest first.
TEST(LeaseStoreTest, BulkLoadHugeGroupMatchesUpserts) {
  std::vector<Lease> in;
  for (uint32_t i = 0; i < 6000; ++i) {
    in.push_back(MakeLease(kNet + i, i < 5000 ? 7 : int(i), i < 5000 ? 9 : int(i), (i * 7919) % 6000));
  }
  LeaseStore bulk(LeaseStoreOptions{.shards = 8});
  ASSERT_TRUE(bulk.BulkLoad(in).ok());
  LeaseStore one_by_one(LeaseStoreOptions{.shards = 8});
  for (const Lease& l : in) ASSERT_TRUE(one_by_one.Upsert(l).ok());
  EXPECT_EQ(Dump(bulk, 6000, 6000, 6000), Dump(one_by_one, 6000, 6000, 6000));
  QsbrReader reader(bulk.qsbr());
  const std::vector<uint32_t> group = ByMac(bulk, 7);
  ASSERT_EQ(group.size(), 5000u);
  for (size_t k = 1; k < group.size(); ++k) {
    EXPECT_GE(bulk.FindByIp(group[k - 1])->cltt, bulk.FindByIp(group[k])->cltt) << k;
  }
}

// BulkLoad from a source (the snapshot decoder's path): a lease the source
// cannot produce is skipped and reported like an invalid one.
TEST(LeaseStoreTest, BulkLoadFromSourceReportsUnreadable) {
  std::vector<Lease> in;
  for (uint32_t i = 0; i < 3000; ++i) in.push_back(MakeLease(kNet + i, i, i));
  LeaseStore s(LeaseStoreOptions{.shards = 16});
  const absl::Status st = s.BulkLoad(in.size(), [&](size_t i, LeaseRef* out) {
    if (i == 1234) return false;
    *out = LeaseRef::Of(in[i]);
    return true;
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("kept 2999 of 3000"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("#1234: the source could not produce it"));
  QsbrReader reader(s.qsbr());
  EXPECT_EQ(s.FindByIp(kNet + 1234), nullptr);
  ASSERT_NE(s.FindByIp(kNet + 1235), nullptr);
  EXPECT_THAT(ByMac(s, 1235), ElementsAreArray({kNet + 1235}));
}

TEST(LeaseStoreTest, BulkLoadAllValidIsOk) {
  std::vector<Lease> in;
  for (uint32_t i = 0; i < 1000; ++i) in.push_back(MakeLease(kNet + i, i, i));
  LeaseStore s;
  EXPECT_TRUE(s.BulkLoad(in).ok());
  EXPECT_EQ(s.size(), 1000u);
  EXPECT_THAT(ByMac(s, 999), ElementsAreArray({kNet + 999}));
}

// ---------------------------------------------------------------------------
// Memory: a realistic lease (6-byte MAC, 7-byte client-id, 24-byte option 82,
// 12-byte vendor class) costs < 200 bytes, records and indexes included.

Lease RealisticLease(uint32_t i) {
  Lease l;
  l.ip = kNet + i;
  l.hw = Mac(i);
  l.client_id = std::string("\x01\x02\x00", 3) + std::string(reinterpret_cast<char*>(&i), 4);
  l.relay_agent_info = std::string(24, 'r');
  l.relay_agent_info.replace(0, 4, reinterpret_cast<char*>(&i), 4);
  l.vendor_class = "docsis3.0:xy";
  l.cltt = 1700000000;
  l.expire = l.cltt + 86400;
  l.server_id = 0xc0a80001;
  l.subnet_id = 1;
  return l;
}

TEST(LeaseStoreTest, BytesPerRealisticLease) {
  constexpr uint32_t kN = 200000;
  std::vector<Lease> in;
  for (uint32_t i = 0; i < kN; ++i) in.push_back(RealisticLease(i));
  for (bool bulk : {true, false}) {
    LeaseStore s(LeaseStoreOptions{.shards = 256, .expected_leases = kN});
    if (bulk) {
      ASSERT_TRUE(s.BulkLoad(in).ok());
    } else {
      for (const Lease& l : in) ASSERT_TRUE(s.Upsert(l).ok());
    }
    const LeaseStoreStats st = s.Stats();
    EXPECT_EQ(st.leases, kN);
    EXPECT_EQ(st.bytes_groups, 0u);
    const double per_lease =
        double(st.bytes_records + st.bytes_indexes + st.bytes_groups) / st.leases;
    RecordProperty(bulk ? "bytes_per_lease_bulk" : "bytes_per_lease_upsert",
                   std::to_string(per_lease));
    EXPECT_LT(per_lease, 200.0) << "records " << st.bytes_records << " indexes "
                                << st.bytes_indexes;
    EXPECT_LE(st.bytes_records / st.leases, 112u);
  }
}

}  // namespace
}  // namespace lqd
