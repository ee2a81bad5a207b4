// SPDX-License-Identifier: Apache-2.0
// File: tests/dataplane/reply_frame_test.cc
#include "dataplane/reply_frame.h"

#include <gtest/gtest.h>

#include <cstring>

#include "tests/dataplane/test_frames.h"

namespace lqd::dataplane {
namespace {

using namespace testing;  // NOLINT

const uint32_t kAddrs[] = {kUs};
const uint32_t kGiaddr = 0x0a010101;  // 10.1.1.1

PortIdentity Port() {
  PortIdentity p;
  p.addresses = kAddrs;
  p.mac = kPortMac;
  return p;
}

// Checks the IPv4 header at `ip` with the reference checksum.
void ExpectIpv4(const std::vector<uint8_t>& f, size_t ip, uint8_t proto, uint32_t src, uint32_t dst,
                size_t total) {
  EXPECT_EQ(f[ip], 0x45);
  EXPECT_EQ(Get16(f, ip + 2), total);
  EXPECT_EQ(Get16(f, ip + 6), 0x4000) << "DF, no fragment offset";
  EXPECT_EQ(f[ip + 8], 64) << "TTL";
  EXPECT_EQ(f[ip + 9], proto);
  EXPECT_EQ(Get32(f, ip + 12), src);
  EXPECT_EQ(Get32(f, ip + 16), dst);
  std::vector<uint8_t> hdr(f.begin() + ip, f.begin() + ip + 20);
  EXPECT_EQ(RefChecksum(hdr), 0) << "IPv4 header checksum";
}

void ExpectUdpChecksum(const std::vector<uint8_t>& f, size_t udp, uint32_t src, uint32_t dst) {
  const size_t len = Get16(f, udp + 4);
  std::vector<uint8_t> pseudo;
  Push32(pseudo, src);
  Push32(pseudo, dst);
  Push16(pseudo, 17);
  Push16(pseudo, static_cast<uint16_t>(len));
  pseudo.insert(pseudo.end(), f.begin() + udp, f.begin() + udp + len);
  EXPECT_NE(Get16(f, udp + 6), 0);
  EXPECT_EQ(RefChecksum(pseudo), 0) << "UDP checksum";
}

struct Case {
  std::vector<uint16_t> tags;
  std::vector<uint8_t> ip_options;
  size_t query_len;
  size_t reply_len;
};

class LeaseQueryReplyTest : public ::testing::TestWithParam<Case> {};

TEST_P(LeaseQueryReplyTest, RewritesInPlace) {
  const Case& k = GetParam();
  FrameSpec s;
  s.tags = k.tags;
  s.ip_options = k.ip_options;
  s.l4_payload.assign(k.query_len, 0xaa);
  auto f = BuildFrame(s);
  const auto original = f;
  Classified c = ClassifyFrame(f, Port());
  ASSERT_EQ(c.cls, FrameClass::kLeaseQuery) << ClassifyDropName(c.drop);

  // The engine wrote its reply at the payload offset (growing the buffer).
  f.resize(std::max(f.size(), c.payload_off + k.reply_len));
  for (size_t i = 0; i < k.reply_len; ++i) f[c.payload_off + i] = static_cast<uint8_t>(i * 3 + 1);

  LeaseQueryReply r{kUs, kGiaddr, 67, k.reply_len};
  const size_t n = BuildLeaseQueryReply(f, c, kPortMac, r);
  const size_t l3 = 14 + 4 * k.tags.size();
  ASSERT_EQ(n, l3 + 20 + 8 + k.reply_len);
  f.resize(n);

  EXPECT_EQ(0, std::memcmp(f.data(), kPeerMac, 6)) << "dst MAC = query's src MAC";
  EXPECT_EQ(0, std::memcmp(f.data() + 6, kPortMac, 6)) << "src MAC = port MAC";
  EXPECT_EQ(0, std::memcmp(f.data() + 12, original.data() + 12, 4 * k.tags.size() + 2))
      << "VLAN tags and ethertype kept";
  ExpectIpv4(f, l3, 17, kUs, kGiaddr, 20 + 8 + k.reply_len);
  const size_t udp = l3 + 20;
  EXPECT_EQ(Get16(f, udp), 67);
  EXPECT_EQ(Get16(f, udp + 2), 67);
  EXPECT_EQ(Get16(f, udp + 4), 8 + k.reply_len);
  ExpectUdpChecksum(f, udp, kUs, kGiaddr);
  for (size_t i = 0; i < k.reply_len; ++i)
    ASSERT_EQ(f[udp + 8 + i], static_cast<uint8_t>(i * 3 + 1)) << "payload moved intact, byte " << i;
}

INSTANTIATE_TEST_SUITE_P(
    Frames, LeaseQueryReplyTest,
    ::testing::Values(Case{{}, {}, 300, 300}, Case{{}, {}, 300, 480}, Case{{0x8100}, {}, 300, 320},
                      Case{{0x88a8, 0x8100}, {}, 548, 300}, Case{{}, {1, 1, 1, 0}, 300, 301},
                      Case{{0x8100}, {0x07, 0x07, 0x04, 0, 0, 0, 0, 0}, 300, 333}));

TEST(LeaseQueryReply, RelayPortAndTooShortBuffer) {
  FrameSpec s;
  s.l4_payload.assign(300, 0);
  auto f = BuildFrame(s);
  Classified c = ClassifyFrame(f, Port());
  ASSERT_EQ(c.cls, FrameClass::kLeaseQuery);
  EXPECT_EQ(BuildLeaseQueryReply(f, c, kPortMac, {kUs, kGiaddr, 67, 301}), 0u);
  ASSERT_EQ(BuildLeaseQueryReply(f, c, kPortMac, {kUs, kGiaddr, 4067, 300}), f.size());
  EXPECT_EQ(Get16(f, 34 + 2), 4067);
  ExpectUdpChecksum(f, 34, kUs, kGiaddr);
}

// With TX checksum offload the builder leaves what DPDK's offload contract
// asks for: IPv4 checksum 0, UDP checksum field = pseudo-header sum. A port
// finishing them as a NIC does (one's-complement sum over the header / the
// UDP segment, complemented) must produce valid checksums.
TEST(LeaseQueryReply, ChecksumOffloadLeavesTheSeedsAPortCompletes) {
  FrameSpec s;
  s.tags = {0x8100};
  s.l4_payload.assign(300, 0x5a);
  auto f = BuildFrame(s);
  Classified c = ClassifyFrame(f, Port());
  ASSERT_EQ(c.cls, FrameClass::kLeaseQuery);
  LeaseQueryReply r{kUs, kGiaddr, 67, 300};
  r.checksum_offload = true;
  ASSERT_EQ(BuildLeaseQueryReply(f, c, kPortMac, r), f.size());
  const size_t ip = 18, udp = 38;
  EXPECT_EQ(Get16(f, ip + 10), 0) << "IPv4 checksum left to the port";
  EXPECT_EQ(Get16(f, udp + 6), UdpPseudoHeaderSum(kUs, kGiaddr, 308));
  // The port's part.
  const uint16_t ip_sum = RefChecksum(std::vector<uint8_t>(f.begin() + ip, f.begin() + ip + 20));
  f[ip + 10] = static_cast<uint8_t>(ip_sum >> 8);
  f[ip + 11] = static_cast<uint8_t>(ip_sum);
  const uint16_t udp_sum = RefChecksum(std::vector<uint8_t>(f.begin() + udp, f.begin() + udp + 308));
  f[udp + 6] = static_cast<uint8_t>(udp_sum >> 8);
  f[udp + 7] = static_cast<uint8_t>(udp_sum);
  ExpectIpv4(f, ip, 17, kUs, kGiaddr, 328);
  ExpectUdpChecksum(f, udp, kUs, kGiaddr);
}

TEST(ArpReply, AnswersForTheAskedAddress) {
  for (auto tags : std::vector<std::vector<uint16_t>>{{}, {0x8100}, {0x88a8, 0x8100}}) {
    auto f = ArpRequest(kRelay, kUs, tags);
    f.resize(f.size() + 18, 0);  // Ethernet padding stays
    Classified c = ClassifyFrame(f, Port());
    ASSERT_EQ(c.cls, FrameClass::kArp);
    const size_t len = f.size();
    ASSERT_EQ(BuildArpReply(f, c, kPortMac), len);
    const size_t a = 14 + 4 * tags.size();
    EXPECT_EQ(0, std::memcmp(f.data(), kPeerMac, 6));
    EXPECT_EQ(0, std::memcmp(f.data() + 6, kPortMac, 6));
    EXPECT_EQ(Get16(f, a - 2), 0x0806);
    EXPECT_EQ(Get16(f, a + 6), 2) << "op reply";
    EXPECT_EQ(0, std::memcmp(f.data() + a + 8, kPortMac, 6)) << "sha";
    EXPECT_EQ(Get32(f, a + 14), kUs) << "spa";
    EXPECT_EQ(0, std::memcmp(f.data() + a + 18, kPeerMac, 6)) << "tha";
    EXPECT_EQ(Get32(f, a + 24), kRelay) << "tpa";
    // And our own classifier sees a reply to the relay, not a request.
    const uint32_t relay[] = {kRelay};
    PortIdentity peer;
    peer.addresses = relay;
    EXPECT_EQ(ClassifyFrame(f, peer).cls, FrameClass::kException);
  }
}

TEST(IcmpEchoReply, EchoesIdSeqAndData) {
  for (auto opts : std::vector<std::vector<uint8_t>>{{}, {1, 1, 1, 0}}) {
    FrameSpec s;
    s.proto = 1;
    s.ip_options = opts;
    s.tags = {0x8100};
    s.l4_payload = IcmpEcho(0x1234, 7, 56);
    auto f = BuildFrame(s);
    Classified c = ClassifyFrame(f, Port());
    ASSERT_EQ(c.cls, FrameClass::kIcmpEcho) << ClassifyDropName(c.drop);
    const size_t n = BuildIcmpEchoReply(f, c, kPortMac);
    ASSERT_EQ(n, 18 + 20 + 64u);
    f.resize(n);
    ExpectIpv4(f, 18, 1, kUs, kRelay, 20 + 64);
    const size_t icmp = 38;
    EXPECT_EQ(f[icmp], 0);
    EXPECT_EQ(Get16(f, icmp + 4), 0x1234);
    EXPECT_EQ(Get16(f, icmp + 6), 7);
    std::vector<uint8_t> msg(f.begin() + icmp, f.end());
    EXPECT_EQ(RefChecksum(msg), 0) << "ICMP checksum";
    for (size_t i = 0; i < 56; ++i) ASSERT_EQ(f[icmp + 8 + i], static_cast<uint8_t>(i * 7));
  }
}

}  // namespace
}  // namespace lqd::dataplane
