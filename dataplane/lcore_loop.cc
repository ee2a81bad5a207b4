// SPDX-License-Identifier: Apache-2.0
// File: dataplane/lcore_loop.cc
#include "dataplane/lcore_loop.h"

#include <algorithm>
#include <cstring>
#include <ctime>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dataplane/reply_frame.h"

namespace lqd::dataplane {

std::atomic<bool> force_quit{false};

namespace {

constexpr uint64_t kDrainUs = 100;   // TX buffer drain period (l3fwd's BURST_TX_DRAIN_US)
constexpr int kPrefetchOffset = 3;   // frames prefetched ahead within a burst
constexpr uint64_t kReclaimUs = 10'000;
// A reply never needs IP fragmentation: it must fit a 1500-byte IP MTU.
constexpr size_t kMaxReplyPayload = 1500 - kIpv4MinHdrLen - kUdpHdrLen;

uint32_t NowSeconds() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<uint32_t>(ts.tv_sec);
}

// Per-burst values every frame of the burst shares.
struct BurstCtx {
  uint32_t now = 0;   // lease clock (Unix seconds)
  uint64_t tsc = 0;   // rate limiter clock
  // Loaded once per burst; valid until the burst's Qsbr Quiescent().
  const Policy* policy = nullptr;
  const Acl* acl = nullptr;
  uint32_t server_id = 0;
};

void Send(LcoreConf& lc, unsigned port_index, rte_mbuf* m) {
  const PortCtx& p = lc.shared->ports[port_index];
  lc.counters->tx += rte_eth_tx_buffer(p.port_id, lc.queue, lc.tx[port_index], m);
}

// Admission of a leasequery, in stage 1, before any copy, parse or
// lease-store work: a refused or rate-limited requester costs classify and
// this, nothing more (a sixth of an answer, bench lqd-limited), so under
// a flood from one relay the lcore sheds the excess cheaply. giaddr is read
// at its fixed BOOTP offset (the parser reads the same four bytes); a
// payload too short to hold it is left to the parser, which drops it as
// truncated at once. Each frame is counted at the first check it fails:
// not ready, ACL (source, then giaddr), rate limit, then parse and engine.
bool Admit(LcoreConf& lc, std::span<const uint8_t> frame, const Classified& c, const BurstCtx& b) {
  LcoreCounters& ctr = *lc.counters;
  ++ctr.leasequery;
  if (unlikely(!lc.shared->ready->load(std::memory_order_acquire))) {
    ++ctr.not_ready;  // silence beats a wrong UNASSIGNED
    return false;
  }
  if (!b.acl->Allows(c.src_ip)) {
    ++ctr.acl_drop;
    return false;
  }
  if (c.payload_len < dhcp::kOffGiaddr + 4) return true;
  const uint32_t giaddr = dhcp::LoadBe32(frame.data() + c.payload_off + dhcp::kOffGiaddr);
  if (!b.acl->Allows(giaddr)) {
    ++ctr.acl_drop;
    return false;
  }
  if (!lc.rate_limiter->Allow(giaddr, b.tsc)) {
    ++ctr.ratelimit_drop;
    return false;
  }
  return true;
}

// Leasequery, admitted: everything between "UDP/67 to us" and "reply in
// the mbuf". Returns true if `m` was consumed (queued for TX), false to
// free it.
bool HandleLeaseQuery(LcoreConf& lc, const PortCtx& port, rte_mbuf* m, const Classified& c,
                      const BurstCtx& b) {
  LcoreCounters& ctr = *lc.counters;
  const Shared& sh = *lc.shared;
  uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
  if (c.payload_len > sizeof lc.query_copy) {
    ++ctr.no_room;
    return false;
  }
  std::memcpy(lc.query_copy, frame + c.payload_off, c.payload_len);
  if (auto err = dhcp::ParseMessage({lc.query_copy, c.payload_len}, lc.parsed)) {
    ++ctr.parse_error[static_cast<size_t>(*err)];
    return false;
  }

  // The reply goes where the query was, growing into the mbuf's tailroom.
  const size_t room = std::min<size_t>(
      rte_pktmbuf_data_len(m) + rte_pktmbuf_tailroom(m) - c.payload_off, kMaxReplyPayload);
  QueryContext ctx;
  ctx.now = b.now;
  ctx.server_id = b.server_id;
  ctx.policy = b.policy;
  ctx.replica_stale = sh.stale->load(std::memory_order_relaxed);
  ctx.udp_src_port = c.src_port;
  const QueryResult r = sh.engine->Answer(lc.parsed, ctx, {frame + c.payload_off, room});
  if (!r.reply) {
    ++ctr.engine_drop[static_cast<size_t>(r.drop)];
    return false;
  }
  const size_t need = c.payload_off + r.len;
  if (need > rte_pktmbuf_data_len(m) &&
      rte_pktmbuf_append(m, static_cast<uint16_t>(need - rte_pktmbuf_data_len(m))) == nullptr) {
    ++ctr.no_room;  // cannot happen: `room` came from the tailroom
    return false;
  }
  const size_t n = BuildLeaseQueryReply({frame, rte_pktmbuf_data_len(m)}, c, port.mac.addr_bytes,
                                        {c.dst_ip, r.dst_ip, r.dst_port, r.len, port.tx_cksum_offload});
  if (n == 0 || rte_pktmbuf_trim(m, static_cast<uint16_t>(rte_pktmbuf_data_len(m) - n)) != 0) {
    ++ctr.no_room;
    return false;
  }
  if (port.tx_cksum_offload) {  // reply_frame left the checksums to the port
    m->l2_len = c.l3_off;        // Ethernet and any VLAN tags
    m->l3_len = kIpv4MinHdrLen;  // reply_frame drops IP options
    m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM;
  }
  ++ctr.replies;
  if (unlikely(r.associated_left_out != 0)) ++ctr.assoc_cut;
  ctr.CountReply(r.type);
  ++ctr.regime[static_cast<size_t>(r.regime)];
  return true;
}

// Sets the frame length to `n` (the reply may be shorter than the query).
bool TrimTo(rte_mbuf* m, size_t n) {
  return n != 0 && n <= rte_pktmbuf_data_len(m) &&
         rte_pktmbuf_trim(m, static_cast<uint16_t>(rte_pktmbuf_data_len(m) - n)) == 0;
}

// The frame's lines, not only its headers: classify sums a leasequery
// whole (UDP checksum) and the parser reads it. Capped at 512 bytes (a
// leasequery with its options fits; a 342-byte one is 6 lines), so a
// flood of large frames that will only be dropped or passed on costs few
// prefetches.
inline void PrefetchFrame(const rte_mbuf* m) {
  const char* p = rte_pktmbuf_mtod(m, const char*);
  const uint32_t n = std::min<uint32_t>(rte_pktmbuf_data_len(m), 512);
  for (uint32_t off = 0; off < n; off += RTE_CACHE_LINE_SIZE) rte_prefetch0(p + off);
}

// A leasequery parked between stage 1 and stage 3 of its burst.
struct PendingQuery {
  rte_mbuf* m;
  Classified c;
};

// Stage 1 for one frame: classify; ARP, ICMP echo, exception frames and
// drops are finished here. An admitted leasequery is parked in `pending`
// (returns true) after the first lease-store prefetch hint for it.
bool ClassifyOrFinish(LcoreConf& lc, unsigned port_index, rte_mbuf* m, const BurstCtx& b,
                      PendingQuery& pending) {
  LcoreCounters& ctr = *lc.counters;
  const PortCtx& port = lc.shared->ports[port_index];
  if (unlikely(m->nb_segs != 1)) {  // 2 KB mbufs and a 1500 MTU: only jumbo frames
    ++ctr.classify_drop[static_cast<size_t>(ClassifyDrop::kOversizeFrame)];
    rte_pktmbuf_free(m);
    return false;
  }
  std::span<uint8_t> frame(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_data_len(m));
  const Classified c = ClassifyFrame(frame, port.identity);
  bool send = false;
  switch (c.cls) {
    case FrameClass::kLeaseQuery:
      if (!Admit(lc, frame, c, b)) break;  // counted, freed below
      lc.shared->engine->Prefetch(PrefetchStage::kSlot, frame.subspan(c.payload_off, c.payload_len));
      pending = {m, c};
      return true;
    case FrameClass::kArp:
      send = BuildArpReply(frame, c, port.mac.addr_bytes) != 0;
      ctr.arp += send;
      break;
    case FrameClass::kIcmpEcho:
      send = TrimTo(m, BuildIcmpEchoReply(frame, c, port.mac.addr_bytes));
      ctr.icmp += send;
      break;
    case FrameClass::kException:
      if (lc.exc_tx != nullptr) {
        ++ctr.exception;
        lc.counters->tx += rte_eth_tx_buffer(lc.shared->exception_port, lc.queue, lc.exc_tx, m);
        return false;
      }
      ++ctr.exception_drop;
      break;
    case FrameClass::kDrop:
      ++ctr.classify_drop[static_cast<size_t>(c.drop)];
      break;
  }
  if (send) Send(lc, port_index, m);
  else rte_pktmbuf_free(m);
  return false;
}

// One RX burst of one port, in three stages so that the lease-store misses
// of the whole burst overlap (a lookup at a million leases is two dependent
// misses: the index slot, then the record):
//   1. classify every frame (prefetching frames ahead); finish all but the
//      leasequeries; admit those (ACL, rate limit), which then get the
//      index-slot prefetch and wait;
//   2. for every leasequery, prefetch the lease record (its slot has arrived);
//   3. answer every leasequery and queue the replies.
void HandleBurst(LcoreConf& lc, unsigned port_index, rte_mbuf** pkts, uint16_t nb,
                 const BurstCtx& b) {
  const QueryEngine& engine = *lc.shared->engine;
  PendingQuery lq[kBurstSize];
  unsigned n_lq = 0;
  // The mbuf headers first: a ring or memif port (or a PMD that recycles
  // mbufs freed by another core) hands over headers last written on another
  // core, and PrefetchFrame() needs each one's data pointer.
  for (int j = 0; j < nb; ++j) rte_prefetch0(pkts[j]);
  for (int j = 0; j < kPrefetchOffset && j < nb; ++j) PrefetchFrame(pkts[j]);
  for (int j = 0; j < nb; ++j) {
    if (j + kPrefetchOffset < nb) PrefetchFrame(pkts[j + kPrefetchOffset]);
    n_lq += ClassifyOrFinish(lc, port_index, pkts[j], b, lq[n_lq]);
  }
  for (unsigned i = 0; i < n_lq; ++i) {
    const uint8_t* frame = rte_pktmbuf_mtod(lq[i].m, const uint8_t*);
    engine.Prefetch(PrefetchStage::kEntry, {frame + lq[i].c.payload_off, lq[i].c.payload_len});
  }
  const PortCtx& port = lc.shared->ports[port_index];
  for (unsigned i = 0; i < n_lq; ++i) {
    if (HandleLeaseQuery(lc, port, lq[i].m, lq[i].c, b)) Send(lc, port_index, lq[i].m);
    else rte_pktmbuf_free(lq[i].m);
  }
}

void DrainTx(LcoreConf& lc) {
  const Shared& sh = *lc.shared;
  for (unsigned i = 0; i < sh.ports.size(); ++i)
    if (lc.tx[i] != nullptr)
      lc.counters->tx += rte_eth_tx_buffer_flush(sh.ports[i].port_id, lc.queue, lc.tx[i]);
  if (lc.exc_tx != nullptr)
    lc.counters->tx += rte_eth_tx_buffer_flush(sh.exception_port, lc.queue, lc.exc_tx);
}

// TX buffer error callback: frees what the ring did not take and counts it
// (rte_eth_tx_buffer_count_callback, but into an LcoreCounter).
void CountUnsent(rte_mbuf** pkts, uint16_t unsent, void* counter) {
  rte_pktmbuf_free_bulk(pkts, unsent);
  *static_cast<LcoreCounter*>(counter) += unsent;
}

rte_eth_dev_tx_buffer* NewTxBuffer(unsigned lcore, LcoreCounter* drop_counter) {
  auto* b = static_cast<rte_eth_dev_tx_buffer*>(rte_zmalloc_socket(
      "lqd_tx", RTE_ETH_TX_BUFFER_SIZE(kBurstSize), 0, rte_lcore_to_socket_id(lcore)));
  if (b == nullptr) return nullptr;
  rte_eth_tx_buffer_init(b, kBurstSize);
  rte_eth_tx_buffer_set_err_callback(b, CountUnsent, drop_counter);
  return b;
}

}  // namespace

bool InitLcoreTx(LcoreConf& lc) {
  const Shared& sh = *lc.shared;
  for (unsigned i = 0; i < sh.ports.size() && i < kMaxPorts; ++i) {
    if (lc.queue >= sh.ports[i].nb_queues) continue;  // port has fewer queues than lcores
    if ((lc.tx[i] = NewTxBuffer(lc.lcore_id, &lc.counters->tx_full)) == nullptr) return false;
  }
  if (sh.has_exception_port &&
      (lc.exc_tx = NewTxBuffer(lc.lcore_id, &lc.counters->exception_drop)) == nullptr)
    return false;
  return true;
}

void FreeLcoreTx(LcoreConf& lc) {
  for (auto*& b : lc.tx) {
    rte_free(b);
    b = nullptr;
  }
  rte_free(lc.exc_tx);
  lc.exc_tx = nullptr;
}

int LcoreMain(void* arg) {
  LcoreConf& lc = *static_cast<LcoreConf*>(arg);
  const Shared& sh = *lc.shared;
  Qsbr& qsbr = sh.store->qsbr();
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t drain_tsc = (hz + US_PER_S - 1) / US_PER_S * kDrainUs;
  const uint64_t reclaim_tsc = hz / US_PER_S * kReclaimUs;
  uint64_t prev_drain = rte_rdtsc();
  uint64_t prev_reclaim = prev_drain;
  rte_mbuf* pkts[kBurstSize];

  qsbr.Online(lc.reader);
  while (!force_quit.load(std::memory_order_relaxed)) {
    const uint64_t cur = rte_rdtsc();

    // ---- TX burst queue drain
    if (unlikely(cur - prev_drain > drain_tsc)) {
      DrainTx(lc);
      prev_drain = cur;
    }

    // ---- Read packets from the RX queues
    BurstCtx b;
    b.tsc = cur;
    if (sh.live != nullptr) {
      const LiveSettings* live = sh.live->load(std::memory_order_acquire);
      if (unlikely(live->generation != lc.live_generation)) {  // a reload
        lc.rate_limiter->Reconfigure(live->rate_limit.per_requester_pps, live->rate_limit.burst);
        lc.live_generation = live->generation;
      }
      b.policy = &live->policy;
      b.acl = &live->acl;
      b.server_id = live->server_id;
    } else {
      b.policy = sh.policy;
      b.acl = &sh.acl;
      b.server_id = sh.server_id;
    }
    for (unsigned pi = 0; pi < sh.ports.size(); ++pi) {
      const PortCtx& port = sh.ports[pi];
      if (lc.tx[pi] == nullptr) continue;  // no queue for this lcore on that port
      const uint16_t nb = rte_eth_rx_burst(port.port_id, lc.queue, pkts, kBurstSize);
      if (nb == 0) continue;
      lc.counters->rx += nb;
      if (b.now == 0) b.now = NowSeconds();
      HandleBurst(lc, pi, pkts, nb, b);
    }
    // No lease pointer survives the burst: tell the writer.
    qsbr.Quiescent(lc.reader);

    // ---- Exception port: what the kernel sends goes out of the first port.
    if (lc.exc_tx != nullptr && lc.tx[0] != nullptr) {
      const uint16_t nb = rte_eth_rx_burst(sh.exception_port, lc.queue, pkts, kBurstSize);
      lc.counters->exception_rx += nb;
      for (uint16_t j = 0; j < nb; ++j) Send(lc, 0, pkts[j]);
    }

    // ---- Writer duty when this lcore is also the control thread.
    if (lc.writer && unlikely(cur - prev_reclaim > reclaim_tsc)) {
      sh.control_poll();
      prev_reclaim = cur;
    }
  }
  DrainTx(lc);
  qsbr.Offline(lc.reader);
  lc.exited.store(true, std::memory_order_release);
  return 0;
}

}  // namespace lqd::dataplane
