// SPDX-License-Identifier: Apache-2.0
// File: control/control_plane.cc
#include "control/control_plane.h"

#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "control/kea_config.h"
#include "control/log.h"

namespace lqd::control {
namespace {

using nlohmann::json;


// Reads an optional member of the expected JSON type into `out`.
template <typename T>
void Get(const json& j, const char* key, const std::string& path, T* out, std::vector<std::string>* errors) {
  if (!j.contains(key)) return;
  const json& v = j[key];
  const std::string where = absl::StrCat(path, ".", key);
  if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) return errors->push_back(where + ": must be a string");
    *out = v.get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) return errors->push_back(where + ": must be true or false");
    *out = v.get<bool>();
  } else {
    if (!v.is_number_unsigned() || v.get<uint64_t>() > std::numeric_limits<T>::max())
      return errors->push_back(absl::StrCat(where, ": must be an integer 0..", std::numeric_limits<T>::max()));
    *out = static_cast<T>(v.get<uint64_t>());
  }
}

void CheckKeys(const json& j, const std::string& path, std::initializer_list<const char*> known,
               std::vector<std::string>* errors) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = false;
    for (const char* k : known) ok |= it.key() == k;
    if (!ok) errors->push_back(absl::StrCat(path, ".", it.key(), ": unknown key"));
  }
}

std::string Resolve(const std::string& base_dir, const std::string& p) {
  return (base_dir.empty() || p.empty() || p[0] == '/') ? p : base_dir + "/" + p;
}

// trust-anchor / cert-file / key-file (/ cert-required for a server): any
// of them present means TLS. Returns the files and whether TLS is asked for.
bool GetTlsFiles(const json& j, const std::string& path, const std::string& base_dir, bool server,
                 TlsFiles* f, std::vector<std::string>* errors) {
  Get(j, "trust-anchor", path, &f->trust_anchor, errors);
  Get(j, "cert-file", path, &f->cert_file, errors);
  Get(j, "key-file", path, &f->key_file, errors);
  f->trust_anchor = Resolve(base_dir, f->trust_anchor);
  f->cert_file = Resolve(base_dir, f->cert_file);
  f->key_file = Resolve(base_dir, f->key_file);
  if (server) {
    // Kea's ctrl-agent default: with a trust-anchor, clients must present a
    // certificate unless cert-required is false.
    f->cert_required = !f->trust_anchor.empty();
    Get(j, "cert-required", path, &f->cert_required, errors);
  }
  return j.contains("trust-anchor") || j.contains("cert-file") || j.contains("key-file") ||
         (server && j.contains("cert-required"));
}

ListenConfig ParseListen(const json& j, const std::string& path, std::vector<std::string>* errors,
                         const std::string& base_dir) {
  ListenConfig l;
  if (!j.is_object()) {
    errors->push_back(path + ": must be an object");
    return l;
  }
  CheckKeys(j, path,
            {"address", "port", "user", "password", "trust-anchor", "cert-file", "key-file", "cert-required",
             "idle-timeout-ms", "request-timeout-ms"},
            errors);
  TlsFiles tf;
  if (GetTlsFiles(j, path, base_dir, true, &tf, errors)) {
    auto ctx = TlsContext::ForServer(tf);
    if (ctx.ok()) l.tls = *std::move(ctx);
    else errors->push_back(absl::StrCat(path, ": TLS: ", ctx.status().message()));
  }
  l.enabled = true;
  Get(j, "address", path, &l.address, errors);
  Get(j, "port", path, &l.port, errors);
  Get(j, "user", path, &l.user, errors);
  Get(j, "password", path, &l.password, errors);
  Get(j, "idle-timeout-ms", path, &l.idle_timeout_ms, errors);
  Get(j, "request-timeout-ms", path, &l.request_timeout_ms, errors);
  if (l.idle_timeout_ms > 86400000 || l.request_timeout_ms > 86400000)
    errors->push_back(path + ": idle-timeout-ms and request-timeout-ms are at most 86400000 (a day); 0 disables");
  if (l.user.empty() != l.password.empty()) errors->push_back(path + ": set both user and password, or neither");
  return l;
}

// "followers": [{"type": "kea-csv"|"dhcpd-leases", "path": "/var/lib/dhcp/dhcpd.leases"}]
std::vector<FollowerConfig> ParseFollowers(const json& j, const std::string& path, std::vector<std::string>* errors) {
  std::vector<FollowerConfig> out;
  if (!j.is_array()) {
    errors->push_back(path + R"(: must be a list of {"type": "kea-csv"|"dhcpd-leases", "path": "..."})");
    return out;
  }
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string where = absl::StrCat(path, "[", i, "]");
    if (!j[i].is_object()) {
      errors->push_back(where + ": must be an object");
      continue;
    }
    CheckKeys(j[i], where, {"type", "path"}, errors);
    FollowerConfig f;
    std::string type;
    Get(j[i], "type", where, &type, errors);
    if (type == "kea-csv") {
      f.format = LeaseFileFormat::kKeaCsv;
    } else if (type == "dhcpd-leases") {
      f.format = LeaseFileFormat::kDhcpdLeases;
    } else {
      errors->push_back(absl::StrCat(where, ".type: must be \"kea-csv\" or \"dhcpd-leases\"",
                                     j[i].contains("type") ? absl::StrCat(", not '", type, "'") : " (missing)"));
    }
    Get(j[i], "path", where, &f.path, errors);
    if (f.path.empty()) errors->push_back(where + ".path: required: the lease file to follow");
    for (const FollowerConfig& o : out)
      if (!f.path.empty() && o.path == f.path) errors->push_back(absl::StrCat(where, ".path: '", f.path, "' is followed twice"));
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

ControlConfig ParseControlConfig(const json& j, const std::string& path, std::vector<std::string>* errors,
                                 const std::string& base_dir) {
  ControlConfig c;
  if (!j.is_object()) {
    errors->push_back(path + ": must be an object");
    return c;
  }
  CheckKeys(j, path,
            {"state-dir", "management", "kea-ha", "kea-pull", "followers", "stale-after-seconds",
             "snapshot-every-updates", "tombstone-seconds", "journal-fsync", "journal-fsync-interval-ms"},
            errors);
  Get(j, "state-dir", path, &c.state_dir, errors);
  Get(j, "stale-after-seconds", path, &c.stale_after_seconds, errors);
  Get(j, "snapshot-every-updates", path, &c.snapshot_every_updates, errors);
  Get(j, "tombstone-seconds", path, &c.tombstone_seconds, errors);
  if (j.contains("journal-fsync")) {
    std::string mode;
    Get(j, "journal-fsync", path, &mode, errors);
    if (mode == "always") c.journal_fsync_always = true;
    else if (mode == "interval") c.journal_fsync_always = false;
    else if (!mode.empty())
      errors->push_back(absl::StrCat(path, ".journal-fsync: '", mode, "' is not \"always\" or \"interval\""));
  }
  Get(j, "journal-fsync-interval-ms", path, &c.journal_fsync_interval_ms, errors);
  if (j.contains("management"))
    c.management = ParseListen(j["management"], path + ".management", errors, base_dir);
  if (j.contains("kea-ha")) c.kea_ha = ParseListen(j["kea-ha"], path + ".kea-ha", errors, base_dir);
  if (j.contains("kea-pull")) {
    const json& p = j["kea-pull"];
    const std::string pp = path + ".kea-pull";
    if (!p.is_object()) {
      errors->push_back(pp + ": must be an object");
    } else {
      CheckKeys(p, pp,
                {"url", "user", "password", "interval-seconds", "page-size", "timeout-ms", "trust-anchor",
                 "cert-file", "key-file", "learn-ranges"},
                errors);
      std::string url;
      Get(p, "url", pp, &url, errors);
      auto ep = ParseHttpUrl(url);
      if (!ep.ok()) {
        errors->push_back(absl::StrCat(pp, ".url: ", ep.status().message()));
      } else {
        c.kea_pull.agent = *ep;
        c.kea_pull_enabled = true;
      }
      Get(p, "user", pp, &c.kea_pull.agent.user, errors);
      Get(p, "password", pp, &c.kea_pull.agent.password, errors);
      Get(p, "interval-seconds", pp, &c.kea_pull_interval_seconds, errors);
      Get(p, "learn-ranges", pp, &c.kea_learn_ranges, errors);
      Get(p, "page-size", pp, &c.kea_pull.page_size, errors);
      Get(p, "timeout-ms", pp, &c.kea_pull.agent.timeout_ms, errors);
      if (c.kea_pull.page_size == 0) errors->push_back(pp + ".page-size: must be at least 1");
      TlsFiles tf;
      const bool tls_keys = GetTlsFiles(p, pp, base_dir, false, &tf, errors);
      if (ep.ok() && !ep->https && tls_keys) {
        errors->push_back(pp + ": trust-anchor/cert-file/key-file need an https:// url");
      } else if (ep.ok() && ep->https) {
        auto ctx = TlsContext::ForClient(tf);
        if (ctx.ok()) c.kea_pull.agent.tls = *std::move(ctx);
        else errors->push_back(absl::StrCat(pp, ": TLS: ", ctx.status().message()));
      }
    }
  }
  if (j.contains("followers")) c.followers = ParseFollowers(j["followers"], path + ".followers", errors);
  return c;
}

ControlPlane::ControlPlane(ControlConfig cfg, LeaseStore& store, Clock clock)
    : cfg_(std::move(cfg)), store_(store), clock_(std::move(clock)),
      replica_(store, ReplicaOptions{cfg_.tombstone_seconds}) {}

ControlPlane::~ControlPlane() = default;

absl::Status ControlPlane::Start(const std::vector<Lease>& initial) {
  return Start(initial.size(), [&](size_t i, LeaseRef* out) { *out = LeaseRef::Of(initial[i]); });
}

absl::Status ControlPlane::Start(size_t ninitial, absl::FunctionRef<void(size_t, LeaseRef*)> initial) {
  const uint32_t now = clock_();
  Recovered rec;
  if (!cfg_.state_dir.empty()) {
    auto p = Persistence::Open(cfg_.state_dir, &rec);
    if (!p.ok()) return p.status();
    persist_ = *std::move(p);
    recovery_ = rec.report;
    for (const auto& w : rec.report.warnings) log::Warn("persistence", w, {{"dir", cfg_.state_dir}});
    if (rec.report.snapshot_corrupt)
      log::Error("persistence",
                 cfg_.kea_pull_enabled ? "CORRUPT SNAPSHOT ignored: starting from the journal, then a full pull from Kea "
                                         "before answering"
                                       : "CORRUPT SNAPSHOT ignored: starting from the journal only",
                 {{"dir", cfg_.state_dir}, {"error", rec.report.snapshot_error}});
    log::Info("persistence",
              absl::StrCat("recovered ", rec.snapshot.size(), " leases from the snapshot and ", rec.journal.size(),
                           " journal records from ", cfg_.state_dir),
              {{"snapshot_leases", absl::StrCat(rec.snapshot.size())},
               {"journal_records", absl::StrCat(rec.journal.size())},
               {"journal_bytes_discarded", absl::StrCat(rec.report.journal_bytes_discarded)}});
  }
  // The lease file against the snapshot. A snapshot written while this
  // same file was loaded holds its leases and what became of them: the
  // file is not loaded again (a lease deleted since would come back, as a
  // snapshot lists no deletes). A file the snapshot does not hold (changed,
  // or never recorded) is merged after it, lease by lease, the newer
  // transaction winning. Without a snapshot the file goes in alone.
  const SnapshotLeases& snap = rec.snapshot;
  const bool have_snapshot = rec.report.snapshot_found && !rec.report.snapshot_corrupt;
  const bool file_in_snapshot = have_snapshot && !cfg_.lease_file_identity.empty() &&
                                rec.report.snapshot_lease_file == cfg_.lease_file_identity;
  const bool merge_file = have_snapshot && !file_in_snapshot && ninitial > 0;
  if (persist_) persist_->set_lease_file_identity(cfg_.lease_file_identity);
  if (file_in_snapshot && ninitial > 0)
    log::Info("leases", "the lease file is already in the snapshot (same file as when it was written): not loaded again",
              {{"file_leases", absl::StrCat(ninitial)}, {"identity", cfg_.lease_file_identity}});
  const size_t nfile = have_snapshot ? 0 : ninitial;
  // Records are decoded straight into the store (no Lease copies: 10 M of
  // them were ~2 GB written and read once each).
  if (absl::Status st = store_.BulkLoad(nfile + snap.size(),
                                        [&](size_t i, LeaseRef* out) {
                                          if (i < nfile) {
                                            initial(i, out);
                                            return true;
                                          }
                                          return snap.Get(i - nfile, out);
                                        });
      !st.ok())
    log::Error("control", "bulk load failed", {{"error", std::string(st.message())}});
  rec.snapshot.clear();
  if (merge_file) {
    uint64_t newer = 0;
    for (size_t i = 0; i < ninitial; ++i) {
      LeaseRef ref;
      initial(i, &ref);
      LeaseUpdate u;
      u.lease = ref.ToLease();
      u.source = FeedSource::kKeaCsv;
      if (replica_.Apply(u, now) == Replica::Outcome::kApplied) ++newer;
    }
    log::Info("leases", "the lease file changed since the snapshot: merged lease by lease, the newer transaction wins",
              {{"file_leases", absl::StrCat(ninitial)}, {"newer_than_snapshot", absl::StrCat(newer)}});
  }
  for (const LeaseUpdate& u : rec.journal) replica_.Apply(u, now);

  mgmt_ = std::make_unique<ManagementApi>(replica_, mstate_, clock_);
  ingest_ = std::make_unique<KeaHaIngest>(replica_, clock_, [this](const LeaseUpdate& u) {
    if (!persist_) return;
    if (absl::Status st = persist_->Append(u); !st.ok()) mstate_.degraded = std::string(st.message());
    journal_dirty_ = true;
  });
  mgmt_->SetIngest(ingest_.get());
  auto listen = [&](const ListenConfig& l, HttpHandler h, std::unique_ptr<HttpServer>* out, const char* what) {
    HttpServerOptions o;
    o.bind_address = l.address;
    o.port = l.port;
    o.basic_auth_user = l.user;
    o.basic_auth_password = l.password;
    o.tls = l.tls;
    o.idle_timeout_ms = static_cast<int>(l.idle_timeout_ms);
    o.request_timeout_ms = static_cast<int>(l.request_timeout_ms);
    auto s = HttpServer::Listen(o, std::move(h));
    if (!s.ok()) return absl::Status(s.status().code(), absl::StrCat(what, ": ", s.status().message()));
    *out = *std::move(s);
    log::Info(what, absl::StrCat("listening on ", l.tls ? "https://" : "http://", l.address, ":", (*out)->port()),
              {{"tls", l.tls ? "on" : "off"}, {"basic_auth", l.user.empty() ? "off" : "on"}});
    return absl::OkStatus();
  };
  if (cfg_.kea_ha.enabled) {
    if (auto st = listen(cfg_.kea_ha, [this](const HttpRequest& r) { return ingest_->Handle(r); }, &ha_server_,
                         "kea-ha");
        !st.ok())
      return st;
    // Acknowledge only what the journal took: while the state directory
    // fails (disk full, read-only, I/O errors), a round's updates are still
    // applied and served from memory, but Kea gets no acknowledgement (the
    // connection is closed) rather than a false one; its pull repairs later.
    ha_server_->SetBeforeSend([this] {
      if (!journal_dirty_ || !persist_) return true;
      journal_dirty_ = false;
      return SyncJournal(cfg_.journal_fsync_always);
    });
  }
  if (cfg_.management.enabled) {
    if (auto st = listen(cfg_.management, [this](const HttpRequest& r) { return mgmt_->Handle(r); },
                         &mgmt_server_, "management");
        !st.ok())
      return st;
  }
  if (ha_server_) mgmt_->AddServer("kea-ha", ha_server_.get());
  if (mgmt_server_) mgmt_->AddServer("management", mgmt_server_.get());

  // A follower that is lqd's only feed may also drop snapshot leases its
  // file no longer has (nobody else could have put them there).
  const bool sole =
      cfg_.followers.size() == 1 && !cfg_.kea_pull_enabled && !cfg_.kea_ha.enabled && ninitial == 0;
  for (FollowerConfig f : cfg_.followers) {
    f.sole_feed = sole;
    followers_.push_back(std::make_unique<FileFollower>(std::move(f), replica_));
  }
  if (!followers_.empty()) PollFollowers(now);
  // lqd answers nothing until the first complete walk and the first full
  // read of every followed file: better silence than an UNASSIGNED for a
  // lease it has not heard of yet.
  if (cfg_.kea_pull_enabled) {
    puller_ = std::make_unique<KeaPullWorker>(cfg_.kea_pull, cfg_.kea_learn_ranges);
    BeginPull(now);
  }
  MaybeReady();
  if (recovery_.needs_full_reconcile() && !cfg_.kea_pull_enabled && followers_.empty())
    log::Warn("persistence", "persisted state was damaged and no kea-pull is configured to repair it; "
        "answers may be incomplete until the primary pushes every lease again");
  return absl::OkStatus();
}

// Group commit of what this round acknowledges: fdatasync (force) or
// write to the kernel and fdatasync when the interval has passed.
bool ControlPlane::SyncJournal(bool force) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const uint64_t now_ms = static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
  absl::Status st;
  if (force || now_ms - last_fsync_ms_ >= cfg_.journal_fsync_interval_ms) {
    st = persist_->Sync();
    last_fsync_ms_ = now_ms;
    journal_unsynced_ = false;
  } else {
    st = persist_->Flush();
    journal_unsynced_ = true;
  }
  if (!st.ok()) {
    if (mstate_.degraded.empty())
      log::Error("persistence",
                 "persistence failing: serving from memory, NOT acknowledging Kea updates until the state "
                 "directory works again; fix it (free space, remount read-write, replace the disk) or restart "
                 "lqd with a working state-dir (the pull then restores what Kea holds)",
                 {{"error", std::string(st.message())}});
    mstate_.degraded = std::string(st.message());
    return false;
  }
  if (!mstate_.degraded.empty()) log::Info("persistence", "persistence works again; acknowledging updates");
  mstate_.degraded.clear();
  return true;
}

absl::Status ControlPlane::SetConfigRanges(std::vector<AddressRange> ranges) {
  config_ranges_ = std::move(ranges);
  return PublishRanges();
}

absl::Status ControlPlane::PublishRanges() {
  std::vector<AddressRange> all = config_ranges_;
  all.insert(all.end(), learned_ranges_.begin(), learned_ranges_.end());
  auto built = AuthoritativeRanges::Build(std::move(all));
  if (!built.ok()) return built.status();
  published_ranges_ = built->size();
  store_.SetRanges(*std::move(built));
  return absl::OkStatus();
}

void ControlPlane::LearnRanges(absl::StatusOr<std::vector<AddressRange>> r) {
  if (!r.ok()) {
    // Keep what was learned before: a pool does not vanish because the agent
    // is briefly unreachable or config-get is not permitted.
    log::Warn("kea-pull", "cannot learn authoritative ranges from config-get; keeping the previous ones",
              {{"error", std::string(r.status().message())}, {"learned_ranges", absl::StrCat(learned_ranges_.size())}});
    return;
  }
  auto same = [](const std::vector<AddressRange>& a, const std::vector<AddressRange>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (a[i].vpn != b[i].vpn || a[i].first != b[i].first || a[i].last != b[i].last) return false;
    return true;
  };
  if (same(*r, learned_ranges_)) return;
  learned_ranges_ = *std::move(r);
  if (absl::Status st = PublishRanges(); !st.ok()) {
    log::Error("kea-pull", "learned ranges refused", {{"error", std::string(st.message())}});
    return;
  }
  log::Info("kea-pull", "authoritative ranges learned from Kea config-get",
            {{"kea_ranges", absl::StrCat(learned_ranges_.size())},
             {"config_ranges", absl::StrCat(config_ranges_.size())},
             {"merged_ranges", absl::StrCat(published_ranges_)}});
}

void ControlPlane::BeginPull(uint32_t now) {
  if (!puller_->Begin()) return;
  last_pull_ = now;
  walk_.emplace(replica_, now);
}

void ControlPlane::DrainPull() {
  KeaPullWorker::Output o = puller_->Take();
  if (o.ranges) LearnRanges(*std::move(o.ranges));
  for (const KeaLeasePage& p : o.pages) walk_->Apply(p);
  if (!o.done) return;
  ++pull_walks_ended_;
  if (!o.done->ok()) {
    walk_.reset();
    log::Error("kea-pull",
               absl::StrCat("kea-pull failed (will retry in ", pull_done_ ? cfg_.kea_pull_interval_seconds : 2, " s)"),
               {{"error", std::string(o.done->message())}});
    return;
  }
  const KeaPullResult r = walk_->Finish();
  walk_.reset();
  log::Info("kea-pull", "pull complete",
            {{"leases", absl::StrCat(r.leases)}, {"pages", absl::StrCat(r.pages)},
             {"changed", absl::StrCat(r.applied)}, {"removed", absl::StrCat(r.removed)},
             {"bad", absl::StrCat(r.bad)}, {"first_error", r.first_error}});
  if (persist_) {
    // A walk changes many leases at once: a snapshot records them all.
    if (absl::Status st = persist_->WriteSnapshot(store_); !st.ok()) {
      mstate_.degraded = std::string(st.message());
      log::Error("persistence", "snapshot failed", {{"error", mstate_.degraded}});
    } else {
      log::Debug("persistence", "snapshot written after the pull", {{"leases", absl::StrCat(store_.size())}});
    }
  }
  pull_done_ = true;
  MaybeReady();
}

void ControlPlane::MaybeReady() {
  if (ready_.load() || (cfg_.kea_pull_enabled && !pull_done_)) return;
  for (const auto& f : followers_)
    if (!f->loaded()) return;
  ready_.store(true, std::memory_order_release);
  mstate_.ready = true;
  if (cfg_.kea_pull_enabled || !followers_.empty())
    log::Info("control", "ready: initial load complete", {{"leases", absl::StrCat(store_.size())}});
}

void ControlPlane::PollFollowers(uint32_t now) {
  last_follow_ = now;
  for (auto& f : followers_) {
    FollowerPoll p = f->Poll(now);
    const std::string who = absl::StrCat("follower ", LeaseFileFormatName(f->config().format), " ", f->config().path);
    for (const auto& e : p.events) log::Info("follower", absl::StrCat(who, ": ", e));
    for (const auto& e : p.errors)
      log::Warn("follower", absl::StrCat("bad input skipped: ", e.reason),
                {{"file", e.file}, {"line", absl::StrCat(e.line)}});
  }
  MaybeReady();
}

void ControlPlane::UpdateStale(uint32_t now) {
  if (cfg_.stale_after_seconds == 0) return;
  uint32_t freshest = UINT32_MAX;
  for (int i = 0; i < static_cast<int>(FeedSource::kCount); ++i)
    freshest = std::min(freshest, replica_.LagSeconds(static_cast<FeedSource>(i), now));
  const bool stale = freshest > cfg_.stale_after_seconds;
  if (stale != stale_.load()) {
    if (stale) log::Warn("control", "replica is STALE: no feed heard from recently");
    else log::Info("control", "replica fresh again");
  }
  stale_.store(stale, std::memory_order_relaxed);
}

void ControlPlane::Poll(int timeout_ms) {
  // Both servers share the wait: the HA endpoint gets the budget, the
  // management API is polled without waiting.
  if (ha_server_) ha_server_->Poll(mgmt_server_ ? timeout_ms / 2 : timeout_ms);
  if (mgmt_server_) mgmt_server_->Poll(ha_server_ ? timeout_ms / 2 : timeout_ms);
  if (!ha_server_ && !mgmt_server_ && timeout_ms > 0) {
    struct timespec ts{0, static_cast<long>(timeout_ms) * 1000000};
    nanosleep(&ts, nullptr);
  }
  const uint32_t now = clock_();
  // The interval's deferred fdatasync; while degraded (disk full, read-only)
  // also a retry, so the backlog lands and health recovers once space returns.
  if (persist_ && (journal_unsynced_ || !mstate_.degraded.empty())) SyncJournal(false);
  if (persist_ && persist_->appended_since_snapshot() >= cfg_.snapshot_every_updates) {
    if (absl::Status st = persist_->WriteSnapshot(store_); !st.ok()) mstate_.degraded = std::string(st.message());
  }
  if (puller_) {
    DrainPull();
    // Until a walk has completed, retry every 2 s, then every interval.
    if (now - last_pull_ >= (pull_done_ ? cfg_.kea_pull_interval_seconds : 2u)) BeginPull(now);
  }
  if (!followers_.empty() && now != last_follow_) PollFollowers(now);  // once a second
  if (now != last_housekeeping_) {
    last_housekeeping_ = now;
    replica_.ExpireTombstones(now);
    UpdateStale(now);
  }
  store_.Reclaim();
}

}  // namespace lqd::control
