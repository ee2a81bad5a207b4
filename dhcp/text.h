// SPDX-License-Identifier: Apache-2.0
// File: dhcp/text.h
//
// The text forms lease feeds use for DHCP values: hex digits and the IPv4
// dotted quad. Kea's CSV and JSON carry every address, MAC, client-id and
// option 82 as text, millions of times at start-up; these are the small,
// branch-light pieces the feed parsers share.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lqd::dhcp {

inline constexpr std::array<int8_t, 256> kHexNibble = [] {
  std::array<int8_t, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = -1;
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<int8_t>(c - 'A' + 10);
  return t;
}();

// 0..15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for any other byte.
inline int HexNibble(char c) { return kHexNibble[static_cast<unsigned char>(c)]; }

// A dotted quad as strict as inet_pton(AF_INET): four decimal parts of at
// most 255, 1-3 digits, no leading zeros, nothing else. Host order.
inline bool ParseDottedQuad(std::string_view s, uint32_t* out) {
  uint32_t ip = 0;
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
    const size_t start = i;
    uint32_t v = 0;
    while (i < s.size() && i - start < 3 && s[i] >= '0' && s[i] <= '9') v = v * 10 + static_cast<uint32_t>(s[i++] - '0');
    if (i == start || v > 255 || (i - start > 1 && s[start] == '0')) return false;
    ip = ip << 8 | v;
  }
  if (i != s.size()) return false;
  *out = ip;
  return true;
}

}  // namespace lqd::dhcp
