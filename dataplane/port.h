// SPDX-License-Identifier: Apache-2.0
// File: dataplane/port.h
//
// Port bring-up: find or probe the device named in the config, configure
// one RX and one TX queue per lcore (RSS over IPv4/UDP when the device can
// hash), and the one mbuf pool every queue shares.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rte_ether.h>
#include <rte_mempool.h>

#include "absl/status/statusor.h"
#include "dataplane/classify.h"

namespace lqd::dataplane {

struct PortSetup {
  uint16_t port_id = 0;
  std::string device;
  rte_ether_addr mac{};
  uint16_t nb_queues = 0;   // RX = TX queues actually configured
  bool rss = false;         // RSS hashing enabled
  bool tx_cksum_offload = false;  // the port fills reply IPv4 and UDP checksums
  std::string driver;
};

// Descriptor ring sizes and burst, shared with the mbuf pool sizing.
inline constexpr uint16_t kRxDesc = 1024;
inline constexpr uint16_t kTxDesc = 1024;
inline constexpr uint16_t kBurstSize = 32;
inline constexpr unsigned kMbufCache = 256;

// Returns the port id for `device`: an already attached port (PCI address
// or a vdev given with --vdev / -a) by name, else it is hot-plugged with
// rte_dev_probe(). Errors say what was tried and which ports exist.
absl::StatusOr<uint16_t> AttachDevice(const std::string& device);

// Configures and starts `port_id` with `nb_queues` RX/TX queue pairs (fewer
// if the device allows fewer; the result says how many). Promiscuous mode
// is left as the driver sets it; lqd filters on its own MAC and addresses.
absl::StatusOr<PortSetup> SetupPort(uint16_t port_id, const std::string& device,
                                    uint16_t nb_queues, rte_mempool* pool);

// One pool for all ports: rings + in-flight bursts + per-lcore caches.
absl::StatusOr<rte_mempool*> CreateMbufPool(unsigned nb_ports, unsigned nb_lcores);

std::string FormatMac(const rte_ether_addr& mac);

}  // namespace lqd::dataplane
