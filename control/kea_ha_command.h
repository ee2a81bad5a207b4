// SPDX-License-Identifier: Apache-2.0
// File: control/kea_ha_command.h
//
// The JSON commands a Kea HA primary POSTs to a `backup` peer
// (passive-backup mode): lease4-update and lease4-del, in the Kea 2.2
// shape and the 2.4+ one (relay-agent-info as a map, pool-id, origin).
// See ../shared/reference/kea-lease-feeds.md section 2 for captures.
//
// Parsing is separate from transport so the fuzzer and the tests feed
// bodies straight in.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/statusor.h"
#include "control/lease_update.h"

namespace lqd::control {

// Kea control-channel result codes.
enum class KeaResult : int { kSuccess = 0, kError = 1, kUnsupported = 2, kEmpty = 3 };

struct KeaCommand {
  std::string name;          // "lease4-update", "list-commands", ...
  bool is_lease_change = false;
  LeaseUpdate update;        // valid when is_lease_change
};

// Parses one command body. Errors say what is wrong with which field
// ("arguments.ip-address: 'x' is not an IPv4 address").
// A fast scanner (kea_ha_command_fast.h) takes the usual lease4-update /
// lease4-del; anything else goes to the nlohmann DOM parse
// (ParseKeaCommandDom), same results.
absl::StatusOr<KeaCommand> ParseKeaCommand(std::string_view body);
// The DOM path alone (tests compare the two).
absl::StatusOr<KeaCommand> ParseKeaCommandDom(std::string_view body);

// Converts one lease object as found in lease4-update arguments (expire +
// valid-lft) or in a lease4-get-page answer (cltt + valid-lft). `path`
// prefixes error messages ("arguments", "arguments.leases[3]").
absl::StatusOr<Lease> LeaseFromKeaJson(const nlohmann::json& j, std::string_view path);

// The response body Kea expects: a JSON list holding one map.
std::string KeaResponse(KeaResult result, std::string_view text);

}  // namespace lqd::control
