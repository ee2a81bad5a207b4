// SPDX-License-Identifier: Apache-2.0
// File: client/lq_storm_main.cc
//
// lq-storm: K access concentrators rebooting at once, each with N
// subscribers' addresses to recover by leasequery, against one --server.
//
//   lq-storm --server 192.0.2.1 --giaddr-base 192.0.2.10 --concentrators 4
//            --leases kea-leases4.csv --mode closed --window 64
//            --max-queries 100000 --duration 30
//   lq-storm ... --population 10.0.0.0/16 --active-fraction 0.8 --mode open --rate 20000
//   lq-storm ... --mode rfc            (each concentrator runs the client library's rules)
//   lq-storm ... --dpdk='-l 0-1 --no-huge -m 512 --no-pci --file-prefix lqs
//                 --vdev net_memif0,role=client,socket=/run/lqd.memif,socket-abstract=no'
//   lq-storm --population 10.0.0.0/16 --active-fraction 0.8 --write-leases seed.csv
//
// Modes: open (fixed --rate, whatever the answers), closed (--window queries
// in flight), rfc (per concentrator: pacer, outstanding limit, backoff,
// caching, as an RFC 4388 6.6 requester would), flood (as fast as the I/O
// takes them, no per-query tracking: overload tests); see client/storm.h.
// Paths: kernel UDP sockets (default; concentrator i is giaddr base+i with
// its own socket bound to giaddr:port, concentrators round-robin to
// --threads threads) or DPDK (--dpdk: one port, one generator lcore; see
// client/storm_dpdk.h). Bounded: --duration and --max-queries are required
// and only --server is ever sent to. Exit 0, 64 usage error, 71 local error.
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cli.h"
#include "client/storm.h"
#include "client/storm_dpdk.h"
#include "client/storm_kernel.h"
#include "client/subscribers.h"
#include "client/text.h"

ABSL_FLAG(std::string, server, "", "the leasequery server (the only destination ever used)");
ABSL_FLAG(std::string, port, "67", "server port, also each concentrator's local port");
ABSL_FLAG(std::string, giaddr_base, "", "concentrator i uses giaddr base+i (default: 127.0.1.1)");
ABSL_FLAG(std::string, concentrators, "1", "number of emulated concentrators K");
ABSL_FLAG(std::string, subscribers, "0",
          "subscribers per concentrator N (0: the whole population dealt over K)");
ABSL_FLAG(std::string, mode, "closed",
          "open | closed | rfc | flood (as fast as the I/O goes, queries built once, "
          "answers counted by type only: overload tests)");
ABSL_FLAG(std::string, rate, "",
          "open mode: queries per second, all threads together; flood mode (optional): the "
          "flood's queries per second (default: as fast as the I/O goes)");
ABSL_FLAG(std::string, paced_rate, "",
          "flood mode: only the first concentrator floods; the others (well-behaved relays beside "
          "it) share this many queries/s, paced. The report gives sent/answered per giaddr");
ABSL_FLAG(std::string, window, "64", "closed mode: queries in flight, all threads together");
ABSL_FLAG(std::string, rfc_outstanding, "100", "rfc mode: outstanding limit per server (100..200)");
ABSL_FLAG(std::string, mix, "ip=100", "query regimes by weight, e.g. ip=80,mac=10,cid=10");
ABSL_FLAG(std::string, unknown_fraction, "0",
          "open/closed: share of by-IP queries for addresses outside the population "
          "(198.18.0.0/15, expected UNKNOWN)");
ABSL_FLAG(std::string, leases, "", "Kea memfile lease4 CSV to draw subscribers from");
ABSL_FLAG(std::string, population, "", "generated subscribers: every host of this prefix");
ABSL_FLAG(std::string, active_fraction, "0.8", "generated population: share with an active lease");
ABSL_FLAG(std::string, write_leases, "",
          "write the generated population's active leases as a Kea CSV and exit");
ABSL_FLAG(std::string, duration, "", "required cap: stop after this many seconds");
ABSL_FLAG(std::string, max_queries, "", "required cap: datagrams sent, retries included");
ABSL_FLAG(std::string, timeout, "2", "open/closed: seconds until a query counts as lost");
ABSL_FLAG(std::string, retries, "0", "open/closed: resend an unanswered query this many times");
ABSL_FLAG(std::string, threads, "1", "sender/receiver threads (kernel path)");
ABSL_FLAG(std::string, seed, "1", "random seed (regime choice, xids, jitter)");
ABSL_FLAG(bool, freebind, false, "bind concentrator addresses not configured here (IP_FREEBIND)");
ABSL_FLAG(std::string, dpdk, "",
          "DPDK path instead of kernel sockets: the EAL arguments as one string, e.g. "
          "--dpdk='-l 0-1 --no-huge -m 512 --no-pci --file-prefix lqs "
          "--vdev net_memif0,role=client,socket=/run/lqd.memif,socket-abstract=no'");
ABSL_FLAG(std::string, dpdk_port, "0", "DPDK path: port id of the device to use");
ABSL_FLAG(std::string, server_mac, "",
          "DPDK path: the server's MAC (default: resolved by ARP for --server)");
ABSL_FLAG(bool, dpdk_hold, false,
          "DPDK path: after the report, keep the port up until stdin is closed (so the "
          "server's counters can be read before it sees the link go down)");
ABSL_FLAG(bool, json, false, "final report as one JSON object on stdout");

namespace lqd::client {
namespace {

template <typename T>
T OrUsage(absl::StatusOr<T> v, std::string_view flag) {
  if (!v.ok()) cli::UsageError(flag, v.status());
  return *std::move(v);
}

uint64_t UintFlag(const std::string& v, std::string_view flag, uint64_t min, uint64_t max) {
  uint64_t out = 0;
  if (auto s = cli::ParseUint(v, min, max, out); !s.ok()) cli::UsageError(flag, s);
  return out;
}

double SecondsFlag(const std::string& v, std::string_view flag) {
  double out = 0;
  if (auto s = cli::ParseSeconds(v, out); !s.ok()) cli::UsageError(flag, s);
  return out;
}

double FractionFlag(const std::string& v, std::string_view flag) {
  double out = 0;
  if (!absl::SimpleAtod(v, &out) || out < 0 || out > 1) {
    cli::UsageError(flag, absl::StrCat("'", v, "' is not a fraction in [0, 1]"));
  }
  return out;
}

// Kernel path: --threads workers, each with the sockets of its share.
int RunKernel(StormShared& sh, std::vector<StormConcentrator>& conc, bool freebind,
              StormResult& total, absl::Time& start) {
  const StormOptions& o = *sh.opt;
  std::vector<std::unique_ptr<KernelStormIo>> ios;
  std::vector<std::vector<StormConcentrator*>> shares(o.threads);
  for (size_t i = 0; i < conc.size(); ++i) shares[i % o.threads].push_back(&conc[i]);
  for (auto& share : shares) {
    auto io = KernelStormIo::Create(share, o.server, o.port, freebind);
    if (!io.ok()) {
      std::fprintf(stderr, "lq-storm: %s\n", std::string(io.status().message()).c_str());
      return cli::kExitOsError;
    }
    ios.push_back(*std::move(io));
  }
  start = absl::Now();
  std::vector<std::unique_ptr<StormWorker>> workers;
  for (size_t t = 0; t < o.threads; ++t) {
    workers.push_back(
        std::make_unique<StormWorker>(sh, shares[t], *ios[t], o.seed * 1000003 + t, start));
  }
  std::vector<std::thread> threads;
  std::atomic<size_t> done{0};
  for (auto& w : workers) {
    threads.emplace_back([&w, &done] {
      w->Run();
      done.fetch_add(1);
    });
  }
  PrintProgressUntil(sh, start, [&] { return done.load() == workers.size(); });
  for (auto& t : threads) t.join();
  for (auto& w : workers) total.Merge(w->result());
  return 0;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "lq-storm --server ADDR --duration S --max-queries N (--leases CSV | --population "
      "PREFIX [--active-fraction F]) [--mode open --rate PPS | --mode closed --window W | "
      "--mode rfc | --mode flood [--rate PPS] [--paced-rate PPS]] [--concentrators K] [--giaddr-base ADDR] [--subscribers N] [--mix "
      "ip=80,mac=10,cid=10] [--threads T] [--json]\n"
      "  DPDK path: add --dpdk='EAL ARGS' [--dpdk-port P] [--server-mac MAC], e.g.\n"
      "    --dpdk='-l 0-1 --no-huge -m 512 --no-pci --file-prefix lqs "
      "--vdev net_memif0,role=client,socket=/run/lqd.memif,socket-abstract=no'\n"
      "    (two lcores: one generator, the main one for progress; the server's MAC is\n"
      "    resolved by ARP unless --server-mac is given)\n"
      "  or: lq-storm --population PREFIX [--active-fraction F] --write-leases FILE");
  cli::CheckArgvOrExit(argc, argv);
  absl::ParseCommandLine(argc, argv);
  StormOptions o;

  // Subscribers.
  std::vector<Subscriber> subs;
  const std::string leases = absl::GetFlag(FLAGS_leases), pop = absl::GetFlag(FLAGS_population);
  if (leases.empty() == pop.empty()) {
    cli::UsageError("--leases/--population", "exactly one of them is expected");
  }
  if (!pop.empty()) {
    const Prefix p = OrUsage(ParsePrefix(pop), "--population");
    if (p.length < 8) cli::UsageError("--population", "at most a /8 (16M subscribers)");
    subs = GeneratePopulation(p, FractionFlag(absl::GetFlag(FLAGS_active_fraction), "--active-fraction"));
  } else {
    subs = OrUsage(ReadKeaLeases(leases, absl::ToUnixSeconds(absl::Now())), "--leases");
  }
  if (subs.empty()) cli::UsageError(leases.empty() ? "--population" : "--leases", "no subscribers");
  if (const std::string w = absl::GetFlag(FLAGS_write_leases); !w.empty()) {
    if (auto s = WriteKeaCsv(w, subs, absl::ToUnixSeconds(absl::Now())); !s.ok()) {
      std::fprintf(stderr, "lq-storm: %s\n", std::string(s.message()).c_str());
      return cli::kExitOsError;
    }
    size_t active = 0;
    for (const auto& s : subs) active += s.active;
    std::fprintf(stderr, "lq-storm: wrote %zu active leases of %zu to %s\n", active, subs.size(),
                 w.c_str());
    return 0;
  }

  if (absl::GetFlag(FLAGS_server).empty()) cli::UsageError("--server", "required");
  o.server = OrUsage(ParseIpv4(absl::GetFlag(FLAGS_server)), "--server");
  if (absl::GetFlag(FLAGS_duration).empty()) cli::UsageError("--duration", "required cap (seconds)");
  if (absl::GetFlag(FLAGS_max_queries).empty()) cli::UsageError("--max-queries", "required cap");
  o.duration_s = SecondsFlag(absl::GetFlag(FLAGS_duration), "--duration");
  if (o.duration_s <= 0) cli::UsageError("--duration", "must be > 0");
  o.max_queries = UintFlag(absl::GetFlag(FLAGS_max_queries), "--max-queries", 1, 1'000'000'000'000);
  o.port = static_cast<uint16_t>(UintFlag(absl::GetFlag(FLAGS_port), "--port", 1, 65535));
  o.concentrators = UintFlag(absl::GetFlag(FLAGS_concentrators), "--concentrators", 1, 60000);
  o.per_concentrator = UintFlag(absl::GetFlag(FLAGS_subscribers), "--subscribers", 0, 1u << 24);
  o.threads = UintFlag(absl::GetFlag(FLAGS_threads), "--threads", 1, 64);
  o.threads = std::min(o.threads, o.concentrators);
  o.window = UintFlag(absl::GetFlag(FLAGS_window), "--window", 1, 1'000'000);
  o.rfc_outstanding = UintFlag(absl::GetFlag(FLAGS_rfc_outstanding), "--rfc-outstanding", 1, 200);
  o.retries = UintFlag(absl::GetFlag(FLAGS_retries), "--retries", 0, 100);
  o.seed = UintFlag(absl::GetFlag(FLAGS_seed), "--seed", 0, UINT64_MAX);
  o.timeout_s = SecondsFlag(absl::GetFlag(FLAGS_timeout), "--timeout");
  if (o.timeout_s <= 0) cli::UsageError("--timeout", "must be > 0");
  o.unknown_fraction = FractionFlag(absl::GetFlag(FLAGS_unknown_fraction), "--unknown-fraction");
  o.mix = OrUsage(ParseQueryMix(absl::GetFlag(FLAGS_mix)), "--mix");
  o.json = absl::GetFlag(FLAGS_json);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode == "open") {
    o.mode = StormMode::kOpen;
    if (absl::GetFlag(FLAGS_rate).empty()) cli::UsageError("--rate", "required with --mode open");
    o.rate = static_cast<double>(UintFlag(absl::GetFlag(FLAGS_rate), "--rate", 1, 100'000'000));
  } else if (mode == "closed") {
    o.mode = StormMode::kClosed;
  } else if (mode == "rfc") {
    o.mode = StormMode::kRfc;
  } else if (mode == "flood") {
    o.mode = StormMode::kFlood;
    if (!absl::GetFlag(FLAGS_rate).empty()) {  // optional: the flood on a schedule
      if (o.threads != 1) cli::UsageError("--rate", "with --mode flood, one thread only (--threads 1)");
      o.rate = static_cast<double>(UintFlag(absl::GetFlag(FLAGS_rate), "--rate", 1, 100'000'000));
    }
  } else {
    cli::UsageError("--mode", absl::StrCat("'", mode, "': expected open, closed, rfc or flood"));
  }
  if (const std::string pr = absl::GetFlag(FLAGS_paced_rate); !pr.empty()) {
    if (o.mode != StormMode::kFlood) cli::UsageError("--paced-rate", "only with --mode flood");
    if (o.concentrators < 2) {
      cli::UsageError("--paced-rate", "needs --concentrators 2 or more (the first floods, the others are paced)");
    }
    if (o.threads != 1) cli::UsageError("--paced-rate", "one thread only (--threads 1)");
    o.paced_rate = static_cast<double>(UintFlag(pr, "--paced-rate", 1, 100'000'000));
  }
  o.giaddr_base = absl::GetFlag(FLAGS_giaddr_base).empty()
                      ? 0x7f000101
                      : OrUsage(ParseIpv4(absl::GetFlag(FLAGS_giaddr_base)), "--giaddr-base");
  if (auto s = ValidateGiaddrRange(o.giaddr_base, o.concentrators); !s.ok()) {
    cli::UsageError("--giaddr-base", s);
  }

  const bool dpdk = !absl::GetFlag(FLAGS_dpdk).empty();
  DpdkStormConfig dc;
  if (dpdk) {
    dc.eal_args = absl::GetFlag(FLAGS_dpdk);
    if (SplitEalArgs(dc.eal_args).empty()) cli::UsageError("--dpdk", "EAL arguments expected");
    if (absl::GetFlag(FLAGS_threads) != "1") {
      cli::UsageError("--threads", "the DPDK path runs one generator lcore");
    }
    if (absl::GetFlag(FLAGS_freebind)) cli::UsageError("--freebind", "kernel path only");
    dc.port_id = static_cast<uint16_t>(UintFlag(absl::GetFlag(FLAGS_dpdk_port), "--dpdk-port", 0, 1023));
    if (const std::string m = absl::GetFlag(FLAGS_server_mac); !m.empty()) {
      const std::vector<uint8_t> mac = OrUsage(ParseMac(m), "--server-mac");
      if (mac.size() != 6) cli::UsageError("--server-mac", "an Ethernet MAC (6 bytes) is expected");
      dc.server_mac.emplace();
      std::copy(mac.begin(), mac.end(), dc.server_mac->begin());
    }
  } else if (absl::GetFlag(FLAGS_dpdk_port) != "0" || !absl::GetFlag(FLAGS_server_mac).empty()) {
    cli::UsageError(absl::GetFlag(FLAGS_server_mac).empty() ? "--dpdk-port" : "--server-mac",
                    "only with --dpdk");
  }

  // Concentrators: subscribers dealt round-robin, optionally N each.
  std::vector<StormConcentrator> conc =
      DealConcentrators(subs, o.concentrators, o.per_concentrator, o.giaddr_base);
  size_t subscribers = 0;
  for (const auto& c : conc) {
    if (c.subs.empty()) cli::UsageError("--concentrators", "more concentrators than subscribers");
    subscribers += c.subs.size();
  }

  StormShared sh;
  sh.opt = &o;
  StormResult total;
  absl::Time start = absl::Now();
  if (dpdk) {
    // The report is printed while the port is still up; see --dpdk-hold.
    const bool hold = absl::GetFlag(FLAGS_dpdk_hold);
    dc.before_teardown = [&](const StormResult& r, absl::Time t0) {
      PrintReport(o, sh, r, subscribers, "dpdk", absl::ToDoubleSeconds(absl::Now() - t0), t0);
      std::fflush(stdout);
      if (hold) {
        char buf[256];
        while (std::fread(buf, 1, sizeof(buf), stdin) > 0) {
        }
      }
    };
    auto r = RunDpdkStorm(dc, sh, conc, &start);
    if (!r.ok()) {
      std::fprintf(stderr, "lq-storm: --dpdk: %s\n", std::string(r.status().message()).c_str());
      return r.status().code() == absl::StatusCode::kInvalidArgument ? cli::kExitUsage
                                                                    : cli::kExitOsError;
    }
    return 0;
  }
  if (absl::GetFlag(FLAGS_dpdk_hold)) cli::UsageError("--dpdk-hold", "only with --dpdk");
  if (int rc = RunKernel(sh, conc, absl::GetFlag(FLAGS_freebind), total, start); rc != 0) return rc;
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  PrintReport(o, sh, total, subscribers, "kernel", elapsed, start);
  return 0;
}

}  // namespace
}  // namespace lqd::client

int main(int argc, char** argv) { return lqd::client::Main(argc, argv); }
