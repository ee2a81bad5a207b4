// SPDX-License-Identifier: Apache-2.0
// File: control/dhcpd_leases.h
//
// Reader for ISC dhcpd 4.4's lease database (dhcpd.leases, dhcpd.leases(5)).
//
// The file is a sequence of statements; only `lease A.B.C.D { ... }` blocks
// matter. Everything else (comments, authoring-byte-order, server-duid,
// failover peer state blocks, host/class/subclass, statements lqd does not
// know) is skipped by its `;` or its balanced `{ }`. Inside a block:
//   starts/ends/cltt/tstp  "W yyyy/mm/dd hh:mm:ss" (UTC), "epoch N" or "never"
//   binding state X         active|free|expired|released|abandoned|backup|reset
//   hardware ethernet ...   (also token-ring, fddi, infiniband)
//   uid "..."|xx:xx         option 61; quoted with octal escapes or colon hex
//   option agent.NAME V     relay sub-options, rebuilt into the option 82
//                           payload in file order (dhcpd stashes them as
//                           received); V is a quoted string, unpadded colon
//                           hex ("0:1a:2b"), or for agent-id/link-selection a
//                           dotted quad, for DOCSIS-device-class a decimal
//   set vendor-class-identifier = "..."   option 60
// The file is append-only between rewrites, so a later block for the same
// address replaces the earlier one entirely (a RELEASE block drops the uid
// and agent options).
//
// Bad blocks never stop a load: each is reported with the line of the
// offending statement and the reason, and skipped; every valid block is kept.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "control/kea_csv.h"  // LineError
#include "lease-store/lease.h"

namespace lqd::control {

struct DhcpdLeaseRecord {
  Lease lease;
  size_t line = 0;  // line of the `lease` keyword
};

struct DhcpdLeasesResult {
  std::vector<DhcpdLeaseRecord> records;  // in file order (later blocks win)
  std::vector<LineError> errors;
  // Bytes of `text` holding complete statements, and the newlines in them.
  // A tailer keeps the rest (a block still being written) for next time.
  size_t consumed = 0;
  size_t consumed_lines = 0;
};

// Parses `text`, whose first byte is on line `first_line` of the file.
// `at_eof`: the text is the whole rest of the file and will not grow, so an
// unterminated last statement is an error; otherwise it is left unconsumed.
DhcpdLeasesResult ParseDhcpdLeases(std::string_view text, size_t first_line = 1, bool at_eof = true);
// Reads and parses a whole file.
absl::StatusOr<DhcpdLeasesResult> LoadDhcpdLeases(const std::string& path);

// The final lease per address (later blocks win), ordered by address.
std::vector<Lease> FoldDhcpdLeases(const std::vector<DhcpdLeaseRecord>& records);

}  // namespace lqd::control
