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
//   lq-storm --population 10.0.0.0/16 --active-fraction 0.8 --write-leases seed.csv
//
// Modes: open (fixed --rate, whatever the answers), closed (--window queries
// in flight), rfc (per concentrator: pacer, outstanding limit, backoff,
// caching, as an RFC 4388 6.6 requester would). Concentrator i is giaddr
// base+i with its own kernel UDP socket bound to giaddr:port; subscribers
// are dealt round-robin to concentrators; concentrators round-robin to
// --threads threads. Bounded: --duration and --max-queries are required
// and only --server is ever sent to. Exit 0, 64 usage error, 71 local error.
#include <sys/epoll.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/answer.h"
#include "client/cli.h"
#include "client/latency_histogram.h"
#include "client/query_mix.h"
#include "client/requester.h"
#include "client/subscribers.h"
#include "client/text.h"
#include "client/udp_socket.h"

ABSL_FLAG(std::string, server, "", "the leasequery server (the only destination ever used)");
ABSL_FLAG(std::string, port, "67", "server port, also each concentrator's local port");
ABSL_FLAG(std::string, giaddr_base, "", "concentrator i uses giaddr base+i (default: 127.0.1.1)");
ABSL_FLAG(std::string, concentrators, "1", "number of emulated concentrators K");
ABSL_FLAG(std::string, subscribers, "0",
          "subscribers per concentrator N (0: the whole population dealt over K)");
ABSL_FLAG(std::string, mode, "closed", "open | closed | rfc");
ABSL_FLAG(std::string, rate, "", "open mode: queries per second, all threads together");
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
ABSL_FLAG(std::string, threads, "1", "sender/receiver threads");
ABSL_FLAG(std::string, seed, "1", "random seed (regime choice, xids, jitter)");
ABSL_FLAG(bool, freebind, false, "bind concentrator addresses not configured here (IP_FREEBIND)");
ABSL_FLAG(bool, json, false, "final report as one JSON object on stdout");

namespace lqd::client {
namespace {

enum class Mode { kOpen, kClosed, kRfc };
constexpr uint32_t kUnknownBase = 0xc6120000;  // 198.18.0.0/15, RFC 2544 benchmarking

struct Options {
  uint32_t server = 0;
  uint16_t port = 67;
  uint32_t giaddr_base = 0;
  size_t concentrators = 1, per_concentrator = 0, threads = 1;
  Mode mode = Mode::kClosed;
  double rate = 0, timeout_s = 2, duration_s = 0, unknown_fraction = 0;
  size_t window = 64, rfc_outstanding = 100;
  uint64_t max_queries = 0, retries = 0, seed = 1;
  QueryMix mix;
  bool freebind = false, json = false;
};

struct Shared {
  const Options* opt = nullptr;
  std::atomic<uint64_t> budget{0}, sent{0}, answered{0}, lost{0}, retries{0};
  std::atomic<bool> stop{false};
  bool TakeBudget() { return budget.fetch_add(1, std::memory_order_relaxed) < opt->max_queries; }
};

struct Concentrator {
  uint32_t giaddr = 0;
  std::unique_ptr<UdpSocket> socket;
  std::vector<const Subscriber*> subs;
  std::vector<bool> recovered;
  size_t recovered_count = 0;
  size_t cursor = 0;
  absl::Time recovered_at = absl::InfiniteFuture();
  // rfc mode
  std::unique_ptr<Transport> transport;
  std::unique_ptr<Requester> requester;
};

struct ThreadResult {
  LatencyHistogram latency;
  uint64_t by_state[3] = {0, 0, 0};
  uint64_t other = 0, stray = 0, unexpected = 0, no_answer = 0;
  size_t concentrators = 0, recovered = 0;
  absl::Time last_recovery = absl::InfinitePast();
};

class BudgetTransport final : public Transport {
 public:
  BudgetTransport(UdpSocket& s, uint16_t port, Shared& sh) : s_(s), port_(port), sh_(sh) {}
  absl::Status Send(uint32_t server, std::span<const uint8_t> m) override {
    if (!sh_.TakeBudget()) return absl::ResourceExhaustedError("--max-queries reached");
    sh_.sent.fetch_add(1, std::memory_order_relaxed);
    return s_.SendTo(server, port_, m);
  }

 private:
  UdpSocket& s_;
  uint16_t port_;
  Shared& sh_;
};

void MarkRecovered(Concentrator& c, size_t sub, absl::Time now) {
  if (c.recovered[sub]) return;
  c.recovered[sub] = true;
  if (++c.recovered_count == c.subs.size()) c.recovered_at = now;
}

class Worker {
 public:
  Worker(Shared& sh, std::vector<Concentrator*> conc, uint64_t seed, absl::Time start)
      : sh_(sh), opt_(*sh.opt), conc_(std::move(conc)), rng_(seed), start_(start) {}

  void Run() {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    for (size_t i = 0; i < conc_.size(); ++i) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = i;
      epoll_ctl(epfd_, EPOLL_CTL_ADD, conc_[i]->socket->fd(), &ev);
    }
    if (opt_.mode == Mode::kRfc) {
      RunRfc();
    } else {
      RunLoop();
    }
    close(epfd_);
    for (Concentrator* c : conc_) {
      ++result_.concentrators;
      if (!c->subs.empty() && c->recovered_count == c->subs.size()) {
        ++result_.recovered;
        result_.last_recovery = std::max(result_.last_recovery, c->recovered_at);
      }
    }
  }
  const ThreadResult& result() const { return result_; }

 private:
  struct InFlight {
    uint32_t conc = 0;
    uint32_t sub = 0;  // UINT32_MAX: an expected-UNKNOWN probe
    absl::Time first_sent, last_sent;
    uint32_t attempts = 1;
    QueryKey key;
  };

  absl::Time End() const { return start_ + absl::Seconds(opt_.duration_s); }

  // Waits for and hands over answers; returns datagrams read.
  template <typename F>
  size_t Receive(absl::Duration wait, F&& on_datagram) {
    epoll_event evs[64];
    int ms = static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(wait), 0, 100));
    const int n = epoll_wait(epfd_, evs, 64, ms);
    size_t got = 0;
    for (int i = 0; i < n; ++i) {
      Concentrator& c = *conc_[evs[i].data.u64];
      for (int k = 0; k < 256; ++k) {
        auto d = c.socket->Receive(buf_, absl::ZeroDuration());
        if (!d.ok() || !d->has_value()) break;
        ++got;
        if ((*d)->from != opt_.server) {
          ++result_.stray;
          continue;
        }
        on_datagram(evs[i].data.u64, std::span<const uint8_t>(buf_.data(), (*d)->len));
      }
    }
    return got;
  }

  bool SendOne(absl::Time now) {
    if (!sh_.TakeBudget()) return false;
    // Round-robin over concentrators, each cycling over its subscribers.
    Concentrator& c = *conc_[rr_];
    const uint32_t ci = static_cast<uint32_t>(rr_);
    rr_ = (rr_ + 1) % conc_.size();
    InFlight f;
    f.conc = ci;
    if (opt_.unknown_fraction > 0 && rng_.Uniform(0, 1) < opt_.unknown_fraction) {
      f.sub = UINT32_MAX;
      f.key = QueryKey::ByIp(kUnknownBase + (unknown_next_++ % 131072));
    } else {
      f.sub = static_cast<uint32_t>(c.cursor);
      c.cursor = (c.cursor + 1) % c.subs.size();
      f.key = opt_.mix.KeyFor(*c.subs[f.sub], rng_);
    }
    f.first_sent = f.last_sent = now;
    uint32_t xid;
    do {
      xid = rng_.NextU32();
    } while (xid == 0 || inflight_.contains(xid));
    Transmit(c, f.key, xid);
    inflight_.emplace(xid, std::move(f));
    deadlines_.push_back({now + absl::Seconds(opt_.timeout_s), xid});
    return true;
  }

  void Transmit(Concentrator& c, const QueryKey& key, uint32_t xid) {
    QueryOptions qo;
    qo.giaddr = c.giaddr;
    std::array<uint8_t, 600> out;
    auto n = BuildQuery(key, qo, xid, 0, out);
    if (n.ok()) (void)c.socket->SendTo(opt_.server, opt_.port, {out.data(), *n});
    sh_.sent.fetch_add(1, std::memory_order_relaxed);
  }

  void OnAnswer(size_t ci, std::span<const uint8_t> bytes, absl::Time now) {
    auto a = DecodeAnswer(bytes);
    if (!a.ok()) {
      ++result_.other;
      return;
    }
    auto it = inflight_.find(a->xid);
    if (it == inflight_.end() || it->second.conc != ci) {
      ++result_.stray;  // late answer to a query already counted lost, or a duplicate
      return;
    }
    const InFlight& f = it->second;
    ++result_.by_state[static_cast<int>(a->state)];
    result_.latency.Record(static_cast<uint64_t>(absl::ToInt64Microseconds(now - f.first_sent)));
    sh_.answered.fetch_add(1, std::memory_order_relaxed);
    Concentrator& c = *conc_[ci];
    if (f.sub == UINT32_MAX) {
      if (a->state != LeaseState::kUnknown) ++result_.unexpected;
    } else {
      const bool expect_active = c.subs[f.sub]->active;
      if ((a->state == LeaseState::kActive) != expect_active) ++result_.unexpected;
      MarkRecovered(c, f.sub, now);
    }
    inflight_.erase(it);
  }

  void ExpireDue(absl::Time now, bool final) {
    while (!deadlines_.empty() && (final || deadlines_.front().first <= now)) {
      const uint32_t xid = deadlines_.front().second;
      deadlines_.pop_front();
      auto it = inflight_.find(xid);
      if (it == inflight_.end()) continue;
      InFlight& f = it->second;
      if (!final && f.attempts <= opt_.retries && now < End() && sh_.TakeBudget()) {
        ++f.attempts;
        f.last_sent = now;
        Transmit(*conc_[f.conc], f.key, xid);
        sh_.retries.fetch_add(1, std::memory_order_relaxed);
        deadlines_.push_back({now + absl::Seconds(opt_.timeout_s), xid});
        continue;
      }
      sh_.lost.fetch_add(1, std::memory_order_relaxed);
      inflight_.erase(it);
    }
  }

  void RunLoop() {
    const size_t n_threads = opt_.threads;
    const double rate = opt_.rate / static_cast<double>(n_threads);
    const size_t window = std::max<size_t>(1, opt_.window / n_threads);
    const absl::Duration interval =
        opt_.mode == Mode::kOpen ? absl::Seconds(1.0 / rate) : absl::ZeroDuration();
    absl::Time next_send = start_;
    bool budget_left = true;
    for (;;) {
      absl::Time now = absl::Now();
      const bool sending = budget_left && now < End() && !sh_.stop.load();
      if (sending) {
        if (opt_.mode == Mode::kOpen) {
          // Catch up at most 256 sends when the loop fell behind.
          for (int k = 0; k < 256 && next_send <= now; ++k) {
            if (!(budget_left = SendOne(now))) break;
            next_send += interval;
          }
          if (next_send < now - absl::Milliseconds(100)) next_send = now;
        } else {
          while (inflight_.size() < window) {
            if (!(budget_left = SendOne(now))) break;
          }
        }
      } else if (inflight_.empty() || now >= End() + absl::Seconds(opt_.timeout_s)) {
        break;
      }
      const absl::Duration wait =
          opt_.mode == Mode::kOpen && sending ? next_send - absl::Now() : absl::Milliseconds(20);
      Receive(wait, [&](size_t ci, std::span<const uint8_t> b) { OnAnswer(ci, b, absl::Now()); });
      ExpireDue(absl::Now(), false);
    }
    ExpireDue(absl::Now(), true);  // still unanswered at the end: lost
  }

  void RunRfc() {
    RequesterConfig base;
    base.servers = {opt_.server};
    base.pacer.max_outstanding = opt_.rfc_outstanding;
    const absl::Time t0 = absl::Now();
    for (size_t ci = 0; ci < conc_.size(); ++ci) {
      Concentrator& c = *conc_[ci];
      RequesterConfig rc = base;
      rc.giaddr = c.giaddr;
      c.transport = std::make_unique<BudgetTransport>(*c.socket, opt_.port, sh_);
      c.requester = *Requester::Create(rc, clock_, *c.transport, rng_);
      for (size_t si = 0; si < c.subs.size(); ++si) {
        const Subscriber& s = *c.subs[si];
        (void)c.requester->Query(opt_.mix.KeyFor(s, rng_), [this, &c, si, &s](const QueryResult& r) {
          if (r.outcome == Outcome::kNoAnswer) {
            ++result_.no_answer;
            return;
          }
          ++result_.by_state[static_cast<int>(r.answer->state)];
          if ((r.outcome == Outcome::kActive) != s.active) ++result_.unexpected;
          result_.latency.Record(static_cast<uint64_t>(absl::ToInt64Microseconds(r.latency)));
          MarkRecovered(c, si, absl::Now());
        });
      }
    }
    (void)t0;
    auto all_recovered = [&] {
      for (Concentrator* c : conc_) {
        if (c->recovered_count < c->subs.size()) return false;
      }
      return true;
    };
    absl::Time budget_gone = absl::InfiniteFuture();
    while (!all_recovered() && absl::Now() < End() && !sh_.stop.load()) {
      absl::Time wake = End();
      for (Concentrator* c : conc_) wake = std::min(wake, c->requester->NextWakeup());
      Receive(wake - absl::Now(), [&](size_t ci, std::span<const uint8_t> b) {
        conc_[ci]->requester->OnDatagram(opt_.server, b);
        sh_.answered.fetch_add(1, std::memory_order_relaxed);
      });
      const absl::Time now = absl::Now();
      for (Concentrator* c : conc_) {
        if (c->requester->NextWakeup() <= now) c->requester->Poll();
      }
      if (sh_.budget.load() >= opt_.max_queries && budget_gone == absl::InfiniteFuture()) {
        budget_gone = now;
      }
      if (now > budget_gone + absl::Seconds(opt_.timeout_s)) break;
    }
    uint64_t retrans = 0;
    for (Concentrator* c : conc_) retrans += c->requester->stats().retransmissions;
    sh_.retries.fetch_add(retrans);
  }

  Shared& sh_;
  const Options& opt_;
  std::vector<Concentrator*> conc_;
  SeededRandom rng_;
  SystemClock clock_;
  absl::Time start_;
  int epfd_ = -1;
  size_t rr_ = 0;
  uint32_t unknown_next_ = 0;
  std::array<uint8_t, 2048> buf_;
  absl::flat_hash_map<uint32_t, InFlight> inflight_;
  std::deque<std::pair<absl::Time, uint32_t>> deadlines_;
  ThreadResult result_;
};

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

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "lq-storm --server ADDR --duration S --max-queries N (--leases CSV | --population "
      "PREFIX [--active-fraction F]) [--mode open --rate PPS | --mode closed --window W | "
      "--mode rfc] [--concentrators K] [--giaddr-base ADDR] [--subscribers N] [--mix "
      "ip=80,mac=10,cid=10] [--threads T] [--json]\n"
      "  or: lq-storm --population PREFIX [--active-fraction F] --write-leases FILE");
  cli::CheckArgvOrExit(argc, argv);
  absl::ParseCommandLine(argc, argv);
  Options o;

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
  o.freebind = absl::GetFlag(FLAGS_freebind);
  o.json = absl::GetFlag(FLAGS_json);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode == "open") {
    o.mode = Mode::kOpen;
    if (absl::GetFlag(FLAGS_rate).empty()) cli::UsageError("--rate", "required with --mode open");
    o.rate = static_cast<double>(UintFlag(absl::GetFlag(FLAGS_rate), "--rate", 1, 100'000'000));
  } else if (mode == "closed") {
    o.mode = Mode::kClosed;
  } else if (mode == "rfc") {
    o.mode = Mode::kRfc;
  } else {
    cli::UsageError("--mode", absl::StrCat("'", mode, "': expected open, closed or rfc"));
  }
  o.giaddr_base = absl::GetFlag(FLAGS_giaddr_base).empty()
                      ? 0x7f000101
                      : OrUsage(ParseIpv4(absl::GetFlag(FLAGS_giaddr_base)), "--giaddr-base");

  // Concentrators: subscribers dealt round-robin, optionally N each.
  std::vector<Concentrator> conc(o.concentrators);
  for (size_t i = 0; i < subs.size(); ++i) {
    Concentrator& c = conc[i % o.concentrators];
    if (o.per_concentrator == 0 || c.subs.size() < o.per_concentrator) c.subs.push_back(&subs[i]);
  }
  for (size_t i = 0; i < conc.size(); ++i) {
    Concentrator& c = conc[i];
    if (c.subs.empty()) cli::UsageError("--concentrators", "more concentrators than subscribers");
    c.recovered.assign(c.subs.size(), false);
    c.giaddr = o.giaddr_base + static_cast<uint32_t>(i);
    auto s = UdpSocket::Bind(c.giaddr, o.port, o.freebind);
    if (!s.ok()) {
      std::fprintf(stderr, "lq-storm: concentrator %zu: %s\n", i, std::string(s.status().message()).c_str());
      return cli::kExitOsError;
    }
    c.socket = std::make_unique<UdpSocket>(*std::move(s));
  }

  Shared sh;
  sh.opt = &o;
  const absl::Time start = absl::Now();
  std::vector<std::unique_ptr<Worker>> workers;
  for (size_t t = 0; t < o.threads; ++t) {
    std::vector<Concentrator*> mine;
    for (size_t i = t; i < conc.size(); i += o.threads) mine.push_back(&conc[i]);
    workers.push_back(std::make_unique<Worker>(sh, std::move(mine), o.seed * 1000003 + t, start));
  }
  std::vector<std::thread> threads;
  std::atomic<size_t> done{0};
  for (auto& w : workers) {
    threads.emplace_back([&w, &done] {
      w->Run();
      done.fetch_add(1);
    });
  }
  // Live progress once per second.
  uint64_t last_sent = 0, last_answered = 0;
  absl::Time last = start;
  while (done.load() < workers.size()) {
    absl::SleepFor(absl::Milliseconds(50));
    const absl::Time now = absl::Now();
    if (now - last < absl::Seconds(1)) continue;
    const double dt = absl::ToDoubleSeconds(now - last);
    const uint64_t s = sh.sent.load(), a = sh.answered.load();
    std::fprintf(stderr, "[%5.1fs] sent %llu (%.0f/s) answered %llu (%.0f/s) lost %llu retries %llu\n",
                 absl::ToDoubleSeconds(now - start), static_cast<unsigned long long>(s),
                 static_cast<double>(s - last_sent) / dt, static_cast<unsigned long long>(a),
                 static_cast<double>(a - last_answered) / dt,
                 static_cast<unsigned long long>(sh.lost.load()),
                 static_cast<unsigned long long>(sh.retries.load()));
    last = now;
    last_sent = s;
    last_answered = a;
  }
  for (auto& t : threads) t.join();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);

  ThreadResult total;
  size_t subscribers = 0;
  for (const auto& c : conc) subscribers += c.subs.size();
  for (auto& w : workers) {
    const ThreadResult& r = w->result();
    total.latency.Merge(r.latency);
    for (int i = 0; i < 3; ++i) total.by_state[i] += r.by_state[i];
    total.other += r.other;
    total.stray += r.stray;
    total.unexpected += r.unexpected;
    total.no_answer += r.no_answer;
    total.concentrators += r.concentrators;
    total.recovered += r.recovered;
    total.last_recovery = std::max(total.last_recovery, r.last_recovery);
  }
  const uint64_t sent = sh.sent.load(), answered = sh.answered.load();
  // rfc mode: every datagram never answered is lost (retransmissions included).
  const uint64_t lost = o.mode == Mode::kRfc ? sent - std::min(sent, answered) : sh.lost.load();
  const bool recovered_all = total.recovered == total.concentrators;
  const double recovery = absl::ToDoubleSeconds(total.last_recovery - start);
  const auto& h = total.latency;
  // Loss per query: open/closed count a query lost once its retries ran out;
  // rfc counts every unanswered datagram, so both over their own base.
  const uint64_t base = o.mode == Mode::kRfc ? sent : sent - std::min(sent, sh.retries.load());
  const double loss = base ? static_cast<double>(lost) / static_cast<double>(base) : 0;
  if (o.json) {
    std::printf(
        "{\"mode\":\"%s\",\"server\":\"%s\",\"concentrators\":%zu,\"subscribers\":%zu,"
        "\"threads\":%zu,\"elapsed_s\":%.3f,\"sent\":%llu,\"answered\":%llu,\"lost\":%llu,"
        "\"retries\":%llu,\"offered_rate\":%.1f,\"answered_rate\":%.1f,\"loss\":%.6f,"
        "\"latency_us\":{\"count\":%llu,\"p50\":%llu,\"p99\":%llu,\"p999\":%llu,\"max\":%llu},"
        "\"answers\":{\"ACTIVE\":%llu,\"UNASSIGNED\":%llu,\"UNKNOWN\":%llu,\"other\":%llu},"
        "\"unexpected\":%llu,\"stray\":%llu,\"recovered_concentrators\":%zu,"
        "\"recovery_time_s\":%s}\n",
        mode.c_str(), FormatIpv4(o.server).c_str(), total.concentrators, subscribers, o.threads,
        elapsed, static_cast<unsigned long long>(sent), static_cast<unsigned long long>(answered),
        static_cast<unsigned long long>(lost), static_cast<unsigned long long>(sh.retries.load()),
        static_cast<double>(sent) / elapsed, static_cast<double>(answered) / elapsed, loss,
        static_cast<unsigned long long>(h.count()), static_cast<unsigned long long>(h.Percentile(0.5)),
        static_cast<unsigned long long>(h.Percentile(0.99)),
        static_cast<unsigned long long>(h.Percentile(0.999)), static_cast<unsigned long long>(h.max()),
        static_cast<unsigned long long>(total.by_state[0]),
        static_cast<unsigned long long>(total.by_state[1]),
        static_cast<unsigned long long>(total.by_state[2]),
        static_cast<unsigned long long>(total.other), static_cast<unsigned long long>(total.unexpected),
        static_cast<unsigned long long>(total.stray), total.recovered,
        recovered_all ? absl::StrFormat("%.3f", recovery).c_str() : "null");
  } else {
    std::printf("mode %s, %zu concentrators, %zu subscribers, %zu threads, %.2f s\n", mode.c_str(),
                total.concentrators, subscribers, o.threads, elapsed);
    std::printf("sent %llu (%.0f/s)  answered %llu (%.0f/s)  lost %llu (%.4f%%)  retries %llu\n",
                static_cast<unsigned long long>(sent), static_cast<double>(sent) / elapsed,
                static_cast<unsigned long long>(answered), static_cast<double>(answered) / elapsed,
                static_cast<unsigned long long>(lost), loss * 100,
                static_cast<unsigned long long>(sh.retries.load()));
    std::printf("latency us  p50 %llu  p99 %llu  p99.9 %llu  max %llu  (n=%llu)\n",
                static_cast<unsigned long long>(h.Percentile(0.5)),
                static_cast<unsigned long long>(h.Percentile(0.99)),
                static_cast<unsigned long long>(h.Percentile(0.999)),
                static_cast<unsigned long long>(h.max()), static_cast<unsigned long long>(h.count()));
    std::printf("answers  ACTIVE %llu  UNASSIGNED %llu  UNKNOWN %llu  other %llu  unexpected %llu\n",
                static_cast<unsigned long long>(total.by_state[0]),
                static_cast<unsigned long long>(total.by_state[1]),
                static_cast<unsigned long long>(total.by_state[2]),
                static_cast<unsigned long long>(total.other),
                static_cast<unsigned long long>(total.unexpected));
    if (recovered_all) {
      std::printf("all %zu concentrators recovered all subscribers after %.3f s\n",
                  total.concentrators, recovery);
    } else {
      std::printf("recovered concentrators: %zu of %zu\n", total.recovered, total.concentrators);
    }
  }
  return 0;
}

}  // namespace
}  // namespace lqd::client

int main(int argc, char** argv) { return lqd::client::Main(argc, argv); }
