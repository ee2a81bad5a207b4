// SPDX-License-Identifier: Apache-2.0
// File: client/storm_dpdk.cc
#include "client/storm_dpdk.h"

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <atomic>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/text.h"
#include "dataplane/link_wait.h"

namespace lqd::client {
namespace {

constexpr uint16_t kBurst = 32;
constexpr uint16_t kRingSize = 1024;
constexpr size_t kL2L3L4 = sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr);

std::string Errno(int e) { return std::string(rte_strerror(e < 0 ? -e : e)); }

// The worker's network: frames to the server's MAC from each concentrator's
// giaddr:port, answers matched to a concentrator by destination address.
class DpdkStormIo final : public StormIo {
 public:
  DpdkStormIo(uint16_t port, rte_mempool* pool, const StormOptions& o, size_t n_conc,
              const rte_ether_addr& own, const rte_ether_addr& server_mac)
      : port_(port), pool_(pool), opt_(o), n_conc_(n_conc), own_(own), server_mac_(server_mac) {}
  ~DpdkStormIo() override { Flush(true); }

  void Send(size_t ci, std::span<const uint8_t> dhcp) override {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) {
      ++tx_dropped_;
      return;
    }
    auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kL2L3L4 + dhcp.size()));
    if (p == nullptr) {
      rte_pktmbuf_free(m);
      ++tx_dropped_;
      return;
    }
    const uint32_t src = opt_.giaddr_base + static_cast<uint32_t>(ci);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
    eth->dst_addr = server_mac_;
    eth->src_addr = own_;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    std::memset(ip, 0, sizeof(*ip));
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16(
        static_cast<uint16_t>(sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) + dhcp.size()));
    ip->packet_id = rte_cpu_to_be_16(ip_id_++);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = rte_cpu_to_be_32(src);
    ip->dst_addr = rte_cpu_to_be_32(opt_.server);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
    udp->src_port = udp->dst_port = rte_cpu_to_be_16(opt_.port);
    udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(sizeof(rte_udp_hdr) + dhcp.size()));
    udp->dgram_cksum = 0;
    std::memcpy(udp + 1, dhcp.data(), dhcp.size());
    udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
    Queue(m);
  }

  size_t Receive(absl::Duration wait,
                 absl::FunctionRef<void(size_t, std::span<const uint8_t>)> on_answer) override {
    Flush(false);
    const absl::Time deadline = absl::Now() + std::min(wait, absl::Milliseconds(100));
    size_t got = 0;
    rte_mbuf* rx[kBurst];
    // Drain up to 8 full bursts (an open loop catching up sends up to 256),
    // else return with the first answers or at the deadline.
    for (int full = 0;;) {
      const uint16_t n = rte_eth_rx_burst(port_, 0, rx, kBurst);
      for (uint16_t i = 0; i < n; ++i) {
        got += Handle(rx[i], on_answer);
      }
      Flush(false);  // ARP replies
      if (n == kBurst && ++full < 8) continue;
      if (got > 0 || absl::Now() >= deadline) break;
    }
    return got;
  }

  uint64_t stray() const override { return stray_; }
  uint64_t tx_dropped() const { return tx_dropped_; }

  // Sends one ARP request "who has the server, tell giaddr_base".
  void SendArpRequest() {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) return;
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    rte_pktmbuf_append(m, sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr));
    std::memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
    eth->src_addr = own_;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
    arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    arp->arp_hlen = RTE_ETHER_ADDR_LEN;
    arp->arp_plen = 4;
    arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
    arp->arp_data.arp_sha = own_;
    arp->arp_data.arp_sip = rte_cpu_to_be_32(opt_.giaddr_base);
    std::memset(&arp->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
    arp->arp_data.arp_tip = rte_cpu_to_be_32(opt_.server);
    Queue(m);
    Flush(false);
  }
  // The server's MAC once an ARP reply from it was seen.
  const std::optional<rte_ether_addr>& learnt_server_mac() const { return learnt_; }

 private:
  void Queue(rte_mbuf* m) {
    tx_[tx_n_++] = m;
    if (tx_n_ == kBurst) Flush(false);
  }

  // Hands queued frames to the driver, retrying briefly while its ring is
  // full; what still does not fit is dropped (and shows up as lost).
  void Flush(bool final) {
    uint16_t done = 0;
    for (int attempt = 0; done < tx_n_ && attempt < (final ? 1000 : 64); ++attempt) {
      done += rte_eth_tx_burst(port_, 0, tx_ + done, tx_n_ - done);
    }
    for (uint16_t i = done; i < tx_n_; ++i) rte_pktmbuf_free(tx_[i]);
    tx_dropped_ += tx_n_ - done;
    tx_n_ = 0;
  }

  // Returns 1 when an answer was handed over.
  size_t Handle(rte_mbuf* m, absl::FunctionRef<void(size_t, std::span<const uint8_t>)> on_answer) {
    const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
    const size_t len = rte_pktmbuf_data_len(m);  // single segment: frames are small
    size_t handed = 0;
    if (len < sizeof(rte_ether_hdr)) {
      ++stray_;
    } else {
      const auto* eth = reinterpret_cast<const rte_ether_hdr*>(p);
      const uint16_t type = rte_be_to_cpu_16(eth->ether_type);
      if (type == RTE_ETHER_TYPE_ARP) {
        if (HandleArp(m, len)) return 0;  // the mbuf became the ARP reply
      } else if (type == RTE_ETHER_TYPE_IPV4) {
        handed = HandleIpv4(p, len, on_answer);
      } else {
        ++stray_;
      }
    }
    rte_pktmbuf_free(m);
    return handed;
  }

  size_t HandleIpv4(const uint8_t* p, size_t len,
                    absl::FunctionRef<void(size_t, std::span<const uint8_t>)> on_answer) {
    const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(p + sizeof(rte_ether_hdr));
    if (len < kL2L3L4 || ip->next_proto_id != IPPROTO_UDP) return Stray();
    const size_t ihl = static_cast<size_t>(ip->version_ihl & 0xf) * 4;
    const size_t l4 = sizeof(rte_ether_hdr) + ihl;
    if (ihl < sizeof(rte_ipv4_hdr) || l4 + sizeof(rte_udp_hdr) > len) return Stray();
    const auto* udp = reinterpret_cast<const rte_udp_hdr*>(p + l4);
    const size_t udp_len = rte_be_to_cpu_16(udp->dgram_len);
    const uint32_t src = rte_be_to_cpu_32(ip->src_addr), dst = rte_be_to_cpu_32(ip->dst_addr);
    const size_t ci = dst - opt_.giaddr_base;
    if (src != opt_.server || ci >= n_conc_ || rte_be_to_cpu_16(udp->dst_port) != opt_.port ||
        udp_len < sizeof(rte_udp_hdr) || l4 + udp_len > len) {
      return Stray();
    }
    on_answer(ci, std::span<const uint8_t>(p + l4 + sizeof(rte_udp_hdr), udp_len - sizeof(rte_udp_hdr)));
    return 1;
  }

  size_t Stray() {
    ++stray_;
    return 0;
  }

  // Learns the server's MAC from its ARP reply; answers requests for a
  // concentrator address in place. True when `m` was queued as the reply.
  bool HandleArp(rte_mbuf* m, size_t len) {
    if (len < sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr)) return false;
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    const uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
    const uint32_t sip = rte_be_to_cpu_32(arp->arp_data.arp_sip);
    const uint32_t tip = rte_be_to_cpu_32(arp->arp_data.arp_tip);
    if (op == RTE_ARP_OP_REPLY && sip == opt_.server) {
      rte_ether_addr sha;
      std::memcpy(&sha, &arp->arp_data.arp_sha, sizeof(sha));
      learnt_ = sha;
      return false;
    }
    if (op != RTE_ARP_OP_REQUEST || tip - opt_.giaddr_base >= n_conc_) return false;
    arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
    arp->arp_data.arp_tha = arp->arp_data.arp_sha;
    arp->arp_data.arp_tip = arp->arp_data.arp_sip;
    arp->arp_data.arp_sha = own_;
    arp->arp_data.arp_sip = rte_cpu_to_be_32(tip);
    eth->dst_addr = eth->src_addr;
    eth->src_addr = own_;
    Queue(m);
    return true;
  }

  uint16_t port_;
  rte_mempool* pool_;
  const StormOptions& opt_;
  size_t n_conc_;
  rte_ether_addr own_, server_mac_;
  std::optional<rte_ether_addr> learnt_;
  rte_mbuf* tx_[kBurst];
  uint16_t tx_n_ = 0;
  uint16_t ip_id_ = 0;
  uint64_t stray_ = 0, tx_dropped_ = 0;
};

absl::Status SetupPort(uint16_t port, rte_mempool* pool) {
  rte_eth_conf conf{};
  int rc = rte_eth_dev_configure(port, 1, 1, &conf);
  if (rc != 0) return absl::InternalError(absl::StrCat("rte_eth_dev_configure: ", Errno(rc)));
  uint16_t nb_rx = kRingSize, nb_tx = kRingSize;
  (void)rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rx, &nb_tx);
  const int socket = rte_eth_dev_socket_id(port);
  const unsigned sock = socket < 0 ? 0 : static_cast<unsigned>(socket);
  if ((rc = rte_eth_rx_queue_setup(port, 0, nb_rx, sock, nullptr, pool)) != 0) {
    return absl::InternalError(absl::StrCat("rte_eth_rx_queue_setup: ", Errno(rc)));
  }
  if ((rc = rte_eth_tx_queue_setup(port, 0, nb_tx, sock, nullptr)) != 0) {
    return absl::InternalError(absl::StrCat("rte_eth_tx_queue_setup: ", Errno(rc)));
  }
  if ((rc = rte_eth_dev_start(port)) != 0) {
    rte_eth_dev_info info{};
    const bool memif = rte_eth_dev_info_get(port, &info) == 0 && info.driver_name != nullptr &&
                       std::strstr(info.driver_name, "memif") != nullptr;
    return absl::UnavailableError(
        absl::StrCat("rte_eth_dev_start: ", Errno(rc),
                     memif ? " (a memif client needs its server listening on the socket first)" : ""));
  }
  return absl::OkStatus();
}

struct LaunchArgs {
  StormWorker* worker;
  std::atomic<bool> done{false};
};

int WorkerMain(void* arg) {
  auto* a = static_cast<LaunchArgs*>(arg);
  a->worker->Run();
  a->done.store(true);
  return 0;
}

// The storm proper, with the EAL up; the caller tears down.
absl::StatusOr<StormResult> RunOnPort(const DpdkStormConfig& cfg, StormShared& sh,
                                      std::vector<StormConcentrator>& conc, absl::Time* start,
                                      rte_mempool* pool) {
  const uint16_t port = cfg.port_id;
  const StormOptions& o = *sh.opt;
  const unsigned lcore = rte_get_next_lcore(-1, 1, 0);
  if (lcore >= RTE_MAX_LCORE) {
    return absl::InvalidArgumentError(
        "DPDK mode needs two lcores (e.g. -l 0-1): a generator and the main one for progress");
  }
  rte_ether_addr own{};
  rte_eth_macaddr_get(port, &own);
  if (!dataplane::WaitLinkUp(port, 15'000)) {
    return absl::UnavailableError(absl::StrCat(
        "port ", port, ": link still down after 15 s (memif: is the peer running on that socket?)"));
  }
  rte_ether_addr server_mac{};
  if (cfg.server_mac) {
    std::memcpy(server_mac.addr_bytes, cfg.server_mac->data(), 6);
  } else {
    DpdkStormIo arp(port, pool, o, conc.size(), own, own);
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    absl::Time next = absl::InfinitePast();
    while (!arp.learnt_server_mac() && absl::Now() < deadline) {
      if (absl::Now() >= next) {
        arp.SendArpRequest();
        next = absl::Now() + absl::Milliseconds(200);
      }
      arp.Receive(absl::Milliseconds(10), [](size_t, std::span<const uint8_t>) {});
    }
    if (!arp.learnt_server_mac()) {
      return absl::UnavailableError(absl::StrCat("no ARP reply from ", FormatIpv4(o.server),
                                                 " in 10 s (give --server-mac to skip ARP)"));
    }
    server_mac = *arp.learnt_server_mac();
  }
  std::vector<StormConcentrator*> all;
  for (auto& c : conc) all.push_back(&c);
  DpdkStormIo io(port, pool, o, conc.size(), own, server_mac);
  *start = absl::Now();
  StormWorker worker(sh, std::move(all), io, o.seed * 1000003, *start);
  LaunchArgs args{&worker};
  if (int rc = rte_eal_remote_launch(WorkerMain, &args, lcore); rc != 0) {
    return absl::InternalError(absl::StrCat("rte_eal_remote_launch: ", Errno(rc)));
  }
  PrintProgressUntil(sh, *start, [&] { return args.done.load(); });
  rte_eal_wait_lcore(lcore);
  if (io.tx_dropped() > 0) {
    std::fprintf(stderr, "lq-storm: %llu frames not sent (TX ring full or mbufs exhausted)\n",
                 static_cast<unsigned long long>(io.tx_dropped()));
  }
  if (cfg.before_teardown) cfg.before_teardown(worker.result(), *start);
  return worker.result();
}

}  // namespace

std::vector<std::string> SplitEalArgs(const std::string& eal_args) {
  return absl::StrSplit(eal_args, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
}

absl::StatusOr<StormResult> RunDpdkStorm(const DpdkStormConfig& cfg, StormShared& sh,
                                         std::vector<StormConcentrator>& conc, absl::Time* start) {
  std::vector<std::string> words = SplitEalArgs(cfg.eal_args);
  words.insert(words.begin(), "lq-storm");
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(words.size()), argv.data()) < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("rte_eal_init failed (", Errno(rte_errno), ") with --dpdk '", cfg.eal_args, "'"));
  }
  absl::StatusOr<StormResult> result = absl::InternalError("not run");
  if (rte_eth_dev_count_avail() == 0) {
    result = absl::InvalidArgumentError(
        "no DPDK port: put a device in --dpdk (e.g. --vdev net_memif0,role=client,socket=PATH)");
  } else if (!rte_eth_dev_is_valid_port(cfg.port_id)) {
    result = absl::InvalidArgumentError(
        absl::StrCat("--dpdk-port ", cfg.port_id, ": no such port (", rte_eth_dev_count_avail(),
                     " available)"));
  } else {
    rte_mempool* pool = rte_pktmbuf_pool_create("lq_storm", 16383, 256, 0,
                                                RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
    if (pool == nullptr) {
      result = absl::ResourceExhaustedError(
          absl::StrCat("mbuf pool: ", Errno(rte_errno), " (give the EAL more memory, -m)"));
    } else if (absl::Status s = SetupPort(cfg.port_id, pool); !s.ok()) {
      result = absl::Status(s.code(), absl::StrCat("port ", cfg.port_id, ": ", s.message()));
    } else {
      result = RunOnPort(cfg, sh, conc, start, pool);
      rte_eth_dev_stop(cfg.port_id);
    }
    rte_eth_dev_close(cfg.port_id);
  }
  rte_eal_cleanup();
  return result;
}

}  // namespace lqd::client
