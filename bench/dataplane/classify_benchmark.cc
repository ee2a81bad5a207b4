// SPDX-License-Identifier: Apache-2.0
// File: bench/dataplane/classify_benchmark.cc
//
// The checksum work of every answer on a port without checksum offload
// (ring, memif, af_packet): ClassifyFrame verifies the query's IPv4 and
// UDP sums, reply_frame sums the reply. No EAL: classify.cc is pure.
//
// Each benchmark runs twice over the same code: on one frame summed again
// and again (varied:0), and on 4096 frames of random payload, cycled
// (varied:1, 1.4 MB: in L2/L3, not in L1, and no two sums carry alike).
// lqd sees the second, a stream of distinct queries; if the sums had
// data-dependent branches or missed on frame lines, the two would differ.
// bench/dataplane/lcore_loop_benchmark's cksum-floor mode adds the same
// sums to a MAC-swap loop on a real port. Where it costs more there than
// here, the difference is not in the arithmetic (varied:1 costs what
// varied:0 does); frame lines last written by the other core or by the
// PMD's copy are the likely cause, not measured.
//
//   BM_ChecksumPartial/len/varied   ChecksumPartial + ChecksumFinish over len bytes
//   BM_ClassifyLeaseQuery/varied    ClassifyFrame on a 342-byte leasequery
//                                   (Ethernet + IPv4 + UDP + 300 bytes), both sums verified
//   BM_ReplyChecksums/varied        the reply's sums: UdpChecksum over 308 bytes and the
//                                   20-byte IPv4 header (what BuildLeaseQueryReply adds)
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "dataplane/classify.h"
#include "dhcp/wire.h"

namespace lqd::dataplane {
namespace {

constexpr uint8_t kPortMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
constexpr uint32_t kUs = 0xc0000201;     // 192.0.2.1
constexpr uint32_t kRelay = 0xc0000202;  // 192.0.2.2
constexpr size_t kFrames = 4096;
constexpr size_t kPayload = 300;  // BOOTP payload of a leasequery with a few options

std::vector<std::vector<uint8_t>> RandomBuffers(size_t n, size_t len) {
  std::mt19937 rng(7);
  std::vector<std::vector<uint8_t>> v(n, std::vector<uint8_t>(len));
  for (auto& b : v)
    for (auto& x : b) x = static_cast<uint8_t>(rng());
  return v;
}

// Leasequery frames to us (untagged, 20-byte IPv4 header), correct
// checksums (summed by the code under test: tests/dataplane checks it
// against an independent sum), random payload bytes.
std::vector<std::vector<uint8_t>> LeaseQueryFrames(size_t n) {
  constexpr size_t kIp = 14, kUdp = kIp + 20, kUdpLen = 8 + kPayload;
  std::vector<std::vector<uint8_t>> frames = RandomBuffers(n, kUdp + kUdpLen);
  for (auto& v : frames) {
    uint8_t* f = v.data();
    for (int i = 0; i < 6; ++i) f[i] = kPortMac[i];
    f[6] = 0x02;
    dhcp::StoreBe16(f + 12, 0x0800);
    uint8_t* ip = f + kIp;
    ip[0] = 0x45;
    ip[1] = 0;
    dhcp::StoreBe16(ip + 2, static_cast<uint16_t>(20 + kUdpLen));
    dhcp::StoreBe16(ip + 4, 0);
    dhcp::StoreBe16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = 17;
    dhcp::StoreBe16(ip + 10, 0);
    dhcp::StoreBe32(ip + 12, kRelay);
    dhcp::StoreBe32(ip + 16, kUs);
    dhcp::StoreBe16(ip + 10, ChecksumFinish(ChecksumPartial(ip, 20, 0)));
    uint8_t* udp = f + kUdp;
    dhcp::StoreBe16(udp, 67);
    dhcp::StoreBe16(udp + 2, 67);
    dhcp::StoreBe16(udp + 4, static_cast<uint16_t>(kUdpLen));
    dhcp::StoreBe16(udp + 6, 0);
    dhcp::StoreBe16(udp + 6, UdpChecksum(kRelay, kUs, udp, kUdpLen));
  }
  return frames;
}

void BM_ChecksumPartial(benchmark::State& state) {
  const size_t len = static_cast<size_t>(state.range(0));
  const bool varied = state.range(1) != 0;
  const auto bufs = RandomBuffers(varied ? kFrames : 1, len);
  size_t i = 0;
  for (auto _ : state) {
    const auto& b = bufs[i];
    benchmark::DoNotOptimize(ChecksumFinish(ChecksumPartial(b.data(), b.size(), 0)));
    if (++i == bufs.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(len));
}
BENCHMARK(BM_ChecksumPartial)->ArgNames({"len", "varied"})->ArgsProduct({{20, 308, 1480}, {0, 1}});

void BM_ClassifyLeaseQuery(benchmark::State& state) {
  const bool varied = state.range(0) != 0;
  const auto frames = LeaseQueryFrames(varied ? kFrames : 1);
  const uint32_t addresses[] = {kUs};
  PortIdentity port;
  port.addresses = addresses;
  port.mac = kPortMac;
  size_t i = 0, bad = 0;
  for (auto _ : state) {
    const Classified c = ClassifyFrame(frames[i], port);
    bad += c.cls != FrameClass::kLeaseQuery;
    if (++i == frames.size()) i = 0;
  }
  if (bad != 0) state.SkipWithError("a frame did not classify as a leasequery");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClassifyLeaseQuery)->ArgName("varied")->Arg(0)->Arg(1);

void BM_ReplyChecksums(benchmark::State& state) {
  const bool varied = state.range(0) != 0;
  auto frames = LeaseQueryFrames(varied ? kFrames : 1);
  constexpr size_t kIp = 14, kUdp = 34, kUdpLen = 8 + kPayload;
  size_t i = 0;
  for (auto _ : state) {
    uint8_t* f = frames[i].data();
    f[kUdp + 6] = f[kUdp + 7] = 0;
    const uint16_t u = UdpChecksum(kUs, kRelay, f + kUdp, kUdpLen);
    f[kUdp + 6] = static_cast<uint8_t>(u >> 8);
    f[kUdp + 7] = static_cast<uint8_t>(u);
    f[kIp + 10] = f[kIp + 11] = 0;
    const uint16_t h = ChecksumFinish(ChecksumPartial(f + kIp, 20, 0));
    f[kIp + 10] = static_cast<uint8_t>(h >> 8);
    f[kIp + 11] = static_cast<uint8_t>(h);
    benchmark::ClobberMemory();
    if (++i == frames.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReplyChecksums)->ArgName("varied")->Arg(0)->Arg(1);

}  // namespace
}  // namespace lqd::dataplane
