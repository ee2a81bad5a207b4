// SPDX-License-Identifier: Apache-2.0
// File: dataplane/reply_frame.cc
#include "dataplane/reply_frame.h"

#include <cstring>

namespace lqd::dataplane {

namespace {

inline void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void Put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// Destination MAC = the query's source; source MAC = ours. Tags stay.
void SwapMacs(uint8_t* f, const uint8_t* port_mac) {
  std::memcpy(f, f + 6, 6);
  std::memcpy(f + 6, port_mac, 6);
}

// A 20-byte IPv4 header for `l4_len` bytes of `proto`, checksummed unless
// the port will (`offload`: the field stays 0).
void WriteIpv4(uint8_t* ip, uint8_t proto, uint32_t src, uint32_t dst, size_t l4_len,
               bool offload = false) {
  ip[0] = 0x45;  // version 4, IHL 5
  ip[1] = 0;     // DSCP/ECN
  Put16(ip + 2, static_cast<uint16_t>(kIpv4MinHdrLen + l4_len));
  Put16(ip + 4, 0);       // id: unused with DF (RFC 6864)
  Put16(ip + 6, 0x4000);  // DF
  ip[8] = 64;             // TTL
  ip[9] = proto;
  Put16(ip + 10, 0);
  Put32(ip + 12, src);
  Put32(ip + 16, dst);
  if (!offload) Put16(ip + 10, ChecksumFinish(ChecksumPartial(ip, kIpv4MinHdrLen, 0)));
}

// Moves the L4 bytes down so that they follow a 20-byte IPv4 header.
// Returns the new L4 offset.
size_t DropIpOptions(uint8_t* f, const Classified& c, size_t l4_len) {
  const size_t new_l4 = c.l3_off + kIpv4MinHdrLen;
  if (c.l4_off != new_l4) std::memmove(f + new_l4, f + c.l4_off, l4_len);
  return new_l4;
}

}  // namespace

size_t BuildLeaseQueryReply(std::span<uint8_t> frame, const Classified& c, const uint8_t* port_mac,
                            const LeaseQueryReply& r) {
  if (frame.size() < c.payload_off + r.payload_len) return 0;
  uint8_t* f = frame.data();
  SwapMacs(f, port_mac);
  const size_t udp_len = kUdpHdrLen + r.payload_len;
  const size_t l4 = DropIpOptions(f, c, udp_len);
  WriteIpv4(f + c.l3_off, kIpProtoUdp, r.src_ip, r.dst_ip, udp_len, r.checksum_offload);
  uint8_t* udp = f + l4;
  Put16(udp + 0, 67);
  Put16(udp + 2, r.dst_port);
  Put16(udp + 4, static_cast<uint16_t>(udp_len));
  Put16(udp + 6, 0);  // summed as zero
  Put16(udp + 6, r.checksum_offload ? UdpPseudoHeaderSum(r.src_ip, r.dst_ip, udp_len)
                                    : UdpChecksum(r.src_ip, r.dst_ip, udp, udp_len));
  return l4 + udp_len;
}

size_t BuildArpReply(std::span<uint8_t> frame, const Classified& c, const uint8_t* port_mac) {
  if (frame.size() < c.l3_off + kArpLen) return 0;
  uint8_t* f = frame.data();
  SwapMacs(f, port_mac);
  uint8_t* a = f + c.l3_off;
  Put16(a + 6, 2);                 // op: reply
  std::memcpy(a + 18, a + 8, 6);   // tha = requester's sha
  std::memcpy(a + 24, a + 14, 4);  // tpa = requester's spa
  std::memcpy(a + 8, port_mac, 6); // sha = us
  Put32(a + 14, c.dst_ip);         // spa = the address asked for
  return frame.size();
}

size_t BuildIcmpEchoReply(std::span<uint8_t> frame, const Classified& c, const uint8_t* port_mac) {
  if (frame.size() < c.payload_off + c.payload_len) return 0;
  uint8_t* f = frame.data();
  SwapMacs(f, port_mac);
  const size_t l4 = DropIpOptions(f, c, c.payload_len);
  WriteIpv4(f + c.l3_off, kIpProtoIcmp, c.dst_ip, c.src_ip, c.payload_len);
  uint8_t* icmp = f + l4;
  icmp[0] = 0;  // echo reply
  icmp[1] = 0;
  Put16(icmp + 2, 0);
  Put16(icmp + 2, ChecksumFinish(ChecksumPartial(icmp, c.payload_len, 0)));
  return l4 + c.payload_len;
}

}  // namespace lqd::dataplane
