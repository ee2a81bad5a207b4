// SPDX-License-Identifier: Apache-2.0
// File: client/text.cc
#include "client/text.h"

#include <arpa/inet.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "dhcp/text.h"

namespace lqd::client {
namespace {

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

using dhcp::HexNibble;

// Even-length run of hex digits, no separators.
bool ParsePlainHex(std::string_view s, std::vector<uint8_t>& out) {
  if (s.empty() || s.size() % 2 != 0) return false;
  out.clear();
  for (size_t i = 0; i < s.size(); i += 2) {
    const int hi = HexNibble(s[i]), lo = HexNibble(s[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return true;
}

// "1:2:ab" or "01-02-ab": one or two hex digits per byte.
bool ParseSeparatedHex(std::string_view s, std::vector<uint8_t>& out) {
  if (s.find_first_of(":-") == std::string_view::npos) return false;
  out.clear();
  for (absl::string_view part : absl::StrSplit(AbslView(s), absl::ByAnyChar(":-"))) {
    if (part.empty() || part.size() > 2) return false;
    int v = 0;
    for (char c : part) {
      const int d = HexNibble(c);
      if (d < 0) return false;
      v = v * 16 + d;
    }
    out.push_back(static_cast<uint8_t>(v));
  }
  return true;
}

}  // namespace

absl::StatusOr<uint32_t> ParseIpv4(std::string_view s) {
  const std::string str(s);
  in_addr a{};
  if (inet_pton(AF_INET, str.c_str(), &a) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", str, "' is not an IPv4 address (expected dotted quad, e.g. 192.0.2.1)"));
  }
  return ntohl(a.s_addr);
}

std::string FormatIpv4(uint32_t addr) {
  return absl::StrCat(addr >> 24, ".", (addr >> 16) & 0xff, ".", (addr >> 8) & 0xff, ".",
                      addr & 0xff);
}

bool Prefix::Contains(uint32_t addr) const {
  if (length == 0) return true;
  const uint32_t mask = length == 32 ? 0xffffffffu : ~(0xffffffffu >> length);
  return (addr & mask) == network;
}

absl::StatusOr<Prefix> ParsePrefix(std::string_view s) {
  const size_t slash = s.find('/');
  if (slash == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", AbslView(s), "' is not a prefix (expected ADDR/LEN, e.g. 10.0.0.0/16)"));
  }
  auto addr = ParseIpv4(s.substr(0, slash));
  if (!addr.ok()) return addr.status();
  int len = 0;
  if (!absl::SimpleAtoi(AbslView(s.substr(slash + 1)), &len) || len < 0 || len > 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", AbslView(s), "': prefix length must be 0..32"));
  }
  const uint32_t mask = len == 0 ? 0 : (len == 32 ? 0xffffffffu : ~(0xffffffffu >> len));
  if ((*addr & ~mask) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", AbslView(s), "' has host bits set (did you mean ",
                                                   FormatIpv4(*addr & mask), "/", len, "?)"));
  }
  return Prefix{*addr, len};
}

absl::StatusOr<std::vector<uint8_t>> ParseMac(std::string_view s) {
  std::vector<uint8_t> out;
  if ((ParseSeparatedHex(s, out) || ParsePlainHex(s, out)) && !out.empty() && out.size() <= 16) {
    return out;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "'", AbslView(s), "' is not a hardware address (expected 1-16 hex bytes, e.g. 02:00:00:00:00:01)"));
}

absl::StatusOr<std::vector<uint8_t>> ParseClientId(std::string_view s) {
  if (s.empty()) return absl::InvalidArgumentError("client-id must not be empty");
  std::vector<uint8_t> out;
  if (ParseSeparatedHex(s, out)) return out;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    if (ParsePlainHex(s.substr(2), out)) return out;
    return absl::InvalidArgumentError(
        absl::StrCat("'", AbslView(s), "': after 0x an even number of hex digits is expected"));
  }
  if (s.size() > 255) return absl::InvalidArgumentError("client-id longer than 255 bytes");
  return std::vector<uint8_t>(s.begin(), s.end());
}

absl::StatusOr<std::vector<uint8_t>> ParseOptionList(std::string_view s) {
  std::vector<uint8_t> out;
  if (s.empty()) return out;
  for (absl::string_view part : absl::StrSplit(AbslView(s), ',')) {
    int v = 0;
    if (!absl::SimpleAtoi(part, &v) || v < 1 || v > 254) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", part, "' is not an option code (expected comma-separated numbers 1..254, e.g. 51,82)"));
    }
    out.push_back(static_cast<uint8_t>(v));
  }
  return out;
}

std::string HexColon(std::span<const uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 3);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i) s.push_back(':');
    s.push_back(kHex[bytes[i] >> 4]);
    s.push_back(kHex[bytes[i] & 15]);
  }
  return s;
}

std::string Printable(std::span<const uint8_t> bytes) {
  std::string s;
  s.reserve(bytes.size());
  for (uint8_t b : bytes) s.push_back(b >= 0x20 && b < 0x7f ? static_cast<char>(b) : '.');
  return s;
}

}  // namespace lqd::client
