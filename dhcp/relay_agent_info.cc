// SPDX-License-Identifier: Apache-2.0
// File: dhcp/relay_agent_info.cc
#include "dhcp/relay_agent_info.h"

#include "dhcp/wire.h"

namespace lqd::dhcp {

std::optional<RelayAgentInfo> RelayAgentInfo::Parse(std::span<const uint8_t> payload) {
  // RFC 3046 2.0: the option holds at least one sub-option.
  if (payload.size() < 2) return std::nullopt;
  size_t i = 0;
  while (i < payload.size()) {
    const size_t left = payload.size() - i;
    if (left < 2 || left - 2 < payload[i + 1]) return std::nullopt;
    i += 2 + payload[i + 1];
  }
  return RelayAgentInfo(payload);
}

std::optional<std::span<const uint8_t>> RelayAgentInfo::Find(uint8_t code) const {
  for (const SubOptionView s : *this) {
    if (s.code == code) return s.value;
  }
  return std::nullopt;
}

std::optional<std::span<const uint8_t>> RelayAgentInfo::circuit_id() const {
  return Find(rai::kCircuitId);
}
std::optional<std::span<const uint8_t>> RelayAgentInfo::remote_id() const {
  return Find(rai::kRemoteId);
}
std::optional<std::span<const uint8_t>> RelayAgentInfo::relay_id() const {
  return Find(rai::kRelayId);
}

// The fixed-size sub-options are only meaningful at their defined length; a
// wrong length is treated as absent rather than read partially.
std::optional<uint16_t> RelayAgentInfo::relay_port() const {
  const auto v = Find(rai::kRelayPort);
  if (!v || v->size() != 2) return std::nullopt;
  return LoadBe16(v->data());
}
std::optional<uint32_t> RelayAgentInfo::link_selection() const {
  const auto v = Find(rai::kLinkSelection);
  if (!v || v->size() != 4) return std::nullopt;
  return LoadBe32(v->data());
}
std::optional<uint32_t> RelayAgentInfo::server_id_override() const {
  const auto v = Find(rai::kServerIdOverride);
  if (!v || v->size() != 4) return std::nullopt;
  return LoadBe32(v->data());
}

const char* SubOptionName(uint8_t code) {
  switch (code) {
    case rai::kCircuitId: return "circuit-id";
    case rai::kRemoteId: return "remote-id";
    case rai::kDocsisDeviceClass: return "docsis-device-class";
    case rai::kLinkSelection: return "link-selection";
    case rai::kSubscriberId: return "subscriber-id";
    case rai::kRadiusAttributes: return "radius-attributes";
    case rai::kAuthentication: return "authentication";
    case rai::kVendorSpecific: return "vendor-specific";
    case rai::kFlags: return "flags";
    case rai::kServerIdOverride: return "server-id-override";
    case rai::kRelayId: return "relay-id";
    case rai::kRelayPort: return "relay-port";
    case rai::kVssInfo: return "vss-info";
    case rai::kVssControl: return "vss-control";
    default: return nullptr;
  }
}

}  // namespace lqd::dhcp
