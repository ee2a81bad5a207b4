// SPDX-License-Identifier: Apache-2.0
// File: dataplane/lcore_loop.h
//
// The run-to-completion loop every lcore runs (DPDK l3fwd style):
//
//   while (!force_quit) {
//     TX drain       every kDrainUs, flush the TX buffers of every port
//     RX             per (port, queue) of this lcore: rx burst, then
//                    1. per frame: classify ->
//                       [arp | icmp echo] -> reply_frame -> tx buffer
//                       [exception] -> exception port, or drop
//                       [leasequery] -> lease index prefetch, parked
//                    2. per parked leasequery: lease record prefetch
//                    3. per parked leasequery: acl -> parse -> acl(giaddr)
//                       -> rate limit -> QueryEngine::Answer (into the mbuf)
//                       -> reply_frame -> tx buffer
//     Qsbr quiescent once per loop: no lease pointer outlives a burst
//     exception RX   frames the kernel sends back go out of port 0
//     writer duty    (single-lcore mode) the control plane's Poll() now and then
//   }
//
// Everything an lcore touches on the fast path is in its LcoreConf, or
// read-only and shared (Shared). Counters are the lcore's own.
#pragma once

#include <atomic>
#include <functional>
#include <cstdint>
#include <memory>
#include <vector>

#include <rte_ethdev.h>

#include "dataplane/classify.h"
#include "dataplane/config.h"
#include "dataplane/counters.h"
#include "dataplane/port.h"
#include "dataplane/rate_limit.h"
#include "dataplane/reload.h"
#include "dhcp/message.h"
#include "engine/query_engine.h"
#include "lease-store/lease_store.h"

namespace lqd::dataplane {

// Set by the signal handler; every loop checks it once per iteration.
extern std::atomic<bool> force_quit;

// A data port as the fast path sees it (read-only while running).
struct PortCtx {
  uint16_t port_id = 0;
  uint16_t nb_queues = 0;
  rte_ether_addr mac{};
  std::vector<uint32_t> addresses;
  PortIdentity identity;  // points into addresses / mac
  bool tx_cksum_offload = false;  // the port fills reply IPv4/UDP checksums
};

// Read-only state shared by all lcores.
struct Shared {
  const QueryEngine* engine = nullptr;
  LeaseStore* store = nullptr;  // Reclaim() by the writer lcore only
  // Policy, ACL, rate limit and server-id, reloadable (dataplane/reload.h):
  // loaded once per burst, retired through the store's Qsbr. When null
  // (tests, benchmarks), the fixed policy/server_id/acl below apply.
  const std::atomic<const LiveSettings*>* live = nullptr;
  const Policy* policy = nullptr;
  uint32_t server_id = 0;
  Acl acl;
  std::vector<PortCtx> ports;
  bool has_exception_port = false;
  uint16_t exception_port = 0;
  // Published by the control plane: answer nothing until `ready` (initial
  // load done); while `stale`, the engine's stale policy applies.
  const std::atomic<bool>* ready = nullptr;
  const std::atomic<bool>* stale = nullptr;
  // The control thread's work, run by the writer lcore in single-lcore mode.
  std::function<void()> control_poll;
};

struct alignas(64) LcoreConf {
  unsigned lcore_id = 0;
  uint16_t queue = 0;             // this lcore's queue index on every port
  bool writer = false;            // also does the control thread's Reclaim()
  Qsbr::ReaderId reader = -1;
  const Shared* shared = nullptr;
  LcoreCounters* counters = nullptr;
  std::unique_ptr<RateLimiter> rate_limiter;
  uint64_t live_generation = 0;   // LiveSettings the rate limiter was set from
  // Set (release) as LcoreMain returns. rte_eal_mp_wait_lcore() already
  // orders the exit, but inside DPDK where ThreadSanitizer cannot see it;
  // the main thread acquires this before it frees what the lcore used.
  std::atomic<bool> exited{false};
  rte_eth_dev_tx_buffer* tx[kMaxPorts] = {};  // per data port, this lcore's queue
  rte_eth_dev_tx_buffer* exc_tx = nullptr;     // exception port
  // Per-lcore scratch: the query is copied here before parsing because the
  // engine writes the reply over the query's bytes in the mbuf (and the
  // parsed view must not change under it).
  alignas(64) uint8_t query_copy[2048];
  dhcp::ParsedMessage parsed;
};

// Allocates the TX buffers (on the lcore's socket). Call before launch.
bool InitLcoreTx(LcoreConf& conf);
void FreeLcoreTx(LcoreConf& conf);

// The loop. `arg` is a LcoreConf*. Returns 0 when force_quit is set.
int LcoreMain(void* arg);

}  // namespace lqd::dataplane
