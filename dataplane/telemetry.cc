// SPDX-License-Identifier: Apache-2.0
// File: dataplane/telemetry.cc
#include "dataplane/telemetry.h"

#include <cstdlib>

#include <rte_telemetry.h>

namespace lqd::dataplane {

namespace {

const TelemetrySources* g_sources = nullptr;

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

int StatsCb(const char*, const char*, rte_tel_data* d) {
  FillDict(d, Sum(g_sources->lcores));
  return 0;
}

int LcoreCb(const char*, const char* params, rte_tel_data* d) {
  const auto& ids = g_sources->lcore_ids;
  if (params != nullptr && *params != '\0') {
    char* end = nullptr;
    const unsigned long id = std::strtoul(params, &end, 10);
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] == id && end != params && *end == '\0') {
        FillDict(d, *g_sources->lcores[i]);
        return 0;
      }
    }
    return -1;  // no such lcore
  }
  rte_tel_data_start_dict(d);
  for (size_t i = 0; i < ids.size(); ++i) {
    rte_tel_data* one = rte_tel_data_alloc();
    if (one == nullptr) return -1;
    FillDict(one, *g_sources->lcores[i]);
    rte_tel_data_add_dict_container(d, std::to_string(ids[i]).c_str(), one, /*keep=*/0);
  }
  return 0;
}

int InfoCb(const char*, const char*, rte_tel_data* d) {
  rte_tel_data_string(d, g_sources->info.c_str());
  return 0;
}

}  // namespace

bool RegisterTelemetry(const TelemetrySources* sources) {
  g_sources = sources;
  bool ok = rte_telemetry_register_cmd("/lqd/stats", StatsCb,
                                       "lqd counters summed over lcores. No parameters") == 0;
  ok &= rte_telemetry_register_cmd("/lqd/lcore", LcoreCb,
                                   "lqd counters per lcore. Parameter: lcore id (optional)") == 0;
  ok &= rte_telemetry_register_cmd("/lqd/info", InfoCb, "lqd startup summary. No parameters") == 0;
  return ok;
}

}  // namespace lqd::dataplane
