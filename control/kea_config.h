// SPDX-License-Identifier: Apache-2.0
// File: control/kea_config.h
//
// Authoritative ranges learned from the primary: Kea's `config-get`
// (through kea-ctrl-agent, the pull's endpoint and credentials) lists every
// subnet's pools, and those are the addresses Kea may lease. lqd answers
// DHCPLEASEUNASSIGNED for a free address inside them and DHCPLEASEUNKNOWN
// outside (RFC 4388 §6.4), so learning them keeps lqd right when the
// operator adds a pool on Kea and forgets lqd's config.
//
// Taken from the answer: `Dhcp4.subnet4[].pools[].pool` and the same under
// `Dhcp4.shared-networks[].subnet4[]`, in both of Kea's spellings
// ("a.b.c.d-e.f.g.h", with or without spaces, and "a.b.c.d/len"), plus
// each subnet's reservations' `ip-address` (Kea leases a reserved address
// even outside the pools). Everything else in the answer, passwords of
// Kea's own configuration included, is dropped unread and never logged.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/statusor.h"
#include "control/http_client.h"
#include "lease-store/authoritative_ranges.h"

namespace lqd::control {

// The ranges in a parsed config-get answer (the list kea-ctrl-agent sends).
// An answer with result != 0, without Dhcp4, or with a pool that does not
// parse is an error naming the JSON path.
absl::StatusOr<std::vector<AddressRange>> KeaRangesFromConfigGet(const nlohmann::json& answer);

// Sends config-get for service dhcp4 and parses the answer.
absl::StatusOr<std::vector<AddressRange>> FetchKeaRanges(const HttpEndpoint& agent);

}  // namespace lqd::control
