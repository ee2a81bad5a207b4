// SPDX-License-Identifier: Apache-2.0
// File: control/kea_user_context.h
//
// Option 82 as Kea stores it in a lease's user-context, in both layouts:
//   Kea 2.2:   {"ISC": {"relay-agent-info": "0x0104..."}}
//   Kea 2.4+:  {"ISC": {"relay-agent-info": {"sub-options": "0x0104...", ...}}}
// The hex is the option's payload (sub-option TLVs without code/length).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/statusor.h"

namespace lqd::control {

// Returns the raw option 82 payload, or "" when the context has none.
// Fails on invalid JSON, bad hex, or a payload whose sub-options do not
// parse (RFC 3046).
absl::StatusOr<std::string> RelayAgentInfoFromUserContext(std::string_view json_text);
// The same on an already parsed context (the Kea HA ingest's hot path).
absl::StatusOr<std::string> RelayAgentInfoFromParsedUserContext(const nlohmann::json& context);

// The option 82 payload from ISC.relay-agent-info's hex ("0x0104..."):
// decoded, at most 255 bytes, sub-options valid (RFC 3046).
absl::StatusOr<std::string> RelayAgentInfoFromHex(std::string_view hex);

// Decodes "0x0A0b..." or "0a0b..." into bytes.
absl::StatusOr<std::string> DecodeHex(std::string_view hex);

}  // namespace lqd::control
