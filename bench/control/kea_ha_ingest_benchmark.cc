// SPDX-License-Identifier: Apache-2.0
// File: bench/control/kea_ha_ingest_benchmark.cc
//
// Kea HA ingest throughput: lease4-update commands per second over HTTP on
// loopback, through the real HttpServer + KeaHaIngest + Replica +
// Persistence, wired as ControlPlane wires them (journal append before the
// ack, one fdatasync per Poll round before any response goes out: group
// commit; snapshot every 100,000 updates; Reclaim every round).
//
// One server thread, one client thread (epoll over C keep-alive
// connections). Each connection keeps W requests outstanding: W = 1 is what
// Kea's HA client does (one update in flight per connection: one connection
// single-threaded, one per "http-client-threads" with multi-threading, 4 in
// the captured ha-mt run; 8 and 16 show more threads); W > 1 pipelines,
// which Kea does not, to show the server's own ceiling. Bodies are shaped like Kea 2.2's captured lease4-update
// (shared/reference/kea/captured/passive-backup.requests.jsonl): client-id
// on half of them, option 82 in user-context, over 100,000 addresses.
//
//   kea_ha_ingest_benchmark [--seconds S] [--leases N] [--quick]
//
// srv_cpu_us is the server thread's CPU time per acknowledged update: on a
// shared or loaded machine, 1e6 / srv_cpu_us is the ceiling one control
// thread reaches when it has a core to itself.
//
// Modes: memory (no state dir), journal (appended, never fsynced) and
// journal+fsync (the production path). The state dir is a fresh directory
// under /tmp (or $TMPDIR), removed at exit.
// GCC 12 at -O3 reports a false -Wrestrict inside std::string's assignment
// from a literal (GCC bug 105651); nothing here overlaps.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "control/http_server.h"
#include "control/kea_ha_ingest.h"
#include "control/persistence.h"
#include "control/replica.h"
#include "lease-store/lease_store.h"

namespace lqd::bench {
using namespace lqd::control;
namespace {

using Clock = std::chrono::steady_clock;

enum class Mode { kMemory, kJournal, kJournalFsync };
const char* ModeName(Mode m) {
  switch (m) {
    case Mode::kMemory: return "memory";
    case Mode::kJournal: return "journal";
    case Mode::kJournalFsync: return "journal+fsync";
  }
  return "?";
}

std::string Ip(uint32_t ip) {
  return absl::StrFormat("%d.%d.%d.%d", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

// One complete HTTP request, as Kea's HA client sends it.
std::string Request(uint32_t i, uint32_t expire) {
  const uint32_t ip = 0x0a000000 + i;  // 10.0.0.0 + i
  const std::string mac = absl::StrFormat("02:00:%02x:%02x:%02x:%02x", (i >> 24) & 255, (i >> 16) & 255,
                                          (i >> 8) & 255, i & 255);
  const std::string cid = (i & 1) ? absl::StrFormat("\"client-id\": \"01:%s\", ", mac) : "";
  const std::string rai = absl::StrFormat("0x010C657468302F312F313A%06X02085249442D%08X", i & 0xffffff, i);
  const std::string body = absl::StrFormat(
      "{ \"arguments\": { %s\"expire\": %u, \"force-create\": true, \"fqdn-fwd\": false, "
      "\"fqdn-rev\": false, \"hostname\": \"cpe-%u\", \"hw-address\": \"%s\", \"ip-address\": \"%s\", "
      "\"state\": 0, \"subnet-id\": 1, \"user-context\": { \"ISC\": { \"relay-agent-info\": \"%s\" } }, "
      "\"valid-lft\": 3600 }, \"command\": \"lease4-update\", \"service\": [ \"dhcp4\" ] }",
      cid, expire, i, mac, Ip(ip), rai);
  return absl::StrFormat(
      "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic Zm9vOmJhcg==\r\n"
      "Content-Length: %u\r\nContent-Type: application/json\r\n\r\n%s",
      body.size(), body);
}

struct Server {
  LeaseStore store{LeaseStoreOptions{.shards = 256, .expected_leases = 1 << 17}};
  Replica replica{store};
  std::unique_ptr<Persistence> persist;
  std::unique_ptr<KeaHaIngest> ingest;
  std::unique_ptr<HttpServer> http;
  bool dirty = false;
  uint64_t syncs = 0;
  double cpu_seconds = 0;  // the server thread's own CPU time (noise-proof cost)
  std::atomic<bool> stop{false};

  Server(Mode mode, const std::string& dir) {
    uint32_t now = static_cast<uint32_t>(time(nullptr));
    if (mode != Mode::kMemory) {
      Recovered rec;
      auto p = Persistence::Open(dir, &rec);
      if (!p.ok()) {
        std::fprintf(stderr, "persistence: %s\n", std::string(p.status().message()).c_str());
        std::exit(1);
      }
      persist = *std::move(p);
    }
    ingest = std::make_unique<KeaHaIngest>(replica, [now] { return now; }, [this](const LeaseUpdate& u) {
      if (!persist) return;
      (void)persist->Append(u);
      dirty = true;
    });
    HttpServerOptions o;
    o.basic_auth_user = "foo";
    o.basic_auth_password = "bar";
    auto s = HttpServer::Listen(o, [this](const HttpRequest& r) { return ingest->Handle(r); });
    if (!s.ok()) {
      std::fprintf(stderr, "listen: %s\n", std::string(s.status().message()).c_str());
      std::exit(1);
    }
    http = *std::move(s);
    if (mode == Mode::kJournalFsync) {
      http->SetBeforeSend([this] {
        if (!dirty) return true;
        dirty = false;
        ++syncs;
        return persist->Sync().ok();
      });
    }
  }

  void Run() {  // ControlPlane::Poll's shape: serve, snapshot now and then, reclaim
    while (!stop.load(std::memory_order_relaxed)) {
      http->Poll(1);
      if (persist && persist->appended_since_snapshot() >= 100000) (void)persist->WriteSnapshot(store);
      store.Reclaim();
    }
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    cpu_seconds = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
};

struct Conn {
  int fd = -1;
  std::string out;
  std::string in;
  int outstanding = 0;
};

struct Result {
  double seconds = 0;
  uint64_t acked = 0;
  uint64_t failed = 0;
  double p50_us = 0, p99_us = 0;
};

// Runs C connections with W outstanding each for `seconds`.
Result RunClient(uint16_t port, int conns, int window, double seconds, const std::vector<std::string>& reqs) {
  int ep = epoll_create1(0);
  std::vector<Conn> cs(conns);
  for (int i = 0; i < conns; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      std::perror("connect");
      std::exit(1);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    cs[i].fd = fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  size_t next = 0;
  Result r;
  // Latency of W=1 exchanges: send time per connection (FIFO of one).
  std::vector<Clock::time_point> sent_at(conns);
  std::vector<uint32_t> lat_us;
  lat_us.reserve(1 << 20);
  auto fill = [&](Conn& c, int idx) {
    while (c.outstanding < window) {
      c.out += reqs[next];
      next = next + 1 == reqs.size() ? 0 : next + 1;
      ++c.outstanding;
    }
    if (window == 1) sent_at[idx] = Clock::now();
    while (!c.out.empty()) {
      ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      c.out.erase(0, static_cast<size_t>(n));
    }
  };
  const auto t0 = Clock::now();
  const auto end = t0 + std::chrono::duration<double>(seconds);
  for (int i = 0; i < conns; ++i) fill(cs[i], i);
  epoll_event evs[16];
  char buf[65536];
  while (Clock::now() < end) {
    int n = epoll_wait(ep, evs, 16, 100);
    for (int k = 0; k < n; ++k) {
      const int idx = static_cast<int>(evs[k].data.u32);
      Conn& c = cs[idx];
      for (;;) {
        ssize_t got = read(c.fd, buf, sizeof buf);
        if (got <= 0) break;
        c.in.append(buf, static_cast<size_t>(got));
      }
      // Responses: "HTTP/1.1 200 OK\r\n...Content-Length: N\r\n\r\n<body>".
      size_t pos = 0;
      for (;;) {
        const size_t hdr_end = c.in.find("\r\n\r\n", pos);
        if (hdr_end == std::string::npos) break;
        const size_t cl = c.in.find("Content-Length: ", pos);
        const size_t len = std::strtoul(c.in.c_str() + cl + 16, nullptr, 10);
        if (c.in.size() < hdr_end + 4 + len) break;
        const bool ok = c.in.compare(pos, 15, "HTTP/1.1 200 OK") == 0 &&
                        c.in.find("\"result\":0", hdr_end) < hdr_end + 4 + len;
        if (!ok && r.failed == 0)
          std::fprintf(stderr, "first failed response: %s\n", c.in.substr(pos, hdr_end + 4 + len - pos).c_str());
        (ok ? r.acked : r.failed) += 1;
        --c.outstanding;
        pos = hdr_end + 4 + len;
        if (window == 1)
          lat_us.push_back(static_cast<uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent_at[idx]).count()));
      }
      c.in.erase(0, pos);
      fill(c, idx);
    }
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (Conn& c : cs) close(c.fd);
  close(ep);
  if (!lat_us.empty()) {
    std::sort(lat_us.begin(), lat_us.end());
    r.p50_us = lat_us[lat_us.size() / 2];
    r.p99_us = lat_us[lat_us.size() * 99 / 100];
  }
  return r;
}

std::string FsType(const std::string& dir) {
  struct statfs s{};
  if (statfs(dir.c_str(), &s) != 0) return "?";
  switch (static_cast<unsigned long>(s.f_type)) {
    case 0x01021994: return "tmpfs";
    case 0xEF53: return "ext4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x794c7630: return "overlayfs";
    default: return absl::StrFormat("0x%x", static_cast<unsigned long>(s.f_type));
  }
}

}  // namespace
}  // namespace lqd::bench

int main(int argc, char** argv) {
  using namespace lqd::bench;
  using namespace lqd;
  using namespace lqd::control;
  double seconds = 2.0;
  uint32_t leases = 100000;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--leases") && i + 1 < argc) leases = static_cast<uint32_t>(std::atol(argv[++i]));
    else if (!std::strcmp(argv[i], "--quick")) seconds = 0.5;
    else {
      std::fprintf(stderr, "usage: kea_ha_ingest_benchmark [--seconds S] [--leases N] [--quick]\n");
      return 2;
    }
  }
  const char* tmpdir = std::getenv("TMPDIR");
  std::string base = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/lqd-ingest-bench-XXXXXX";
  if (mkdtemp(base.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  // Two passes over the addresses: the second renews (expire + 60), so
  // every update is applied, none is stale.
  const uint32_t now = static_cast<uint32_t>(time(nullptr));
  std::vector<std::string> reqs;
  reqs.reserve(2 * size_t{leases});
  for (uint32_t pass = 0; pass < 2; ++pass)
    for (uint32_t i = 0; i < leases; ++i) reqs.push_back(Request(i, now + 3600 + pass * 60));
  double avg = 0;
  for (const auto& r : reqs) avg += static_cast<double>(r.size());
  std::printf("kea_ha_ingest_benchmark: %u addresses, %.0f-byte requests, %.1f s per case, state dir on %s (%s)\n",
              leases, avg / static_cast<double>(reqs.size()), seconds, FsType(base).c_str(), base.c_str());
  std::printf("%-14s %5s %7s %12s %9s %9s %10s %11s %8s\n", "mode", "conns", "window", "updates/s", "p50_us",
              "p99_us", "fsyncs/s", "srv_cpu_us", "failed");
  int rc = 0;
  {
    // The handler alone, no HTTP and no journal: ParseKeaCommand +
    // Replica::Apply + the JSON reply, what every mode below pays per update.
    LeaseStore store(LeaseStoreOptions{.shards = 256, .expected_leases = 1 << 17});
    Replica replica(store);
    KeaHaIngest ingest(replica, [now] { return now; });
    std::vector<HttpRequest> parsed(reqs.size());
    for (size_t i = 0; i < reqs.size(); ++i) {
      parsed[i].method = "POST";
      parsed[i].target = "/";
      parsed[i].body = reqs[i].substr(reqs[i].find("\r\n\r\n") + 4);
    }
    uint64_t n = 0, bad = 0;
    timespec c0{}, c1{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    const auto t0 = Clock::now();
    const auto end = t0 + std::chrono::duration<double>(seconds);
    while (Clock::now() < end) {
      for (int k = 0; k < 256; ++k, ++n) bad += ingest.Handle(parsed[n % parsed.size()]).body.find("\"result\":0") == std::string::npos;
      if ((n & 4095) == 0) store.Reclaim();
    }
    const double took = std::chrono::duration<double>(Clock::now() - t0).count();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    const double cpu = static_cast<double>(c1.tv_sec - c0.tv_sec) + static_cast<double>(c1.tv_nsec - c0.tv_nsec) * 1e-9;
    std::printf("%-14s %5s %7s %12.0f %9s %9s %10s %11.1f %8llu\n", "handler-only", "-", "-",
                static_cast<double>(n) / took, "-", "-", "-", cpu * 1e6 / static_cast<double>(n),
                static_cast<unsigned long long>(bad));
    if (bad) rc = 1;
  }
  for (Mode mode : {Mode::kMemory, Mode::kJournal, Mode::kJournalFsync}) {
    for (auto [conns, window] : {std::pair{1, 1}, {4, 1}, {8, 1}, {16, 1}, {1, 32}, {4, 32}}) {
      const std::string dir = base + "/state";
      std::filesystem::remove_all(dir);
      uint64_t syncs = 0;
      double cpu = 0;
      Result r;
      {
        Server server(mode, dir);
        std::thread t([&] { server.Run(); });
        r = RunClient(server.http->port(), conns, window, seconds, reqs);
        server.stop = true;
        t.join();
        syncs = server.syncs;
        cpu = server.cpu_seconds;
      }
      const double rate = static_cast<double>(r.acked) / r.seconds;
      std::printf("%-14s %5d %7d %12.0f %9s %9s %10.0f %11.1f %8llu\n", ModeName(mode), conns, window, rate,
                  window == 1 ? absl::StrFormat("%.0f", r.p50_us).c_str() : "-",
                  window == 1 ? absl::StrFormat("%.0f", r.p99_us).c_str() : "-",
                  static_cast<double>(syncs) / r.seconds, r.acked ? cpu * 1e6 / static_cast<double>(r.acked) : 0.0,
                  static_cast<unsigned long long>(r.failed));
      std::fflush(stdout);
      if (r.failed != 0 || r.acked == 0) rc = 1;
    }
  }
  std::filesystem::remove_all(base);
  return rc;
}
