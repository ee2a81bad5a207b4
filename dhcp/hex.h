// SPDX-License-Identifier: Apache-2.0
// File: dhcp/hex.h
//
// One hex digit's value by table lookup. Lease files and Kea's JSON carry
// every MAC, client-id and option 82 as hex text; a branchy digit test per
// character was a visible share of loading a 10 M-lease Kea CSV.
#pragma once

#include <array>
#include <cstdint>

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

}  // namespace lqd::dhcp
