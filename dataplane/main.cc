// SPDX-License-Identifier: Apache-2.0
// File: dataplane/main.cc
//
// lqd: the DHCPv4 Leasequery (RFC 4388) responder.
//
//   lqd [EAL options] -- --config lqd.json
//   lqd --check-config lqd.json        (no EAL: validate and exit 0/1)
//
// Start-up: config -> EAL -> leases into the store (BulkLoad, before any
// reader is online) -> ports -> one LcoreConf per lcore -> telemetry ->
// launch. The main lcore stays the control thread (the store's single
// writer: Reclaim() every few ms) unless it is the only lcore, in which
// case it runs the loop and does the writer's duty in between bursts.
// SIGINT/SIGTERM: every loop drains and returns, counters are printed.
// SIGHUP or POST /v1/reload: the control thread re-reads the config file and
// publishes the new policy, ACL and rate limits (dataplane/reload.h).
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_pdump.h>

#include <execinfo.h>
#include <unistd.h>

#include <csignal>
#include <ctime>
#include <fstream>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "control/control_plane.h"
#include "control/crc32c.h"
#include "control/kea_csv.h"
#include "control/log.h"
#include "dataplane/auth_replay_file.h"
#include "dataplane/config.h"
#include "dataplane/counters.h"
#include "dataplane/lcore_loop.h"
#include "dataplane/port.h"
#include "dataplane/reload.h"
#include "dataplane/telemetry.h"
#include "engine/query_engine.h"
#include "lease-store/lease_store.h"

namespace lqd::dataplane {
namespace {

constexpr const char* kUsage =
    "usage: lqd [EAL options] -- --config FILE [--log-level debug|info|warn|error]\n"
    "       lqd --check-config FILE\n"
    "\n"
    "Without NIC or hugepages, e.g.:\n"
    "  lqd --no-huge -m 512 --file-prefix lqd1 --no-pci -l 0 \\\n"
    "      --vdev net_af_packet0,iface=veth0 -- --config lqd.json\n";

void OnSignal(int) { force_quit.store(true, std::memory_order_relaxed); }

// SIGHUP: the control thread re-reads the config file at its next round.
std::atomic<bool> reload_requested{false};
void OnHup(int) { reload_requested.store(true, std::memory_order_relaxed); }

// Before anything else runs (and before the EAL starts its threads, which
// inherit nothing but share the handlers). SIGHUP's default action kills the process, and
// `systemctl reload` right after a start (seconds of snapshot recovery)
// must not: the request waits for the first control round. SIGPIPE is
// ignored because OpenSSL writes to sockets without MSG_NOSIGNAL: a TLS
// peer (Kea, a scraper, kea-ctrl-agent) that closes before reading its
// answer would otherwise kill lqd, and systemd treats SIGPIPE as a clean
// exit, so Restart=on-failure would not bring it back. SIGINT/SIGTERM
// keep their default until the loops run: start-up has nothing to drain.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerOwnsFaults = true;  // it reports faults itself
#else
constexpr bool kSanitizerOwnsFaults = false;
#endif

// A crash leaves where it happened on stderr (the journal, under systemd):
// which function, in lqd or in which DPDK library (a PMD's own thread
// crashes as well). The default action then runs as if there were no
// handler (SA_RESETHAND: same exit status, core dump if enabled).
void OnFault(int sig) {
  static const char kHead[] = "lqd: fatal signal, backtrace:\n";
  ssize_t ignored = write(STDERR_FILENO, kHead, sizeof kHead - 1);
  (void)ignored;
  void* frames[64];
  backtrace_symbols_fd(frames, backtrace(frames, 64), STDERR_FILENO);
  raise(sig);
}

void InstallEarlySignalHandlers() {
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGHUP, OnHup);
  if (!kSanitizerOwnsFaults) {
    void* warm[1];
    backtrace(warm, 1);  // loads libgcc now: backtrace() may allocate on its first call
    struct sigaction sa {};
    sa.sa_handler = OnFault;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE}) sigaction(sig, &sa, nullptr);
  }
}

std::string ReadFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return {};
  std::string s;
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) s.append(buf, n);
  std::fclose(f);
  return s;
}

int CheckConfig(const char* path) {
  ConfigResult r = LoadConfig(path);
  for (const auto& e : r.errors) std::fprintf(stderr, "%s: %s\n", path, e.c_str());
  if (!r.config) {
    std::fprintf(stderr, "%s: %zu error(s)\n", path, r.errors.size());
    return 1;
  }
  const Config& c = *r.config;
  std::printf("%s: OK (%zu port(s), %zu address(es), %zu range(s), leases %s)\n", path,
              c.ports.size(), c.AllAddresses().size(), c.ranges.size(),
              c.leases_path.empty() ? "none" : c.leases_path.c_str());
  return 0;
}

// Reads the configured Kea CSV (optional); bad lines are reported and
// skipped. False if the file is unusable.
bool ReadLeaseFile(const Config& c, control::KeaCsvLeaseSet* out, std::string* note) {
  if (c.leases_path.empty()) {
    *note = "no lease file";
    return true;
  }
  auto csv = control::LoadKeaCsvLeases(c.leases_path);
  if (!csv.ok()) {
    log::Error("leases", "cannot read the lease file",
               {{"file", c.leases_path}, {"error", std::string(csv.status().message())}});
    return false;
  }
  for (const auto& e : csv->errors())
    log::Warn("leases", absl::StrCat("line skipped: ", e.reason),
              {{"file", c.leases_path}, {"line", absl::StrCat(e.line)}});
  *out = *std::move(csv);
  *note = absl::StrFormat("%zu leases from %s%s", out->size(), c.leases_path,
                          out->errors().empty() ? ""
                                                : absl::StrFormat(" (%zu bad lines skipped)", out->errors().size()));
  return true;
}

uint32_t NowSeconds() { return static_cast<uint32_t>(time(nullptr)); }

// What tells one version of the `leases` file from another across restarts
// (control/persistence.h): its size and CRC-32C. By content, not by inode
// or mtime: a copy, a `touch` or a container restart that leaves the leases
// as they were must not count as a new file (lqd would merge it again, and
// leases deleted since would come back). Empty without a file.
std::string LeaseFileIdentity(const std::string& path) {
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::vector<char> buf(1 << 20);
  uint32_t crc = 0;
  uint64_t size = 0;
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    const size_t n = static_cast<size_t>(in.gcount());
    crc = control::Crc32c(buf.data(), n, crc);
    size += n;
  }
  return absl::StrFormat("size=%d,crc32c=%08x", size, crc);
}

std::vector<unsigned> PickLcores(const Config& c, std::string* err) {
  std::vector<unsigned> ids;
  if (!c.lcores.empty()) {
    for (unsigned id : c.lcores) {
      if (id >= RTE_MAX_LCORE || !rte_lcore_is_enabled(id)) {
        *err = absl::StrFormat("lcores: lcore %u is not enabled in the EAL (-l/--lcores)", id);
        return {};
      }
      ids.push_back(id);
    }
    return ids;
  }
  unsigned id;
  RTE_LCORE_FOREACH_WORKER(id) ids.push_back(id);
  if (ids.empty()) ids.push_back(rte_get_main_lcore());
  return ids;
}

int Run(int argc, char** argv) {
  std::string config_path;
  std::optional<log::Level> cli_level;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else if (std::strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
      auto l = log::ParseLevel(argv[++i]);
      if (!l.ok()) {
        std::fprintf(stderr, "lqd: --log-level: %s\n%s", std::string(l.status().message()).c_str(), kUsage);
        return 1;
      }
      cli_level = *l;
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "lqd: unknown argument '%s'\n%s", argv[i], kUsage);
      return 1;
    }
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "lqd: --config FILE is required\n%s", kUsage);
    return 1;
  }
  const std::string config_text = ReadFile(config_path);  // the reload's baseline
  ConfigResult cr = LoadConfig(config_path);
  if (cli_level) log::SetLevel(*cli_level);
  for (const auto& e : cr.errors) log::Error("config", e, {{"file", config_path}});
  if (!cr.config) return 1;
  const Config& cfg = *cr.config;
  if (!cli_level) log::SetLevel(cfg.log_level);

  // ---- Leases, before any reader exists: the lease file, then what the
  // control plane recovers (snapshot, journal) and pulls from the primary.
  LeaseStore store(LeaseStoreOptions{.shards = 256, .expected_leases = 1024});
  std::string lease_note;
  control::KeaCsvLeaseSet initial;
  // Taken before the read: a file changed while it is read gets the older
  // identity, so the next start merges it again rather than skipping it
  // (one more sequential read of the file, from the page cache).
  control::ControlConfig control_cfg = cfg.control;
  control_cfg.lease_file_identity = LeaseFileIdentity(cfg.leases_path);
  if (!ReadLeaseFile(cfg, &initial, &lease_note)) return 1;
  control::ControlPlane control(std::move(control_cfg), store, NowSeconds);
  // The config's ranges first; a kea-pull adds the pools it learns from
  // Kea's config-get during Start() (control/kea_config.h).
  if (absl::Status st = control.SetConfigRanges(cfg.ranges); !st.ok()) {
    log::Error("config", "authoritative-ranges", {{"error", std::string(st.message())}});
    return 1;
  }
  if (absl::Status st = control.Start(initial.size(), [&](size_t i, LeaseRef* out) { initial.Get(i, out); });
      !st.ok()) {
    log::Error("control", "cannot start the control plane", {{"error", std::string(st.message())}});
    return 1;
  }
  initial.clear();
  lease_note = absl::StrFormat("%zu leases in the replica (%s)%s", store.size(), lease_note,
                               control.ready() ? "" : ", NOT READY: waiting for the initial pull");
  QueryEngine engine(store);
  // Policy, ACL, rate limit, server-id: what a reload may change live.
  ConfigReloader reloader(config_path, cfg, config_text, store);
  if (cli_level) reloader.PinLogLevel();  // --log-level wins over the file, also on reload
  // A reload's ranges go through the control plane, which adds Kea's.
  reloader.SetRangesSink([&control](std::vector<AddressRange> r) { return control.SetConfigRanges(std::move(r)); });
  // RFC 3118 replay counters: seeded from the state directory before any
  // lcore runs, saved by the control round (dataplane/auth_replay_file.h).
  // With a state directory the file is kept whether or not auth is on at
  // start: a reload may switch it on, and its table is then seeded from the
  // file before the lcores see it (and saved from then on).
  std::unique_ptr<AuthReplayFile> replay_file;
  auto seed_replay = [&replay_file](AuthReplayState& state) {
    auto n = replay_file->Load(state);
    if (n.ok())
      log::Info("auth", absl::StrCat("replay counters of ", *n, " requesters restored"), {{"file", replay_file->path()}});
    else
      log::Error("auth", "replay counters NOT restored: queries captured before may be replayed once; "
                 "remove or repair the file",
                 {{"file", replay_file->path()}, {"error", std::string(n.status().message())}});
  };
  if (!cfg.control.state_dir.empty()) {
    replay_file = std::make_unique<AuthReplayFile>(cfg.control.state_dir);
    if (cfg.policy.auth) seed_replay(cfg.policy.auth->replay_state());
    reloader.SetReplaySeeder(seed_replay);
  }
  uint32_t last_replay_save = 0;
  bool replay_save_failing = false;
  auto save_replay = [&replay_file, &reloader, &replay_save_failing] {
    if (!replay_file || !reloader.current().policy.auth) return;
    auto r = replay_file->SaveIfChanged(reloader.current().policy.auth->replay_state());
    if (!r.ok() && !replay_save_failing)
      log::Error("auth", "cannot save the replay counters; retrying every second",
                 {{"file", replay_file->path()}, {"error", std::string(r.status().message())}});
    else if (r.ok() && replay_save_failing)
      log::Info("auth", "replay counters saved again", {{"file", replay_file->path()}});
    replay_save_failing = !r.ok();
  };
  // Control thread only (the store's writer: Retire, SetRanges). The replay
  // counters are saved first: a reload may switch auth off, and the table
  // it drops must be on disk when a later one switches auth on again.
  auto reload = [&reloader, &config_path, &save_replay](const char* why) {
    save_replay();
    ReloadResult r = reloader.Reload(NowSeconds());
    for (const auto& e : r.errors) log::Error("reload", absl::StrCat("reload: ", config_path, ": ", e));
    (r.ok ? log::Info : log::Error)("reload", absl::StrCat("reload (", why, "): ", ConfigReloader::Describe(r)),
                                    {{"generation", absl::StrCat(r.generation)}});
    return r;
  };
  auto control_round = [&control, &reload, &save_replay, &last_replay_save](int timeout_ms) {
    control.Poll(timeout_ms);
    if (reload_requested.exchange(false, std::memory_order_relaxed)) reload("SIGHUP");
    if (const uint32_t now = NowSeconds(); now != last_replay_save) {
      last_replay_save = now;
      save_replay();
    }
  };

  // ---- Lcores and ports.
  std::string err;
  const std::vector<unsigned> lcore_ids = PickLcores(cfg, &err);
  if (lcore_ids.empty()) {
    log::Error("config", err);
    return 1;
  }
  const unsigned main_lcore = rte_get_main_lcore();
  auto pool = CreateMbufPool(static_cast<unsigned>(cfg.ports.size()) + !cfg.exception_port.empty(),
                             static_cast<unsigned>(lcore_ids.size()));
  if (!pool.ok()) {
    log::Error("dataplane", "cannot create the mbuf pool", {{"error", std::string(pool.status().message())}});
    return 1;
  }
  auto shared = std::make_unique<Shared>();
  shared->engine = &engine;
  shared->store = &store;
  shared->live = &reloader.live();
  shared->ready = &control.ready_flag();
  shared->stale = &control.stale_flag();
  shared->control_poll = [&control_round] { control_round(0); };
  std::vector<uint16_t> started;
  auto stop_ports = [&] {
    for (uint16_t pid : started) {
      rte_eth_dev_stop(pid);
      rte_eth_dev_close(pid);
    }
  };
  std::string port_note;
  TelemetrySources telemetry;
  for (size_t i = 0; i < cfg.ports.size(); ++i) {
    const PortConfig& pc = cfg.ports[i];
    const std::string device = DeviceWithDefaults(pc.device);
    auto pid = AttachDevice(device);
    absl::StatusOr<PortSetup> setup =
        pid.ok() ? SetupPort(*pid, device, static_cast<uint16_t>(lcore_ids.size()), *pool)
                 : absl::StatusOr<PortSetup>(pid.status());
    if (!setup.ok()) {
      log::Error("dataplane", absl::StrFormat("ports[%zu].device: %s", i, setup.status().message()),
                 {{"device", device}});
      stop_ports();
      return 1;
    }
    started.push_back(setup->port_id);
    telemetry.port_ids.push_back(setup->port_id);
    PortCtx& p = shared->ports.emplace_back();
    p.port_id = setup->port_id;
    p.nb_queues = setup->nb_queues;
    p.mac = setup->mac;
    p.tx_cksum_offload = setup->tx_cksum_offload;
    p.addresses = pc.addresses;
    std::string addrs;
    for (uint32_t a : pc.addresses) absl::StrAppend(&addrs, addrs.empty() ? "" : ",", FormatIpv4(a));
    absl::StrAppendFormat(&port_note, "%s%s [%s mac %s, %u queue(s)%s%s%s]", port_note.empty() ? "" : "; ",
                          device, addrs, FormatMac(p.mac), p.nb_queues, setup->rss ? ", rss" : "",
                          setup->tx_cksum_offload ? ", tx checksum offload" : "",
                          pc.vlan ? absl::StrCat(", vlan ", *pc.vlan) : "");
  }
  for (size_t i = 0; i < shared->ports.size(); ++i) {  // pointers into the final vector
    PortCtx& p = shared->ports[i];
    p.identity.addresses = p.addresses;
    p.identity.mac = p.mac.addr_bytes;
    p.identity.vlan = cfg.ports[i].vlan ? *cfg.ports[i].vlan : PortIdentity::kAnyVlan;
  }
  if (!cfg.exception_port.empty()) {
    auto pid = AttachDevice(cfg.exception_port);
    absl::StatusOr<PortSetup> setup =
        pid.ok() ? SetupPort(*pid, cfg.exception_port, static_cast<uint16_t>(lcore_ids.size()), *pool)
                 : absl::StatusOr<PortSetup>(pid.status());
    if (setup.ok() && setup->nb_queues < lcore_ids.size())
      setup = absl::FailedPreconditionError("fewer queues than lcores");
    if (!setup.ok()) {
      log::Error("dataplane", absl::StrCat("exception-port: ", setup.status().message()),
                 {{"device", cfg.exception_port}});
      stop_ports();
      return 1;
    }
    started.push_back(setup->port_id);
    // The kernel answers as the appliance: give it the first port's MAC so
    // relays see one MAC per address (configure the appliance addresses on
    // the TAP interface, e.g. `ip addr add 192.0.2.1/24 dev lqd-exc`).
    if (int rc = rte_eth_dev_default_mac_addr_set(setup->port_id, &shared->ports[0].mac); rc != 0)
      log::Warn("dataplane", "exception-port: cannot set its MAC", {{"error", rte_strerror(-rc)}});
    shared->has_exception_port = true;
    shared->exception_port = setup->port_id;
  }

  // ---- Per-lcore state.
  std::vector<std::unique_ptr<LcoreCounters>> counters;
  std::vector<std::unique_ptr<LcoreConf>> confs;
  const uint64_t hz = rte_get_tsc_hz();
  for (size_t i = 0; i < lcore_ids.size(); ++i) {
    counters.push_back(std::make_unique<LcoreCounters>());
    auto lc = std::make_unique<LcoreConf>();
    lc->lcore_id = lcore_ids[i];
    lc->queue = static_cast<uint16_t>(i);
    lc->writer = lcore_ids[i] == main_lcore;
    lc->shared = shared.get();
    lc->counters = counters.back().get();
    lc->rate_limiter = std::make_unique<RateLimiter>(cfg.rate_limit.per_requester_pps, cfg.rate_limit.burst, hz);
    lc->reader = store.qsbr().RegisterReader();
    if (lc->reader < 0 || !InitLcoreTx(*lc)) {
      log::Error("dataplane", "cannot set up lcore", {{"lcore", absl::StrCat(lcore_ids[i])}});
      stop_ports();
      return 1;
    }
    telemetry.lcores.push_back(lc->counters);
    telemetry.lcore_ids.push_back(lcore_ids[i]);
    confs.push_back(std::move(lc));
  }

  std::string ranges_note;
  for (const auto& r : cfg.ranges)
    absl::StrAppend(&ranges_note, ranges_note.empty() ? "" : ",", FormatIpv4(r.first), "-", FormatIpv4(r.last));
  std::string lcores_note;
  for (unsigned id : lcore_ids) absl::StrAppend(&lcores_note, lcores_note.empty() ? "" : ",", id);
  telemetry.info = absl::StrFormat(
      "lqd: ready: ports %s; lcores %s; %s; ranges %s; server-id %s%s%s", port_note, lcores_note,
      lease_note, ranges_note.empty() ? "none" : ranges_note, FormatIpv4(cfg.server_id),
      cfg.exception_port.empty() ? "" : "; exception-port " + cfg.exception_port,
      cfg.rate_limit.per_requester_pps ? absl::StrFormat("; rate-limit %u pps", cfg.rate_limit.per_requester_pps) : "");
  if (!RegisterTelemetry(&telemetry)) log::Warn("dataplane", "telemetry commands not registered");
  // Whichever way Run() returns, the telemetry thread stops reading
  // `telemetry` and the lcores' counters before they are destroyed.
  struct TelemetryOff {
    ~TelemetryOff() { UnregisterTelemetry(); }
  } telemetry_off;
  control.management().SetExtraMetrics([&telemetry, &reloader] {
    return RenderPrometheus(telemetry.lcores, telemetry.lcore_ids) + RenderPortPrometheus(telemetry) +
           reloader.RenderPrometheus();
  });
  control.management().SetReload([&reload] {
    const ReloadResult r = reload("POST /v1/reload");
    nlohmann::json j = {{"result", r.ok ? "ok" : "error"}, {"generation", r.generation}};
    if (r.ok) {
      j["applied"] = r.applied;
      j["needs-restart"] = r.restart;
    } else {
      j["errors"] = r.errors;
    }
    return control::HttpResponse{r.ok ? 200 : 422, "application/json", j.dump(2) + "\n"};
  });

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  // The banner on stdout (tools and tests read it), and the same as an event.
  std::printf("%s\n", telemetry.info.c_str());
  std::fflush(stdout);
  log::Info("dataplane", "started", {{"ports", port_note}, {"lcores", lcores_note}, {"leases", lease_note}});

  // ---- Launch.
  LcoreConf* main_conf = nullptr;
  std::vector<LcoreConf*> launched;
  for (auto& lc : confs) {
    if (lc->lcore_id == main_lcore) {
      main_conf = lc.get();
      continue;
    }
    int rc = rte_eal_remote_launch(LcoreMain, lc.get(), lc->lcore_id);
    if (rc == 0) launched.push_back(lc.get());
    if (rc != 0) {
      log::Error("dataplane", "cannot launch lcore",
                 {{"lcore", absl::StrCat(lc->lcore_id)}, {"error", rte_strerror(-rc)}});
      force_quit = true;
    }
  }
  if (main_conf != nullptr) {
    LcoreMain(main_conf);
  } else {
    // Control thread: the store's single writer (feeds, persistence, API).
    while (!force_quit.load(std::memory_order_relaxed)) control_round(10);
  }
  rte_eal_mp_wait_lcore();
  for (LcoreConf* lc : launched) {
    while (!lc->exited.load(std::memory_order_acquire)) rte_pause();  // returned: already true
  }
  save_replay();  // every counter accepted before the stop

  // ---- Shutdown: counters, then ports.
  UnregisterTelemetry();  // before the ports it reads go
  const LcoreCounters total = Sum(telemetry.lcores);
  std::printf("lqd: stopping; counters:\n%s", RenderText(total).c_str());
  std::fflush(stdout);
  for (auto& lc : confs) {
    FreeLcoreTx(*lc);
    store.qsbr().UnregisterReader(lc->reader);
  }
  stop_ports();
  return 0;
}

}  // namespace
}  // namespace lqd::dataplane

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--check-config") == 0) {
    if (argc != 3) {
      std::fputs(lqd::dataplane::kUsage, stderr);
      return 1;
    }
    return lqd::dataplane::CheckConfig(argv[2]);
  }
  if (argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::fputs(lqd::dataplane::kUsage, stdout);
    return 0;
  }
  lqd::dataplane::InstallEarlySignalHandlers();
  const int eal_args = rte_eal_init(argc, argv);
  if (eal_args < 0) {
    const int e = rte_errno;
    lqd::log::Error("dataplane", "EAL initialisation failed", {{"error", rte_strerror(e)}});
    if (e == EACCES) lqd::log::Error("dataplane", "hint: run as root (or with CAP_SYS_ADMIN/CAP_NET_RAW)");
    lqd::log::Error("dataplane",
                    "hint: without hugepages add '--no-huge -m 512'; to run next to another DPDK "
                    "process add a unique '--file-prefix NAME' (--in-memory with hugepages)");
    return 1;
  }
  // Operators capture lqd's traffic with dpdk-dumpcap / dpdk-pdump, which
  // attach as secondary processes (needs hugepages: with --no-huge the
  // primary's memory cannot be shared).
  if (rte_pdump_init() != 0)
    lqd::log::Warn("dataplane", "packet capture (rte_pdump) unavailable", {{"error", rte_strerror(rte_errno)}});
  const int rc = lqd::dataplane::Run(argc - eal_args, argv + eal_args);
  rte_pdump_uninit();
  rte_eal_cleanup();
  return rc;
}
