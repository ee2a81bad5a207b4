// SPDX-License-Identifier: Apache-2.0
// File: dataplane/auth_replay_file.h
//
// AuthReplayFile: the RFC 3118 replay table (engine/auth.h) kept in the
// state directory, so that a query captured before a restart is refused
// after it. The lcores only touch the in-memory table (atomics); this file
// is read at start, before any lcore runs (and when a reload switches auth
// on, before the new table is published), and written by the control
// thread: SaveIfChanged() at most once a second when some requester's
// counter moved, and once more at a clean stop.
//
// What it guarantees:
//  * clean stop (SIGTERM/SIGINT) and restart: every counter accepted before
//    the stop is refused after it (the last save happens after the lcores
//    stopped);
//  * kill -9 / crash / power loss: every counter accepted up to the last
//    save (at most ~1 s plus one fdatasync before the crash) is refused.
//    A query accepted in that last second, whose counter is above the
//    persisted mark, can be replayed ONCE after the restart, and only from
//    the requester's giaddr (the key is bound to it). Persisting a ceiling
//    ahead (as a lease would) does not work here: the requester, not lqd,
//    picks its counter values, so lqd cannot reserve them; and writing
//    before each answer would put a disk sync on the query path.
// The file only grows: an entry is never lowered or dropped, so a reload
// that switches auth off and on again cannot rewind what is on disk.
//
// Format (text, one requester per line, atomically replaced via rename):
//   lqd-auth-replay 1
//   <secret id> <giaddr a.b.c.d> <last accepted counter>
//   ...
//   crc32c <8 hex digits over every byte before this line>
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/auth.h"

namespace lqd::dataplane {

class AuthReplayFile {
 public:
  static constexpr const char* kName = "auth-replay";
  explicit AuthReplayFile(std::string state_dir);

  // Seeds `state` from the file (a missing file seeds nothing) and returns
  // how many requesters it held. DataLoss names what is wrong with a
  // damaged file; `state` is then left untouched.
  absl::StatusOr<size_t> Load(AuthReplayState& state);

  // Writes the table merged with what is already on disk, if that changes
  // the file: temp file, fdatasync, rename, fsync of the directory. Returns
  // whether it wrote. A new table (a reload switching auth on) is seeded by
  // Load() before any lcore sees it (ConfigReloader::SetReplaySeeder).
  absl::StatusOr<bool> SaveIfChanged(AuthReplayState& state);

  std::string path() const { return dir_ + "/" + kName; }

 private:
  using Entry = std::tuple<uint32_t, uint32_t, uint64_t>;  // key id, giaddr, last
  std::string dir_;
  std::vector<Entry> on_disk_;  // sorted by (key id, giaddr)
};

}  // namespace lqd::dataplane
