// SPDX-License-Identifier: Apache-2.0
// File: client/storm.h
//
// lq-storm's engine, independent of how datagrams travel: the options, the
// emulated concentrators, one worker per thread (or per DPDK lcore) running
// the open / closed / rfc loop, and the final report. The I/O is a StormIo:
// kernel UDP sockets (storm_kernel.h) or a DPDK port (storm_dpdk.h); both
// feed the same counters, histogram and report.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/clock.h"
#include "client/latency_histogram.h"
#include "client/query_mix.h"
#include "client/requester.h"
#include "client/subscribers.h"

namespace lqd::client {

// kFlood: as fast as the I/O takes datagrams (or at `rate`), each
// (concentrator, subscriber) query encoded once and resent, nothing tracked
// per query: a load generator for overload tests, cheaper per datagram than
// kOpen.
enum class StormMode { kOpen, kClosed, kRfc, kFlood };
const char* StormModeName(StormMode m);  // "open", "closed", "rfc", "flood"

struct StormOptions {
  uint32_t server = 0;  // host order; the only destination ever used
  uint16_t port = 67;
  uint32_t giaddr_base = 0;
  size_t concentrators = 1, per_concentrator = 0, threads = 1;
  StormMode mode = StormMode::kClosed;
  double rate = 0, timeout_s = 2, duration_s = 0, unknown_fraction = 0;
  // kFlood: when > 0, only the first concentrator floods; the others (the
  // well-behaved relays beside a flooding one) share this many queries/s,
  // paced. One worker only (the first concentrator must be its own).
  double paced_rate = 0;
  size_t window = 64, rfc_outstanding = 100;
  uint64_t max_queries = 0, retries = 0, seed = 1;
  QueryMix mix;
  bool json = false;
};

// Counters every worker updates, read by the progress printer.
struct StormShared {
  const StormOptions* opt = nullptr;
  std::atomic<uint64_t> budget{0}, sent{0}, answered{0}, lost{0}, retries{0};
  std::atomic<bool> stop{false};
  // One datagram of --max-queries; false once the cap is reached.
  bool TakeBudget() { return budget.fetch_add(1, std::memory_order_relaxed) < opt->max_queries; }
};

struct StormConcentrator {
  uint32_t giaddr = 0;
  std::vector<const Subscriber*> subs;
  std::vector<bool> recovered;
  size_t recovered_count = 0;
  size_t cursor = 0;
  // Datagrams sent from this giaddr, and its answers: matched by xid in
  // open/closed mode, every decodable one in flood mode, one per query
  // result in rfc mode (there the shared `answered` counts datagrams).
  uint64_t sent = 0, answered = 0;
  absl::Time recovered_at = absl::InfiniteFuture();
  // rfc mode
  std::unique_ptr<Transport> transport;
  std::unique_ptr<Requester> requester;
};

// Deals `subs` round-robin to `k` concentrators (at most `per_concentrator`
// each, 0 = no limit), concentrator i being giaddr base+i.
std::vector<StormConcentrator> DealConcentrators(const std::vector<Subscriber>& subs, size_t k,
                                                 size_t per_concentrator, uint32_t giaddr_base);
// InvalidArgument unless base..base+k-1 are all usable giaddrs: not 0.0.0.0
// (no requester address, RFC 4388 6.2) and not wrapping past 255.255.255.255.
absl::Status ValidateGiaddrRange(uint32_t giaddr_base, size_t k);

// A worker's view of the network. Concentrator indexes are positions in the
// worker's own concentrator list.
class StormIo {
 public:
  virtual ~StormIo() = default;
  // Queues/sends one DHCP message from concentrator `ci` to the server.
  virtual void Send(size_t ci, std::span<const uint8_t> dhcp) = 0;
  // Waits up to `wait` (never long: callers loop) for datagrams; calls
  // `on_answer(ci, dhcp payload)` for each one from the server to a
  // concentrator and returns how many were handed over.
  virtual size_t Receive(absl::Duration wait,
                         absl::FunctionRef<void(size_t, std::span<const uint8_t>)> on_answer) = 0;
  // Datagrams received that were not from the server (counted as stray).
  virtual uint64_t stray() const = 0;
};

struct StormResult {
  struct PerConcentrator {
    uint32_t giaddr;
    uint64_t sent, answered;
  };
  LatencyHistogram latency;
  std::vector<PerConcentrator> per_concentrator;  // in giaddr order after Merge
  uint64_t by_state[3] = {0, 0, 0};
  uint64_t other = 0, stray = 0, unexpected = 0, no_answer = 0;
  size_t concentrators = 0, recovered = 0;
  absl::Time last_recovery = absl::InfinitePast();
  void Merge(const StormResult& r);
};

class StormWorker {
 public:
  StormWorker(StormShared& sh, std::vector<StormConcentrator*> conc, StormIo& io, uint64_t seed,
              absl::Time start);
  // Runs the configured mode until the duration, the query cap or stop.
  void Run();
  const StormResult& result() const { return result_; }

 private:
  struct InFlight {
    uint32_t conc = 0;
    uint32_t sub = 0;  // UINT32_MAX: an expected-UNKNOWN probe
    absl::Time first_sent, last_sent;
    uint32_t attempts = 1;
    QueryKey key;
  };

  absl::Time End() const { return start_ + absl::Seconds(opt_.duration_s); }
  // False when no more can be sent (budget used up, no usable concentrator).
  bool SendOne(absl::Time now);
  // False (nothing sent or counted) when the query cannot be built.
  bool Transmit(size_t ci, const QueryKey& key, uint32_t xid);
  void OnAnswer(size_t ci, std::span<const uint8_t> bytes, absl::Time now);
  void ExpireDue(absl::Time now, bool final);
  void RunLoop();
  void RunRfc();
  void RunFlood();

  StormShared& sh_;
  const StormOptions& opt_;
  std::vector<StormConcentrator*> conc_;
  StormIo& io_;
  SeededRandom rng_;
  SystemClock clock_;
  absl::Time start_;
  size_t rr_ = 0;
  std::vector<bool> dead_;  // per concentrator: its queries cannot be built
  uint32_t unknown_next_ = 0;
  QueryOptions query_options_;
  absl::flat_hash_map<uint32_t, InFlight> inflight_;
  std::deque<std::pair<absl::Time, uint32_t>> deadlines_;
  StormResult result_;
};

// Prints "[  1.0s] sent .. answered .." to stderr once per second until
// `done()` is true.
void PrintProgressUntil(const StormShared& sh, absl::Time start, absl::FunctionRef<bool()> done);

// The final report (text or --json) on stdout. `io` names the path
// ("kernel" or "dpdk").
void PrintReport(const StormOptions& o, const StormShared& sh, const StormResult& total,
                 size_t subscribers, const char* io, double elapsed_s, absl::Time start);

}  // namespace lqd::client
