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
//
// LoadKeaCsvLeases is lqd's start-up load (packed, folded). ParseKeaCsv /
// LoadKeaCsv + FoldKeaCsv give the same leases as Lease values, line by
// line (the file follower, tests).
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

// What lqd loads at start: the folded lease set of a whole file, the same
// leases as FoldKeaCsv(LoadKeaCsv(path)->records), kept packed. Each valid
// line is parsed once into a compact record in a per-chunk arena (client-id
// and option 82 bytes inline), and the fold only picks pointers: 10 M leases
// are ~0.7 GB here, where as Lease values they were ~2 GB plus a heap block
// each for option 82, moved twice and freed one by one. ControlPlane::Start
// loads them into the store through Get(). Immutable; Get() may be called
// from several threads at once.
class KeaCsvLeaseSet {
 public:
  KeaCsvLeaseSet();
  KeaCsvLeaseSet(KeaCsvLeaseSet&&) noexcept;
  KeaCsvLeaseSet& operator=(KeaCsvLeaseSet&&) noexcept;
  ~KeaCsvLeaseSet();

  // Leases, by ascending address.
  size_t size() const { return leases_.size(); }
  bool empty() const { return leases_.empty(); }
  // Lease #i (i < size()) into *out, whose byte strings point into this set.
  void Get(size_t i, LeaseRef* out) const;
  // An owning copy of lease #i.
  Lease at(size_t i) const;
  // Bad lines, skipped (file line numbers, in file order).
  const std::vector<LineError>& errors() const { return errors_; }
  // Valid lines: lease updates and deletions.
  size_t records() const { return records_; }
  // Frees everything.
  void clear();

 // Internal to kea_csv.cc: one parsed chunk's packed records.
  struct Arena;

 private:
  friend absl::StatusOr<KeaCsvLeaseSet> ParseKeaCsvLeases(std::string_view text);
  friend absl::StatusOr<KeaCsvLeaseSet> LoadKeaCsvLeases(const std::string& path);
  std::vector<Arena> arenas_;       // the records of each parsed chunk
  std::vector<const char*> leases_;  // the surviving records, into arenas_
  std::vector<LineError> errors_;
  size_t records_ = 0;
  size_t next_line_ = 0;  // file line number after the parsed text
};
// Kea ends every line it writes with a newline; a last line without one is
// a write still in progress as lqd starts (cut before user_context, it would
// pass as a lease without its option 82), so it is skipped and reported as
// a bad line. The feeds bring that lease.
absl::StatusOr<KeaCsvLeaseSet> LoadKeaCsvLeases(const std::string& path);
// The same from the text of a lease file (the set does not refer to it).
absl::StatusOr<KeaCsvLeaseSet> ParseKeaCsvLeases(std::string_view text);

// Folds records into the final lease set: later lines replace earlier ones
// for the same address, deletions remove. Order of the result is by address.
std::vector<Lease> FoldKeaCsv(const std::vector<KeaCsvRecord>& records);
// The same, moving the leases out of `records` (left empty): no copies.
std::vector<Lease> FoldKeaCsv(std::vector<KeaCsvRecord>&& records);

}  // namespace lqd::control
