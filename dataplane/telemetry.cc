// SPDX-License-Identifier: Apache-2.0
// File: dataplane/telemetry.cc
#include "dataplane/telemetry.h"

#include <atomic>
#include <cstdlib>
#include <sstream>
#include <thread>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

namespace lqd::dataplane {

namespace {

// Telemetry callbacks run on DPDK's telemetry thread, which serves until
// the process exits, while the sources live in lqd's Run(). A callback pins
// the sources (g_in_use) before it reads the pointer; UnregisterTelemetry()
// clears the pointer, then waits until no callback holds it. Both sides use
// sequentially consistent operations: a callback either sees nullptr or is
// counted before the unregistering thread looks.
std::atomic<const TelemetrySources*> g_sources{nullptr};
std::atomic<int> g_in_use{0};

class PinnedSources {
 public:
  PinnedSources() : s_((g_in_use.fetch_add(1), g_sources.load())) {}
  ~PinnedSources() { g_in_use.fetch_sub(1); }
  PinnedSources(const PinnedSources&) = delete;
  PinnedSources& operator=(const PinnedSources&) = delete;
  const TelemetrySources* get() const { return s_; }

 private:
  const TelemetrySources* s_;
};

std::string KeyName(std::string s) {
  for (char& ch : s)
    if (ch == '.' || ch == '-') ch = '_';
  return s;
}

void FillDict(rte_tel_data* d, const LcoreCounters& c) {
  rte_tel_data_start_dict(d);
  ForEachCounter(c, [&](const std::string& name, uint64_t v) {
    rte_tel_data_add_dict_u64(d, KeyName(name).c_str(), v);
  });
}

struct PortDrops {
  uint64_t ring = 0, nombuf = 0, errors = 0;
};

PortDrops ReadPortDrops(uint16_t port_id) {
  rte_eth_stats s{};
  if (rte_eth_stats_get(port_id, &s) != 0) return {};
  return {s.imissed, s.rx_nombuf, s.ierrors};
}

int StatsCb(const char*, const char*, rte_tel_data* d) {
  PinnedSources pin;
  const TelemetrySources* src = pin.get();
  if (src == nullptr) return -1;  // lqd is stopping
  FillDict(d, Sum(src->lcores));
  PortDrops total;
  for (uint16_t p : src->port_ids) {
    const PortDrops one = ReadPortDrops(p);
    total.ring += one.ring;
    total.nombuf += one.nombuf;
    total.errors += one.errors;
  }
  rte_tel_data_add_dict_u64(d, "rx_ring_drops", total.ring);
  rte_tel_data_add_dict_u64(d, "rx_nombuf", total.nombuf);
  rte_tel_data_add_dict_u64(d, "rx_errors", total.errors);
  return 0;
}

int LcoreCb(const char*, const char* params, rte_tel_data* d) {
  PinnedSources pin;
  const TelemetrySources* src = pin.get();
  if (src == nullptr) return -1;  // lqd is stopping
  const auto& ids = src->lcore_ids;
  if (params != nullptr && *params != '\0') {
    char* end = nullptr;
    const unsigned long id = std::strtoul(params, &end, 10);
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] == id && end != params && *end == '\0') {
        FillDict(d, *src->lcores[i]);
        return 0;
      }
    }
    return -1;  // no such lcore
  }
  rte_tel_data_start_dict(d);
  for (size_t i = 0; i < ids.size(); ++i) {
    rte_tel_data* one = rte_tel_data_alloc();
    if (one == nullptr) return -1;
    FillDict(one, *src->lcores[i]);
    rte_tel_data_add_dict_container(d, std::to_string(ids[i]).c_str(), one, /*keep=*/0);
  }
  return 0;
}

int InfoCb(const char*, const char*, rte_tel_data* d) {
  PinnedSources pin;
  if (pin.get() == nullptr) return -1;  // lqd is stopping
  rte_tel_data_string(d, pin.get()->info.c_str());
  return 0;
}

}  // namespace

std::string RenderPortPrometheus(const TelemetrySources& sources) {
  struct Family {
    const char* name;
    const char* help;
    uint64_t PortDrops::*field;
  };
  static constexpr Family kFamilies[] = {
      {"rx_ring_drops_total", "frames the port dropped because its RX ring was full (imissed)",
       &PortDrops::ring},
      {"rx_nombuf_total", "received frames dropped for want of an mbuf", &PortDrops::nombuf},
      {"rx_errors_total", "erroneous frames the port received (ierrors)", &PortDrops::errors},
  };
  std::vector<PortDrops> drops;
  for (uint16_t p : sources.port_ids) drops.push_back(ReadPortDrops(p));
  std::ostringstream o;
  for (const Family& f : kFamilies) {
    o << "# HELP lqd_" << f.name << " " << f.help << "\n# TYPE lqd_" << f.name << " counter\n";
    for (size_t i = 0; i < drops.size(); ++i)
      o << "lqd_" << f.name << "{port=\"" << sources.port_ids[i] << "\"} " << drops[i].*f.field << "\n";
  }
  return o.str();
}

bool RegisterTelemetry(const TelemetrySources* sources) {
  g_sources.store(sources);
  bool ok = rte_telemetry_register_cmd("/lqd/stats", StatsCb,
                                       "lqd counters summed over lcores. No parameters") == 0;
  ok &= rte_telemetry_register_cmd("/lqd/lcore", LcoreCb,
                                   "lqd counters per lcore. Parameter: lcore id (optional)") == 0;
  ok &= rte_telemetry_register_cmd("/lqd/info", InfoCb, "lqd startup summary. No parameters") == 0;
  return ok;
}

void UnregisterTelemetry() {
  g_sources.store(nullptr);
  while (g_in_use.load() != 0) std::this_thread::yield();
}

}  // namespace lqd::dataplane
