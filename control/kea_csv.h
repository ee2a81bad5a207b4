// SPDX-License-Identifier: Apache-2.0
// File: control/kea_csv.h
//
// Reader for Kea's memfile lease file (kea-leases4.csv), 2.2 and 2.4+.
//
// Columns are taken from the header line, not from a fixed order, so files
// written by Kea 2.2 (address,hwaddr,client_id,valid_lifetime,expire,
// subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context) and by 2.4+
// (which adds pool_id) both load. Kea escapes commas inside a field as
// "&#x2c"; they are unescaped. A line with valid_lifetime 0 is Kea's
// deletion record for that address (it removes the lease).
//
// Bad lines never stop a load: each is reported with its file line number
// and reason and skipped; every valid line is kept.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lease-store/lease.h"

namespace lqd::control {

struct LineError {
  size_t line = 0;      // 1-based line number in the file
  std::string reason;   // what was wrong and how to fix it
};

struct KeaCsvRecord {
  Lease lease;
  bool is_delete = false;  // valid_lifetime 0: remove lease.ip
  size_t line = 0;         // 1-based line number in the file
};

struct KeaCsvResult {
  std::vector<KeaCsvRecord> records;  // in file order (later lines win)
  std::vector<LineError> errors;
};

// Parses the whole text of a lease file. Fails only when the header itself
// is unusable (missing, or lacks a required column: address, hwaddr,
// valid_lifetime, expire, state).
absl::StatusOr<KeaCsvResult> ParseKeaCsv(std::string_view text);
// Reads and parses a file.
absl::StatusOr<KeaCsvResult> LoadKeaCsv(const std::string& path);

// Folds records into the final lease set: later lines replace earlier ones
// for the same address, deletions remove. Order of the result is by address.
std::vector<Lease> FoldKeaCsv(const std::vector<KeaCsvRecord>& records);
// The same, moving the leases out of `records` (left empty): no copies.
std::vector<Lease> FoldKeaCsv(std::vector<KeaCsvRecord>&& records);

}  // namespace lqd::control
