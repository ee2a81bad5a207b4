// SPDX-License-Identifier: Apache-2.0
// File: bench/engine/query_engine_benchmark.cc
//
// The engine end to end, as an lcore runs it: query bytes in (parse),
// decide against the store, reply bytes out (build). One store per lease
// count, built once with BulkLoad and shared by every benchmark.
//
// Keys are drawn from a precomputed random sequence so that lookups miss
// the cache the way a storm of many relays' queries does.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

#include "dhcp/message.h"
#include "dhcp/message_builder.h"
#include "engine/query_engine.h"

namespace lqd {
namespace {

constexpr uint32_t kNow = 1'700'000'000;
constexpr uint32_t kBase = 0x0A000000;  // 10.0.0.0/8 holds up to 16M leases

HwAddr MacOf(uint32_t i) {
  HwAddr h;
  h.htype = 1;
  h.hlen = 6;
  h.bytes[0] = 0x02;
  h.bytes[1] = 0x00;
  dhcp::StoreBe32(h.bytes + 2, i);
  return h;
}

std::string ClientIdOf(uint32_t i) {
  std::string s("\x01\x02\x00\x00\x00\x00\x00", 7);
  dhcp::StoreBe32(reinterpret_cast<uint8_t*>(s.data()) + 3, i);
  return s;
}

struct Fixture {
  LeaseStore store;
  AuthoritativeRanges ranges;
  explicit Fixture(size_t n) : store(LeaseStoreOptions{256, n}) {
    std::vector<Lease> leases(n);
    for (size_t i = 0; i < n; ++i) {
      Lease& l = leases[i];
      l.ip = kBase + static_cast<uint32_t>(i);
      l.hw = MacOf(static_cast<uint32_t>(i));
      l.client_id = ClientIdOf(static_cast<uint32_t>(i));
      l.cltt = kNow - 100;
      l.expire = kNow + 3500;
      // A typical DOCSIS option 82: circuit-id, remote-id (CM MAC), device class.
      l.relay_agent_info = std::string("\x01\x08" "cable1/0" "\x02\x06" "\x00\x11\x22\x33\x44\x55"
                                       "\x04\x04\x00\x00\x00\x01", 24);
      l.vendor_class = "docsis3.1:xyz";
    }
    auto st = store.BulkLoad(leases);
    if (!st.ok()) std::abort();
    store.SetRanges(*AuthoritativeRanges::Build({{kGlobalVpn, kBase, kBase + 0xffffff}}));
  }
};

Fixture& GetFixture(size_t n) {
  // Multi-threaded cases call this from every benchmark thread at once.
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  static std::map<size_t, std::unique_ptr<Fixture>> fixtures;
  auto& f = fixtures[n];
  if (!f) {
    fixtures.clear();  // keep one store alive at a time (10M leases is GiBs)
    fixtures[n] = std::make_unique<Fixture>(n);
    return *fixtures[n];
  }
  return *f;
}

enum Regime { kIp = 0, kMac = 1, kCid = 2 };

// Pre-builds `count` queries of one regime for random leases.
std::vector<std::vector<uint8_t>> MakeQueries(Regime regime, size_t leases, size_t count) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<uint32_t> pick(0, static_cast<uint32_t>(leases - 1));
  std::vector<std::vector<uint8_t>> out;
  const uint8_t prl[] = {51, 58, 59, 61, 82, 91};
  for (size_t k = 0; k < count; ++k) {
    uint32_t i = pick(rng);
    uint8_t buf[400];
    dhcp::MessageBuilder b(buf);
    dhcp::BootpHeader h;
    h.op = dhcp::kOpBootRequest;
    h.xid = static_cast<uint32_t>(k);
    h.giaddr = 0xC0A80001;
    if (regime == kIp) h.ciaddr = kBase + i;
    if (regime == kMac) {
      HwAddr m = MacOf(i);
      h.htype = 1;
      h.hlen = 6;
      std::copy(m.bytes, m.bytes + 6, h.chaddr);
    }
    b.SetHeader(h);
    b.AddMessageType(dhcp::MessageType::kLeaseQuery);
    if (regime == kCid) {
      std::string cid = ClientIdOf(i);
      b.AddOption(dhcp::opt::kClientId, {reinterpret_cast<const uint8_t*>(cid.data()), cid.size()});
    }
    b.AddOption(dhcp::opt::kParamRequestList, prl);
    size_t n = b.Finish();
    out.emplace_back(buf, buf + n);
  }
  return out;
}

// What every engine benchmark thread needs: the shared store of range(0)
// leases, 65,536 queries of regime range(1), an engine, a context, a
// registered reader and buffers.
struct Bench {
  explicit Bench(const benchmark::State& state)
      : leases(static_cast<size_t>(state.range(0))),
        regime(static_cast<Regime>(state.range(1))),
        f(GetFixture(leases)),
        queries(MakeQueries(regime, leases, 1 << 16)),
        policy(DefaultPolicy()),
        engine(f.store),
        reader(f.store.qsbr()) {
    ctx.now = kNow;
    ctx.server_id = 0xC0000201;
    ctx.policy = &policy;
  }
  const size_t leases;
  const Regime regime;
  Fixture& f;
  std::vector<std::vector<uint8_t>> queries;
  Policy policy;
  QueryEngine engine;
  QueryContext ctx;
  QsbrReader reader;
  dhcp::ParsedMessage parsed;
  uint8_t out[1500];
};

void BM_EngineEndToEnd(benchmark::State& state) {
  Bench b(state);
  auto& [leases, regime, f, queries, policy, engine, ctx, reader, parsed, out] = b;
  size_t k = 0, active = 0;
  for (auto _ : state) {
    const auto& q = queries[k++ & (queries.size() - 1)];
    if (dhcp::ParseMessage(q, parsed)) continue;
    QueryResult r = engine.Answer(parsed, ctx, out);
    active += r.type == dhcp::MessageType::kLeaseActive;
    benchmark::DoNotOptimize(out[0]);
    if ((k & 31) == 0) reader.Quiescent();  // as an lcore does per burst
  }
  if (active != static_cast<size_t>(state.iterations()))
    state.SkipWithError("not every query was answered ACTIVE");
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(regime == kIp ? "by-ip" : regime == kMac ? "by-mac" : "by-client-id");
}

// As an lcore runs a 32-frame RX burst (dataplane/lcore_loop.cc): the
// query bytes are prefetched a few queries ahead in both variants; with
// store_prefetch=1 the burst also goes through QueryEngine::Prefetch
// (index slots for all 32, then records for all 32) before answering, so
// the pair isolates what the store hints are worth.
void BM_EngineBurst(benchmark::State& state) {
  constexpr size_t kBurst = 32;
  constexpr size_t kAhead = 4;
  const bool store_prefetch = state.range(2) != 0;
  Bench b(state);
  auto& [leases, regime, f, queries, policy, engine, ctx, reader, parsed, out] = b;
  size_t k = 0, active = 0, answered = 0;
  const size_t mask = queries.size() - 1;
  for (auto _ : state) {
    const std::vector<uint8_t>* burst[kBurst];
    for (size_t i = 0; i < kBurst; ++i) burst[i] = &queries[(k + i) & mask];
    for (size_t i = 0; i < kAhead; ++i) __builtin_prefetch(burst[i]->data());
    for (size_t i = 0; i < kBurst; ++i) {
      if (i + kAhead < kBurst) __builtin_prefetch(burst[i + kAhead]->data());
      if (store_prefetch) engine.Prefetch(PrefetchStage::kSlot, *burst[i]);
    }
    if (store_prefetch)
      for (size_t i = 0; i < kBurst; ++i) engine.Prefetch(PrefetchStage::kEntry, *burst[i]);
    for (size_t i = 0; i < kBurst; ++i) {
      if (dhcp::ParseMessage(*burst[i], parsed)) continue;
      QueryResult r = engine.Answer(parsed, ctx, out);
      active += r.type == dhcp::MessageType::kLeaseActive;
      benchmark::DoNotOptimize(out[0]);
    }
    answered += kBurst;
    k += kBurst;
    reader.Quiescent();
  }
  if (active != answered) state.SkipWithError("not every query was answered ACTIVE");
  state.SetItemsProcessed(static_cast<int64_t>(answered));
  state.SetLabel(std::string(regime == kIp ? "by-ip" : regime == kMac ? "by-mac" : "by-client-id") +
                 (store_prefetch ? " store-prefetch" : " no-store-prefetch"));
}

// Lease count outermost, so each store is built once (GetFixture keeps one
// alive; ArgsProduct would vary the lease count fastest and rebuild the
// 10 M store for every regime and repetition).
void EngineArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"leases", "regime"});
  for (int64_t leases : {10'000, 1'000'000, 10'000'000}) {
    for (int64_t regime : {kIp, kMac, kCid}) b->Args({leases, regime});
  }
}
BENCHMARK(BM_EngineEndToEnd)->Apply(EngineArgs)->Unit(benchmark::kNanosecond);

void BurstArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"leases", "regime", "store_prefetch"});
  for (int64_t leases : {10'000, 1'000'000, 10'000'000}) {
    for (int64_t regime : {kIp, kMac, kCid}) {
      b->Args({leases, regime, 0});
      b->Args({leases, regime, 1});
    }
  }
}
// Items are queries: time per iteration is a whole burst of 32.
BENCHMARK(BM_EngineBurst)->Apply(BurstArgs)->Unit(benchmark::kMicrosecond);
// Scaling with cores: 1 and 2 reader threads (lcores) on one store, by IP
// at 1 M leases; real time, so items_per_second is the aggregate rate.
BENCHMARK(BM_EngineBurst)
    ->ArgNames({"leases", "regime", "store_prefetch"})
    ->Args({1'000'000, kIp, 1})
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace lqd
