// SPDX-License-Identifier: Apache-2.0
// File: control/kea_pull.h
//
// KeaPull: walks the primary's leases with lease4-get-page through
// kea-ctrl-agent (the lease_cmds hook). Used for the initial load (lqd is
// not ready until it completes), after a restart, and periodically: Kea's
// HA pushes are fire-and-forget, so a walk repairs what was lost while lqd
// was down or unreachable.
//
// After a complete walk, leases lqd holds that the primary no longer has
// (deleted while lqd was not listening) are removed, unless another feed
// changed them after the walk began (a concurrent push is newer than the
// walk; known by watching the replica, not by the lease's cltt).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"

#include "absl/status/statusor.h"
#include "control/http_client.h"
#include "control/replica.h"

namespace lqd::control {

struct KeaPullOptions {
  HttpEndpoint agent;      // kea-ctrl-agent
  uint32_t page_size = 1000;
};

struct KeaPullResult {
  uint64_t pages = 0;
  uint64_t leases = 0;     // seen in the walk
  uint64_t applied = 0;    // changed the replica
  uint64_t removed = 0;    // held by lqd, gone on the primary
  uint64_t bad = 0;        // lease objects that did not parse (reported, skipped)
  std::string first_error;
};

// One lease4-get-page answer, parsed (network I/O only: touches no replica,
// so a worker thread may fetch while the control thread applies).
struct KeaLeasePage {
  std::vector<Lease> leases;
  uint64_t bad = 0;          // lease objects that did not parse
  std::string first_error;
  // Addresses of the objects that did not parse (where the address itself
  // did): the primary holds a lease there, so the walk must not take lqd's
  // for deleted.
  std::vector<uint32_t> bad_ips;
  std::string next_from;     // the "from" of the next page
  bool last = false;         // no page follows
};
absl::StatusOr<KeaLeasePage> FetchLeasePage(const KeaPullOptions& opts, const std::string& from);
// The parsing half of FetchLeasePage: the body of kea-ctrl-agent's answer.
absl::StatusOr<KeaLeasePage> ParseLeasePage(const std::string& body, uint32_t page_size);

// Applies the pages of one walk, in order, to the replica (its writer
// thread), then Finish() removes what the primary no longer has and marks
// the pull synced. `started` is when the walk began (lqd's clock). While
// the walk lives it watches the replica (Replica::WatchChanges): a lease
// another feed changed during the walk is newer than the page that missed
// it and is kept, whatever its cltt says (that is the primary's clock, which
// may lag lqd's, and a page fetched before the push cannot hold it).
class KeaPullWalk {
 public:
  KeaPullWalk(Replica& replica, uint32_t started);
  ~KeaPullWalk();
  KeaPullWalk(const KeaPullWalk&) = delete;
  KeaPullWalk& operator=(const KeaPullWalk&) = delete;
  void Apply(const KeaLeasePage& page);
  KeaPullResult Finish();

 private:
  Replica& replica_;
  uint32_t started_;
  KeaPullResult res_;
  absl::flat_hash_set<uint32_t> seen_;
  absl::flat_hash_set<uint32_t> changed_by_others_;
};

// Runs one complete walk in the calling thread; fails (changing nothing
// more) if the agent cannot be reached or answers an error.
absl::StatusOr<KeaPullResult> PullAllLeases(const KeaPullOptions& opts, Replica& replica, uint32_t now);

}  // namespace lqd::control
