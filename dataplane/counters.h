// SPDX-License-Identifier: Apache-2.0
// File: dataplane/counters.h
//
// Per-lcore dataplane counters. Each lcore owns one cache-aligned
// LcoreCounters and is its only writer (relaxed loads and stores, no
// read-modify-write: see LcoreCounter); readers (telemetry, Prometheus, the
// exit summary) sum them and may see a value a few packets old, never a
// torn one.
//
// Scalar counters are one X-macro list, declared here next to the stages
// that bump them; the per-reason arrays reuse the X-macro lists of the
// stages that own the reasons (classify, dhcp parser, query engine), so a
// new drop reason shows up in every rendering without touching this file.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string>

#include "dataplane/classify.h"
#include "dhcp/message.h"
#include "engine/query_engine.h"

namespace lqd::dataplane {

// One counter, one writer (its lcore), any number of readers. The writer
// does a relaxed load and a relaxed store, never a locked read-modify-write:
// on x86 the same instructions as `++plain_uint64`. Unlike a plain uint64_t
// the concurrent read is defined C++ (no data race; TSan agrees).
class LcoreCounter {
 public:
  LcoreCounter() = default;
  LcoreCounter(const LcoreCounter& o) : v_(o.value()) {}
  LcoreCounter& operator=(const LcoreCounter& o) { return *this = o.value(); }
  LcoreCounter& operator=(uint64_t v) {
    v_.store(v, std::memory_order_relaxed);
    return *this;
  }
  LcoreCounter& operator+=(uint64_t n) { return *this = value() + n; }
  LcoreCounter& operator++() { return *this += 1; }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }
  operator uint64_t() const { return value(); }  // NOLINT: reads like the number it is

 private:
  std::atomic<uint64_t> v_{0};
};

#define LQD_FOREACH_DP_COUNTER(_)                                                 \
  _(rx, "rx_frames", "frames received from the ports")                           \
  _(tx, "tx_frames", "frames sent on the ports")                                 \
  _(tx_full, "tx_full_drops", "replies dropped because the TX ring was full")    \
  _(leasequery, "leasequeries", "frames classified as leasequery (UDP/67 to us)") \
  _(not_ready, "not_ready_drops", "queries dropped before the initial lease load completed") \
  _(replies, "replies", "leasequery replies built")                              \
  _(no_room, "reply_no_room_drops", "mbuf too small for the reply")             \
  _(assoc_cut, "associated_ip_cut_replies",                                       \
    "replies whose option 92 lists fewer addresses than the client has (no room in one packet)") \
  _(acl_drop, "acl_drops", "queries from a source or giaddr not in acl.allow")   \
  _(ratelimit_drop, "ratelimit_drops", "queries over the per-requester rate")    \
  _(arp, "arp_replies", "ARP requests for an appliance address answered")        \
  _(icmp, "icmp_echo_replies", "ICMP echo requests answered")                   \
  _(exception, "exception_frames", "frames handed to the exception (TAP) port") \
  _(exception_drop, "exception_drops", "exception frames dropped (no exception port or ring full)") \
  _(exception_rx, "exception_rx_frames", "frames from the kernel sent out of the port")

struct alignas(64) LcoreCounters {
#define LQD_DP_COUNTER_FIELD(field, name, help) LcoreCounter field;
  LQD_FOREACH_DP_COUNTER(LQD_DP_COUNTER_FIELD)
#undef LQD_DP_COUNTER_FIELD
  // Replies by type: index = message type - 11 (unassigned, unknown, active).
  std::array<LcoreCounter, 3> reply_type{};
  std::array<LcoreCounter, 3> regime{};  // QueryRegime
  std::array<LcoreCounter, static_cast<size_t>(dhcp::ParseError::kCount)> parse_error{};
  std::array<LcoreCounter, static_cast<size_t>(EngineDrop::kCount)> engine_drop{};
  std::array<LcoreCounter, static_cast<size_t>(ClassifyDrop::kCount)> classify_drop{};

  void CountReply(dhcp::MessageType t) {
    const size_t i = static_cast<size_t>(t) - static_cast<size_t>(dhcp::MessageType::kLeaseUnassigned);
    if (i < reply_type.size()) ++reply_type[i];
  }
  void Add(const LcoreCounters& o);
};

// Names for the reply_type array ("unassigned", "unknown", "active").
const char* ReplyTypeName(size_t i);

// Calls f(name, value) for every counter in a stable order; names are
// "rx_frames", "reply.active", "parse_error.bad-magic-cookie", ...
template <typename F>
void ForEachCounter(const LcoreCounters& c, F&& f) {
#define LQD_DP_COUNTER_VISIT(field, name, help) f(std::string(name), c.field.value());
  LQD_FOREACH_DP_COUNTER(LQD_DP_COUNTER_VISIT)
#undef LQD_DP_COUNTER_VISIT
  for (size_t i = 0; i < c.reply_type.size(); ++i)
    f(std::string("reply.") + ReplyTypeName(i), c.reply_type[i].value());
  for (size_t i = 0; i < c.regime.size(); ++i)
    f(std::string("regime.") + QueryRegimeName(static_cast<QueryRegime>(i)), c.regime[i].value());
  for (size_t i = 0; i < c.parse_error.size(); ++i)
    f(std::string("parse_error.") + dhcp::ParseErrorName(static_cast<dhcp::ParseError>(i)), c.parse_error[i].value());
  for (size_t i = 0; i < c.engine_drop.size(); ++i)
    f(std::string("engine_drop.") + EngineDropName(static_cast<EngineDrop>(i)), c.engine_drop[i].value());
  for (size_t i = 0; i < c.classify_drop.size(); ++i)
    f(std::string("classify_drop.") + ClassifyDropName(static_cast<ClassifyDrop>(i)), c.classify_drop[i].value());
}

LcoreCounters Sum(std::span<const LcoreCounters* const> lcores);

// Prometheus text exposition (version 0.0.4) of the summed counters and
// per-lcore rx/tx: "lqd_rx_frames_total 12", "lqd_parse_errors_total{reason="bad-op"} 1".
std::string RenderPrometheus(std::span<const LcoreCounters* const> lcores,
                             std::span<const unsigned> lcore_ids);

// One line per non-zero counter, for the exit summary.
std::string RenderText(const LcoreCounters& sum);

}  // namespace lqd::dataplane
