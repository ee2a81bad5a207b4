// SPDX-License-Identifier: Apache-2.0
// File: client/subscribers.h
//
// Who lq-storm asks about: the subscribers behind the emulated
// concentrators, from a Kea memfile CSV (only the address, hwaddr,
// client_id, expire and state columns are read) or generated from a prefix.
//
// Generated population (the convention a server is seeded with, see
// WriteKeaCsv and lq-storm --write-leases): host i of the prefix (i = 0 is
// the first address after the network address) has
//   address   network + 1 + i
//   hwaddr    02:00:<the four address bytes>
//   client-id 01:<hwaddr>
//   active    iff PopulationActive(i, fraction): a fixed hash of i, so the
//             same prefix and fraction always give the same set.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/text.h"

namespace lqd::client {

struct Subscriber {
  uint32_t ip = 0;
  std::vector<uint8_t> mac;        // empty if unknown
  std::vector<uint8_t> client_id;  // empty if none
  bool active = true;              // expected answer: ACTIVE, else UNASSIGNED
};

// Reads a Kea memfile lease4 CSV. A row is active when state is 0 and
// expire is after `now` (unix seconds); rows with state 1/2 or in the past
// are kept as expected-UNASSIGNED. Rows with a bad address are an error
// naming the line.
absl::StatusOr<std::vector<Subscriber>> ReadKeaLeases(const std::string& path, int64_t now);

bool PopulationActive(uint64_t index, double active_fraction);
// Every usable host address of `prefix` (at most `limit`).
std::vector<Subscriber> GeneratePopulation(const Prefix& prefix, double active_fraction,
                                           size_t limit = SIZE_MAX);
// Writes the active members as a Kea memfile CSV, leases valid for
// `valid_lifetime` s from `now`, so a server can be seeded to match.
absl::Status WriteKeaCsv(const std::string& path, const std::vector<Subscriber>& subs, int64_t now,
                         uint32_t valid_lifetime = 86400);

}  // namespace lqd::client
