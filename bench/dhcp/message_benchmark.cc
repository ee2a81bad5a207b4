// SPDX-License-Identifier: Apache-2.0
// File: bench/dhcp/message_benchmark.cc
//
// Per-packet cost of the codec on the dataplane's hot path: parse a
// leasequery as a relay sends it, and build the LEASEACTIVE answer.
#include <benchmark/benchmark.h>

#include <array>
#include <vector>

#include "dhcp/message.h"
#include "dhcp/message_builder.h"
#include "dhcp/relay_agent_info.h"

namespace lqd::dhcp {
namespace {

// A leasequery as a relay sends it: giaddr, the selector, a parameter
// request list, and (optionally) option 82.
std::vector<uint8_t> LeaseQuery(bool with_rai) {
  std::array<uint8_t, 1500> buf{};
  MessageBuilder b(buf);
  BootpHeader h;
  h.op = kOpBootRequest;
  h.xid = 0x12345678;
  h.ciaddr = 0x0a000105;
  h.giaddr = 0x0a000001;
  b.SetHeader(h);
  b.AddMessageType(MessageType::kLeaseQuery);
  const uint8_t prl[] = {opt::kLeaseTime, opt::kClientId, opt::kRelayAgentInfo,
                         opt::kAssociatedIp, opt::kClientLastTransactionTime};
  b.AddOption(opt::kParamRequestList, prl);
  if (with_rai) {
    const uint8_t rai[] = {rai::kCircuitId, 6, 'g', 'e', '-', '0', '/', '1',  //
                           rai::kRemoteId, 6, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
                           rai::kRelayId, 4, 10, 0, 0, 1,  //
                           rai::kRelayPort, 2, 0x10, 0x00};
    b.AddOption(opt::kRelayAgentInfo, rai);
  }
  const size_t n = b.Finish();
  return {buf.begin(), buf.begin() + static_cast<ptrdiff_t>(n)};
}

void BM_ParseLeaseQueryByIp(benchmark::State& state) {
  const std::vector<uint8_t> pkt = LeaseQuery(false);
  ParsedMessage m;
  for (auto _ : state) {
    auto err = ParseMessage(pkt, m);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(m.ciaddr);
  }
  if (ParseMessage(pkt, m)) state.SkipWithError("query does not parse");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseLeaseQueryByIp);

// Parse plus what the engine does with option 82: validate it again and
// read the relay port.
void BM_ParseLeaseQueryWithRai(benchmark::State& state) {
  const std::vector<uint8_t> pkt = LeaseQuery(true);
  ParsedMessage m;
  for (auto _ : state) {
    auto err = ParseMessage(pkt, m);
    benchmark::DoNotOptimize(err);
    const OptionView* o = m.Find(opt::kRelayAgentInfo);
    auto port = RelayAgentInfo::Parse(o->bytes())->relay_port();
    benchmark::DoNotOptimize(port);
  }
  if (ParseMessage(pkt, m)) state.SkipWithError("query does not parse");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseLeaseQueryWithRai);

// A full LEASEACTIVE answer: lease times, client-id, 8 associated
// addresses and the stored option 82.
void BM_BuildLeaseActive(benchmark::State& state) {
  const uint8_t client_id[] = {1, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
  const uint8_t stored_rai[] = {1, 6, 'g', 'e', '-', '0', '/', '1', 2, 6, 0, 0x11, 0x22, 0x33, 0x44, 0x55};
  const uint32_t associated[] = {0x0a000106, 0x0a000107, 0x0a000108, 0x0a000109,
                                 0x0a00010a, 0x0a00010b, 0x0a00010c, 0x0a00010d};
  BootpHeader h;
  h.xid = 0x12345678;
  h.ciaddr = 0x0a000105;
  h.giaddr = 0x0a000001;
  h.htype = 1;
  h.hlen = 6;
  std::array<uint8_t, 1500> buf;
  for (auto _ : state) {
    MessageBuilder b(buf);
    b.SetHeader(h);
    b.AddMessageType(MessageType::kLeaseActive);
    b.AddU32(opt::kServerId, 0x0a0000fe);
    b.AddU32(opt::kLeaseTime, 3600);
    b.AddU32(opt::kRenewalTime, 1800);
    b.AddU32(opt::kRebindingTime, 3150);
    b.AddU32(opt::kClientLastTransactionTime, 120);
    b.AddOption(opt::kClientId, client_id);
    b.AddAddressList(opt::kAssociatedIp, associated);
    b.AddOption(opt::kRelayAgentInfo, stored_rai);
    size_t n = b.Finish();
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BuildLeaseActive);

}  // namespace
}  // namespace lqd::dhcp
