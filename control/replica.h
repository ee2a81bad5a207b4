// SPDX-License-Identifier: Apache-2.0
// File: control/replica.h
//
// Replica: the store's only writer. Every feed (Kea HA push, Kea pull,
// CSV, dhcpd.leases) hands it LeaseUpdates; it decides which win.
//
// Conflict rule (feeds race: Kea's HA client uses several connections with
// no ordering across them, and a reconciliation pull runs beside pushes):
//  * transactions are ordered by cltt (the client's last transaction:
//    for one address it only moves forward), then by expire: an update
//    wins if its cltt is later than the stored one, or equal with an expire
//    >= the stored one or a different state (Kea's reclamation changes the
//    state alone). Not by expire first: a new client's lease, or a DECLINE,
//    may end sooner than the one it replaces;
//  * a delete wins on the same order; it leaves a tombstone for
//    `tombstone_seconds` so a late, older update cannot bring the lease
//    back (a later transaction can);
//  * anything else is stale and ignored (counted).
// Expiry is never pushed by Kea: lqd ages leases at query time (the engine
// compares expire with now), so the replica does not sweep.
#pragma once

#include <array>
#include <cassert>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "control/lease_update.h"
#include "lease-store/lease_store.h"

namespace lqd::control {

struct ReplicaOptions {
  uint32_t tombstone_seconds = 300;
};

struct ReplicaCounters {
  uint64_t applied = 0;
  uint64_t deleted = 0;
  uint64_t stale = 0;      // lost the conflict rule
  uint64_t rejected = 0;   // invalid for the store (reported by Status)
  uint64_t tombstones = 0; // live tombstones
};

class Replica {
 public:
  enum class Outcome { kApplied, kStale, kRejected };

  Replica(LeaseStore& store, ReplicaOptions opts = {}) : store_(store), opts_(opts) {}

  // `now`: seconds, the same clock as lease times. Writer thread only.
  Outcome Apply(const LeaseUpdate& u, uint32_t now, absl::Status* why = nullptr);
  // Drops tombstones older than tombstone_seconds.
  void ExpireTombstones(uint32_t now);

  // Seconds since `source` last delivered an update or finished a sync;
  // UINT32_MAX if it never did.
  uint32_t LagSeconds(FeedSource source, uint32_t now) const;
  void MarkSynced(FeedSource source, uint32_t now) { last_seen_[Index(source)] = now; }

  const ReplicaCounters& counters() const { return counters_; }
  LeaseStore& store() { return store_; }
  // While set, the address of every update that another feed than the Kea
  // pull applies (upsert or delete, global VPN) is added to *changed. The
  // pull walk needs it: a lease pushed while the walk runs may sit on a page
  // already fetched, and its cltt (the primary's clock) cannot tell it from
  // one deleted before the walk. nullptr stops it. Writer thread only.
  void WatchChanges(absl::flat_hash_set<uint32_t>* changed) {
    assert(changed == nullptr || watch_ == nullptr);  // one walk at a time
    watch_ = changed;
  }

 private:
  static size_t Index(FeedSource s) { return static_cast<size_t>(s); }
  void NoteChange(const LeaseUpdate& u);
  struct Tombstone {
    uint32_t expire;
    uint32_t cltt;
    uint32_t created;
  };
  static uint64_t Key(uint32_t ip, VpnId vpn) { return uint64_t{vpn} << 32 | ip; }

  LeaseStore& store_;
  ReplicaOptions opts_;
  absl::flat_hash_map<uint64_t, Tombstone> tombstones_;
  std::array<uint32_t, static_cast<size_t>(FeedSource::kCount)> last_seen_{};
  std::array<bool, static_cast<size_t>(FeedSource::kCount)> seen_any_{};
  ReplicaCounters counters_;
  absl::flat_hash_set<uint32_t>* watch_ = nullptr;
};

}  // namespace lqd::control
