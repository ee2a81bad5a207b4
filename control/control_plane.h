// SPDX-License-Identifier: Apache-2.0
// File: control/control_plane.h
//
// ControlPlane: everything the slow-path thread does, behind one Poll().
// It is the store's single writer. In order, at start:
//   1. recover the state directory (snapshot + journal) into the store;
//   2. listen for Kea HA pushes and for the management API;
//   3. pull every lease from Kea and read every followed lease file (if
//      configured) and only then become ready (/readyz, and the dataplane
//      answers nothing before that). The pull's network half runs in a
//      worker thread (kea_pull_worker.h), so an unreachable primary never
//      holds this thread; Poll() applies the pages it fetched;
// then, from Poll(): serve HTTP, group-commit the journal before acks go
// out, snapshot every N updates, reconcile by pull every M seconds, expire
// tombstones, follow lease files once a second, reclaim retired memory, and
// publish "stale" when no feed has been heard from for `stale_after_seconds`.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "control/file_follower.h"
#include "control/http_server.h"
#include "control/kea_ha_ingest.h"
#include "control/kea_pull.h"
#include "control/kea_pull_worker.h"
#include "control/management_api.h"
#include "control/persistence.h"
#include "control/replica.h"

namespace lqd::control {

struct ListenConfig {
  bool enabled = false;
  std::string address = "127.0.0.1";
  uint16_t port = 0;
  std::string user, password;
  // TLS (Kea's names: trust-anchor, cert-file, key-file, cert-required);
  // built while the config is parsed, so bad files stop lqd before it starts.
  std::shared_ptr<TlsContext> tls;  // null: plain HTTP
  // Connection limits (HttpServerOptions; 0 disables): idle keep-alive, and
  // one request (TLS handshake included) from first to last byte.
  uint32_t idle_timeout_ms = 30000;
  uint32_t request_timeout_ms = 10000;
};

struct ControlConfig {
  std::string state_dir;              // empty: no persistence
  ListenConfig management;            // /healthz /readyz /metrics /v1/leases
  ListenConfig kea_ha;                // lqd as a Kea HA backup peer
  bool kea_pull_enabled = false;
  KeaPullOptions kea_pull;
  uint32_t kea_pull_interval_seconds = 300;
  // Learn authoritative ranges from the primary's config-get at every
  // reconcile (kea-pull.learn-ranges); they are added to the config's.
  bool kea_learn_ranges = true;
  std::vector<FollowerConfig> followers;  // kea-leases4.csv / dhcpd.leases files to follow
  uint32_t stale_after_seconds = 0;   // 0: never consider the replica stale
  uint64_t snapshot_every_updates = 100000;
  // When acknowledged Kea updates reach stable storage. "always": fdatasync
  // before every acknowledgement round (survives power loss; ~250 acks/s per
  // Kea connection on a 4 ms-fsync disk, since Kea waits for each answer).
  // "interval": written to the kernel before the ack (survives kill -9 and
  // crashes of lqd), fdatasync'd at most `journal_fsync_interval_ms` later.
  bool journal_fsync_always = true;
  uint32_t journal_fsync_interval_ms = 100;
  uint32_t tombstone_seconds = 300;
  // Not from JSON: set by lqd from the top-level `leases` file's content
  // (size, CRC-32C), empty without one. Start() skips the file's leases
  // when the recovered snapshot already holds this very file (a lease
  // deleted since would otherwise come back), and merges a changed file
  // lease by lease through the replica's conflict rule.
  std::string lease_file_identity;
};

// Parses the "control" object of lqd's config; errors carry JSON paths.
// Relative file names (TLS files) are resolved against `base_dir` (the
// config file's directory) when it is not empty.
ControlConfig ParseControlConfig(const nlohmann::json& j, const std::string& path,
                                 std::vector<std::string>* errors, const std::string& base_dir = "");

class ControlPlane {
 public:
  using Clock = std::function<uint32_t()>;
  ControlPlane(ControlConfig cfg, LeaseStore& store, Clock clock);
  ~ControlPlane();

  // Steps 1-3 above. `initial` are leases from a configured lease file,
  // loaded first (a snapshot and the journal, being newer, then win).
  // Fails only on what must stop lqd (cannot listen, unusable state dir).
  absl::Status Start(const std::vector<Lease>& initial);
  // The same with the lease file's leases given by index: get(i, out) for
  // i < n, called from several threads at once (KeaCsvLeaseSet::Get).
  absl::Status Start(size_t n, absl::FunctionRef<void(size_t, LeaseRef*)> get);
  // The config's authoritative-ranges (at start, before Start(), and on
  // reload). The store gets their union with the pools learned from Kea's
  // config-get: an address is authoritative if either names it (config can
  // add ranges Kea does not list; it cannot hide a Kea pool). Writer thread.
  absl::Status SetConfigRanges(std::vector<AddressRange> ranges);
  size_t learned_ranges() const { return learned_ranges_.size(); }
  // Walks (complete or failed) the control thread has taken from the pull
  // worker; a test polls until it grows.
  uint64_t pull_walks_ended() const { return pull_walks_ended_; }
  // One round of the control loop; waits at most timeout_ms for HTTP.
  void Poll(int timeout_ms);

  bool ready() const { return ready_.load(std::memory_order_acquire); }
  bool stale() const { return stale_.load(std::memory_order_relaxed); }
  // Flags the dataplane lcores read once per burst.
  const std::atomic<bool>& ready_flag() const { return ready_; }
  const std::atomic<bool>& stale_flag() const { return stale_; }

  uint16_t management_port() const { return mgmt_server_ ? mgmt_server_->port() : 0; }
  uint16_t kea_ha_port() const { return ha_server_ ? ha_server_->port() : 0; }
  ManagementApi& management() { return *mgmt_; }
  Replica& replica() { return replica_; }
  const RecoveryReport& recovery() const { return recovery_; }

 private:
  // The pull: BeginPull() hands the walk to the worker thread, DrainPull()
  // applies what it fetched so far (Poll(), this thread: the store's writer).
  void BeginPull(uint32_t now);
  void DrainPull();
  void PollFollowers(uint32_t now);
  void MaybeReady();
  void UpdateStale(uint32_t now);
  void LearnRanges(absl::StatusOr<std::vector<AddressRange>> r);
  absl::Status PublishRanges();
  std::vector<AddressRange> config_ranges_, learned_ranges_;
  size_t published_ranges_ = 0;  // after merging overlaps

  ControlConfig cfg_;
  LeaseStore& store_;
  Clock clock_;
  Replica replica_;
  ManagementState mstate_;
  std::unique_ptr<Persistence> persist_;
  std::unique_ptr<KeaHaIngest> ingest_;
  std::unique_ptr<ManagementApi> mgmt_;
  std::unique_ptr<HttpServer> ha_server_, mgmt_server_;
  std::vector<std::unique_ptr<FileFollower>> followers_;
  RecoveryReport recovery_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> stale_{false};
  bool journal_dirty_ = false;
  bool journal_unsynced_ = false;
  uint64_t last_fsync_ms_ = 0;
  bool SyncJournal(bool force);  // false: the journal is failing (degraded)
  std::unique_ptr<KeaPullWorker> puller_;
  std::optional<KeaPullWalk> walk_;  // the walk in progress
  uint32_t last_pull_ = 0;     // when the last walk began
  uint64_t pull_walks_ended_ = 0;
  bool pull_done_ = false;     // a complete walk finished (readiness)
  uint32_t last_follow_ = 0;
  uint32_t last_housekeeping_ = 0;
};

}  // namespace lqd::control
