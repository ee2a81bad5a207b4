// SPDX-License-Identifier: Apache-2.0
// File: tests/dataplane/classify_test.cc
#include "dataplane/classify.h"

#include <gtest/gtest.h>

#include "tests/dataplane/test_frames.h"

namespace lqd::dataplane {
namespace {

using namespace testing;  // NOLINT

const uint32_t kAddrs[] = {kUs, 0xc0000263};  // 192.0.2.1, 192.0.2.99

PortIdentity Port(uint16_t vlan = PortIdentity::kAnyVlan) {
  PortIdentity p;
  p.addresses = kAddrs;
  p.mac = kPortMac;
  p.vlan = vlan;
  return p;
}

Classified Classify(const std::vector<uint8_t>& f, const PortIdentity& p = Port()) {
  return ClassifyFrame(f, p);
}

std::vector<uint8_t> Payload(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i);
  return v;
}

TEST(ChecksumTest, KnownAnswerIpv4Header) {
  // The classic example header (Wikipedia, "Internet checksum"): 0xb861.
  const uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                       0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(ChecksumFinish(ChecksumPartial(h, sizeof h, 0)), 0xb861);
}

TEST(ChecksumTest, MatchesReferenceOnOddLengths) {
  for (size_t n = 1; n < 70; ++n) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(0xf0 + i * 13);
    EXPECT_EQ(ChecksumFinish(ChecksumPartial(v.data(), n, 0)), RefChecksum(v)) << n;
  }
}

TEST(ChecksumTest, MatchesReferenceAtEveryLengthAlignmentAndSeed) {
  // The word-at-a-time sum against the byte-pair reference: every length
  // to 80, then every 37th to 1520 (all residues mod 8), unaligned starts,
  // and partial sums carried in (the UDP pseudo-header), some near 32 bits.
  std::vector<uint8_t> buf(1600);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint8_t>(0xff - i * 7);
  for (size_t off = 0; off < 8; ++off) {
    for (size_t n = 0; n + off <= 1520; n += (n < 80 ? 1 : 37)) {
      const std::vector<uint8_t> v(buf.begin() + off, buf.begin() + off + n);
      for (uint32_t seed : {0u, 0x11u, 0xfffeu, 0x0002fffdu, 0xfffffff0u}) {
        uint64_t ref = seed;
        for (size_t i = 0; i + 1 < n; i += 2) ref += uint32_t{v[i]} << 8 | v[i + 1];
        if (n % 2) ref += uint32_t{v[n - 1]} << 8;
        while (ref >> 16) ref = (ref & 0xffff) + (ref >> 16);
        EXPECT_EQ(ChecksumFinish(ChecksumPartial(buf.data() + off, n, seed)),
                  static_cast<uint16_t>(~ref & 0xffff))
            << "offset " << off << " length " << n << " seed " << seed;
      }
    }
  }
}

TEST(ClassifyTest, LeaseQueryUntagged) {
  FrameSpec s;
  s.l4_payload = Payload(300);
  auto f = BuildFrame(s);
  Classified c = Classify(f);
  ASSERT_EQ(c.cls, FrameClass::kLeaseQuery) << ClassifyDropName(c.drop);
  EXPECT_EQ(c.num_tags, 0);
  EXPECT_EQ(c.l2_len, 14);
  EXPECT_EQ(c.l3_off, 14);
  EXPECT_EQ(c.l4_off, 34);
  EXPECT_EQ(c.payload_off, 42);
  EXPECT_EQ(c.payload_len, 300);
  EXPECT_EQ(c.src_ip, kRelay);
  EXPECT_EQ(c.dst_ip, kUs);
  EXPECT_EQ(c.src_port, 67);
}

TEST(ClassifyTest, SecondAddressIsOursToo) {
  FrameSpec s;
  s.dst = 0xc0000263;
  s.l4_payload = Payload(240);
  EXPECT_EQ(Classify(BuildFrame(s)).cls, FrameClass::kLeaseQuery);
}

TEST(ClassifyTest, Dot1qAndQinQ) {
  for (auto tags : std::vector<std::vector<uint16_t>>{{0x8100}, {0x88a8, 0x8100}, {0x8100, 0x8100}}) {
    FrameSpec s;
    s.tags = tags;
    s.l4_payload = Payload(300);
    Classified c = Classify(BuildFrame(s));
    ASSERT_EQ(c.cls, FrameClass::kLeaseQuery) << ClassifyDropName(c.drop);
    EXPECT_EQ(c.num_tags, tags.size());
    EXPECT_EQ(c.l3_off, 14 + 4 * tags.size());
    EXPECT_EQ(c.payload_off, c.l3_off + 28);
    EXPECT_EQ(c.outer_vid, 100);
  }
}

TEST(ClassifyTest, ThreeTagsDropped) {
  FrameSpec s;
  s.tags = {0x88a8, 0x8100, 0x8100};
  s.l4_payload = Payload(300);
  Classified c = Classify(BuildFrame(s));
  EXPECT_EQ(c.cls, FrameClass::kDrop);
  EXPECT_EQ(c.drop, ClassifyDrop::kTooManyTags);
}

TEST(ClassifyTest, PortVlan) {
  FrameSpec s;
  s.tags = {0x8100};  // VID 100
  s.l4_payload = Payload(300);
  auto tagged = BuildFrame(s);
  EXPECT_EQ(Classify(tagged, Port(100)).cls, FrameClass::kLeaseQuery);
  EXPECT_EQ(Classify(tagged, Port(200)).drop, ClassifyDrop::kVlanMismatch);
  EXPECT_EQ(Classify(tagged, Port(0)).drop, ClassifyDrop::kVlanMismatch);
  s.tags = {};
  EXPECT_EQ(Classify(BuildFrame(s), Port(0)).cls, FrameClass::kLeaseQuery);
  EXPECT_EQ(Classify(BuildFrame(s), Port(100)).drop, ClassifyDrop::kVlanMismatch);
}

TEST(ClassifyTest, IpOptionsTolerated) {
  FrameSpec s;
  s.ip_options = {0x01, 0x01, 0x01, 0x00};  // NOP NOP NOP EOL
  s.l4_payload = Payload(300);
  Classified c = Classify(BuildFrame(s));
  ASSERT_EQ(c.cls, FrameClass::kLeaseQuery) << ClassifyDropName(c.drop);
  EXPECT_EQ(c.l4_off, 38);
  EXPECT_EQ(c.payload_off, 46);
}

TEST(ClassifyTest, EthernetPaddingIgnored) {
  FrameSpec s;
  s.proto = 1;
  s.l4_payload = IcmpEcho(1, 1, 4);
  s.pad_to = 60;
  Classified c = Classify(BuildFrame(s));
  ASSERT_EQ(c.cls, FrameClass::kIcmpEcho) << ClassifyDropName(c.drop);
  EXPECT_EQ(c.payload_len, 12);
  EXPECT_EQ(c.l3_end, 14 + 20 + 12);
}

TEST(ClassifyTest, ZeroUdpChecksumAccepted) {
  FrameSpec s;
  s.udp_checksum = false;
  s.l4_payload = Payload(300);
  EXPECT_EQ(Classify(BuildFrame(s)).cls, FrameClass::kLeaseQuery);
}

TEST(ClassifyTest, BadChecksumsDropped) {
  FrameSpec s;
  s.l4_payload = Payload(300);
  auto f = BuildFrame(s);
  auto bad_ip = f;
  bad_ip[14 + 10] ^= 0x01;
  EXPECT_EQ(Classify(bad_ip).drop, ClassifyDrop::kIpBadChecksum);
  auto bad_udp = f;
  bad_udp.back() ^= 0x40;  // payload byte
  EXPECT_EQ(Classify(bad_udp).drop, ClassifyDrop::kUdpBadChecksum);

  FrameSpec i;
  i.proto = 1;
  i.l4_payload = IcmpEcho(7, 9, 32);
  auto icmp = BuildFrame(i);
  icmp.back() ^= 1;
  EXPECT_EQ(Classify(icmp).drop, ClassifyDrop::kIcmpBadChecksum);
}

TEST(ClassifyTest, FragmentsDropped) {
  for (uint16_t frag : {0x2000 /* MF */, 0x0010 /* offset */}) {
    FrameSpec s;
    s.frag = frag;
    s.l4_payload = Payload(300);
    EXPECT_EQ(Classify(BuildFrame(s)).drop, ClassifyDrop::kIpFragment);
  }
}

TEST(ClassifyTest, TruncationsDropped) {
  FrameSpec s;
  s.l4_payload = Payload(300);
  auto f = BuildFrame(s);
  EXPECT_EQ(Classify({f.begin(), f.begin() + 10}).drop, ClassifyDrop::kRuntFrame);
  EXPECT_EQ(Classify({f.begin(), f.begin() + 30}).drop, ClassifyDrop::kIpTruncated);
  EXPECT_EQ(Classify({f.begin(), f.end() - 1}).drop, ClassifyDrop::kIpTruncated);
  // UDP length beyond the IP payload (fix the UDP checksum: zero it).
  auto g = f;
  g[34 + 4] = 0x02;
  g[34 + 5] = 0x00;
  g[34 + 6] = g[34 + 7] = 0;
  EXPECT_EQ(Classify(g).drop, ClassifyDrop::kUdpTruncated);
  auto h = f;
  h[14] = 0x44;  // IHL 4
  EXPECT_EQ(Classify(h).drop, ClassifyDrop::kIpBadHeader);
  auto v6 = f;
  v6[14] = 0x65;
  EXPECT_EQ(Classify(v6).drop, ClassifyDrop::kIpBadHeader);
}

TEST(ClassifyTest, NotForUs) {
  FrameSpec s;
  s.dst = 0xc0000203;
  s.l4_payload = Payload(300);
  EXPECT_EQ(Classify(BuildFrame(s)).drop, ClassifyDrop::kNotForUs);
  // Our IP but another host's MAC.
  s.dst = kUs;
  auto f = BuildFrame(s);
  f[5] = 0x77;
  EXPECT_EQ(Classify(f).drop, ClassifyDrop::kNotForUs);
  // Without a port MAC the MAC is not checked.
  PortIdentity p = Port();
  p.mac = nullptr;
  EXPECT_EQ(Classify(f, p).cls, FrameClass::kLeaseQuery);
}

TEST(ClassifyTest, OtherTrafficToUsIsException) {
  FrameSpec s;
  s.dport = 22;
  s.l4_payload = Payload(40);
  EXPECT_EQ(Classify(BuildFrame(s)).cls, FrameClass::kException);
  FrameSpec t;
  t.proto = 6;
  t.l4_payload = Payload(40);
  EXPECT_EQ(Classify(BuildFrame(t)).cls, FrameClass::kException);
  FrameSpec i;
  i.proto = 1;
  i.l4_payload = IcmpEcho(1, 1, 8);
  i.l4_payload[0] = 0;  // echo reply: the kernel's, not ours
  EXPECT_EQ(Classify(BuildFrame(i)).cls, FrameClass::kException);
}

TEST(ClassifyTest, Arp) {
  Classified c = Classify(ArpRequest(kRelay, kUs));
  ASSERT_EQ(c.cls, FrameClass::kArp);
  EXPECT_EQ(c.src_ip, kRelay);
  EXPECT_EQ(c.dst_ip, kUs);
  EXPECT_EQ(c.l3_off, 14);
  Classified q = Classify(ArpRequest(kRelay, kUs, {0x88a8, 0x8100}));
  ASSERT_EQ(q.cls, FrameClass::kArp);
  EXPECT_EQ(q.l3_off, 22);
  EXPECT_EQ(Classify(ArpRequest(kRelay, 0x0a000001)).drop, ClassifyDrop::kNotForUs);
  auto reply = ArpRequest(kRelay, kUs);
  reply[21] = 2;
  EXPECT_EQ(Classify(reply).cls, FrameClass::kException);
  auto truncated = ArpRequest(kRelay, kUs);
  truncated.resize(30);
  EXPECT_EQ(Classify(truncated).drop, ClassifyDrop::kBadArp);
}

TEST(ClassifyTest, OtherEthertypesDropped) {
  FrameSpec s;
  s.ethertype = 0x86dd;
  s.l4_payload = Payload(40);
  EXPECT_EQ(Classify(BuildFrame(s)).drop, ClassifyDrop::kUnsupportedEthertype);
}

TEST(ClassifyTest, NamesCoverEveryReason) {
  for (size_t i = 0; i < static_cast<size_t>(ClassifyDrop::kCount); ++i)
    EXPECT_STRNE(ClassifyDropName(static_cast<ClassifyDrop>(i)), "unknown");
}

// Every truncation of a valid frame is handled without reading past it
// (ASan builds catch a read beyond the vector).
TEST(ClassifyTest, EveryPrefixIsSafe) {
  FrameSpec s;
  s.tags = {0x88a8, 0x8100};
  s.ip_options = {1, 1, 1, 0};
  s.l4_payload = Payload(300);
  auto f = BuildFrame(s);
  for (size_t n = 0; n < f.size(); ++n) {
    std::vector<uint8_t> p(f.begin(), f.begin() + n);
    EXPECT_EQ(Classify(p).cls, FrameClass::kDrop) << n;
  }
}

}  // namespace
}  // namespace lqd::dataplane
