// SPDX-License-Identifier: Apache-2.0
// File: tests/dataplane/test_frames.h
//
// Hand-built frames for the classify / reply_frame tests, and an
// independent RFC 1071 checksum (a deliberately naive word loop, sharing no
// code with dataplane/classify.cc).
#pragma once

#include <cstdint>
#include <vector>

namespace lqd::dataplane::testing {

inline constexpr uint8_t kPortMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
inline constexpr uint8_t kPeerMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
inline constexpr uint32_t kUs = 0xc0000201;    // 192.0.2.1
inline constexpr uint32_t kRelay = 0xc0000202; // 192.0.2.2

inline uint16_t RefChecksum(const std::vector<uint8_t>& bytes) {
  uint32_t sum = 0;
  for (size_t i = 0; i < bytes.size(); i += 2) {
    uint16_t word = static_cast<uint16_t>(bytes[i] << 8);
    if (i + 1 < bytes.size()) word |= bytes[i + 1];
    sum += word;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum);
}

inline void Push16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}
inline void Push32(std::vector<uint8_t>& v, uint32_t x) {
  Push16(v, static_cast<uint16_t>(x >> 16));
  Push16(v, static_cast<uint16_t>(x));
}
inline uint16_t Get16(const std::vector<uint8_t>& v, size_t off) {
  return static_cast<uint16_t>(v[off] << 8 | v[off + 1]);
}
inline uint32_t Get32(const std::vector<uint8_t>& v, size_t off) {
  return uint32_t{Get16(v, off)} << 16 | Get16(v, off + 2);
}

struct FrameSpec {
  std::vector<uint16_t> tags;       // TPIDs with VID = 100 + index
  uint16_t ethertype = 0x0800;
  uint32_t src = kRelay;
  uint32_t dst = kUs;
  uint8_t proto = 17;
  std::vector<uint8_t> ip_options;  // multiple of 4
  uint16_t frag = 0x4000;           // DF
  uint16_t sport = 67;
  uint16_t dport = 67;
  bool udp_checksum = true;
  std::vector<uint8_t> l4_payload;  // UDP payload, or the whole ICMP message
  size_t pad_to = 0;                // Ethernet padding
};

inline std::vector<uint8_t> BuildFrame(const FrameSpec& s) {
  std::vector<uint8_t> f(kPortMac, kPortMac + 6);
  f.insert(f.end(), kPeerMac, kPeerMac + 6);
  for (size_t i = 0; i < s.tags.size(); ++i) {
    Push16(f, s.tags[i]);
    Push16(f, static_cast<uint16_t>(100 + i));
  }
  Push16(f, s.ethertype);
  const size_t ip_off = f.size();
  const size_t ihl = 20 + s.ip_options.size();
  const size_t l4_len = s.proto == 17 ? 8 + s.l4_payload.size() : s.l4_payload.size();
  std::vector<uint8_t> ip;
  ip.push_back(static_cast<uint8_t>(0x40 | ihl / 4));
  ip.push_back(0);
  Push16(ip, static_cast<uint16_t>(ihl + l4_len));
  Push16(ip, 0x1234);
  Push16(ip, s.frag);
  ip.push_back(63);
  ip.push_back(s.proto);
  Push16(ip, 0);
  Push32(ip, s.src);
  Push32(ip, s.dst);
  ip.insert(ip.end(), s.ip_options.begin(), s.ip_options.end());
  const uint16_t ipsum = RefChecksum(ip);
  ip[10] = static_cast<uint8_t>(ipsum >> 8);
  ip[11] = static_cast<uint8_t>(ipsum);
  f.insert(f.end(), ip.begin(), ip.end());
  if (s.proto == 17) {
    std::vector<uint8_t> udp;
    Push16(udp, s.sport);
    Push16(udp, s.dport);
    Push16(udp, static_cast<uint16_t>(l4_len));
    Push16(udp, 0);
    udp.insert(udp.end(), s.l4_payload.begin(), s.l4_payload.end());
    if (s.udp_checksum) {
      std::vector<uint8_t> pseudo;
      Push32(pseudo, s.src);
      Push32(pseudo, s.dst);
      Push16(pseudo, 17);
      Push16(pseudo, static_cast<uint16_t>(udp.size()));
      pseudo.insert(pseudo.end(), udp.begin(), udp.end());
      uint16_t c = RefChecksum(pseudo);
      if (c == 0) c = 0xffff;
      udp[6] = static_cast<uint8_t>(c >> 8);
      udp[7] = static_cast<uint8_t>(c);
    }
    f.insert(f.end(), udp.begin(), udp.end());
  } else {
    f.insert(f.end(), s.l4_payload.begin(), s.l4_payload.end());
  }
  (void)ip_off;
  if (f.size() < s.pad_to) f.resize(s.pad_to, 0);
  return f;
}

// An ICMP echo request message with a correct checksum.
inline std::vector<uint8_t> IcmpEcho(uint16_t id, uint16_t seq, size_t data_len) {
  std::vector<uint8_t> m = {8, 0, 0, 0};
  Push16(m, id);
  Push16(m, seq);
  for (size_t i = 0; i < data_len; ++i) m.push_back(static_cast<uint8_t>(i * 7));
  const uint16_t c = RefChecksum(m);
  m[2] = static_cast<uint8_t>(c >> 8);
  m[3] = static_cast<uint8_t>(c);
  return m;
}

inline std::vector<uint8_t> ArpRequest(uint32_t sender, uint32_t target, std::vector<uint16_t> tags = {}) {
  std::vector<uint8_t> f = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  f.insert(f.end(), kPeerMac, kPeerMac + 6);
  for (size_t i = 0; i < tags.size(); ++i) {
    Push16(f, tags[i]);
    Push16(f, static_cast<uint16_t>(100 + i));
  }
  Push16(f, 0x0806);
  Push16(f, 1);
  Push16(f, 0x0800);
  f.push_back(6);
  f.push_back(4);
  Push16(f, 1);
  f.insert(f.end(), kPeerMac, kPeerMac + 6);
  Push32(f, sender);
  for (int i = 0; i < 6; ++i) f.push_back(0);
  Push32(f, target);
  return f;
}

}  // namespace lqd::dataplane::testing
