// SPDX-License-Identifier: Apache-2.0
// File: dataplane/classify.h
//
// Stage 1 of the fast path: what is this frame, and where are its layers?
//
// ClassifyFrame() is a pure function over the raw frame bytes. It uses no
// DPDK header, so it unit-tests without the EAL and fuzzes as it is. It
// never reads outside the span and never writes.
//
//   Ethernet II  [802.1Q | 802.1ad+802.1Q (QinQ)]  then
//     ARP request for an appliance address              -> kArp
//     IPv4 (header checksum verified, options tolerated,
//           fragments dropped) to an appliance address:
//         UDP (checksum verified when non-zero) dport 67 -> kLeaseQuery
//         ICMP echo request                              -> kIcmpEcho
//         anything else                                  -> kException (kernel path)
//     anything else                                      -> kDrop + reason
//
// The lease query itself (BOOTP/DHCP) is not looked at here: the payload
// span goes to dhcp::ParseMessage().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace lqd::dataplane {

// Why a frame was dropped before the DHCP parser saw it.
#define LQD_FOREACH_CLASSIFY_DROP(_)                                              \
  _(kRuntFrame, "runt-frame", "shorter than an Ethernet header")                  \
  _(kOversizeFrame, "oversize-frame", "larger than one mbuf (jumbo); queries are never that big") \
  _(kVlanMismatch, "vlan-mismatch", "VLAN tagging differs from the port's vlan")  \
  _(kTooManyTags, "too-many-tags", "more than two VLAN tags")                     \
  _(kUnsupportedEthertype, "unsupported-ethertype", "neither IPv4 nor ARP")      \
  _(kNotForUs, "not-for-us", "destination is not an appliance address/MAC")       \
  _(kBadArp, "bad-arp", "ARP that is not Ethernet/IPv4 or is truncated")          \
  _(kArpNotRequest, "arp-not-request", "ARP for us that is not a request")       \
  _(kIpTruncated, "ip-truncated", "IPv4 header or total length past the frame")  \
  _(kIpBadHeader, "ip-bad-header", "IPv4 version is not 4 or IHL < 5")           \
  _(kIpBadChecksum, "ip-bad-checksum", "IPv4 header checksum is wrong")          \
  _(kIpFragment, "ip-fragment", "IPv4 fragment (lqd does not reassemble)")        \
  _(kUdpTruncated, "udp-truncated", "UDP length is < 8 or past the IP payload")  \
  _(kUdpBadChecksum, "udp-bad-checksum", "UDP checksum is wrong")                \
  _(kIcmpTruncated, "icmp-truncated", "ICMP shorter than its 8-byte header")     \
  _(kIcmpBadChecksum, "icmp-bad-checksum", "ICMP checksum is wrong")

enum class ClassifyDrop : uint8_t {
#define LQD_CLASSIFY_DROP_ENUM(name, str, why) name,
  LQD_FOREACH_CLASSIFY_DROP(LQD_CLASSIFY_DROP_ENUM)
#undef LQD_CLASSIFY_DROP_ENUM
      kCount
};
const char* ClassifyDropName(ClassifyDrop d);
const char* ClassifyDropDescription(ClassifyDrop d);

enum class FrameClass : uint8_t {
  kDrop = 0,
  kLeaseQuery,  // UDP to port 67 of an appliance address
  kArp,         // ARP request for an appliance address
  kIcmpEcho,    // ICMP echo request to an appliance address
  kException,   // other traffic for the appliance: hand to the kernel
};
const char* FrameClassName(FrameClass c);

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;  // 802.1Q C-tag
inline constexpr uint16_t kEtherTypeQinQ = 0x88a8;  // 802.1ad S-tag
inline constexpr size_t kEtherHdrLen = 14;
inline constexpr size_t kVlanTagLen = 4;
inline constexpr size_t kIpv4MinHdrLen = 20;
inline constexpr size_t kUdpHdrLen = 8;
inline constexpr size_t kArpLen = 28;  // Ethernet/IPv4 ARP body
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoUdp = 17;

// What the port owns. Addresses are host order.
struct PortIdentity {
  std::span<const uint32_t> addresses;
  const uint8_t* mac = nullptr;  // 6 bytes; null = do not check the dst MAC
  // 0xffff: accept untagged, 802.1Q and QinQ frames alike (tags are echoed
  // in the reply). Otherwise the outermost tag's VID must be this value.
  uint16_t vlan = kAnyVlan;
  static constexpr uint16_t kAnyVlan = 0xffff;

  bool Owns(uint32_t ip) const {
    for (uint32_t a : addresses)
      if (a == ip) return true;
    return false;
  }
};

// Where the layers are. Offsets are from the first byte of the frame.
struct Classified {
  FrameClass cls = FrameClass::kDrop;
  ClassifyDrop drop = ClassifyDrop::kCount;  // set when cls == kDrop
  uint8_t num_tags = 0;      // VLAN tags between the MACs and the ethertype
  uint16_t l2_len = 0;       // 14 + 4 * num_tags
  uint16_t l3_off = 0;       // IPv4 header or ARP body
  uint16_t l4_off = 0;       // UDP / ICMP header (IPv4 only)
  uint16_t payload_off = 0;  // UDP payload (kLeaseQuery) / ICMP header (kIcmpEcho)
  uint16_t payload_len = 0;
  uint16_t l3_end = 0;       // end of the IPv4 packet (frame padding excluded)
  uint32_t src_ip = 0;       // host order (IPv4: header; ARP: sender)
  uint32_t dst_ip = 0;       // host order (IPv4: header; ARP: target) - ours
  uint16_t src_port = 0;     // UDP only
  uint16_t outer_vid = 0;    // first tag's VID, 0 when untagged
};

Classified ClassifyFrame(std::span<const uint8_t> frame, const PortIdentity& port);

// RFC 1071 Internet checksum helpers, shared with reply_frame.
// Sum of 16-bit big-endian words (odd trailing byte padded with zero),
// added to `sum`; not complemented, and folded only as far as it needs to
// fit 32 bits (ChecksumFinish folds the rest).
uint32_t ChecksumPartial(const uint8_t* p, size_t n, uint32_t sum);
// Folds and complements.
uint16_t ChecksumFinish(uint32_t sum);
// UDP checksum over pseudo-header + UDP header + data (`udp` points at the
// header, `udp_len` bytes). A computed 0 is returned as 0xffff (RFC 768).
uint16_t UdpChecksum(uint32_t src_ip, uint32_t dst_ip, const uint8_t* udp, size_t udp_len);
// The pseudo-header part alone, folded and not complemented: what a port
// doing UDP checksum offload expects in the checksum field (the value
// rte_ipv4_phdr_cksum gives, in host order).
uint16_t UdpPseudoHeaderSum(uint32_t src_ip, uint32_t dst_ip, size_t udp_len);

}  // namespace lqd::dataplane
