// SPDX-License-Identifier: Apache-2.0
// File: bench/control/startup_load_benchmark.cc
//
// Start-up load of N leases (issue goal: 10 M in under 10 s), end to end
// from a file, through the same calls lqd makes at start:
//
//   snapshot  ControlPlane::Start on a state directory whose snapshot.lqs
//             was written by Persistence::WriteSnapshot: read, check every
//             checksum, decode, LeaseStore::BulkLoad into an empty store.
//   csv       LoadKeaCsvLeases on a Kea 2.2 memfile (kea-leases4.csv:
//             header, client-id, option 82 in user_context), as
//             dataplane/main.cc ReadLeaseFile does, then ControlPlane::Start
//             with those leases and no state directory (BulkLoad).
//   follow    the same memfile as the only lease source, through a
//             FileFollower ("followers" in the config): ControlPlane::Start
//             with no initial leases runs the follower's first full read
//             (parse, fold to the last row per address, apply each through
//             the replica), after which lqd may answer.
//
// Leases are shaped like bench/lease-store's realistic ones: 6-byte MAC,
// 7-byte client-id, a 24-byte option 82 (circuit-id + remote-id), one lease
// per address. The files are written once (not timed) into a fresh
// directory under $TMPDIR (default /tmp), removed at exit. The page cache
// holds them when the loads run (a warm restart; the machine is shared, so
// the cache is not dropped). Each rep runs both cases, alternating, each
// into a new store (the parsed leases are freed inside the timing, as lqd
// frees them before serving; the store is freed outside); printed: wall seconds per phase, process CPU seconds
// (all threads) and leases/s.
//
//   startup_load_benchmark [--leases N] [--reps R] [--only snapshot,csv,follow] [--dir D]
//
// --only: the cases to run, comma-separated (default: all three).
//
// --dir D keeps the files in D (written only if D has none), so two builds
// can be compared on the very same files.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "control/control_plane.h"
#include "control/kea_csv.h"
#include "control/persistence.h"
#include "lease-store/lease_store.h"

namespace lqd::bench {
using namespace lqd::control;
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

constexpr uint32_t kBase = 0x0a000000;  // 10.0.0.0

// Option 82: circuit-id "eth0/1/NNNNN" (12) + remote-id 8 bytes = 24 bytes.
std::string RaiOf(size_t i) {
  std::string r = absl::StrFormat("\x01\x0c" "eth0/1/%05x", i & 0xfffff);
  r += "\x02\x08";
  for (int k = 0; k < 8; ++k) r.push_back(static_cast<char>((i >> (8 * (k % 4))) + k));
  return r;
}

Lease LeaseOf(size_t i) {
  Lease l;
  l.ip = kBase + static_cast<uint32_t>(i);
  l.hw.htype = 1;
  l.hw.hlen = 6;
  const uint8_t mac[6] = {0x02, 0x00, uint8_t(i >> 24), uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
  std::memcpy(l.hw.bytes, mac, 6);
  l.client_id = std::string("\x01\x02\x00", 3);
  for (int k = 3; k >= 0; --k) l.client_id.push_back(static_cast<char>(i >> (8 * k)));
  l.relay_agent_info = RaiOf(i);
  l.expire = 1800000000 + static_cast<uint32_t>(i % 86400);
  l.cltt = l.expire - 86400;
  l.subnet_id = 1 + static_cast<uint32_t>(i >> 16);
  return l;
}

std::string Hex(const std::string& s, const char* sep) {
  std::string out;
  for (size_t k = 0; k < s.size(); ++k) {
    if (k != 0) out += sep;
    out += absl::StrFormat("%02x", static_cast<uint8_t>(s[k]));
  }
  return out;
}

void WriteCsv(const std::string& path, size_t n) {
  std::ofstream out(path, std::ios::binary);
  out << "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n";
  std::string line;
  for (size_t i = 0; i < n; ++i) {
    const Lease l = LeaseOf(i);
    const uint32_t ip = l.ip;
    line = absl::StrFormat("%d.%d.%d.%d,%s,%s,86400,%u,%u,0,0,cpe-%07u,0,", ip >> 24, (ip >> 16) & 255,
                           (ip >> 8) & 255, ip & 255,
                           Hex(std::string(reinterpret_cast<const char*>(l.hw.bytes), 6), ":"),
                           Hex(l.client_id, ":"), l.expire, l.subnet_id, static_cast<unsigned>(i));
    line += "{ \"ISC\": { \"relay-agent-info\": \"0x";
    for (char c : l.relay_agent_info) line += absl::StrFormat("%02X", static_cast<uint8_t>(c));
    line += "\" } }\n";
    out << line;
  }
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

struct Result {
  double read_s = 0;   // read + parse (+ fold for csv)
  double load_s = 0;   // BulkLoad
  double wall_s = 0;
  double cpu_s = 0;
  size_t leases = 0;
};

// A control plane with nothing to listen on: Start() is lqd's start-up load
// (persistence recovery, merge with the lease file, BulkLoad, journal replay).
Result StartControlPlane(const std::string& state_dir, KeaCsvLeaseSet initial, size_t n, Result r, double c0,
                         Clock::time_point t0, const std::string& follow = "") {
  const auto t1 = Clock::now();
  LeaseStore store(LeaseStoreOptions{.shards = 256, .expected_leases = n});
  ControlConfig cfg;
  cfg.state_dir = state_dir;
  if (!follow.empty()) cfg.followers.push_back({.format = LeaseFileFormat::kKeaCsv, .path = follow});
  {
    ControlPlane cp(cfg, store, [] { return uint32_t{1700000000}; });
    if (absl::Status st = cp.Start(initial.size(), [&](size_t i, LeaseRef* out) { initial.Get(i, out); });  // as lqd
        !st.ok()) {
      std::fprintf(stderr, "ControlPlane::Start: %s\n", st.ToString().c_str());
      std::exit(1);
    }
    initial.clear();  // lqd frees the parsed leases before it serves
    r.load_s = Since(t1);
    r.wall_s = Since(t0);
    r.cpu_s = CpuSeconds() - c0;
    r.leases = store.size();
  }  // the control plane and the store are freed after the clock stopped
  if (r.leases != n) {
    std::fprintf(stderr, "%zu leases loaded, %zu expected\n", r.leases, n);
    std::exit(1);
  }
  return r;
}

Result LoadSnapshot(const std::string& dir, size_t n) {
  Result r;  // read_s stays 0: Start() reads and loads in one call
  return StartControlPlane(dir, {}, n, r, CpuSeconds(), Clock::now());
}

Result LoadCsv(const std::string& path, size_t n) {
  Result r;
  const double c0 = CpuSeconds();
  const auto t0 = Clock::now();
  auto csv = LoadKeaCsvLeases(path);  // as dataplane/main.cc
  if (!csv.ok() || !csv->errors().empty()) {
    std::fprintf(stderr, "csv load failed: %s %s\n", csv.status().ToString().c_str(),
                 csv.ok() && !csv->errors().empty() ? csv->errors()[0].reason.c_str() : "");
    std::exit(1);
  }
  r.read_s = Since(t0);
  return StartControlPlane("", *std::move(csv), n, r, c0, t0);
}

Result LoadFollow(const std::string& path, size_t n) {
  Result r;  // read_s stays 0: the follower reads, parses and applies inside Start()
  return StartControlPlane("", {}, n, r, CpuSeconds(), Clock::now(), path);
}

void Print(const char* what, int rep, const Result& r) {
  std::printf("| %s | %d | %zu | %.2f | %.2f | %.2f | %.2f | %.0f |\n", what, rep, r.leases, r.read_s, r.load_s,
              r.wall_s, r.cpu_s, double(r.leases) / r.wall_s);
  std::fflush(stdout);
}

}  // namespace
}  // namespace lqd::bench

int main(int argc, char** argv) {
  using namespace lqd::bench;
  size_t n = 10'000'000;
  int reps = 2;
  std::string only, keep_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--leases" && i + 1 < argc) {
      n = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (a == "--dir" && i + 1 < argc) {
      keep_dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--leases N] [--reps R] [--only snapshot,csv,follow] [--dir D]\n", argv[0]);
      return 2;
    }
  }
  // --only: a comma-separated subset of the three cases; a typo is refused.
  std::vector<std::string> cases;
  for (size_t b = 0; !only.empty() && b <= only.size();) {
    size_t e = only.find(',', b);
    if (e == std::string::npos) e = only.size();
    cases.push_back(only.substr(b, e - b));
    if (cases.back() != "snapshot" && cases.back() != "csv" && cases.back() != "follow") {
      std::fprintf(stderr, "--only: unknown case '%s' (snapshot, csv, follow)\n", cases.back().c_str());
      return 2;
    }
    b = e + 1;
  }
  const auto wants = [&cases](const char* name) {
    return cases.empty() || std::find(cases.begin(), cases.end(), name) != cases.end();
  };
  std::string dir = keep_dir;
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp ? tmp : "/tmp") + "/lqd-load-bench-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = templ;
  } else {
    std::filesystem::create_directories(dir);
  }
  const std::string state = dir + "/state";
  const std::string csv = dir + "/kea-leases4.csv";
  struct Cleanup {
    std::string d;
    ~Cleanup() {
      if (!d.empty()) std::filesystem::remove_all(d);
    }
  } cleanup{keep_dir.empty() ? dir : ""};

  if (wants("snapshot") && !std::filesystem::exists(state + "/snapshot.lqs")) {  // as lqd writes it (not timed)
    std::vector<lqd::Lease> leases;
    leases.reserve(n);
    for (size_t i = 0; i < n; ++i) leases.push_back(LeaseOf(i));
    lqd::LeaseStore store(lqd::LeaseStoreOptions{.shards = 256, .expected_leases = n});
    if (!store.BulkLoad(leases).ok()) return 1;
    leases = {};
    lqd::control::Recovered rec;
    auto p = lqd::control::Persistence::Open(state, &rec);
    if (!p.ok() || !(*p)->WriteSnapshot(store).ok()) {
      std::fprintf(stderr, "cannot write the snapshot in %s\n", state.c_str());
      return 1;
    }
  }
  if ((wants("csv") || wants("follow")) && !std::filesystem::exists(csv)) WriteCsv(csv, n);  // as Kea writes it
  std::error_code ec;
  const auto snap_bytes = wants("snapshot") ? std::filesystem::file_size(state + "/snapshot.lqs", ec) : 0;
  const auto csv_bytes = wants("csv") || wants("follow") ? std::filesystem::file_size(csv, ec) : 0;
  std::printf("startup_load_benchmark: %zu leases, snapshot %.0f MiB, csv %.0f MiB, %ld CPUs online, dir %s\n\n",
              n, double(snap_bytes) / (1 << 20), double(csv_bytes) / (1 << 20), sysconf(_SC_NPROCESSORS_ONLN),
              dir.c_str());
  std::printf("| source | rep | leases | read+parse+fold s | ControlPlane::Start s | total s | CPU s (all threads) | leases/s |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (int rep = 1; rep <= reps; ++rep) {
    if (wants("snapshot")) Print("snapshot", rep, LoadSnapshot(state, n));
    if (wants("csv")) Print("kea csv", rep, LoadCsv(csv, n));
    if (wants("follow")) Print("kea csv, followed", rep, LoadFollow(csv, n));
  }
  return 0;
}
