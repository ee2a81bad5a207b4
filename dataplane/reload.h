// SPDX-License-Identifier: Apache-2.0
// File: dataplane/reload.h
//
// Policy reload without a restart (SIGHUP, POST /v1/reload).
//
// What the lcores read per query and an operator may change live sits in
// one immutable LiveSettings object. The control thread (the store's single
// writer) builds a new one from the re-read config file, publishes it with
// one atomic pointer store, and retires the old one through the store's
// Qsbr: an lcore loads the pointer once per burst and calls Quiescent()
// after the burst, so no lcore can still hold it when Reclaim() frees it.
// No packet is dropped and no lock is taken on the fast path.
//
// Reloadable: policy.*, acl, rate-limit, server-id, authoritative-ranges
// (swapped in the store, Qsbr-protected as well). Everything else (ports,
// lcores, exception-port, leases, control.*) is wired at start: a change is
// logged as "needs a restart" and the running value is kept. A file that
// does not validate changes nothing: every error is reported with its JSON
// path and the running configuration stays.
#pragma once

#include <atomic>
#include <functional>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/config.h"
#include "dataplane/rate_limit.h"
#include "engine/auth.h"
#include "engine/policy.h"
#include "lease-store/lease_store.h"

namespace lqd::dataplane {

// Immutable once published.
struct LiveSettings {
  uint64_t generation = 1;  // 1 = the configuration lqd started with
  Policy policy;
  Acl acl;
  RateLimitConfig rate_limit;
  uint32_t server_id = 0;
};

struct ReloadResult {
  bool ok = false;
  uint64_t generation = 0;            // the generation now running
  std::vector<std::string> errors;    // "path: message"; non-empty iff !ok
  std::vector<std::string> applied;   // reloadable sections that changed
  std::vector<std::string> restart;   // changed sections that need a restart (kept)
};

struct ReloadCounters {
  uint64_t ok = 0;
  uint64_t failed = 0;
  uint32_t last_ok_unix = 0;     // 0: never reloaded
  uint32_t last_failed_unix = 0;
};

class ConfigReloader {
 public:
  // `running` is what lqd started with and `running_text` the file's text
  // it came from; `store` gets new ranges and retires old settings.
  ConfigReloader(std::string path, const Config& running, std::string_view running_text, LeaseStore& store);
  // Frees the current settings: call only once no lcore runs.
  ~ConfigReloader();
  ConfigReloader(const ConfigReloader&) = delete;
  ConfigReloader& operator=(const ConfigReloader&) = delete;

  // What the lcores load once per burst.
  const std::atomic<const LiveSettings*>& live() const { return live_; }
  const LiveSettings& current() const { return *live_.load(std::memory_order_relaxed); }

  // Re-reads the file (writer thread only). `now` stamps the counters.
  ReloadResult Reload(uint32_t now);
  // The same from text (tests; base_dir resolves relative paths).
  ReloadResult ReloadText(std::string_view text, uint32_t now, const std::string& base_dir = "");

  // Where changed authoritative-ranges go (writer thread); default: straight
  // into the store. lqd routes them through the control plane, which merges
  // the ranges learned from Kea.
  void SetRangesSink(std::function<absl::Status(std::vector<AddressRange>)> f) { ranges_sink_ = std::move(f); }
  // Called with the replay table of a keyring that a reload switches
  // policy.auth on with (it was off): lqd seeds it from the state directory
  // before the settings are published, so no lcore ever checks a query
  // against an empty table (a query captured before auth went off, or
  // before a restart, would pass once). A table carried over from a
  // running keyring is adopted instead.
  void SetReplaySeeder(std::function<void(AuthReplayState&)> f) { replay_seeder_ = std::move(f); }
  // lqd was started with --log-level: a reload then leaves the level alone
  // (and reports a changed "log-level" as not applied). Otherwise a changed
  // "log-level" takes effect at the reload.
  void PinLogLevel() { log_level_pinned_ = true; }

  const ReloadCounters& counters() const { return counters_; }
  // Prometheus lines: lqd_config_reloads_total{result=...}, generation.
  std::string RenderPrometheus() const;
  // One log line: "OK, generation 3; applied: acl; needs a restart: ports ..."
  static std::string Describe(const ReloadResult& r);

 private:
  ReloadResult Fail(ReloadResult r, uint32_t now);

  std::string path_;
  LeaseStore& store_;
  nlohmann::json running_doc_;  // reloadable keys: last applied; others: as started
  uint32_t default_server_id_;  // first port address (ports never change live)
  std::atomic<const LiveSettings*> live_{nullptr};
  ReloadCounters counters_;
  std::function<absl::Status(std::vector<AddressRange>)> ranges_sink_;
  std::function<void(AuthReplayState&)> replay_seeder_;
  bool log_level_pinned_ = false;
};

// The settings a parsed config asks for (generation left at 1).
LiveSettings MakeLiveSettings(const Config& c);

}  // namespace lqd::dataplane
