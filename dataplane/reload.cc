// SPDX-License-Identifier: Apache-2.0
// File: dataplane/reload.cc
#include "dataplane/reload.h"

#include "engine/auth.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "control/log.h"

namespace lqd::dataplane {
namespace {

using nlohmann::json;

// Top-level keys an lcore reads through LiveSettings (or the store reads
// through its own Qsbr-protected pointer).
constexpr const char* kReloadable[] = {"policy", "acl", "rate-limit", "server-id", "authoritative-ranges"};
// Wired at start: ports and queues, lcores, the exception port, the initial
// lease file, and the control plane's listeners, feeds and state dir.
constexpr const char* kRestartOnly[] = {"ports", "lcores", "exception-port", "leases"};

json Member(const json& doc, const std::string& key) {
  return doc.is_object() && doc.contains(key) ? doc[key] : json();
}

json ParseDoc(std::string_view text) {
  return json::parse(text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
}

void DeleteSettings(void* p) { delete static_cast<LiveSettings*>(p); }

}  // namespace

LiveSettings MakeLiveSettings(const Config& c) {
  LiveSettings s;
  s.policy = c.policy;
  s.acl = Acl(c.acl_allow);
  s.rate_limit = c.rate_limit;
  s.server_id = c.server_id;
  return s;
}

ConfigReloader::ConfigReloader(std::string path, const Config& running, std::string_view running_text,
                               LeaseStore& store)
    : path_(std::move(path)),
      store_(store),
      running_doc_(ParseDoc(running_text)),
      default_server_id_(!running.ports.empty() && !running.ports[0].addresses.empty()
                             ? running.ports[0].addresses[0]
                             : running.server_id) {
  live_.store(new LiveSettings(MakeLiveSettings(running)), std::memory_order_release);
}

ConfigReloader::~ConfigReloader() { delete live_.load(std::memory_order_relaxed); }

ReloadResult ConfigReloader::Fail(ReloadResult r, uint32_t now) {
  r.ok = false;
  r.generation = current().generation;
  ++counters_.failed;
  counters_.last_failed_unix = now;
  return r;
}

ReloadResult ConfigReloader::Reload(uint32_t now) {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    ReloadResult r;
    r.errors.push_back(path_ + ": cannot open for reading");
    return Fail(std::move(r), now);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const size_t slash = path_.rfind('/');
  return ReloadText(ss.str(), now, slash == std::string::npos ? "." : path_.substr(0, slash));
}

ReloadResult ConfigReloader::ReloadText(std::string_view text, uint32_t now, const std::string& base_dir) {
  ReloadResult r;
  ConfigResult cr = ParseConfig(text, base_dir);
  if (!cr.config) {
    r.errors = std::move(cr.errors);
    return Fail(std::move(r), now);
  }
  const Config& c = *cr.config;
  const json doc = ParseDoc(text);  // parsed fine above: same text

  // Ranges are checked before anything is published: all or nothing.
  const bool ranges_changed = Member(doc, "authoritative-ranges") != Member(running_doc_, "authoritative-ranges");
  absl::StatusOr<AuthoritativeRanges> ranges = absl::UnknownError("unused");
  if (ranges_changed) {
    ranges = AuthoritativeRanges::Build(c.ranges);
    if (!ranges.ok()) {
      r.errors.push_back(absl::StrCat("authoritative-ranges: ", ranges.status().message()));
      return Fail(std::move(r), now);
    }
  }

  for (const char* key : kRestartOnly)
    if (Member(doc, key) != Member(running_doc_, key)) r.restart.push_back(key);
  const json new_ctl = Member(doc, "control"), old_ctl = Member(running_doc_, "control");
  if (new_ctl != old_ctl) {
    // Name the sub-keys that differ ("control.kea-ha"), not just "control".
    json keys = json::object();
    for (const json* o : {&new_ctl, &old_ctl})
      if (o->is_object())
        for (auto it = o->begin(); it != o->end(); ++it) keys[it.key()] = true;
    for (auto it = keys.begin(); it != keys.end(); ++it)
      if (Member(new_ctl, it.key()) != Member(old_ctl, it.key())) r.restart.push_back("control." + it.key());
  }
  for (const char* key : kReloadable)
    if (Member(doc, key) != Member(running_doc_, key)) r.applied.push_back(key);
  // log-level applies at once (a global the logger reads), unless lqd was
  // started with --log-level: the command line wins, also over a reload.
  const bool log_level_changed = Member(doc, "log-level") != Member(running_doc_, "log-level");
  if (log_level_changed && log_level_pinned_) r.restart.push_back("log-level (--log-level given: it wins)");
  if (log_level_changed && !log_level_pinned_) r.applied.push_back("log-level");

  auto next = std::make_unique<LiveSettings>(MakeLiveSettings(c));
  // server-id defaults to the first port's first address: the running
  // ports', since a port change waits for a restart.
  if (!doc.contains("server-id")) next->server_id = default_server_id_;
  next->generation = current().generation + 1;
  // RFC 3118 replay counters outlive a reload (engine/auth.h).
  if (next->policy.auth && current().policy.auth) next->policy.auth->AdoptReplayState(*current().policy.auth);
  else if (next->policy.auth && replay_seeder_) replay_seeder_(next->policy.auth->replay_state());
  if (ranges_changed) {
    if (ranges_sink_) ranges_sink_(c.ranges).IgnoreError();  // validated by Build above
    else store_.SetRanges(*std::move(ranges));
  }
  if (log_level_changed && !log_level_pinned_) {
    log::SetLevel(c.log_level);
    if (doc.contains("log-level")) running_doc_["log-level"] = doc["log-level"];
    else if (running_doc_.is_object()) running_doc_.erase("log-level");
  }
  const LiveSettings* old = live_.exchange(next.release(), std::memory_order_acq_rel);
  store_.qsbr().Retire(const_cast<LiveSettings*>(old), DeleteSettings);

  for (const char* key : kReloadable) {
    if (doc.contains(key)) running_doc_[key] = doc[key];
    else if (running_doc_.is_object()) running_doc_.erase(key);
  }
  r.ok = true;
  r.generation = current().generation;
  ++counters_.ok;
  counters_.last_ok_unix = now;
  return r;
}

std::string ConfigReloader::RenderPrometheus() const {
  return absl::StrCat(
      "# HELP lqd_config_reloads_total configuration reloads (SIGHUP, POST /v1/reload), by result\n",
      "# TYPE lqd_config_reloads_total counter\n",
      "lqd_config_reloads_total{result=\"ok\"} ", counters_.ok, "\n",
      "lqd_config_reloads_total{result=\"failed\"} ", counters_.failed, "\n",
      "# HELP lqd_config_generation generation of the live settings (1: as started)\n",
      "# TYPE lqd_config_generation gauge\n",
      "lqd_config_generation ", current().generation, "\n",
      "# HELP lqd_config_last_reload_timestamp_seconds Unix time of the last reload, by result (0: never)\n",
      "# TYPE lqd_config_last_reload_timestamp_seconds gauge\n",
      "lqd_config_last_reload_timestamp_seconds{result=\"ok\"} ", counters_.last_ok_unix, "\n",
      "lqd_config_last_reload_timestamp_seconds{result=\"failed\"} ", counters_.last_failed_unix, "\n");
}

std::string ConfigReloader::Describe(const ReloadResult& r) {
  if (!r.ok)
    return absl::StrCat("FAILED, keeping the running configuration (generation ", r.generation, "): ",
                        absl::StrJoin(r.errors, "; "));
  std::string s = absl::StrCat("OK, generation ", r.generation, "; applied: ",
                               r.applied.empty() ? "nothing changed" : absl::StrJoin(r.applied, ", "));
  if (!r.restart.empty())
    absl::StrAppend(&s, "; changed but needs a restart (running value kept): ", absl::StrJoin(r.restart, ", "));
  return s;
}

}  // namespace lqd::dataplane
