// SPDX-License-Identifier: Apache-2.0
// File: client/storm_report.cc
//
// lq-storm's live progress line and final report (text or JSON), the same
// for the kernel and the DPDK path.
#include <cstdio>
#include <string>

#include "absl/strings/str_format.h"
#include "client/storm.h"
#include "client/text.h"

namespace lqd::client {
namespace {

unsigned long long U(uint64_t v) { return static_cast<unsigned long long>(v); }

// Per-giaddr counts are reported for up to this many concentrators (the
// fairness view of a flood next to well-behaved relays); beyond, the
// totals only, so a 60,000-concentrator storm keeps a one-line report.
constexpr size_t kPerConcentratorMax = 64;

std::string PerConcentratorJson(const StormResult& r) {
  if (r.per_concentrator.size() > kPerConcentratorMax) return "null";
  std::string out = "[";
  for (const auto& c : r.per_concentrator) {
    if (out.size() > 1) out += ",";
    out += absl::StrFormat("{\"giaddr\":\"%s\",\"sent\":%llu,\"answered\":%llu}",
                           FormatIpv4(c.giaddr), U(c.sent), U(c.answered));
  }
  return out + "]";
}

}  // namespace

void PrintProgressUntil(const StormShared& sh, absl::Time start, absl::FunctionRef<bool()> done) {
  uint64_t last_sent = 0, last_answered = 0;
  absl::Time last = start;
  while (!done()) {
    absl::SleepFor(absl::Milliseconds(50));
    const absl::Time now = absl::Now();
    if (now - last < absl::Seconds(1)) continue;
    const double dt = absl::ToDoubleSeconds(now - last);
    const uint64_t s = sh.sent.load(), a = sh.answered.load();
    std::fprintf(stderr, "[%5.1fs] sent %llu (%.0f/s) answered %llu (%.0f/s) lost %llu retries %llu\n",
                 absl::ToDoubleSeconds(now - start), U(s), static_cast<double>(s - last_sent) / dt,
                 U(a), static_cast<double>(a - last_answered) / dt, U(sh.lost.load()),
                 U(sh.retries.load()));
    last = now;
    last_sent = s;
    last_answered = a;
  }
}

void PrintReport(const StormOptions& o, const StormShared& sh, const StormResult& total,
                 size_t subscribers, const char* io, double elapsed, absl::Time start) {
  const char* mode = StormModeName(o.mode);
  const uint64_t sent = sh.sent.load(), answered = sh.answered.load();
  // rfc mode: every datagram never answered is lost (retransmissions included).
  const uint64_t lost = o.mode == StormMode::kRfc ? sent - std::min(sent, answered) : sh.lost.load();
  const bool recovered_all = total.recovered == total.concentrators;
  const double recovery = absl::ToDoubleSeconds(total.last_recovery - start);
  const auto& h = total.latency;
  // Loss per query: open/closed count a query lost once its retries ran out;
  // rfc counts every unanswered datagram, so both over their own base.
  const uint64_t base = o.mode == StormMode::kRfc ? sent : sent - std::min(sent, sh.retries.load());
  const double loss = base ? static_cast<double>(lost) / static_cast<double>(base) : 0;
  if (o.json) {
    std::printf(
        "{\"mode\":\"%s\",\"io\":\"%s\",\"server\":\"%s\",\"concentrators\":%zu,\"subscribers\":%zu,"
        "\"threads\":%zu,\"elapsed_s\":%.3f,\"sent\":%llu,\"answered\":%llu,\"lost\":%llu,"
        "\"retries\":%llu,\"offered_rate\":%.1f,\"answered_rate\":%.1f,\"loss\":%.6f,"
        "\"latency_us\":{\"count\":%llu,\"p50\":%llu,\"p99\":%llu,\"p999\":%llu,\"max\":%llu},"
        "\"answers\":{\"ACTIVE\":%llu,\"UNASSIGNED\":%llu,\"UNKNOWN\":%llu,\"other\":%llu},"
        "\"unexpected\":%llu,\"stray\":%llu,\"recovered_concentrators\":%zu,"
        "\"recovery_time_s\":%s,\"per_concentrator\":%s}\n",
        mode, io, FormatIpv4(o.server).c_str(), total.concentrators, subscribers, o.threads, elapsed,
        U(sent), U(answered), U(lost), U(sh.retries.load()), static_cast<double>(sent) / elapsed,
        static_cast<double>(answered) / elapsed, loss, U(h.count()), U(h.Percentile(0.5)),
        U(h.Percentile(0.99)), U(h.Percentile(0.999)), U(h.max()), U(total.by_state[0]),
        U(total.by_state[1]), U(total.by_state[2]), U(total.other), U(total.unexpected),
        U(total.stray), total.recovered,
        recovered_all ? absl::StrFormat("%.3f", recovery).c_str() : "null",
        PerConcentratorJson(total).c_str());
    return;
  }
  std::printf("mode %s over %s, %zu concentrators, %zu subscribers, %zu threads, %.2f s\n", mode, io,
              total.concentrators, subscribers, o.threads, elapsed);
  std::printf("sent %llu (%.0f/s)  answered %llu (%.0f/s)  lost %llu (%.4f%%)  retries %llu\n",
              U(sent), static_cast<double>(sent) / elapsed, U(answered),
              static_cast<double>(answered) / elapsed, U(lost), loss * 100, U(sh.retries.load()));
  std::printf("latency us  p50 %llu  p99 %llu  p99.9 %llu  max %llu  (n=%llu)\n",
              U(h.Percentile(0.5)), U(h.Percentile(0.99)), U(h.Percentile(0.999)), U(h.max()),
              U(h.count()));
  std::printf("answers  ACTIVE %llu  UNASSIGNED %llu  UNKNOWN %llu  other %llu  unexpected %llu\n",
              U(total.by_state[0]), U(total.by_state[1]), U(total.by_state[2]), U(total.other),
              U(total.unexpected));
  if (recovered_all) {
    std::printf("all %zu concentrators recovered all subscribers after %.3f s\n",
                total.concentrators, recovery);
  } else {
    std::printf("recovered concentrators: %zu of %zu\n", total.recovered, total.concentrators);
  }
  if (total.per_concentrator.size() > 1 && total.per_concentrator.size() <= kPerConcentratorMax) {
    for (const auto& c : total.per_concentrator) {
      std::printf("  giaddr %-15s sent %llu answered %llu\n", FormatIpv4(c.giaddr).c_str(), U(c.sent),
                  U(c.answered));
    }
  }
}

}  // namespace lqd::client
