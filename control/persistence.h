// SPDX-License-Identifier: Apache-2.0
// File: control/persistence.h
//
// Persistence of the replica: an append-only journal of applied updates
// plus periodic snapshots of the whole store, in one state directory.
//
//   snapshot.lqs       "LQDSNAP1" u64 next_gen u64 count, records, trailer
//                      "LQDEND01" u64 count u32 crc-of-record-crcs
//   snapshot.leases-file  lines "<next_gen> <identity>": the `leases` file
//                      (lqd.json) whose content the snapshot of that
//                      generation already holds (set_lease_file_identity);
//                      the current snapshot's line and the next one's,
//                      renamed and synced before the snapshot, so whichever
//                      snapshot a crash leaves finds its line
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
//
// Disk full / read-only at run time: a failed journal write is cut back to
// the last whole record (never a torn record followed by good ones) and the
// buffered updates stay buffered, so the next Flush()/Sync() retries them
// and succeeds once space returns. Past max_pending_bytes of backlog (or
// after a failed fdatasync, whose pages the kernel may have dropped) the
// backlog is dropped, Flush()/Sync() keep failing with a message saying so,
// and appended_since_snapshot() reports "a lot" so the caller's snapshot
// trigger fires; the next WriteSnapshot() (which covers every lease) makes
// the directory complete again. A failed snapshot is retried at most every
// snapshot_retry_seconds (PersistenceLimits). Every error names the file and the fix (ENOSPC,
// EROFS) and leaves the in-memory replica untouched.
#pragma once

#include <sys/types.h>

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
  // Identity of the `leases` file this snapshot already holds (empty: none,
  // or unknown); see Persistence::set_lease_file_identity.
  std::string snapshot_lease_file;
  std::vector<std::string> warnings;   // one line per problem, with file and offset
  bool needs_full_reconcile() const { return snapshot_corrupt || journal_bytes_discarded > 0; }
};

// The leases of a snapshot that passed every check (each record's checksum,
// the trailer, and each record's decoding), kept in their encoded form: the
// file's bytes plus where each record starts. ControlPlane::Start decodes
// them straight into LeaseStore::BulkLoad (LeaseRef views into the bytes),
// so 10 M leases never exist as ~2 GB of Lease values. Immutable; Get() may
// be called from several threads at once.
class SnapshotLeases {
 public:
  SnapshotLeases() = default;
  SnapshotLeases(SnapshotLeases&&) = default;
  SnapshotLeases& operator=(SnapshotLeases&&) = default;

  size_t size() const { return offsets_.size(); }
  bool empty() const { return offsets_.empty(); }
  // Decodes lease #i (i < size()) into *out, whose byte strings then point
  // into this object. Always true: Open() decoded every record once already.
  bool Get(size_t i, LeaseRef* out) const;
  // An owning copy of lease #i.
  Lease at(size_t i) const;
  // Frees the bytes.
  void clear() { *this = SnapshotLeases(); }

  // How the file's bytes are given back: munmap (mapped != 0 bytes) or free.
  struct Free {
    size_t mapped;  // value-initialised to 0 by unique_ptr
    void operator()(char* p) const;
  };
  using Bytes = std::unique_ptr<char[], Free>;

 private:
  friend class Persistence;
  Bytes bytes_;                    // the whole file
  std::vector<uint64_t> offsets_;  // payload of record i; its u32 length is 8 bytes before
};

struct Recovered {
  SnapshotLeases snapshot;               // BulkLoad these first
  std::vector<LeaseUpdate> journal;      // then apply these, in order
  RecoveryReport report;
};

struct PersistenceLimits {
  size_t max_pending_bytes = 64u << 20;  // journal backlog kept while writes fail
  int64_t snapshot_retry_seconds = 5;    // after a failed snapshot
};

class Persistence {
 public:
  // Creates `dir` if needed and recovers what it holds.
  static absl::StatusOr<std::unique_ptr<Persistence>> Open(const std::string& dir, Recovered* out,
                                                          PersistenceLimits limits = {});
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
  // The `leases` file this process loaded (its size and CRC-32C, from
  // lqd's main). Every later snapshot records it: the snapshot holds that
  // file's leases and what happened to them since (deletes included, which
  // a snapshot cannot list), so a restart with the same file must not load
  // it again. Empty: no file.
  void set_lease_file_identity(std::string id) { lease_file_identity_ = std::move(id); }

  uint64_t journal_gen() const { return gen_; }
  // Updates not yet covered by a snapshot; UINT64_MAX while only a snapshot
  // can restore durability (see "Disk full" above).
  uint64_t appended_since_snapshot() const { return needs_snapshot_ ? UINT64_MAX : since_snapshot_; }
  bool needs_snapshot() const { return needs_snapshot_; }
  size_t pending_bytes() const { return buffer_.size(); }

  const std::string& dir() const { return dir_; }

 private:
  explicit Persistence(std::string dir) : dir_(std::move(dir)) {}
  absl::Status OpenJournal(uint64_t gen);
  // Writes the buffer to the journal; on failure cuts the journal back and
  // keeps the buffer (see "Disk full").
  absl::Status WritePending();
  absl::Status WriteSnapshotNow(const LeaseStore& store);
  absl::Status WriteLeaseFileIdentity(uint64_t next_gen);
  absl::Status LostStatus() const;

  std::string dir_;
  PersistenceLimits limits_;
  uint64_t gen_ = 0;
  int journal_fd_ = -1;
  std::string buffer_;
  uint64_t pending_updates_ = 0;   // records in buffer_
  off_t journal_size_ = 0;         // bytes of whole records in the journal file
  bool needs_snapshot_ = false;
  uint64_t lost_updates_ = 0;      // dropped from the backlog since the last snapshot
  uint64_t since_snapshot_ = 0;
  int64_t next_snapshot_try_ = 0;  // CLOCK_MONOTONIC seconds
  absl::Status last_snapshot_error_;
  std::string lease_file_identity_;
  std::string lease_file_line_;  // "<gen> <identity>\n" of the snapshot on disk, or ""
};

}  // namespace lqd::control
