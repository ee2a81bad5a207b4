// SPDX-License-Identifier: Apache-2.0
// File: client/text.h
//
// Parsing and printing of the values the client tools take on the command
// line or print: IPv4 addresses, prefixes, MAC addresses, client-ids, PRLs.
// Addresses are host-order uint32 like everywhere in lqd.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace lqd::client {

absl::StatusOr<uint32_t> ParseIpv4(std::string_view s);
std::string FormatIpv4(uint32_t addr);

struct Prefix {
  uint32_t network = 0;  // host order, host bits zero
  int length = 0;        // 0..32
  bool Contains(uint32_t addr) const;
  uint64_t Size() const { return uint64_t{1} << (32 - length); }
};
// "10.0.0.0/16". Host bits set is an error (say what was meant).
absl::StatusOr<Prefix> ParsePrefix(std::string_view s);

// "02:00:00:00:00:01", "02-00-..." or "020000000001": 1..16 bytes.
absl::StatusOr<std::vector<uint8_t>> ParseMac(std::string_view s);

// Hex bytes separated by ':' or '-' ("01:02:00:00:00:00:01"), or "0x" plus
// hex digits; anything else is taken as the literal bytes of the string.
absl::StatusOr<std::vector<uint8_t>> ParseClientId(std::string_view s);

// "51,82,91": option codes 1..254.
absl::StatusOr<std::vector<uint8_t>> ParseOptionList(std::string_view s);

// "01:02:ab"; empty for an empty span.
std::string HexColon(std::span<const uint8_t> bytes);
// Printable ASCII kept, everything else as '.'.
std::string Printable(std::span<const uint8_t> bytes);

}  // namespace lqd::client
