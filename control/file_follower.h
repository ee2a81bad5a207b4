// SPDX-License-Identifier: Apache-2.0
// File: control/file_follower.h
//
// FileFollower: keeps the replica in step with a lease file the primary
// writes (Kea memfile kea-leases4.csv, or ISC dhcpd's dhcpd.leases), for
// sites where the file is the only feed (dhcpd) or is preferred to HA/pull.
//
// Poll(now) is cheap and never waits: one fstat/stat, a small pread to check
// the bytes already read are still there, then a read of the new bytes. Only
// complete records are consumed (Kea: lines ending in '\n'; dhcpd: statements
// closed by ';' or '}'), so a record being written is taken next time.
//
// Rotation (kea-lease-feeds.md §4.3, §7), detected by path: the file at the
// path has another inode (Kea LFC renamed X to X.1; dhcpd renamed
// dhcpd.leases.<epoch> over dhcpd.leases), or is shorter than what was read,
// or its bytes before the read offset changed (rewritten in place). Then:
//  1. the old descriptor is drained to EOF (Kea: it is X.1 now, and may hold
//     rows appended after the last poll);
//  2. the whole set is read again. dhcpd: the new file is a full snapshot.
//     Kea: X.completed if it exists, else X.2 then X.1; then X, as Kea's own
//     loadLeasesFromFiles. Not while kea-lfc holds X.pid, nor while the
//     auxiliary files change under the read (retried next poll);
//  3. reconcile: leases this follower put in the replica that the complete
//     set no longer holds are deleted, like kea_pull after a full walk.
// A missing file is waited for (reported once), never taken as empty.
//
// Errors in records are reported once each, with file and line; the record
// is skipped and everything else is applied.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "control/replica.h"

namespace lqd::control {

enum class LeaseFileFormat : uint8_t { kKeaCsv, kDhcpdLeases };
const char* LeaseFileFormatName(LeaseFileFormat f);  // "kea-csv", "dhcpd-leases"

struct FollowerConfig {
  LeaseFileFormat format = LeaseFileFormat::kKeaCsv;
  std::string path;
  // The first complete read may also delete leases the replica holds (from
  // a snapshot) that the file lacks. Only right when this follower is lqd's
  // only feed; ControlPlane decides.
  bool sole_feed = false;
};

struct FollowerError {
  std::string file;  // the file the record is in
  size_t line = 0;   // 1-based; 0 for file-level problems
  std::string reason;
};

struct FollowerCounters {
  uint64_t records = 0;    // records read (including re-reads)
  uint64_t applied = 0;    // changed the replica
  uint64_t removed = 0;    // deleted on reconcile, or by a Kea deletion row
  uint64_t bad = 0;        // records skipped as malformed
  uint64_t full_reads = 0; // initial load + one per rotation/rewrite
  uint64_t rotations = 0;  // rotations, rewrites and truncations seen
};

struct FollowerPoll {
  std::vector<FollowerError> errors;  // new this poll (each reported once)
  std::vector<std::string> events;    // "rotated", "initial load ..." for the log
  uint64_t applied = 0;
  uint64_t removed = 0;
};

class FileFollower {
 public:
  FileFollower(FollowerConfig cfg, Replica& replica);
  ~FileFollower();
  FileFollower(const FileFollower&) = delete;
  FileFollower& operator=(const FileFollower&) = delete;

  // `now`: seconds, the replica's clock. Control thread only.
  FollowerPoll Poll(uint32_t now);

  // The first complete read is done (counts towards readiness).
  bool loaded() const { return loaded_; }
  const FollowerCounters& counters() const { return counters_; }
  const FollowerConfig& config() const { return cfg_; }

 private:
  struct Record {
    Lease lease;
    bool is_delete = false;
    size_t line = 0;
  };
  struct Parsed {
    std::vector<Record> records;
    std::vector<std::pair<size_t, std::string>> errors;  // line, reason
    size_t consumed = 0, consumed_lines = 0;
    bool header_ok = true;  // Kea: false when the header line is unusable
    std::string header_error;
  };
  // What this follower last applied for an address: reconcile deletes only
  // addresses it owns, and only while the replica still holds its version.
  struct Owned {
    uint32_t cltt, expire;
    uint64_t fingerprint;
  };
  struct FileId {
    bool exists = false;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    bool operator==(const FileId&) const = default;
  };

  // Parses complete records of `text` (which starts at `first_line`; at
  // offset 0 of the file when header_ is empty).
  Parsed ParseChunk(std::string_view text, size_t first_line);
  bool KeaLfcRunning(std::string* why) const;
  bool FullRead(uint32_t now, FollowerPoll* out);
  void Tail(uint32_t now, FollowerPoll* out);
  // Reads and applies the complete records after offset_ on fd_.
  void ReadNew(uint32_t now, FollowerPoll* out);
  void ApplyRecord(const Record& r, const std::string& file, uint32_t now, FollowerPoll* out);
  void DeleteIfHeld(uint32_t ip, std::optional<uint32_t> deleted_at, uint32_t now, FollowerPoll* out);
  void Report(FollowerPoll* out, const std::string& file, size_t line, std::string reason);
  void RememberTail();
  void CloseFd();

  FollowerConfig cfg_;
  Replica& replica_;
  int fd_ = -1;             // the followed file (by path, at the last poll)
  FileId id_;               // its identity when opened
  uint64_t offset_ = 0;     // bytes consumed (complete records)
  size_t line_ = 1;         // line number at offset_
  std::string header_;      // Kea: the header line, for parsing later chunks
  std::string tail_check_;  // the bytes just before offset_, to spot rewrites
  bool loaded_ = false;
  bool need_full_ = true;
  bool first_full_ = true;
  absl::flat_hash_map<uint32_t, Owned> owned_;
  absl::flat_hash_set<std::string> reported_;  // "file|ino|line|reason" already reported
  FollowerCounters counters_;
};

}  // namespace lqd::control
