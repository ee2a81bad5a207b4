// SPDX-License-Identifier: Apache-2.0
// File: client/answer.h
//
// A leasequery reply (DHCPLEASEACTIVE / UNASSIGNED / UNKNOWN) decoded into
// an owning struct: the header fields and every option, the well-known
// ones typed, all of them also kept raw in wire order.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "dhcp/wire.h"

namespace lqd::client {

enum class LeaseState : uint8_t { kActive, kUnassigned, kUnknown };
const char* LeaseStateName(LeaseState s);  // "ACTIVE", "UNASSIGNED", "UNKNOWN"

struct RawOption {
  uint8_t code = 0;
  std::vector<uint8_t> value;
};

struct Answer {
  dhcp::MessageType type = dhcp::MessageType::kNone;
  LeaseState state = LeaseState::kUnknown;
  uint32_t xid = 0;
  uint16_t secs = 0;
  uint16_t flags = 0;
  uint32_t ciaddr = 0;  // host order
  uint32_t yiaddr = 0;
  uint32_t siaddr = 0;
  uint32_t giaddr = 0;
  uint8_t htype = 0;
  uint8_t hlen = 0;
  std::vector<uint8_t> chaddr;  // hlen bytes

  std::optional<uint32_t> lease_time;      // 51, seconds remaining (0xffffffff infinite)
  std::optional<uint32_t> server_id;       // 54
  std::optional<uint32_t> renewal_time;    // 58, T1 remaining
  std::optional<uint32_t> rebinding_time;  // 59, T2 remaining
  std::optional<std::vector<uint8_t>> vendor_class;  // 60
  std::optional<std::vector<uint8_t>> client_id;     // 61
  std::optional<std::vector<uint8_t>> relay_agent_info;  // 82 payload
  std::vector<RawOption> relay_sub_options;              // 82 decoded, wire order
  std::optional<uint32_t> client_last_transaction_time;  // 91, seconds ago
  std::vector<uint32_t> associated_ips;                  // 92
  std::vector<RawOption> options;  // every option (after RFC 3396 joining), wire order

  bool HasHardwareAddress() const;
};

// LeaseState for an answer's option 53, or nullopt for other types.
std::optional<LeaseState> StateOf(dhcp::MessageType t);

// InvalidArgument when the bytes are not a well-formed BOOTREPLY carrying
// DHCPLEASEACTIVE/UNASSIGNED/UNKNOWN, or a known option has a bad length.
absl::StatusOr<Answer> DecodeAnswer(std::span<const uint8_t> bytes);

}  // namespace lqd::client
