// SPDX-License-Identifier: Apache-2.0
// File: dataplane/telemetry.h
//
// Exposes the per-lcore counters through DPDK telemetry
// (dpdk-telemetry.py, or any client of the /var/run/dpdk/<prefix>/
// dpdk_telemetry.v2 socket):
//   /lqd/stats            the sum over all lcores
//   /lqd/lcore[,<id>]     one lcore's counters; without an id, all of them
//   /lqd/info             ports, addresses, leases, ranges
// Counter names are those of ForEachCounter() with '.' and '-' turned into
// '_' (telemetry dictionary keys allow [A-Za-z0-9_/]).
#pragma once

#include <string>
#include <vector>

#include "dataplane/counters.h"

namespace lqd::dataplane {

struct TelemetrySources {
  std::vector<const LcoreCounters*> lcores;
  std::vector<unsigned> lcore_ids;
  std::string info;  // the startup summary line
};

// `sources` must outlive the EAL (telemetry callbacks run on DPDK's
// telemetry thread until rte_eal_cleanup()). Returns false if a command
// could not be registered.
bool RegisterTelemetry(const TelemetrySources* sources);

}  // namespace lqd::dataplane
