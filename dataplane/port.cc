// SPDX-License-Identifier: Apache-2.0
// File: dataplane/port.cc
#include "dataplane/port.h"

#include <algorithm>
#include <cstdio>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lqd::dataplane {

namespace {

std::string KnownPorts() {
  std::string s;
  uint16_t pid;
  RTE_ETH_FOREACH_DEV(pid) {
    char name[RTE_ETH_NAME_MAX_LEN];
    if (rte_eth_dev_get_name_by_port(pid, name) == 0) absl::StrAppend(&s, s.empty() ? "" : ", ", name);
  }
  return s.empty() ? "none" : s;
}

}  // namespace

std::string FormatMac(const rte_ether_addr& mac) {
  char buf[RTE_ETHER_ADDR_FMT_SIZE];
  rte_ether_format_addr(buf, sizeof buf, &mac);
  return buf;
}

absl::StatusOr<uint16_t> AttachDevice(const std::string& device) {
  // "net_af_packet0,iface=veth1" is named "net_af_packet0"; a PCI device
  // "0000:3b:00.0" by its address.
  const std::string name = device.substr(0, device.find(','));
  uint16_t pid;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &pid) == 0) return pid;
  const int rc = rte_dev_probe(device.c_str());
  if (rc != 0) {
    std::string hint;
    if (rc == -EEXIST || rc == -EBUSY)
      hint = " (the device is already in use: is another lqd or DPDK process running on it?)";
    else if (name.rfind("net_", 0) == 0)
      hint = " (check the vdev driver name and its arguments, e.g. the interface exists)";
    else
      hint = " (is the PCI device bound to vfio-pci/uio, and not excluded with --no-pci or -b?)";
    return absl::NotFoundError(absl::StrFormat("cannot attach '%s': %s%s; known ports: %s", device,
                                               rte_strerror(-rc), hint, KnownPorts()));
  }
  if (rte_eth_dev_get_port_by_name(name.c_str(), &pid) != 0)
    return absl::NotFoundError(absl::StrFormat(
        "'%s' was probed but is not an ethdev named '%s'; known ports: %s", device, name, KnownPorts()));
  return pid;
}

absl::StatusOr<rte_mempool*> CreateMbufPool(unsigned nb_ports, unsigned nb_lcores) {
  // Every RX ring full, every TX ring full, a burst in flight per lcore and
  // per port, plus what the per-lcore caches can hold.
  unsigned n = nb_ports * nb_lcores * (kRxDesc + kTxDesc + 2 * kBurstSize) + nb_lcores * kMbufCache;
  n = std::max(n, 8192u);
  rte_mempool* pool = rte_pktmbuf_pool_create("lqd_mbufs", n, kMbufCache, 0,
                                              RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
  if (pool == nullptr)
    return absl::ResourceExhaustedError(absl::StrFormat(
        "cannot create a pool of %u mbufs: %s (more memory: -m, or hugepages; "
        "without hugepages use --no-huge -m 512)",
        n, rte_strerror(rte_errno)));
  return pool;
}

absl::StatusOr<PortSetup> SetupPort(uint16_t port_id, const std::string& device, uint16_t nb_queues,
                                    rte_mempool* pool) {
  PortSetup s;
  s.port_id = port_id;
  s.device = device;
  rte_eth_dev_info info;
  int rc = rte_eth_dev_info_get(port_id, &info);
  if (rc != 0) return absl::InternalError(absl::StrCat("rte_eth_dev_info_get: ", rte_strerror(-rc)));
  s.driver = info.driver_name ? info.driver_name : "?";
  s.nb_queues = std::min<uint16_t>({nb_queues, info.max_rx_queues, info.max_tx_queues});
  if (s.nb_queues == 0) return absl::InternalError("device has no RX or TX queue");

  rte_eth_conf conf{};
  // RSS spreads relays over the lcores; the hash covers the addresses (and
  // the UDP ports where supported) so one relay always meets one lcore and
  // its rate-limit bucket.
  const uint64_t want = RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_UDP;
  if (s.nb_queues > 1 && (info.flow_type_rss_offloads & want) != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_key = nullptr;  // driver default key
    conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & want;
    s.rss = true;
  }
  // Reply checksums: the port computes them when it can (the lcore loop
  // then flags each reply mbuf, reply_frame.h); otherwise software does.
  constexpr uint64_t kCksum = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
  if ((info.tx_offload_capa & kCksum) == kCksum) {
    conf.txmode.offloads |= kCksum;
    s.tx_cksum_offload = true;
  }
  if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
    conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;

  rc = rte_eth_dev_configure(port_id, s.nb_queues, s.nb_queues, &conf);
  if (rc != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "cannot configure port %u (%s): %s%s", port_id, device, rte_strerror(-rc),
        rc == -EBUSY ? " (port is busy: already started by another user?)" : ""));
  }
  uint16_t nb_rxd = kRxDesc, nb_txd = kTxDesc;
  rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
  if (rc != 0) return absl::InternalError(absl::StrCat("adjust descriptors: ", rte_strerror(-rc)));
  const int socket = rte_eth_dev_socket_id(port_id);
  const unsigned sock = socket < 0 ? static_cast<unsigned>(SOCKET_ID_ANY) : static_cast<unsigned>(socket);
  for (uint16_t q = 0; q < s.nb_queues; ++q) {
    rte_eth_rxconf rxq = info.default_rxconf;
    rxq.offloads = conf.rxmode.offloads;
    rc = rte_eth_rx_queue_setup(port_id, q, nb_rxd, sock, &rxq, pool);
    if (rc != 0) return absl::InternalError(absl::StrFormat("RX queue %u: %s", q, rte_strerror(-rc)));
    rte_eth_txconf txq = info.default_txconf;
    txq.offloads = conf.txmode.offloads;
    rc = rte_eth_tx_queue_setup(port_id, q, nb_txd, sock, &txq);
    if (rc != 0) return absl::InternalError(absl::StrFormat("TX queue %u: %s", q, rte_strerror(-rc)));
  }
  rc = rte_eth_dev_start(port_id);
  if (rc != 0)
    return absl::FailedPreconditionError(absl::StrFormat("cannot start port %u (%s): %s", port_id,
                                                         device, rte_strerror(-rc)));
  rc = rte_eth_macaddr_get(port_id, &s.mac);
  if (rc != 0) return absl::InternalError(absl::StrCat("MAC address: ", rte_strerror(-rc)));
  return s;
}

}  // namespace lqd::dataplane
