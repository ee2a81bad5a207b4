#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Floods (issue 7): lqd offered more than it can answer, from one relay.

lqd (worker lcore 1, net_af_packet on veth lqd-a in namespace lqov-<pid>,
192.0.2.1, management API on the namespace's 127.0.0.1). On the other veth
end (lqd-r): the flooder, `lq-storm --dpdk` with its own net_af_packet on
lqd-r (generator lcore on CPU 0, away from lqd's worker), one giaddr
192.0.2.50; the well-behaved relays, `lq-storm` on kernel UDP sockets,
giaddrs 192.0.2.10-13. This process enters the namespace.

lqd's worker thread runs at nice -10 (a stand-in for an isolated core).

  0. capacity: closed loop (256 in flight, so the 512-frame RX ring never
     overflows), rate limit off: C = lqd's replies/s on this machine now.
  1. overload, rate limit off: open loop as fast as the generator goes.
     lqd answers every frame it takes off the ring (replies == leasequeries:
     the excess is dropped at the ring, not inside lqd), at >= 0.3 C (no
     collapse under overload, >= 0.1 C), and the ring dropped frames (frames
     that reached lqd-a minus lqd's rx_frames; if the generator cannot
     outpace lqd on the machine at hand, the test says so and moves on).
  2. fairness, rate limit 2000 pps per requester (turned on by POST
     /v1/reload): the flood again, and during it 4 relays at 200 qps each.
     The relays' answered fraction >= 10 x the flooder's and >= 0.5 x the
     fraction of frames the RX ring let through (see fairness() for why);
     the flooder is held to its
     bucket (answered <= 2000/s * time + burst) and its excess is counted
     in ratelimit_drops.
During both floods /healthz and /metrics answer within 2 s. Afterwards the
relays are answered in full (closed loop, every query), and lqd's VmRSS
grew less than 4 MiB from before the floods.
  3. several times capacity, over memif: on net_af_packet the generator's
     CPU pays the kernel's veth delivery, so phases 1-2 reach only 1.1-2x.
     A fresh lqd on a net_memif port for each run (no kernel on either
     side) and `lq-storm --mode flood` (queries built once, nothing tracked
     per query) from giaddr 192.0.3.50, with 4 relays (192.0.3.51-54, 800
     queries/s together, `--paced-rate`) mixed at random into the same
     stream, so into the same RX ring. First capacity by closed loop, then:
     a. the flood flat out, no limit: it offers >= 3x capacity (the
        closed loop's rate or what lqd answered under the flood, whichever
        is higher) and the ring overflows (frames lq-storm could not hand
        over); every query lqd read was answered; lqd answers >= 0.3 x
        capacity (no collapse);
     b. the flood at 4x capacity (`--rate`), no limit: for comparison;
     c. the same with the 2000 pps per-requester limit: the flooder is held
        to its bucket and every query lqd read and did not answer is a
        ratelimit_drop; the relays are answered >= 10x as often as the
        flooder and >= 0.5 x the fraction of frames the ring took.
     In each: every reply sent arrived or was counted as a TX-ring drop,
     the API answers within 2 s, VmRSS grows < 4 MiB once traffic flows.
Under a sanitizer build (LQD_SANITIZED set by scripts/test.sh) every phase
runs and every count is checked, but not the rate ratios nor VmRSS.

No absolute speed is asserted: capacity is measured in the same run, and the
checks are ratios. On net_af_packet the RX-ring drops happen in the kernel's
packet ring, which the PMD does not count (lqd's rx_ring_drops, the port's
imissed, stays 0 there); the test counts them as frames delivered to lqd-a
(`ip -s link`) minus lqd's rx_frames.

Env: LQD_BIN, LQ_STORM. Exit 77 (skip) without root, namespaces or veth.
"""
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lqd_harness as h  # noqa: E402

SERVER, RELAY = "192.0.2.1", "192.0.2.2"
FLOOD_GIADDR = "192.0.2.50"
GOOD_BASE, GOOD_N, GOOD_RATE = "192.0.2.10", 4, 800  # 200 qps per relay
POPULATION = "10.20.0.0/24"
LIMIT_PPS, LIMIT_BURST = 2000, 2000
MGMT = 18290
RSS_GROWTH_MAX_KB = 4096
API_DEADLINE_S = 2.0  # 4.0 under a sanitizer (set below SANITIZED)
# Phase 3: a second lqd on a memif port, flooded by `lq-storm --mode flood`.
MEMIF_SERVER, MEMIF_GIADDR, MEMIF_MGMT = "192.0.3.1", "192.0.3.50", 18291
SEVERAL = 3.0  # "several times capacity"
FAIR_X = 4.0  # the fixed-rate floods of the memif fairness check, x capacity
MEMIF_FLOOD_S = 8  # seconds each memif flood sends
# Under ASan/TSan (scripts/test.sh sets LQD_SANITIZED) every phase runs and
# every count is checked, but not the rate ratios (instrumented lqd and
# lq-storm are slower by different factors) nor VmRSS (ASan's quarantine
# holds freed memory).
SANITIZED = bool(os.environ.get("LQD_SANITIZED"))
if SANITIZED:
    API_DEADLINE_S = 4.0  # instrumented lqd on a 2-core VM shared with the flood




def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for %d" % pid)


def wire_frames(dev):
    """Frames the kernel delivered to `dev` (plus those it dropped before
    any socket saw them): what reached lqd's port."""
    r = h.run("ip", "-j", "-s", "link", "show", "dev", dev)
    rx = json.loads(r.stdout)[0]["stats64"]["rx"]
    return rx["packets"] + rx["dropped"]


def boost_worker(pid):
    """A production lqd polls on isolated CPUs. On a shared CI machine the
    scheduler would otherwise decide how much of CPU 1 lqd's worker gets
    against other people's builds; nice -10 on that one thread stands in
    for the isolated core (the generator stays at nice 0)."""
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            if f.read().strip().startswith("rte-worker"):
                os.setpriority(os.PRIO_PROCESS, int(tid), -10)


class ApiProbe(threading.Thread):
    """GET /healthz and /metrics every 0.3 s until stopped; records the
    status and the time each took."""

    def __init__(self, port=MGMT):
        super().__init__(daemon=True)
        self.port = port
        self.samples = []  # (path, status, seconds)
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            for path in ("/healthz", "/metrics"):
                t0 = time.monotonic()
                st, body = h.http("GET", self.port, path, timeout=API_DEADLINE_S * 2)
                self.samples.append((path, st, time.monotonic() - t0, body))
            self.halt.wait(0.3)

    def check(self, what):
        self.halt.set()
        self.join()
        h.expect(len(self.samples) >= 6, "%s: too few API samples during the flood" % what, self.samples)
        worst = max(s[2] for s in self.samples)
        bad = [(p, st, round(t, 3)) for p, st, t, _ in self.samples if st != 200 or t > API_DEADLINE_S]
        h.expect(not bad, "%s: management API slow or failing during the flood" % what, bad)
        metrics = [b for p, _, _, b in self.samples if p == "/metrics"][-1]
        h.expect("lqd_rx_frames_total" in metrics and "lqd_rx_ring_drops_total{port=" in metrics,
               "/metrics has the dataplane and port drop counters", metrics[:2000])
        print("%s: %d API requests during the flood, all 200, slowest %.3f s" %
              (what, len(self.samples), worst), flush=True)


class Test:
    def __init__(self):
        self.storm = h.tool_binary("LQ_STORM", "client/lq-storm")
        self.ns = h.Netns("lqov", RELAY + "/24")
        self.lqd = None
        self.memif_lqd = None
        self.prefixes = []
        self.procs = []

    def cleanup(self):
        if self.memif_lqd:
            code, out = self.memif_lqd.stop()
            self.memif_lqd.cleanup()
            print("--- memif lqd output (exit %s) ---\n%s" % (code, out[-3000:]), flush=True)
        for p in self.procs:
            if p.poll() is None:
                h.stop_group(p)
        if self.lqd:
            code, out = self.lqd.stop()
            self.lqd.cleanup()
            print("--- lqd output (exit %s) ---\n%s" % (code, out[-3000:]), flush=True)
        self.ns.delete()
        for p in self.prefixes:
            shutil.rmtree("/var/run/dpdk/" + p, ignore_errors=True)

    def start(self):
        self.ns.create()
        for i in range(GOOD_N):
            a = GOOD_BASE.rsplit(".", 1)[0] + "." + str(int(GOOD_BASE.rsplit(".", 1)[1]) + i)
            h.run("ip", "-n", self.ns.name, "addr", "add", a + "/24", "dev", self.ns.relay)
        self.lqd = h.Lqd("lqov", ["-l", "0-1"], {}, netns=self.ns.name)
        pop = os.path.join(self.lqd.tmp, "population.csv")
        r = subprocess.run([self.storm, "--population", POPULATION, "--write-leases", pop],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        h.expect(r.returncode == 0, "lq-storm --write-leases", r.stderr)
        self.config = {
            "ports": [{"device": "net_af_packet0,iface=" + self.ns.dp, "addresses": [SERVER]}],
            "authoritative-ranges": [POPULATION],
            "leases": pop,
            "control": {"management": {"address": "127.0.0.1", "port": MGMT}},
        }
        self.lqd.config = self.config
        self.lqd.start()
        self.pid = self.lqd.pid()
        boost_worker(self.pid)
        self.ns.enter()  # the API on the namespace's loopback, lq-storm's sockets and ports

    def write_config(self, cfg):
        path = os.path.join(self.lqd.tmp, "lqd.json")
        with open(path + ".tmp", "w") as f:
            json.dump(cfg, f, indent=1)
        os.rename(path + ".tmp", path)

    def delta(self, before):
        after = self.lqd.stats()
        return {k: after[k] - before[k] for k in after if isinstance(after[k], int)}

    # ---- lq-storm
    def dpdk_cmd(self, args):
        prefix = "lqovs-%d-%d" % (os.getpid(), len(self.prefixes))
        self.prefixes.append(prefix)
        eal = ("--lcores 0@1,1@0 --no-huge -m 512 --no-pci --file-prefix %s "
               "--vdev net_af_packet0,iface=%s" % (prefix, self.ns.relay))
        return [self.storm, "--server", SERVER, "--giaddr-base", FLOOD_GIADDR, "--concentrators", "1",
                "--population", POPULATION, "--json", "--dpdk=" + eal] + args

    def good_cmd(self, args):
        return [self.storm, "--server", SERVER, "--giaddr-base", GOOD_BASE, "--concentrators",
                str(GOOD_N), "--population", POPULATION, "--json", "--timeout", "2"] + args

    def spawn(self, cmd):
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
        self.procs.append(p)
        return p

    def report(self, p, what, timeout=120):
        out, err = p.communicate(timeout=timeout)
        lines = [l for l in out.splitlines() if l.startswith("{")]
        h.expect(lines, "%s: no report from lq-storm (exit %s)" % (what, p.returncode), err[-3000:])
        rep = json.loads(lines[-1])
        print("%s: lq-storm exit %s: %s" % (what, p.returncode, lines[-1]), flush=True)
        return rep

    def flood(self, seconds, what):
        """The open-loop flood from one giaddr with the API probed during
        it; returns (lq-storm report, lqd counter delta, frames on lqd-a)."""
        before, wire0 = self.lqd.stats(), wire_frames(self.ns.dp)
        p = self.spawn(self.dpdk_cmd(["--mode", "open", "--rate", "10000000", "--timeout", "1",
                                      "--duration", str(seconds), "--max-queries", "100000000"]))
        probe = ApiProbe()
        probe.start()
        extra = self.during_flood() if self.during_flood else None
        rep = self.report(p, what)
        probe.check(what)
        return rep, self.delta(before), wire_frames(self.ns.dp) - wire0, extra

    # ---- phases
    def capacity(self):
        before = self.lqd.stats()
        rep = self.report(self.spawn(self.dpdk_cmd(["--mode", "closed", "--window", "256",
                                                    "--duration", "4", "--max-queries", "100000000"])),
                          "capacity")
        d = self.delta(before)
        h.expect(rep["answered"] > 1000 and rep["lost"] == 0, "closed loop: every query answered", rep)
        h.expect(d["replies"] == rep["answered"], "lqd's replies equal lq-storm's answers", (rep, d))
        self.cap = rep["answered"] / rep["elapsed_s"]
        print("capacity (closed loop, 256 in flight): %.0f replies/s" % self.cap, flush=True)

    def overload(self):
        self.during_flood = None
        rep, d, wire, _ = self.flood(8, "overload, no rate limit")
        secs = rep["elapsed_s"]
        offered, answered = wire / secs, d["replies"] / secs
        ring = wire - d["rx_frames"]
        print("overload: offered %.0f frames/s (%.1fx capacity), lqd answered %.0f/s (%.2f of capacity), "
              "ring drops %d of %d frames (%.0f %%), lqd rx_ring_drops (imissed) %d" %
              (offered, offered / self.cap, answered, answered / self.cap, ring, wire,
               100.0 * ring / wire, d["rx_ring_drops"]), flush=True)
        h.expect(d["replies"] == d["leasequeries"],
               "every query lqd took off the ring was answered (excess dropped at the ring)", d)
        # Whether the generator outpaces lqd depends on the CPU each gets on
        # the machine running the test (18-75 % ring drops measured on a
        # loaded 2-CPU VM). If it does not, lqd answered the fastest flood
        # this machine can make: said loudly, and the overload-only checks
        # below have nothing to check.
        if ring < 0.01 * wire:
            print("NOTE: the generator did not outpace lqd here (ring drops %d of %d): no overload "
                  "reached, the no-collapse check is moot" % (ring, wire), flush=True)
            return
        # Under overload lqd must not collapse (a livelock answers ~nothing):
        # it keeps answering at a real part of the rate it manages unloaded.
        # 0.1, not 0.9: other work on a shared machine changes the CPU lqd
        # gets between the two phases (0.53-1.19 of capacity measured here).
        if SANITIZED:
            print("NOTE: sanitizer build: rate ratios not asserted", flush=True)
            return
        h.expect(answered >= 0.1 * self.cap, "answered %.0f/s under overload < 0.1 x capacity %.0f/s" %
               (answered, self.cap), d)

    def fairness(self):
        cfg = dict(self.config, **{"rate-limit": {"per-requester-pps": LIMIT_PPS, "burst": LIMIT_BURST}})
        self.write_config(cfg)
        st, body = h.http("POST", MGMT, "/v1/reload")
        h.expect(st == 200 and json.loads(body)["applied"] == ["rate-limit"], "rate limit reloaded", (st, body))

        def good_relays():
            # Let the flood run first (ARP, EAL start), then the relays.
            deadline, base = time.time() + 20, self.lqd.stats()["rx_frames"]
            while self.lqd.stats()["rx_frames"] < base + 20000 and time.time() < deadline:
                time.sleep(0.1)
            return self.report(self.spawn(self.good_cmd(["--mode", "open", "--rate", str(GOOD_RATE),
                                                          "--duration", "6", "--max-queries", "100000"])),
                               "well-behaved relays during the flood")

        self.during_flood = good_relays
        rep, d, wire, good = self.flood(14, "flood, rate limit %d pps" % LIMIT_PPS)
        secs = rep["elapsed_s"]
        good_frac = good["answered"] / good["sent"]
        flood_frac = rep["answered"] / rep["sent"]
        ring = wire - d["rx_frames"]
        print("fairness: flooder offered %.0f/s (%.1fx capacity), answered %d (%.0f/s, fraction %.3f); "
              "ratelimit_drops %d; ring drops %d of %d (%.0f %%); well-behaved relays answered %d of %d "
              "(%.3f)" % (rep["sent"] / secs, rep["sent"] / secs / self.cap, rep["answered"],
                          rep["answered"] / secs, flood_frac, d["ratelimit_drops"], ring, wire,
                          100.0 * ring / wire, good["answered"], good["sent"], good_frac), flush=True)
        h.expect(good["sent"] >= GOOD_RATE * 4, "the relays sent during the flood", good)
        # 0.9: the relays stay far under their 2000 pps bucket, so lqd drops
        # none of their queries; they can only lose one that meets a full RX
        # ring while the flooder's bursts outpace lqd. On this loaded 2-CPU VM
        # (lqd's worker at ~25 % of a CPU) they got 0.95-0.99 while the
        # flooder got ~0.03; without the limiter every query would cost a
        # reply and the relays would share the ring drops of phase 1.
        # If the flood still outpaces lqd's worker, the ring drops frames
        # before the limiter sees them, whoever sent them: no software limit
        # behind the ring can help there (a NIC's RSS/flow rules can). So the
        # bar is 0.9 of the fraction the ring let through (0.9 when, as it
        # should be with the worker on its own core, the ring drops nothing).
        # 0.5, not 0.9: the relays' frames meet the ring in the flooder's
        # bursts, so their loss scatters around the average (0.72-0.96 of it
        # measured); the comparison with the flooder below is the sharp one.
        h.expect(rep["answered"] <= LIMIT_PPS * (secs + 1) + LIMIT_BURST,
               "flooder answered more than its bucket allows", rep)
        # Every leasequery lqd took off the ring and did not answer was the
        # limiter's (the relays are far under their buckets).
        h.expect(d["ratelimit_drops"] > 0 and
               d["ratelimit_drops"] >= d["leasequeries"] - d["replies"] - 100,
               "the flooder's excess that reached lqd is counted as ratelimit_drops", d)
        if SANITIZED:
            print("NOTE: sanitizer build: rate ratios not asserted", flush=True)
            return
        accepted = d["rx_frames"] / wire
        h.expect(good_frac >= 0.5 * min(1.0, accepted),
               "well-behaved relays answered %.3f < 0.5 x ring acceptance %.3f" % (good_frac, accepted),
               (good, d))
        h.expect(good_frac >= 10 * flood_frac, "relays answered far more often than the flooder",
               (good_frac, flood_frac))
        h.expect(flood_frac < 0.5, "the flooder was held back", rep)
        h.expect(rep["sent"] >= 2 * LIMIT_PPS * secs, "the flooder offered more than twice its limit", rep)

    def after(self):
        before = self.lqd.stats()
        rep = self.report(self.spawn(self.good_cmd(["--mode", "closed", "--window", "16",
                                                    "--duration", "30", "--max-queries", "2000"])),
                          "relays after the flood")
        d = self.delta(before)
        h.expect(rep["sent"] == 2000 and rep["answered"] == 2000 and rep["lost"] == 0,
               "every query answered after the flood", rep)
        h.expect(d["replies"] == 2000, "lqd counted the answers", d)


    # ---- phase 3: memif, several times capacity
    def memif_run(self, args, what, probe_api=False, concentrators=1, limit=False):
        """A fresh lqd on a memif port (server) and lq-storm --dpdk on the
        other end (client, --dpdk-hold). Returns (report, lqd counter delta,
        frames lq-storm could not hand to the ring, lqd VmRSS before/after).

        Order matters: DPDK 22.11's memif PMD can crash the side that is
        still polling when its peer disconnects (docs/benchmarking.md). So
        lq-storm reports and holds its port, lqd is read and stopped first
        (its lcore stops before its port closes), then lq-storm is let go
        (its generator lcore has already finished)."""
        n = len(self.prefixes)
        sock = os.path.join(self.lqd.tmp, "memif-%d.sock" % n)
        lqd = h.Lqd("lqovm%d" % n, ["-l", "0-1"], {
            "ports": [{"device": "net_memif0,role=server,id=0,socket-abstract=no,socket=" + sock,
                       "addresses": [MEMIF_SERVER]}],
            "authoritative-ranges": [POPULATION],
            "leases": self.config["leases"],
            "control": {"management": {"address": "127.0.0.1", "port": MEMIF_MGMT}},
            **({"rate-limit": {"per-requester-pps": LIMIT_PPS, "burst": LIMIT_BURST}} if limit else {}),
        })
        self.memif_lqd = lqd
        lqd.start()
        boost_worker(lqd.pid())
        prefix = "lqovs-%d-%d" % (os.getpid(), n)
        self.prefixes.append(prefix)
        eal = ("--lcores 0@1,1@0 --no-huge -m 512 --no-pci --file-prefix %s --vdev "
               "net_memif0,role=client,id=0,socket-abstract=no,socket=%s" % (prefix, sock))
        cmd = [self.storm, "--server", MEMIF_SERVER, "--giaddr-base", MEMIF_GIADDR, "--concentrators",
               str(concentrators),
               "--population", POPULATION, "--json", "--dpdk=" + eal, "--dpdk-hold"] + args
        before = lqd.stats()
        errf = tempfile.TemporaryFile(mode="w+")
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errf, text=True,
                             start_new_session=True)
        self.procs.append(p)
        # The API is probed from the start: under a sanitizer lqd answers
        # ~6k/s, and waiting for the baseline below would leave the probe a
        # second of the 8 s flood.
        probe = ApiProbe(MEMIF_MGMT) if probe_api else None
        if probe:
            probe.start()
        # Memory baseline once traffic flows: the memif regions (mapped when
        # the peer connects), the mbuf pool and the rings are touched by then.
        warm = 1000 if SANITIZED else 50000  # RSS is not asserted under sanitizers
        deadline = time.time() + 30
        while lqd.stats()["rx_frames"] < before["rx_frames"] + warm and time.time() < deadline \
                and p.poll() is None:
            time.sleep(0.05)
        rss0 = rss_kb(lqd.pid())
        ready, _, _ = select.select([p.stdout], [], [], 120)
        line = p.stdout.readline() if ready else ""
        after = lqd.stats() if line else None
        rss1 = rss_kb(lqd.pid())
        if probe:
            probe.check(what)
        code, out = lqd.stop()
        lqd.cleanup()
        self.memif_lqd = None
        p.stdin.close()
        rc = p.wait(timeout=60)
        errf.seek(0)
        err = errf.read()
        h.expect(line.startswith("{"), "%s: no report from lq-storm (exit %s)" % (what, p.returncode),
                 err[-3000:])
        h.expect(code == 0, "%s: lqd exit %s" % (what, code), out[-3000:])
        if rc != 0:
            print("WARNING: lq-storm exit %s after lqd left the memif link: %s" % (rc, err[-500:]), flush=True)
        print("%s: lq-storm: %s" % (what, line.strip()), flush=True)
        m = re.search(r"lq-storm: (\d+) frames not sent", err)
        d = {k: after[k] - before[k] for k in after if isinstance(after[k], int)}
        return json.loads(line), d, int(m.group(1)) if m else 0, (rss0, rss1)

    def memif_flood(self, what, limit, rate=None):
        """The memif flood from MEMIF_GIADDR (at `rate` queries/s, or as
        fast as lq-storm goes) with GOOD_N paced relays (GOOD_RATE queries/s
        together, on the same ring, from the same generator) beside it.
        Returns the figures the checks need."""
        rep, d, not_sent, rss = self.memif_run(
            ["--mode", "flood", "--paced-rate", str(GOOD_RATE), "--duration", str(MEMIF_FLOOD_S), "--timeout",
             "1", "--max-queries", "1000000000"] + (["--rate", str(int(rate))] if rate else []),
            what, probe_api=True, concentrators=1 + GOOD_N, limit=limit)
        # Rates over the sending time: elapsed_s also holds the 1 s drain.
        secs = float(MEMIF_FLOOD_S)
        per = rep["per_concentrator"]
        h.expect(per and len(per) == 1 + GOOD_N and per[0]["giaddr"] == MEMIF_GIADDR,
                 "%s: lq-storm reports per giaddr, the flooder first" % what, rep)
        flood, good = per[0], per[1:]
        f = {
            "secs": secs, "offered": rep["sent"] / secs, "answered": d["replies"] / secs,
            "not_sent": not_sent, "accepted": 1.0 - not_sent / max(1, rep["sent"]),
            "flood_frac": flood["answered"] / max(1, flood["sent"]),
            "good_sent": sum(g["sent"] for g in good), "good_answered": sum(g["answered"] for g in good),
            "rss": rss, "rep": rep, "d": d, "flood": flood,
        }
        f["good_frac"] = f["good_answered"] / max(1, f["good_sent"])
        print("%s: offered %.0f queries/s, %d not taken by the full ring (accepted %.3f), lqd read %d, "
              "answered %.0f/s; flooder answered %d of %d (%.3f); %d relays answered %d of %d (%.3f); "
              "ratelimit_drops %d; lqd VmRSS %d -> %d kB" %
              (what, f["offered"], not_sent, f["accepted"], d["rx_frames"], f["answered"], flood["answered"],
               flood["sent"], f["flood_frac"], GOOD_N, f["good_answered"], f["good_sent"], f["good_frac"],
               d.get("ratelimit_drops", 0), rss[0], rss[1]), flush=True)
        # Counts that hold whatever the machine's speed.
        h.expect(rep["answered"] == d["tx_frames"] - d.get("arp_replies", 0),
                 "%s: lq-storm received every reply lqd sent" % what, (rep, d))
        h.expect(d["replies"] == d["tx_frames"] - d.get("arp_replies", 0) + d.get("tx_full_drops", 0),
                 "%s: every reply lqd built was sent or counted as a TX-ring drop" % what, d)
        # The relays stay on their schedule: 800/s together for 8 s.
        h.expect(f["good_sent"] >= GOOD_RATE * 4, "%s: the paced relays sent" % what, rep)
        if limit:
            # Every query lqd read and did not answer was the limiter's
            # (the relays are far under their buckets), and the flooder got
            # no more than its bucket.
            h.expect(d["ratelimit_drops"] > 0 and d["ratelimit_drops"] == d["leasequeries"] - d["replies"],
                     "%s: the flooder's excess lqd read is counted as ratelimit_drops" % what, d)
            h.expect(flood["answered"] <= LIMIT_PPS * (rep["elapsed_s"] + 1) + LIMIT_BURST,
                     "%s: flooder answered more than its bucket allows" % what, flood)
        else:
            h.expect(d["replies"] == d["leasequeries"] and d["leasequeries"] > 0,
                     "%s: every query lqd took off the memif ring was answered" % what, d)
        return f

    def memif_overload(self):
        rep, d, _, _ = self.memif_run(["--mode", "closed", "--window", "256", "--duration", "4",
                                       "--max-queries", "100000000"], "memif capacity")
        h.expect(rep["answered"] > 1000 and rep["lost"] == 0, "memif closed loop: every query answered", rep)
        h.expect(d["replies"] == rep["answered"], "lqd's replies equal lq-storm's answers", (rep, d))
        cap = rep["answered"] / rep["elapsed_s"]
        print("memif capacity (closed loop, 256 in flight): %.0f replies/s" % cap, flush=True)
        free = self.memif_flood("memif flood, no rate limit", limit=False)
        # Fairness on one shared ring at FAIR_X times capacity: the flood at
        # a fixed rate (beyond what lqd answers, within what it can drop),
        # without and with the per-requester limit.
        fair_rate = FAIR_X * cap
        unfair = self.memif_flood("memif %.0fx flood, no rate limit" % FAIR_X, limit=False, rate=fair_rate)
        held = self.memif_flood("memif %.0fx flood, rate limit %d pps" % (FAIR_X, LIMIT_PPS), limit=True,
                                rate=fair_rate)
        for f, what in ((free, "flat out, no limit"), (unfair, "%.0fx, no limit" % FAIR_X),
                        (held, "%.0fx, rate limit" % FAIR_X)):
            print("memif flood, %s: %.1fx capacity offered, lqd answered %.2f of capacity; relays %.3f, "
                  "flooder %.3f" % (what, f["offered"] / cap, f["answered"] / cap, f["good_frac"],
                                    f["flood_frac"]), flush=True)
        if SANITIZED:
            print("NOTE: sanitizer build: rate ratios not asserted", flush=True)
            return
        # Capacity: the closed loop's rate or, if higher, what lqd answered
        # under the flood (the closed loop also waits on the generator).
        top = max(cap, free["answered"])
        h.expect(free["offered"] >= SEVERAL * top,
                 "the flood offered %.1fx capacity, not %.0fx" % (free["offered"] / top, SEVERAL), free["rep"])
        h.expect(free["not_sent"] > 0, "the ring overflowed (the excess was dropped at the ring)", free["rep"])
        h.expect(free["answered"] >= 0.3 * cap, "answered %.0f/s under a %.1fx overload < 0.3 x capacity %.0f/s" %
                 (free["answered"], free["offered"] / cap, cap), free["d"])
        for f in (free, unfair, held):
            h.expect(f["rss"][1] - f["rss"][0] < RSS_GROWTH_MAX_KB,
                     "lqd's memory grew %d kB during a memif flood" % (f["rss"][1] - f["rss"][0]))
        # The fixed-rate floods really were several times capacity.
        for f in (unfair, held):
            h.expect(f["offered"] >= SEVERAL * cap, "a %.0fx flood offered only %.1fx capacity" %
                     (FAIR_X, f["offered"] / cap), f["rep"])
        # With the limiter the flooder is held to its bucket (checked in
        # memif_flood) and the relays sharing its ring are not starved:
        # answered 10x as often as the flooder and at least half as often
        # as the ring let frames through. What they lose is refused by the
        # ring while lqd's worker is off its (shared) CPU: no software limit
        # behind the ring can save those frames (docs/reliability.md).
        # Without the limiter (printed above for comparison) lqd spends its
        # capacity answering the flooder.
        h.expect(held["good_frac"] >= 0.5 * held["accepted"],
                 "relays answered %.3f < 0.5 x ring acceptance %.3f under a %.0fx flood with the limiter" %
                 (held["good_frac"], held["accepted"], FAIR_X), held["rep"])
        h.expect(held["good_frac"] >= 10 * held["flood_frac"],
                 "relays answered %.3f, not 10x the flooder's %.3f" % (held["good_frac"], held["flood_frac"]))


def main():
    if os.geteuid() != 0:
        h.skip("needs root (network namespaces, AF_PACKET, DPDK runtime directory)")
    h.lqd_binary()
    t = Test()
    # SIGTERM (meson's timeout): lqd_harness kills what the test started, then exits.
    try:
        t.start()
        rss0 = rss_kb(t.pid)
        st, body = h.http("GET", MGMT, "/healthz")
        h.expect(st == 200, "/healthz before the flood", (st, body))
        h.expect("rx_ring_drops" in t.lqd.stats(), "/lqd/stats reports the port's RX ring drops")
        t.capacity()
        rss1 = rss_kb(t.pid)  # after the first load: pools, rings and caches touched
        t.overload()
        t.fairness()
        t.after()
        rss2 = rss_kb(t.pid)
        t.memif_overload()
        print("lqd VmRSS: %d kB at start, %d kB before the floods, %d kB after (%+d kB)" %
              (rss0, rss1, rss2, rss2 - rss1), flush=True)
        if not SANITIZED:  # ASan's quarantine keeps freed blocks: RSS says nothing there
            h.expect(rss2 - rss1 < RSS_GROWTH_MAX_KB, "lqd's memory grew %d kB during the floods" % (rss2 - rss1))
    finally:
        t.cleanup()
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
