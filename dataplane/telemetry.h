// SPDX-License-Identifier: Apache-2.0
// File: dataplane/telemetry.h
//
// Exposes the per-lcore counters through DPDK telemetry
// (dpdk-telemetry.py, or any client of the /var/run/dpdk/<prefix>/
// dpdk_telemetry.v2 socket):
//   /lqd/stats            the sum over all lcores
//   /lqd/lcore[,<id>]     one lcore's counters; without an id, all of them
//   /lqd/info             ports, addresses, leases, ranges
// /lqd/stats also carries the ports' own receive drops (rte_eth_stats summed
// over `port_ids`): rx_ring_drops (imissed: the RX ring was full, lqd did
// not keep up), rx_nombuf (no mbuf for a received frame), rx_errors
// (ierrors). PMDs that do not count them (net_af_packet: its kernel ring's
// drops are not exported) report 0.
// Counter names are those of ForEachCounter() with '.' and '-' turned into
// '_' (telemetry dictionary keys allow [A-Za-z0-9_/]).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/counters.h"

namespace lqd::dataplane {

struct TelemetrySources {
  std::vector<const LcoreCounters*> lcores;
  std::vector<unsigned> lcore_ids;
  std::string info;  // the startup summary line
  std::vector<uint16_t> port_ids;  // ports whose receive drops are reported
};

// Prometheus text of the ports' receive drops, per port:
// lqd_rx_ring_drops_total{port="0"} 12, lqd_rx_nombuf_total, lqd_rx_errors_total.
std::string RenderPortPrometheus(const TelemetrySources& sources);

// The /lqd/ commands read `sources` until UnregisterTelemetry() (callbacks
// run on DPDK's telemetry thread, which outlives lqd's main loop). Returns
// false if a command could not be registered.
bool RegisterTelemetry(const TelemetrySources* sources);
// After it returns, no callback reads the sources any more (one in progress
// has finished); later requests get an error. Call before the sources and
// the counters they point to go away.
void UnregisterTelemetry();

}  // namespace lqd::dataplane
