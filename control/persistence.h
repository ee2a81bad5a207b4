// SPDX-License-Identifier: Apache-2.0
// File: control/persistence.h
//
// Persistence of the replica: an append-only journal of applied updates
// plus periodic snapshots of the whole store, in one state directory.
//
//   snapshot.lqs       "LQDSNAP1" u64 next_gen u64 count, records, trailer
//                      "LQDEND01" u64 count u32 crc-of-record-crcs
//   journal-<gen>.lqj  "LQDJRNL1" u64 gen, records
//   record             u32 len, u32 crc32c(payload), payload (lease_codec.h)
//
// Durability contract: what Sync() returned OK for is on stable storage
// (fdatasync); what Flush() returned OK for survives a crash of lqd but not
// of the host. The Kea ingest acknowledges only after one of them (which one
// is `control.journal-fsync`), so a kill -9 never loses an acknowledged
// update, and with "always" neither does a power loss.
//
// Snapshot protocol (crash-safe at every step): sync the journal; start
// journal gen+1; write snapshot.tmp (next_gen = gen+1) and fsync it;
// rename over snapshot.lqs and fsync the directory; delete older journals.
// Recovery loads the snapshot if its checksums hold, then replays
// journals >= next_gen in order. A torn record at a journal's tail (crash
// mid-write, never acknowledged) is cut off; any other checksum failure is
// reported loudly, and a corrupt snapshot is never served: recovery says
// so and the caller must reconcile from the primary in full.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "control/lease_update.h"
#include "lease-store/lease_store.h"

namespace lqd::control {

struct RecoveryReport {
  bool snapshot_found = false;
  bool snapshot_corrupt = false;  // present but failed its checks: not used
  std::string snapshot_error;
  size_t snapshot_leases = 0;
  size_t journals = 0;
  size_t journal_records = 0;
  size_t journal_bytes_discarded = 0;  // torn tail or corruption
  std::vector<std::string> warnings;   // one line per problem, with file and offset
  bool needs_full_reconcile() const { return snapshot_corrupt || journal_bytes_discarded > 0; }
};

struct Recovered {
  std::vector<Lease> snapshot;           // BulkLoad these first
  std::vector<LeaseUpdate> journal;      // then apply these, in order
  RecoveryReport report;
};

class Persistence {
 public:
  // Creates `dir` if needed and recovers what it holds.
  static absl::StatusOr<std::unique_ptr<Persistence>> Open(const std::string& dir, Recovered* out);
  ~Persistence();

  // Buffers one update (no I/O until Sync or the buffer fills).
  absl::Status Append(const LeaseUpdate& u);
  // Writes buffered updates and fdatasyncs the journal.
  absl::Status Sync();
  // Writes buffered updates to the kernel without fdatasync: they survive a
  // crash or kill -9 of lqd (the page cache is the kernel's), not a power
  // loss. For `journal-fsync: "interval"`.
  absl::Status Flush();
  // Writes a snapshot of `store` (writer thread) and rotates the journal.
  absl::Status WriteSnapshot(const LeaseStore& store);

  uint64_t journal_gen() const { return gen_; }
  uint64_t appended_since_snapshot() const { return since_snapshot_; }
  const std::string& dir() const { return dir_; }

 private:
  explicit Persistence(std::string dir) : dir_(std::move(dir)) {}
  absl::Status OpenJournal(uint64_t gen);

  std::string dir_;
  uint64_t gen_ = 0;
  int journal_fd_ = -1;
  std::string buffer_;
  uint64_t since_snapshot_ = 0;
};

}  // namespace lqd::control
