// SPDX-License-Identifier: Apache-2.0
// File: dataplane/counters.cc
#include "dataplane/counters.h"

#include <sstream>

namespace lqd::dataplane {

const char* ReplyTypeName(size_t i) {
  static constexpr const char* kNames[] = {"unassigned", "unknown", "active"};
  return i < 3 ? kNames[i] : "other";
}

void LcoreCounters::Add(const LcoreCounters& o) {
#define LQD_DP_COUNTER_ADD(field, name, help) field += o.field;
  LQD_FOREACH_DP_COUNTER(LQD_DP_COUNTER_ADD)
#undef LQD_DP_COUNTER_ADD
  for (size_t i = 0; i < reply_type.size(); ++i) reply_type[i] += o.reply_type[i];
  for (size_t i = 0; i < regime.size(); ++i) regime[i] += o.regime[i];
  for (size_t i = 0; i < parse_error.size(); ++i) parse_error[i] += o.parse_error[i];
  for (size_t i = 0; i < engine_drop.size(); ++i) engine_drop[i] += o.engine_drop[i];
  for (size_t i = 0; i < classify_drop.size(); ++i) classify_drop[i] += o.classify_drop[i];
}

LcoreCounters Sum(std::span<const LcoreCounters* const> lcores) {
  LcoreCounters s;
  for (const LcoreCounters* c : lcores) s.Add(*c);
  return s;
}

namespace {

void Family(std::ostringstream& o, const char* name, const char* help) {
  o << "# HELP lqd_" << name << " " << help << "\n# TYPE lqd_" << name << " counter\n";
}

template <size_t N, typename NameFn>
void Labelled(std::ostringstream& o, const char* name, const char* label, const char* help,
              const std::array<LcoreCounter, N>& values, NameFn&& names) {
  Family(o, name, help);
  for (size_t i = 0; i < N; ++i)
    o << "lqd_" << name << "{" << label << "=\"" << names(i) << "\"} " << values[i].value() << "\n";
}

}  // namespace

std::string RenderPrometheus(std::span<const LcoreCounters* const> lcores,
                             std::span<const unsigned> lcore_ids) {
  const LcoreCounters s = Sum(lcores);
  std::ostringstream o;
#define LQD_DP_COUNTER_PROM(field, name, help) \
  Family(o, name "_total", help);              \
  o << "lqd_" name "_total " << s.field.value() << "\n";
  LQD_FOREACH_DP_COUNTER(LQD_DP_COUNTER_PROM)
#undef LQD_DP_COUNTER_PROM
  Labelled(o, "replies_by_type_total", "type", "leasequery replies by message type", s.reply_type,
           [](size_t i) { return ReplyTypeName(i); });
  Labelled(o, "queries_by_regime_total", "regime", "answered queries by selector", s.regime,
           [](size_t i) { return QueryRegimeName(static_cast<QueryRegime>(i)); });
  Labelled(o, "parse_errors_total", "reason", "queries the DHCP parser rejected", s.parse_error,
           [](size_t i) { return dhcp::ParseErrorName(static_cast<dhcp::ParseError>(i)); });
  Labelled(o, "engine_drops_total", "reason", "queries the engine did not answer", s.engine_drop,
           [](size_t i) { return EngineDropName(static_cast<EngineDrop>(i)); });
  Labelled(o, "classify_drops_total", "reason", "frames dropped before DHCP parsing",
           s.classify_drop, [](size_t i) { return ClassifyDropName(static_cast<ClassifyDrop>(i)); });
  Family(o, "lcore_rx_frames_total", "frames received, per lcore");
  for (size_t i = 0; i < lcores.size() && i < lcore_ids.size(); ++i)
    o << "lqd_lcore_rx_frames_total{lcore=\"" << lcore_ids[i] << "\"} " << lcores[i]->rx.value() << "\n";
  Family(o, "lcore_tx_frames_total", "frames sent, per lcore");
  for (size_t i = 0; i < lcores.size() && i < lcore_ids.size(); ++i)
    o << "lqd_lcore_tx_frames_total{lcore=\"" << lcore_ids[i] << "\"} " << lcores[i]->tx.value() << "\n";
  return o.str();
}

std::string RenderText(const LcoreCounters& sum) {
  std::ostringstream o;
  ForEachCounter(sum, [&](const std::string& name, uint64_t v) {
    if (v != 0) o << "  " << name << " " << v << "\n";
  });
  return o.str();
}

}  // namespace lqd::dataplane
