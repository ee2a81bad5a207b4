// SPDX-License-Identifier: Apache-2.0
// File: bench/dataplane/lcore_loop_benchmark.cc
//
// The real lcore loop (LcoreMain, with its real LcoreConf/Shared, port set
// up by the real SetupPort/CreateMbufPool) against a MAC-swap forwarder on
// the same ring port, in one process, side by side in one run.
//
//   lcore_loop_benchmark [--packets N] [--warmup N] [--reps R] [--leases L]
//                        [--window W] [--json FILE] [--lcores 0@0,1@1]
//                        [--port ring|memif]
//
//   generator (main lcore)                 loop under test (worker lcore)
//     copy a pre-built 342-byte query          rte_eth_rx_burst
//     into a recycled mbuf, enqueue   -> RX ring -> lqd: LcoreMain (classify,
//     (at most W in flight)                       parse, engine, reply frame)
//                                                 mac-swap: swap MACs
//     dequeue replies, recycle mbufs  <- TX ring <- tx buffer / tx burst
//
// --port ring (default): rte_eth_from_rings() with one RX and one TX
// rte_ring, so the generator talks to the rings directly and the loop under
// test sees an ordinary ethdev; I/O costs next to nothing. --port memif: two
// net_memif ports of this process joined by one socket (shared memory, copy
// mode), the generator on the server end through rte_eth_tx/rx_burst, the
// loop under test on the client end: every frame is copied into shared
// memory and out again on each side, an I/O path whose per-packet cost is
// closer to a NIC PMD's. Both modes use the same generator code, the same
// port, pool, window and query frames: the MAC-swap rate is this harness's
// I/O ceiling and lqd/ceiling the share of it the real loop keeps.
//
// Queries: by IP (ciaddr) for random active leases of a BulkLoad-ed store
// of L leases (default 1 M) with DOCSIS-like option 82 and vendor class, PRL
// {51, 58, 59, 61, 82, 91}, giaddr = IP source, 300-byte BOOTP payload.
// Each rep measures N replies after W warm-up replies; zero loss is checked
// (generator sent == received, lqd counters rx == replies == tx).
//
// Output per rep and mode: replies/s of wall time; TSC cycles per reply of
// wall time and of the loop thread's CPU time; and, from an ethdev RX
// callback on the loop's queue (CountPoll), the loop's on-CPU "busy" cycles
// per frame, which excludes idle polling and time off the CPU: on cores
// shared with other work this is the figure that compares. --json writes
// all of it (scripts/bench_report.py renders it); exit 3 if a rep lost frames.
//
// A third mode, lqd-limited, is the same LcoreMain with a per-requester
// limit of 1 query/s (burst 1): every frame but the first is dropped at
// admission, so its busy cycles per frame are what an over-rate relay's
// flood costs the lcore (no reply comes back: a frame counts as done once
// the loop took it off the RX ring).
//
// Two more modes bound the goal from above, with LcoreMain's prefetching
// and nothing else. read-floor is MAC-swap plus loading every cache line of
// the frame, which every answer must do (the UDP checksum covers the whole
// query, the options are anywhere in it): macswap/read-floor is the most any
// leasequery loop could keep of the MAC-swap rate on this port, however fast
// its lookup and reply. cksum-floor is MAC-swap plus the checksum work as
// lqd does it on a port without offload (verify the query's IPv4 and UDP
// sums with ClassifyFrame, then sum a whole reply of the same length; a loop
// could sum the reply as it writes it, or update the query's sum, for less):
// macswap/cksum-floor is the most a loop with lqd's checksum code could keep.
//
// LcoreMain is not changed: it runs until lqd::dataplane::force_quit, which
// the generator sets once every frame is done (and clears before a rep).
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "dataplane/classify.h"
#include "dataplane/counters.h"
#include "dataplane/lcore_loop.h"
#include "dataplane/link_wait.h"
#include "dataplane/port.h"
#include "dhcp/message.h"
#include "dhcp/message_builder.h"
#include "engine/policy.h"
#include "engine/query_engine.h"
#include "lease-store/lease_store.h"

namespace lqd::bench {
namespace {

using dataplane::LcoreConf;
using dataplane::LcoreCounters;
using dataplane::Shared;

constexpr uint32_t kBase = 0x0A000000;     // leases at 10.0.0.0 + i
constexpr uint32_t kServer = 0xC0000201;   // 192.0.2.1, the appliance
constexpr uint32_t kRelay = 0xC0A80001;    // 192.168.0.1, giaddr and IP source
constexpr uint8_t kRelayMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
constexpr size_t kTemplates = 1 << 16;     // distinct pre-built queries, cycled
constexpr unsigned kBurst = 32;
constexpr unsigned kMemifRing = 1024;  // --port memif: rsize=10 (log2 of the ring size)

struct Options {
  bool memif = false;  // --port memif
  uint64_t packets = 5'000'000;
  uint64_t warmup = 500'000;
  unsigned reps = 3;
  size_t leases = 1'000'000;
  unsigned window = 256;
  std::string json;
};

HwAddr MacOf(uint32_t i) {
  HwAddr h;
  h.htype = 1;
  h.hlen = 6;
  h.bytes[0] = 0x02;
  h.bytes[1] = 0x00;
  dhcp::StoreBe32(h.bytes + 2, i);
  return h;
}

std::string ClientIdOf(uint32_t i) {
  std::string s("\x01\x02\x00\x00\x00\x00\x00", 7);
  dhcp::StoreBe32(reinterpret_cast<uint8_t*>(s.data()) + 3, i);
  return s;
}

// Same population as bench/engine/query_engine_benchmark.cc, but live at
// the wall clock (LcoreMain answers at the real time).
void LoadStore(LeaseStore& store, size_t n) {
  const uint32_t now = static_cast<uint32_t>(time(nullptr));
  std::vector<Lease> leases(n);
  for (size_t i = 0; i < n; ++i) {
    Lease& l = leases[i];
    l.ip = kBase + static_cast<uint32_t>(i);
    l.hw = MacOf(static_cast<uint32_t>(i));
    l.client_id = ClientIdOf(static_cast<uint32_t>(i));
    l.cltt = now - 100;
    l.expire = now + 36000;
    l.relay_agent_info = std::string("\x01\x08" "cable1/0" "\x02\x06" "\x00\x11\x22\x33\x44\x55"
                                     "\x04\x04\x00\x00\x00\x01", 24);
    l.vendor_class = "docsis3.1:xyz";
  }
  if (!store.BulkLoad(leases).ok()) {
    std::fprintf(stderr, "BulkLoad failed\n");
    std::exit(1);
  }
  store.SetRanges(*AuthoritativeRanges::Build({{kGlobalVpn, kBase, kBase + 0xffffff}}));
}

void Be16(uint8_t* p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
void Be32(uint8_t* p, uint32_t v) { dhcp::StoreBe32(p, v); }

struct Frame {
  uint8_t bytes[400];
  uint16_t len = 0;
};

// Ethernet / IPv4 / UDP 67->67 / DHCPLEASEQUERY by IP, checksums valid.
std::vector<Frame> MakeFrames(size_t leases, const rte_ether_addr& port_mac) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<uint32_t> pick(0, static_cast<uint32_t>(leases - 1));
  const uint8_t prl[] = {51, 58, 59, 61, 82, 91};
  std::vector<Frame> out(kTemplates);
  for (size_t k = 0; k < kTemplates; ++k) {
    Frame& f = out[k];
    uint8_t* eth = f.bytes;
    uint8_t* ip = eth + 14;
    uint8_t* udp = ip + 20;
    uint8_t* dhcp = udp + 8;
    dhcp::MessageBuilder b({dhcp, sizeof f.bytes - 42});
    dhcp::BootpHeader h;
    h.op = dhcp::kOpBootRequest;
    h.xid = static_cast<uint32_t>(k + 1);
    h.giaddr = kRelay;
    h.ciaddr = kBase + pick(rng);
    b.SetHeader(h);
    b.AddMessageType(dhcp::MessageType::kLeaseQuery);
    b.AddOption(dhcp::opt::kParamRequestList, prl);
    const size_t n = b.Finish();
    if (n == 0) std::abort();
    std::memcpy(eth, port_mac.addr_bytes, 6);
    std::memcpy(eth + 6, kRelayMac, 6);
    Be16(eth + 12, dataplane::kEtherTypeIpv4);
    ip[0] = 0x45;
    ip[1] = 0;
    Be16(ip + 2, static_cast<uint16_t>(20 + 8 + n));
    Be16(ip + 4, static_cast<uint16_t>(k));
    Be16(ip + 6, 0);
    ip[8] = 64;
    ip[9] = dataplane::kIpProtoUdp;
    Be16(ip + 10, 0);
    Be32(ip + 12, kRelay);
    Be32(ip + 16, kServer);
    Be16(ip + 10, dataplane::ChecksumFinish(dataplane::ChecksumPartial(ip, 20, 0)));
    Be16(udp, 67);
    Be16(udp + 2, 67);
    Be16(udp + 4, static_cast<uint16_t>(8 + n));
    Be16(udp + 6, 0);
    Be16(udp + 6, dataplane::UdpChecksum(kRelay, kServer, udp, 8 + n));
    f.len = static_cast<uint16_t>(42 + n);
  }
  return out;
}

// ---------------------------------------------------------------- loops under test

// Poll accounting without touching LcoreMain: an ethdev RX callback runs
// inside every rte_eth_rx_burst() of the loop under test (either mode), also
// for empty polls. The TSC time from one poll to the next is charged to the
// earlier poll: after a non-empty poll it is work on that burst ("busy"),
// after an empty one it is idle polling. A gap over kDescheduledCycles means
// the thread was off the CPU (the cores are shared) and is charged to
// neither. busy / frames = the loop's on-CPU cost per frame, robust to the
// generator's pace and to other processes on the core; the callback's own
// rdtsc (~50 cycles per poll) is included, in both modes alike.
struct alignas(64) PollStats {
  uint64_t last = 0;
  uint16_t last_nb = 0;
  uint64_t polls = 0, empty = 0, frames = 0;
  uint64_t busy = 0, idle = 0, off_cpu = 0, off_cpu_gaps = 0;
};
constexpr uint64_t kDescheduledCycles = 400'000;  // 200 us at 2 GHz; a burst of 32 takes far less
PollStats g_poll;
// Frames the loop under test has taken off its RX queue, for the generator
// of lqd-limited (no replies come back). One writer: a plain store.
std::atomic<uint64_t> g_taken{0};

uint16_t CountPoll(uint16_t, uint16_t, rte_mbuf**, uint16_t nb, uint16_t, void* arg) {
  auto& p = *static_cast<PollStats*>(arg);
  const uint64_t now = rte_rdtsc();
  if (p.last != 0) {
    const uint64_t d = now - p.last;
    if (d > kDescheduledCycles) {
      p.off_cpu += d;
      ++p.off_cpu_gaps;
    } else if (p.last_nb != 0) {
      p.busy += d;
    } else {
      p.idle += d;
    }
  }
  p.last = now;
  p.last_nb = nb;
  ++p.polls;
  p.empty += nb == 0;
  p.frames += nb;
  if (nb != 0) g_taken.store(g_taken.load(std::memory_order_relaxed) + nb, std::memory_order_relaxed);
  return nb;
}

std::atomic<bool> g_stop{false};          // MAC-swap loop
std::atomic<clockid_t> g_dut_clock{0};    // CPU clock of the loop under test
std::atomic<bool> g_dut_started{false};

void PublishClock() {
  clockid_t c;
  pthread_getcpuclockid(pthread_self(), &c);
  g_dut_clock.store(c);
  g_dut_started.store(true);
}

int LqdLoop(void* arg) {
  PublishClock();
  return dataplane::LcoreMain(arg);  // the real loop, unchanged
}

// What the forwarder does to a frame besides swapping its MAC addresses.
enum class Floor {
  kNone,      // macswap: testpmd's forward mode; touches the first line only
  kRead,      // read-floor: loads every line of the frame
  kChecksum,  // cksum-floor: verifies the query's checksums, sums a reply
};

const char* FloorMode(Floor f) {
  switch (f) {
    case Floor::kNone: return "macswap";
    case Floor::kRead: return "read-floor";
    case Floor::kChecksum: return "cksum-floor";
  }
  return "?";
}

struct MacSwapConf {
  uint16_t port = 0;
  Floor floor = Floor::kNone;
  const dataplane::PortIdentity* identity = nullptr;  // the port's, for ClassifyFrame
  uint64_t rx = 0, tx = 0, tx_drop = 0, empty_polls = 0, not_leasequery = 0;
  uint64_t sink = 0;  // read-floor: what it loaded, so the loads stay
};

// The read floor: every answer reads its whole query (the UDP checksum
// covers all of it, and the selector, client-id and PRL are options
// anywhere in it). One 8-byte load per cache line of the frame.
uint64_t ReadFloor(const uint8_t* frame, uint16_t len) {
  uint64_t x = 0;
  for (unsigned off = 0; off + 8 <= len; off += RTE_CACHE_LINE_SIZE) {
    uint64_t w;
    std::memcpy(&w, frame + off, 8);
    x ^= w;
  }
  return x;
}

// The checksum floor: the checksum work lqd does per answer on a port
// without checksum offload (ring and memif have none), whatever is done to
// find the answer. lqd's own ClassifyFrame verifies the IPv4 header and UDP
// checksums of the query; then the frame gets the two sums a reply of the
// same length needs (UDP over pseudo header and payload, IPv4 header), summed
// whole as reply_frame does. Nothing is parsed, looked up or built.
// Returns false (counted) if the frame is not a leasequery.
bool ChecksumFloor(uint8_t* frame, uint16_t len, const dataplane::PortIdentity& id) {
  const dataplane::Classified c = dataplane::ClassifyFrame({frame, len}, id);
  if (c.cls != dataplane::FrameClass::kLeaseQuery) return false;
  uint8_t* ip = frame + c.l3_off;
  uint8_t* udp = frame + c.l4_off;
  const size_t udp_len = dataplane::kUdpHdrLen + c.payload_len;
  udp[6] = udp[7] = 0;
  const uint16_t uck = dataplane::UdpChecksum(c.dst_ip, c.src_ip, udp, udp_len);
  udp[6] = static_cast<uint8_t>(uck >> 8);
  udp[7] = static_cast<uint8_t>(uck);
  ip[10] = ip[11] = 0;
  const uint16_t ick = dataplane::ChecksumFinish(dataplane::ChecksumPartial(ip, c.l4_off - c.l3_off, 0));
  ip[10] = static_cast<uint8_t>(ick >> 8);
  ip[11] = static_cast<uint8_t>(ick);
  return true;
}

// testpmd's macswap forward mode, reduced: rx burst, swap the Ethernet
// addresses of every frame, tx burst, free what the ring refused. The two
// floors do their work on each frame before the swap.
int MacSwapLoop(void* arg) {
  PublishClock();
  auto& c = *static_cast<MacSwapConf*>(arg);
  const bool whole = c.floor != Floor::kNone;
  rte_mbuf* pkts[kBurst];
  while (!g_stop.load(std::memory_order_relaxed)) {
    const uint16_t nb = rte_eth_rx_burst(c.port, 0, pkts, kBurst);
    if (nb == 0) {
      ++c.empty_polls;
      continue;
    }
    c.rx += nb;
    // MAC-swap touches a frame's first line; the floors read whole frames
    // and prefetch as LcoreMain does (every header of the burst, then each
    // frame's lines, 3 ahead).
    const auto prefetch = [&](const rte_mbuf* m) {
      const char* p = rte_pktmbuf_mtod(m, const char*);
      const unsigned len = whole ? std::min<unsigned>(rte_pktmbuf_data_len(m), 512) : 1;
      for (unsigned off = 0; off < len; off += RTE_CACHE_LINE_SIZE) rte_prefetch0(p + off);
    };
    if (whole) {
      for (uint16_t i = 0; i < nb; ++i) rte_prefetch0(pkts[i]);
      for (uint16_t i = 0; i < 3 && i < nb; ++i) prefetch(pkts[i]);
    }
    for (uint16_t i = 0; i < nb; ++i) {
      if (i + 3 < nb) prefetch(pkts[i + 3]);
      auto* eth = rte_pktmbuf_mtod(pkts[i], rte_ether_hdr*);
      auto* frame = reinterpret_cast<uint8_t*>(eth);
      if (c.floor == Floor::kRead) c.sink ^= ReadFloor(frame, rte_pktmbuf_data_len(pkts[i]));
      if (c.floor == Floor::kChecksum && !ChecksumFloor(frame, rte_pktmbuf_data_len(pkts[i]), *c.identity))
        ++c.not_leasequery;  // sent back all the same; the generator's count stays whole
      rte_ether_addr tmp = eth->dst_addr;
      eth->dst_addr = eth->src_addr;
      eth->src_addr = tmp;
    }
    const uint16_t sent = rte_eth_tx_burst(c.port, 0, pkts, nb);
    c.tx += sent;
    for (uint16_t i = sent; i < nb; ++i) {
      ++c.tx_drop;
      rte_pktmbuf_free(pkts[i]);
    }
  }
  return 0;
}

// ---------------------------------------------------------------- generator

struct RunResult {
  std::string mode;
  unsigned rep = 0;
  uint64_t sent = 0, received = 0, measured = 0;
  double wall_s = 0, dut_cpu_s = 0, gen_cpu_s = 0;
  double rate = 0;            // replies/s, wall clock
  double cyc_wall = 0;        // TSC cycles of wall time per reply
  double cyc_cpu = 0;         // TSC cycles of the DUT thread's CPU time per reply
  double rx_ring_mean = 0;    // mean RX ring occupancy seen by the generator
  uint64_t bad_replies = 0;   // not UDP to port 67 / too short
  bool timed_out = false;
  PollStats poll;             // of the measured part (after warm-up)
  std::vector<std::pair<std::string, uint64_t>> counters;
};

// The generator's end of the port: the two rings (ring port), or the server
// end of the memif pair. Send() and Recv() hand mbufs over as a tx/rx
// burst does: what Send() took is no longer the generator's.
struct Feed {
  rte_ring* rxr = nullptr;  // ring port: the loop's RX ring (we enqueue)
  rte_ring* txr = nullptr;  //            the loop's TX ring (we dequeue)
  uint16_t gen_port = 0;    // memif: the generator's own port

  unsigned Send(rte_mbuf** b, unsigned k) const {
    return rxr ? rte_ring_enqueue_burst(rxr, reinterpret_cast<void**>(b), k, nullptr)
               : rte_eth_tx_burst(gen_port, 0, b, static_cast<uint16_t>(k));
  }
  unsigned Recv(rte_mbuf** b, unsigned k) const {
    return txr ? rte_ring_dequeue_burst(txr, reinterpret_cast<void**>(b), k, nullptr)
               : rte_eth_rx_burst(gen_port, 0, b, static_cast<uint16_t>(k));
  }
};

double ThreadCpu(clockid_t c) {
  timespec ts;
  clock_gettime(c, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Sends queries into `feed` and drains its replies until warmup + packets
// frames are done (or no progress for 2 s). Same code for every mode.
// `replies`: a frame is done when its reply is back; otherwise (lqd-limited,
// which drops them) when the loop under test took it off its RX queue.
RunResult Generate(const Options& o, const Feed& feed, rte_mempool* pool,
                   const std::vector<Frame>& frames, bool replies = true) {
  RunResult r;
  const uint64_t total = o.warmup + o.packets;
  const uint64_t hz = rte_get_tsc_hz();
  std::vector<rte_mbuf*> spare;
  spare.reserve(o.window + kBurst);
  rte_mbuf* burst[kBurst];
  // A reply the previous run's loop sent after that run stopped counting
  // (lqd-limited answers one query a second) must not count here.
  for (unsigned n; (n = feed.Recv(burst, kBurst)) != 0;) rte_pktmbuf_free_bulk(burst, n);
  uint64_t sent = 0, recv = 0, t0 = 0, t1 = 0, occ_sum = 0, occ_n = 0;
  const uint64_t taken0 = g_taken.load();  // counted by the loop's RX callback from here on
  double dut0 = 0, gen0 = 0;
  PollStats poll0;
  clockid_t self;
  pthread_getcpuclockid(pthread_self(), &self);
  while (!g_dut_started.load()) rte_pause();
  const clockid_t dut = g_dut_clock.load();
  uint64_t last_progress = rte_rdtsc(), last_recv = 0, iter = 0;
  while (recv < total) {
    // Replies back: check lightly, recycle.
    const unsigned n = feed.Recv(burst, kBurst);
    for (unsigned i = 0; i < n; ++i) {
      const uint8_t* p = rte_pktmbuf_mtod(burst[i], const uint8_t*);
      if (rte_pktmbuf_data_len(burst[i]) < 42 + 240 || p[23] != dataplane::kIpProtoUdp || p[36] != 0 || p[37] != 67)
        ++r.bad_replies;
      spare.push_back(burst[i]);
    }
    const uint64_t before = recv;
    recv = replies ? recv + n : g_taken.load(std::memory_order_relaxed) - taken0;
    if (before < o.warmup && recv >= o.warmup) {
      t0 = rte_rdtsc();
      poll0 = g_poll;  // racy snapshot of counters another core writes: good to a burst
      dut0 = ThreadCpu(dut);
      gen0 = ThreadCpu(self);
    }
    // New queries: at most `window` in flight.
    if (sent < total) {
      const uint64_t room = o.window - (sent - recv);
      const unsigned k = static_cast<unsigned>(std::min<uint64_t>({kBurst, total - sent, room}));
      if (k > 0) {
        for (unsigned i = 0; i < k; ++i) {
          rte_mbuf* m;
          if (!spare.empty()) {
            m = spare.back();
            spare.pop_back();
            rte_pktmbuf_reset(m);
          } else if ((m = rte_pktmbuf_alloc(pool)) == nullptr) {
            std::fprintf(stderr, "generator: mbuf pool empty\n");
            std::exit(1);
          }
          const Frame& f = frames[(sent + i) & (kTemplates - 1)];
          std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), f.bytes, f.len);
          m->data_len = m->pkt_len = f.len;
          burst[i] = m;
        }
        const unsigned e = feed.Send(burst, k);
        for (unsigned i = e; i < k; ++i) spare.push_back(burst[i]);  // ring > window: never
        sent += e;
      }
    }
    if (recv >= o.warmup && feed.rxr != nullptr) {  // the memif ring's fill is not visible
      occ_sum += rte_ring_count(feed.rxr);
      ++occ_n;
    }
    // Loss guard: a lost frame never comes back (checked now and then).
    if ((++iter & 255) == 0) {
      const uint64_t now = rte_rdtsc();
      if (recv != last_recv) {
        last_recv = recv;
        last_progress = now;
      } else if (now - last_progress > 2 * hz) {
        r.timed_out = true;
        break;
      }
    }
  }
  t1 = rte_rdtsc();
  const double dut1 = ThreadCpu(dut), gen1 = ThreadCpu(self);
  const PollStats poll1 = g_poll;
  r.poll.polls = poll1.polls - poll0.polls;
  r.poll.empty = poll1.empty - poll0.empty;
  r.poll.frames = poll1.frames - poll0.frames;
  r.poll.busy = poll1.busy - poll0.busy;
  r.poll.idle = poll1.idle - poll0.idle;
  r.poll.off_cpu = poll1.off_cpu - poll0.off_cpu;
  r.poll.off_cpu_gaps = poll1.off_cpu_gaps - poll0.off_cpu_gaps;
  for (rte_mbuf* m : spare) rte_pktmbuf_free(m);
  r.sent = sent;
  r.received = recv;
  r.measured = recv > o.warmup ? recv - o.warmup : 0;
  if (t0 != 0 && r.measured > 0) {
    r.wall_s = static_cast<double>(t1 - t0) / static_cast<double>(hz);
    r.dut_cpu_s = dut1 - dut0;
    r.gen_cpu_s = gen1 - gen0;
    r.rate = static_cast<double>(r.measured) / r.wall_s;
    r.cyc_wall = static_cast<double>(t1 - t0) / static_cast<double>(r.measured);
    r.cyc_cpu = r.dut_cpu_s * static_cast<double>(hz) / static_cast<double>(r.measured);
  }
  r.rx_ring_mean = occ_n ? static_cast<double>(occ_sum) / static_cast<double>(occ_n) : 0;
  return r;
}

// ---------------------------------------------------------------- setup

struct Bench {
  Options o;
  unsigned dut_lcore = 0;
  uint16_t port = 0;  // the loop under test's port
  Feed feed;
  rte_mempool* pool = nullptr;
  std::unique_ptr<LeaseStore> store;
  std::unique_ptr<QueryEngine> engine;
  Policy policy = DefaultPolicy();
  std::atomic<bool> ready{true}, stale{false};
  std::unique_ptr<Shared> shared;
  std::vector<Frame> frames;
};

RunResult RunLqd(Bench& b, unsigned rep, bool limited = false) {
  LcoreCounters counters;
  auto lc = std::make_unique<LcoreConf>();
  lc->lcore_id = b.dut_lcore;
  lc->queue = 0;
  lc->writer = false;  // the main lcore (here: the generator) is lqd's control thread
  lc->shared = b.shared.get();
  lc->counters = &counters;
  // Config default: off. lqd-limited: 1 query/s, burst 1.
  lc->rate_limiter = std::make_unique<dataplane::RateLimiter>(limited ? 1 : 0, limited ? 1 : 0, rte_get_tsc_hz());
  lc->reader = b.store->qsbr().RegisterReader();
  if (lc->reader < 0 || !dataplane::InitLcoreTx(*lc)) {
    std::fprintf(stderr, "cannot set up the lcore\n");
    std::exit(1);
  }
  dataplane::force_quit.store(false);
  g_dut_started.store(false);
  g_poll = PollStats{};
  if (rte_eal_remote_launch(LqdLoop, lc.get(), b.dut_lcore) != 0) std::exit(1);
  RunResult r = Generate(b.o, b.feed, b.pool, b.frames, !limited);
  dataplane::force_quit.store(true);
  rte_eal_wait_lcore(b.dut_lcore);
  dataplane::FreeLcoreTx(*lc);
  b.store->qsbr().UnregisterReader(lc->reader);
  r.mode = limited ? "lqd-limited" : "lqd";
  r.rep = rep;
  dataplane::ForEachCounter(counters, [&](const std::string& name, uint64_t v) {
    if (v != 0) r.counters.emplace_back(name, v);
  });
  return r;
}

RunResult RunMacSwap(Bench& b, unsigned rep, Floor floor = Floor::kNone) {
  MacSwapConf c;
  c.port = b.port;
  c.floor = floor;
  c.identity = &b.shared->ports[0].identity;
  g_stop.store(false);
  g_dut_started.store(false);
  g_poll = PollStats{};
  if (rte_eal_remote_launch(MacSwapLoop, &c, b.dut_lcore) != 0) std::exit(1);
  RunResult r = Generate(b.o, b.feed, b.pool, b.frames);
  g_stop.store(true);
  rte_eal_wait_lcore(b.dut_lcore);
  r.mode = FloorMode(floor);
  r.rep = rep;
  r.counters = {{"rx_frames", c.rx}, {"tx_frames", c.tx}, {"tx_full_drops", c.tx_drop},
                {"empty_polls", c.empty_polls}, {"not_leasequery", c.not_leasequery}};
  return r;
}

uint64_t Counter(const RunResult& r, const char* name) {
  for (const auto& [k, v] : r.counters)
    if (k == name) return v;
  return 0;
}

// Zero loss: every query came back as a reply, and (lqd) every one was an
// ACTIVE answer with no drop counted anywhere.
bool LossFree(const RunResult& r) {
  if (r.timed_out || r.sent != r.received || r.bad_replies != 0) return false;
  if (r.mode == "lqd-limited")  // one query a second answered, every other one a rate-limit drop
    return Counter(r, "rx_frames") == r.sent && Counter(r, "replies") + Counter(r, "ratelimit_drops") == r.sent &&
           Counter(r, "replies") < 1 + r.sent / 1000;
  if (r.mode == "lqd")
    return Counter(r, "rx_frames") == r.sent && Counter(r, "replies") == r.sent &&
           Counter(r, "tx_frames") == r.sent && Counter(r, "reply.active") == r.sent &&
           Counter(r, "tx_full_drops") == 0;
  return Counter(r, "tx_full_drops") == 0 && Counter(r, "not_leasequery") == 0;
}

double BusyCyc(const RunResult& r) {
  return r.poll.frames ? static_cast<double>(r.poll.busy) / static_cast<double>(r.poll.frames) : 0;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0 : (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

int Main(int argc, char** argv) {
  Bench b;
  Options& o = b.o;
  std::string lcores = "0@0,1@1";
  for (int i = 1; i < argc; ++i) {
    auto arg = [&](const char* name) { return std::strcmp(argv[i], name) == 0 && i + 1 < argc; };
    if (arg("--packets")) o.packets = std::strtoull(argv[++i], nullptr, 10);
    else if (arg("--warmup")) o.warmup = std::strtoull(argv[++i], nullptr, 10);
    else if (arg("--reps")) o.reps = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
    else if (arg("--leases")) o.leases = std::strtoull(argv[++i], nullptr, 10);
    else if (arg("--window")) o.window = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
    else if (arg("--json")) o.json = argv[++i];
    else if (arg("--lcores")) lcores = argv[++i];
    else if (arg("--port") && (std::strcmp(argv[i + 1], "ring") == 0 || std::strcmp(argv[i + 1], "memif") == 0))
      o.memif = std::strcmp(argv[++i], "memif") == 0;
    else {
      std::fprintf(stderr,
                   "usage: lcore_loop_benchmark [--packets N] [--warmup N] [--reps R] [--leases L] "
                   "[--window W] [--json FILE] [--lcores 0@0,1@1] [--port ring|memif]\n");
      return 2;
    }
  }
  // memif rings hold kMemifRing frames (rsize below); more in
  // flight and the loop's TX would find them full.
  if (o.window < kBurst || o.window > (o.memif ? kMemifRing : 4096u) || o.leases == 0 || o.reps == 0) {
    std::fprintf(stderr, "bad options (--window: %u..%u%s)\n", kBurst, o.memif ? kMemifRing : 4096u,
                 o.memif ? " with --port memif" : "");
    return 2;
  }

  const std::string prefix = "lqbench-" + std::to_string(getpid());
  std::vector<std::string> eal = {"lcore_loop_benchmark", "--no-huge", "-m", "1024", "--no-pci",
                                  "--file-prefix", prefix, "--lcores", lcores,
                                  "--log-level", "lib.eal:error", "--no-telemetry"};
  // memif: the server end is the generator's, the client end the loop's.
  const std::string memif_sock = "/tmp/" + prefix + ".memif";
  if (o.memif) {
    for (const char* end : {"net_memif_gen,role=server", "net_memif_dut,role=client"}) {
      eal.push_back("--vdev");
      eal.push_back(std::string(end) + ",id=0,rsize=10,socket-abstract=no,socket=" + memif_sock);
    }
  }
  // What the EAL and memif leave on disk goes on every return from here,
  // early ones included.
  struct RemoveOnReturn {
    std::string runtime_dir, socket;
    ~RemoveOnReturn() {
      std::error_code ec;
      if (!socket.empty()) std::filesystem::remove(socket, ec);
      std::filesystem::remove_all(runtime_dir, ec);
    }
  } remove_on_return{"/var/run/dpdk/" + prefix, o.memif ? memif_sock : ""};
  std::vector<char*> eargv;
  for (auto& s : eal) eargv.push_back(s.data());
  if (rte_eal_init(static_cast<int>(eargv.size()), eargv.data()) < 0) {
    std::fprintf(stderr, "EAL init failed\n");
    return 1;
  }
  b.dut_lcore = rte_get_next_lcore(-1, 1, 0);
  if (b.dut_lcore >= RTE_MAX_LCORE) {
    std::fprintf(stderr, "need a worker lcore (--lcores 0@0,1@1)\n");
    return 1;
  }

  // Store: 1 M realistic leases, BulkLoad (as lqd's start-up does).
  const uint64_t tl0 = rte_rdtsc();
  b.store = std::make_unique<LeaseStore>(LeaseStoreOptions{.shards = 256, .expected_leases = o.leases});
  LoadStore(*b.store, o.leases);
  b.engine = std::make_unique<QueryEngine>(*b.store);
  const double load_s = static_cast<double>(rte_rdtsc() - tl0) / static_cast<double>(rte_get_tsc_hz());

  // Port: lqd's own pool and port setup, on two rings or a memif pair.
  auto pool = dataplane::CreateMbufPool(o.memif ? 2 : 1, 1);
  if (!pool.ok()) {
    std::fprintf(stderr, "%s\n", std::string(pool.status().message()).c_str());
    return 1;
  }
  b.pool = *pool;
  std::string dut_name = "net_ring_lqb";
  if (o.memif) {
    dut_name = "net_memif_dut";
    auto gen = dataplane::AttachDevice("net_memif_gen");
    auto dut = dataplane::AttachDevice(dut_name);
    if (!gen.ok() || !dut.ok()) {
      std::fprintf(stderr, "memif ports: %s\n",
                   std::string((gen.ok() ? dut.status() : gen.status()).message()).c_str());
      return 1;
    }
    auto gen_setup = dataplane::SetupPort(*gen, "net_memif_gen", 1, b.pool);
    if (!gen_setup.ok()) {
      std::fprintf(stderr, "%s\n", std::string(gen_setup.status().message()).c_str());
      return 1;
    }
    b.port = *dut;
    b.feed.gen_port = *gen;
  } else {
    b.feed.rxr = rte_ring_create("lqb_rx", 4096, rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
    b.feed.txr = rte_ring_create("lqb_tx", 4096, rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (b.feed.rxr == nullptr || b.feed.txr == nullptr) return 1;
    const int pid = rte_eth_from_rings(dut_name.c_str(), &b.feed.rxr, 1, &b.feed.txr, 1, rte_socket_id());
    if (pid < 0) {
      std::fprintf(stderr, "rte_eth_from_rings failed\n");
      return 1;
    }
    b.port = static_cast<uint16_t>(pid);
  }
  auto setup = dataplane::SetupPort(b.port, dut_name, 1, b.pool);
  if (!setup.ok()) {
    std::fprintf(stderr, "%s\n", std::string(setup.status().message()).c_str());
    return 1;
  }
  // memif: the client end connects to the server end through the socket in
  // the EAL's interrupt thread, after both ports started.
  if (o.memif && !dataplane::WaitLinkUp(b.port, 10'000)) {
    std::fprintf(stderr, "memif: the two ends did not connect within 10 s (socket %s)\n", memif_sock.c_str());
    return 1;
  }

  if (rte_eth_add_rx_callback(b.port, 0, CountPoll, &g_poll) == nullptr) {
    std::fprintf(stderr, "cannot add the RX callback (RTE_ETHDEV_RXTX_CALLBACKS off?)\n");
    return 1;
  }

  b.shared = std::make_unique<Shared>();
  Shared& sh = *b.shared;
  sh.engine = b.engine.get();
  sh.store = b.store.get();
  sh.policy = &b.policy;
  sh.server_id = kServer;
  sh.ready = &b.ready;   // initial load done
  sh.stale = &b.stale;
  sh.control_poll = [] {};
  auto& p = sh.ports.emplace_back();
  p.port_id = b.port;
  p.nb_queues = setup->nb_queues;
  p.mac = setup->mac;
  p.addresses = {kServer};
  p.identity.addresses = p.addresses;
  p.identity.mac = p.mac.addr_bytes;
  b.frames = MakeFrames(o.leases, p.mac);

  const uint64_t hz = rte_get_tsc_hz();
  std::printf("lcore_loop_benchmark: %s port, %zu leases (BulkLoad %.2f s), %zu distinct %u-byte by-IP queries, "
              "window %u, %llu packets per run after %llu warm-up, %u rep(s), TSC %.0f MHz, "
              "generator lcore %u, loop lcore %u (--lcores %s)\n",
              o.memif ? "memif" : "ring", o.leases, load_s, kTemplates, b.frames[0].len, o.window,
              static_cast<unsigned long long>(o.packets), static_cast<unsigned long long>(o.warmup),
              o.reps, static_cast<double>(hz) / 1e6, rte_get_main_lcore(), b.dut_lcore, lcores.c_str());
  std::fflush(stdout);

  // Side by side: lqd, MAC-swap and the two floors alternate, the order
  // flips every rep; lqd-limited follows.
  std::vector<RunResult> runs;
  std::vector<double> ratios, busy_ratios, drop_ratios, read_ratios, floor_ratios;
  bool all_ok = true;
  for (unsigned rep = 0; rep < o.reps; ++rep) {
    RunResult a, m, rd, f;
    if (rep % 2 == 0) {
      a = RunLqd(b, rep);
      m = RunMacSwap(b, rep);
      rd = RunMacSwap(b, rep, Floor::kRead);
      f = RunMacSwap(b, rep, Floor::kChecksum);
    } else {
      f = RunMacSwap(b, rep, Floor::kChecksum);
      rd = RunMacSwap(b, rep, Floor::kRead);
      m = RunMacSwap(b, rep);
      a = RunLqd(b, rep);
    }
    RunResult l = RunLqd(b, rep, /*limited=*/true);
    for (const RunResult* r : {&a, &m, &rd, &f, &l}) {
      const bool ok = LossFree(*r);
      all_ok &= ok;
      std::printf("rep %u %-11s %9.0f frames/s  %6.0f cyc/pkt wall  %6.0f cpu  %6.0f busy  loop cpu %3.0f %%  "
                  "empty polls %4.1f %%  frames/poll %4.1f  rx ring %5.1f  sent %llu done %llu  %s\n",
                  rep, r->mode.c_str(), r->rate, r->cyc_wall, r->cyc_cpu, BusyCyc(*r),
                  r->wall_s > 0 ? 100 * r->dut_cpu_s / r->wall_s : 0,
                  r->poll.polls ? 100.0 * static_cast<double>(r->poll.empty) / static_cast<double>(r->poll.polls) : 0,
                  r->poll.polls > r->poll.empty ? static_cast<double>(r->poll.frames) / static_cast<double>(r->poll.polls - r->poll.empty) : 0,
                  r->rx_ring_mean,
                  static_cast<unsigned long long>(r->sent), static_cast<unsigned long long>(r->received),
                  ok ? "zero loss" : "LOSS/ERROR");
    }
    if (m.rate > 0) ratios.push_back(a.rate / m.rate);
    if (BusyCyc(a) > 0) busy_ratios.push_back(BusyCyc(m) / BusyCyc(a));
    if (BusyCyc(a) > 0) drop_ratios.push_back(BusyCyc(l) / BusyCyc(a));
    if (BusyCyc(rd) > 0) read_ratios.push_back(BusyCyc(m) / BusyCyc(rd));
    if (BusyCyc(f) > 0) floor_ratios.push_back(BusyCyc(m) / BusyCyc(f));
    std::printf("rep %u lqd/macswap %.3f (wall rates), %.3f (busy cycles per frame, macswap/lqd); "
                "rate-limited drop / answer %.3f; macswap/read-floor %.3f; macswap/cksum-floor %.3f "
                "(busy cycles per frame)\n", rep,
                ratios.empty() ? 0.0 : ratios.back(), busy_ratios.empty() ? 0.0 : busy_ratios.back(),
                drop_ratios.empty() ? 0.0 : drop_ratios.back(), read_ratios.empty() ? 0.0 : read_ratios.back(),
                floor_ratios.empty() ? 0.0 : floor_ratios.back());
    std::fflush(stdout);
    runs.push_back(std::move(a));
    runs.push_back(std::move(m));
    runs.push_back(std::move(rd));
    runs.push_back(std::move(f));
    runs.push_back(std::move(l));
  }
  const double med = Median(ratios);
  std::printf("lqd/macswap ratio: median %.3f (min %.3f, max %.3f) over %zu reps; goal >= 0.5: %s\n", med,
              *std::min_element(ratios.begin(), ratios.end()), *std::max_element(ratios.begin(), ratios.end()),
              ratios.size(), med >= 0.5 ? "met" : "MISSED");
  if (!busy_ratios.empty())
    std::printf("on-CPU cost ratio (macswap busy cycles / lqd busy cycles per frame): median %.3f (min %.3f, max %.3f)\n",
                Median(busy_ratios), *std::min_element(busy_ratios.begin(), busy_ratios.end()),
                *std::max_element(busy_ratios.begin(), busy_ratios.end()));
  if (!drop_ratios.empty())
    std::printf("rate-limited drop cost / answer cost (busy cycles per frame): median %.3f (min %.3f, max %.3f)\n",
                Median(drop_ratios), *std::min_element(drop_ratios.begin(), drop_ratios.end()),
                *std::max_element(drop_ratios.begin(), drop_ratios.end()));
  // The most a leasequery loop could keep of MAC-swap's rate on this port:
  // any loop (it must read each frame: read-floor); one that does the
  // checksum work as lqd does (cksum-floor).
  for (const auto& [name, what, v] : {std::tuple{"read-floor", "any leasequery loop", &read_ratios},
                                      std::tuple{"cksum-floor", "a loop with lqd's checksum code", &floor_ratios}})
    if (!v->empty())
      std::printf("ceiling for %s, macswap/%s (busy cycles per frame): median %.3f (min %.3f, max %.3f)\n", what,
                  name, Median(*v), *std::min_element(v->begin(), v->end()), *std::max_element(v->begin(), v->end()));

  if (!o.json.empty()) {
    FILE* f = std::fopen(o.json.c_str(), "w");
    if (f == nullptr) {
      std::perror(o.json.c_str());
      return 1;
    }
    std::fprintf(f, "{\"port\":\"%s\",\"tsc_hz\":%llu,\"leases\":%zu,\"bulkload_s\":%.3f,\"packets\":%llu,\"warmup\":%llu,"
                 "\"reps\":%u,\"window\":%u,\"templates\":%zu,\"frame_bytes\":%u,\"lcores\":\"%s\","
                 "\"burst\":%u,\"rx_desc\":%u,\"tx_desc\":%u,\"ring_size\":%u,\"zero_loss\":%s,\"runs\":[",
                 o.memif ? "memif" : "ring", static_cast<unsigned long long>(hz), o.leases, load_s,
                 static_cast<unsigned long long>(o.packets), static_cast<unsigned long long>(o.warmup), o.reps,
                 o.window, kTemplates, b.frames[0].len, lcores.c_str(), kBurst, dataplane::kRxDesc,
                 dataplane::kTxDesc, o.memif ? kMemifRing : 4096u, all_ok ? "true" : "false");
    for (size_t i = 0; i < runs.size(); ++i) {
      const RunResult& r = runs[i];
      std::fprintf(f, "%s{\"mode\":\"%s\",\"rep\":%u,\"sent\":%llu,\"received\":%llu,\"measured\":%llu,"
                   "\"wall_s\":%.6f,\"loop_cpu_s\":%.6f,\"gen_cpu_s\":%.6f,\"rate\":%.1f,\"cyc_per_pkt_wall\":%.1f,"
                   "\"cyc_per_pkt_cpu\":%.1f,\"rx_ring_mean\":%.2f,\"bad_replies\":%llu,\"timed_out\":%s,"
                   "\"zero_loss\":%s,\"polls\":%llu,\"empty_polls\":%llu,\"poll_frames\":%llu,"
                   "\"busy_cycles\":%llu,\"idle_cycles\":%llu,\"off_cpu_cycles\":%llu,\"off_cpu_gaps\":%llu,"
                   "\"cyc_per_pkt_busy\":%.1f,\"counters\":{",
                   i ? "," : "", r.mode.c_str(), r.rep, static_cast<unsigned long long>(r.sent),
                   static_cast<unsigned long long>(r.received), static_cast<unsigned long long>(r.measured),
                   r.wall_s, r.dut_cpu_s, r.gen_cpu_s, r.rate, r.cyc_wall, r.cyc_cpu, r.rx_ring_mean,
                   static_cast<unsigned long long>(r.bad_replies), r.timed_out ? "true" : "false",
                   LossFree(r) ? "true" : "false", static_cast<unsigned long long>(r.poll.polls),
                   static_cast<unsigned long long>(r.poll.empty), static_cast<unsigned long long>(r.poll.frames),
                   static_cast<unsigned long long>(r.poll.busy), static_cast<unsigned long long>(r.poll.idle),
                   static_cast<unsigned long long>(r.poll.off_cpu), static_cast<unsigned long long>(r.poll.off_cpu_gaps),
                   BusyCyc(r));
      for (size_t j = 0; j < r.counters.size(); ++j)
        std::fprintf(f, "%s\"%s\":%llu", j ? "," : "", r.counters[j].first.c_str(),
                     static_cast<unsigned long long>(r.counters[j].second));
      std::fprintf(f, "}}");
    }
    std::fprintf(f, "]}\n");
    std::fclose(f);
  }
  rte_eth_dev_stop(b.port);
  rte_eth_dev_close(b.port);
  if (o.memif) {
    rte_eth_dev_stop(b.feed.gen_port);
    rte_eth_dev_close(b.feed.gen_port);
  }
  rte_eal_cleanup();  // the runtime directory and socket go with remove_on_return
  return all_ok ? 0 : 3;
}

}  // namespace
}  // namespace lqd::bench

int main(int argc, char** argv) { return lqd::bench::Main(argc, argv); }
