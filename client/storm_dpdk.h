// SPDX-License-Identifier: Apache-2.0
// File: client/storm_dpdk.h
//
// lq-storm's DPDK path, for rates the kernel cannot reach: the EAL is
// started from --dpdk's argument string, one port (a vdev such as
// net_memif or net_af_packet, or a NIC) carries Ethernet/IPv4/UDP
// leasequery frames built by the same StormWorker as the kernel path, from
// each concentrator's giaddr to the server's MAC (learnt by ARP, or given).
// One generator lcore runs the worker (rte_eth_tx_burst / rte_eth_rx_burst,
// busy polling); the main lcore prints the progress. ARP requests for the
// concentrator addresses are answered, so a server that resolves giaddr
// before replying works too. Built without DPDK, RunDpdkStorm says so.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/storm.h"

namespace lqd::client {

struct DpdkStormConfig {
  std::string eal_args;  // whitespace-separated EAL arguments
  uint16_t port_id = 0;  // DPDK port to use (0: the first probed device)
  std::optional<std::array<uint8_t, 6>> server_mac;  // unset: ARP for the server
  // Called with the result while the port is still up (the peer has not
  // seen a disconnect yet): lq-storm prints its report here.
  std::function<void(const StormResult&, absl::Time start)> before_teardown;
};

// Splits `eal_args` into argv words (whitespace; no quoting).
std::vector<std::string> SplitEalArgs(const std::string& eal_args);

// Brings up the EAL and the port, resolves the server, runs one StormWorker
// over all of `conc` on a worker lcore while printing progress, and tears
// everything down again. `*start` is set to when the storm began (after
// link-up and ARP). Errors name the step that failed.
absl::StatusOr<StormResult> RunDpdkStorm(const DpdkStormConfig& cfg, StormShared& sh,
                                         std::vector<StormConcentrator>& conc, absl::Time* start);

}  // namespace lqd::client
