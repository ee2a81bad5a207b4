// SPDX-License-Identifier: Apache-2.0
//
// One writer churns upserts, erases and range swaps for a fixed number of
// operations while readers look leases up by IP (single and batched), MAC
// and client-id and check every record they see. Each record is
// self-describing: its option 82 bytes carry (vpn, ip, generation, client),
// and every other field is derived from those, so a torn, half-written or
// recycled record fails the check. Under ASan (plain malloc) a read of a
// reclaimed record is reported directly; under TSan, a missing
// happens-before between publication/reclamation and the reads.
#include <atomic>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lease-store/lease_store.h"

namespace lqd {
namespace {

constexpr uint32_t kNet = 0x0a000000;
constexpr uint32_t kIps = 2048;
constexpr uint32_t kClients = 256;
constexpr VpnId kVpns[2] = {kGlobalVpn, 9};
constexpr int kWriterOps = 300000;
constexpr int kReaders = 3;
constexpr uint32_t kAlwaysIp = kNet + 5000;  // authoritative in every range set
constexpr uint32_t kNeverIp = kNet + 9000;   // in none

uint32_t Mix(uint32_t a, uint32_t b) {
  uint64_t x = (uint64_t{a} << 32 | b) * 0x9e3779b97f4a7c15ULL;
  return static_cast<uint32_t>(x >> 29);
}

HwAddr MacOf(uint32_t c) {
  HwAddr hw;
  hw.htype = 1;
  hw.hlen = 6;
  hw.bytes[0] = 0x02;
  std::memcpy(hw.bytes + 2, &c, 4);
  return hw;
}
// Every 8th client sends no client-id; the others a length that varies.
std::string CidOf(uint32_t c) {
  if (c % 8 == 0) return {};
  std::string s = "\xff";
  s.append(reinterpret_cast<const char*>(&c), 4);
  s.append(c % 13, char('a' + c % 26));
  return s;
}

Lease Encode(VpnId vpn, uint32_t ip, uint32_t gen, uint32_t c) {
  Lease l;
  l.ip = ip;
  l.vpn = vpn;
  l.hw = MacOf(c);
  l.client_id = CidOf(c);
  l.cltt = gen;
  l.expire = Mix(ip, gen);
  l.t1 = gen + ip;
  l.t2 = Mix(gen, c);
  l.server_id = Mix(vpn, ip);
  l.subnet_id = c;
  l.state = static_cast<LeaseState>(gen % 5);
  const uint32_t head[4] = {vpn, ip, gen, c};
  l.relay_agent_info.assign(reinterpret_cast<const char*>(head), sizeof(head));
  for (uint32_t i = 0; i < 8 + gen % 40; ++i) l.relay_agent_info.push_back(char(gen * 31 + i));
  for (uint32_t i = 0; i < gen % 20; ++i) l.vendor_class.push_back(char(ip + i));
  for (uint32_t i = 0; i < (gen % 7) * 3; ++i) l.extra_options.push_back(char(c ^ i));
  return l;
}

// Returns "" if `r` is exactly what Encode() produced, else what is wrong.
std::string Check(const LeaseRecord* r) {
  if (r->rai_len < 16) return "short option 82";
  uint32_t head[4];
  std::memcpy(head, r->relay_agent_info().data(), sizeof(head));
  const Lease want = Encode(head[0], head[1], head[2], head[3]);
  if (r->vpn != want.vpn || r->ip != want.ip) return "key mismatch";
  if (r->cltt != want.cltt || r->expire != want.expire || r->t1 != want.t1 ||
      r->t2 != want.t2 || r->server_id != want.server_id || r->subnet_id != want.subnet_id ||
      r->state != want.state)
    return "fixed fields mismatch";
  if (r->htype != 1 || r->hlen != 6 || std::memcmp(r->chaddr, want.hw.bytes, 16) != 0)
    return "chaddr mismatch";
  auto eq = [](std::span<const uint8_t> a, const std::string& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
  };
  if (!eq(r->client_id(), want.client_id)) return "client-id mismatch";
  if (!eq(r->relay_agent_info(), want.relay_agent_info)) return "option 82 mismatch";
  if (!eq(r->vendor_class(), want.vendor_class)) return "vendor class mismatch";
  if (!eq(r->extra_options(), want.extra_options)) return "extra options mismatch";
  return "";
}
uint32_t ClientOf(const LeaseRecord* r) {
  uint32_t c;
  std::memcpy(&c, r->relay_agent_info().data() + 12, 4);
  return c;
}

AuthoritativeRanges RangeSet(uint32_t n) {
  std::vector<AddressRange> v = {{kGlobalVpn, kAlwaysIp, kAlwaysIp}};
  for (uint32_t i = 0; i < 64; ++i) v.push_back({kVpns[i % 2], kNet + (n + i) * 37 % 4000, kNet + (n + i) * 37 % 4000 + n % 50});
  return *AuthoritativeRanges::Build(v);
}

struct ReaderResult {
  uint64_t lookups = 0;
  uint64_t found = 0;
  std::string error;  // first failure
};

void ReaderLoop(LeaseStore& s, const std::atomic<bool>& done, int seed, ReaderResult& out) {
  QsbrReader q(s.qsbr());
  std::mt19937 rng(seed);
  auto fail = [&](const std::string& what) {
    if (out.error.empty()) out.error = what;
  };
  uint32_t ips[32];
  const LeaseRecord* recs[32];
  for (uint64_t iter = 0; !done.load(std::memory_order_acquire) && out.error.empty(); ++iter) {
    const VpnId vpn = kVpns[rng() & 1];
    // By IP.
    const uint32_t ip = kNet + rng() % kIps;
    // The burst prefetch hints run against a changing table too (TSan
    // checks their loads); they must not change what Find returns.
    s.PrefetchIp(PrefetchStage::kSlot, ip, vpn);
    s.PrefetchIp(PrefetchStage::kEntry, ip, vpn);
    if (const LeaseRecord* r = s.FindByIp(ip, vpn)) {
      ++out.found;
      if (std::string e = Check(r); !e.empty()) fail("by ip: " + e);
      if (r->ip != ip || r->vpn != vpn) fail("by ip: wrong lease");
    }
    // Batched.
    for (uint32_t& x : ips) x = kNet + rng() % kIps;
    s.FindByIpBatch(ips, 32, recs, vpn);
    for (int i = 0; i < 32; ++i) {
      if (recs[i] == nullptr) continue;
      ++out.found;
      if (std::string e = Check(recs[i]); !e.empty()) fail("batch: " + e);
      if (recs[i]->ip != ips[i] || recs[i]->vpn != vpn) fail("batch: wrong lease");
    }
    // By MAC and by client-id: every member belongs to the client, in the
    // VPN, distinct, newest first.
    const uint32_t c = rng() % kClients;
    const HwAddr hw = MacOf(c);
    const std::string cid = CidOf(c);
    s.PrefetchHwAddr(PrefetchStage::kSlot, hw.htype, {hw.bytes, hw.hlen}, vpn);
    s.PrefetchHwAddr(PrefetchStage::kEntry, hw.htype, {hw.bytes, hw.hlen}, vpn);
    for (int which = 0; which < 2; ++which) {
      if (which == 1 && cid.empty()) break;
      const LeaseGroupView g =
          which == 0 ? s.FindByHwAddr(1, hw.view(), vpn)
                     : s.FindByClientId({reinterpret_cast<const uint8_t*>(cid.data()), cid.size()},
                                        vpn);
      if (g.size() > kIps) fail("group too large");
      for (uint32_t i = 0; i < g.size(); ++i) {
        ++out.found;
        if (std::string e = Check(g[i]); !e.empty()) fail("group: " + e);
        if (ClientOf(g[i]) != c || g[i]->vpn != vpn) fail("group: foreign member");
        if (i > 0 && (g[i - 1]->cltt < g[i]->cltt || g[i - 1]->ip == g[i]->ip))
          fail("group: order or duplicate");
      }
    }
    if (!s.IsAuthoritative(kAlwaysIp) || s.IsAuthoritative(kNeverIp)) fail("ranges");
    out.lookups += 36;
    q.Quiescent();
    if (iter % 1000 == 999) {  // an lcore that parks now and then
      s.qsbr().Offline(q.id());
      std::this_thread::yield();
      s.qsbr().Online(q.id());
    }
  }
}

TEST(LeaseStoreStressTest, ReadersSeeOnlyCompleteLeases) {
  LeaseStore s(LeaseStoreOptions{.shards = 4, .expected_leases = 16});
  s.SetRanges(RangeSet(0));
  std::atomic<bool> done{false};
  std::vector<ReaderResult> results(kReaders);
  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.emplace_back(ReaderLoop, std::ref(s), std::cref(done), 100 + i, std::ref(results[i]));
  }

  // Model of the store: (vpn, ip) -> (gen, client).
  std::map<std::pair<VpnId, uint32_t>, std::pair<uint32_t, uint32_t>> model;
  std::mt19937 rng(1);
  uint32_t gen = 0;
  for (int op = 0; op < kWriterOps; ++op) {
    // Three phases: fill (grow), drain (shrink, tombstones), mixed.
    const int insert_pct = op < 100000 ? 80 : op < 200000 ? 20 : 55;
    const VpnId vpn = kVpns[rng() & 1];
    const uint32_t ip = kNet + rng() % kIps;
    const auto key = std::make_pair(vpn, ip);
    if (static_cast<int>(rng() % 100) < insert_pct) {
      auto it = model.find(key);
      // Renewal by the same client half the time, else any client.
      const uint32_t c = (it != model.end() && (rng() & 1)) ? it->second.second : rng() % kClients;
      ASSERT_TRUE(s.Upsert(Encode(vpn, ip, ++gen, c)).ok());
      model[key] = {gen, c};
    } else {
      ASSERT_EQ(s.Erase(ip, vpn), model.erase(key) == 1);
    }
    if (op % 5000 == 0) s.SetRanges(RangeSet(op / 5000));
    if (op % 64 == 0) s.Reclaim();
  }
  done.store(true, std::memory_order_release);
  for (std::thread& t : readers) t.join();
  for (const ReaderResult& r : results) {
    EXPECT_EQ(r.error, "");
    EXPECT_GT(r.lookups, 0u);
  }

  // Quiet now: the store must equal the model, index by index.
  ASSERT_EQ(s.size(), model.size());
  std::map<std::pair<VpnId, uint32_t>, size_t> per_client;  // (vpn, client) -> leases
  for (const auto& [k, v] : model) {
    const LeaseRecord* r = s.FindByIp(k.second, k.first);
    ASSERT_NE(r, nullptr);
    ASSERT_EQ(Check(r), "");
    ASSERT_EQ(r->cltt, v.first);
    ++per_client[{k.first, v.second}];
  }
  for (VpnId vpn : kVpns) {
    for (uint32_t c = 0; c < kClients; ++c) {
      const size_t want = per_client.count({vpn, c}) ? per_client[{vpn, c}] : 0;
      ASSERT_EQ(s.FindByHwAddr(1, MacOf(c).view(), vpn).size(), want) << c;
      const std::string cid = CidOf(c);
      if (!cid.empty()) {
        ASSERT_EQ(s.FindByClientId({reinterpret_cast<const uint8_t*>(cid.data()), cid.size()}, vpn)
                      .size(),
                  want);
      }
    }
  }
  const LeaseStoreStats st = s.Stats();
  EXPECT_GT(st.rehashes, 20u);
  s.qsbr().Synchronize();
  EXPECT_EQ(s.Stats().retired_pending, 0u);
  uint64_t total = 0;
  for (const ReaderResult& r : results) total += r.lookups;
  RecordProperty("reader_lookups", std::to_string(total));
  RecordProperty("rehashes", std::to_string(st.rehashes));
}

}  // namespace
}  // namespace lqd
