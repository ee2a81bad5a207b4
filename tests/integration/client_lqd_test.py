#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""lq-query and lq-storm against lqd, over the kernel and over DPDK (memif).

A known lease set: the sample Kea CSV made live, plus a generated
population 10.20.0.0/24, 75 % active, written by `lq-storm --write-leases`.

  kernel path  lqd (worker lcore 1) with net_af_packet on a veth into
               namespace lqcl-<pid>, 192.0.2.1; the relay side has 192.0.2.2
               (lq-query) and 192.0.2.10-11 (lq-storm's concentrators)
  DPDK path    lqd with a net_memif port (role=server, socket in a temp dir),
               192.0.3.1; lq-storm --dpdk (its own EAL, role=client,
               generator lcore on the other CPU) emulates 192.0.3.10-11.
               A fresh lqd per run: see "memif disconnect" below.

Asserted: lq-query's exit codes and decoded fields for every regime and
answer; lq-storm's --json counts (closed loop: every subscriber asked
exactly 8 times, so ACTIVE/UNASSIGNED are known exactly; open loop at a
modest rate with a regime mix and UNKNOWN probes: zero loss, UNKNOWN share
and lqd's by-regime counters within binomial bounds; rfc mode over DPDK:
one query per subscriber), and lqd's telemetry counters equal to
lq-storm's for every run. Both EALs run with --no-huge (memif's shared
memory is a memfd). Exit 77 (skip) only without root, network namespaces
or veth.

memif disconnect: DPDK 22.11's memif PMD unmaps the shared regions from its
interrupt thread when the peer goes away, while lqd's worker may be inside
rte_eth_rx_burst on that port; lqd then dies of SIGSEGV (seen a few times
in a hundred disconnects on a loaded 2-CPU machine). So lq-storm runs with
--dpdk-hold: lqd's counters are read while the link is still up, then
lq-storm lets go, and lqd is stopped; a SIGSEGV there (in an ASan or TSan
build: the sanitizer's SEGV report inside librte_net_memif, then its
abort) is reported as a warning naming this PMD race, any other non-zero
exit fails the test.

Env: LQD_BIN, LQ_QUERY, LQ_STORM.
"""
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lqd_harness as h  # noqa: E402

SERVER, RELAY = "192.0.2.1", "192.0.2.2"
KERNEL_GIADDRS = ["192.0.2.10", "192.0.2.11"]
MEMIF_SERVER, MEMIF_GIADDR = "192.0.3.1", "192.0.3.10"
POPULATION, ACTIVE_FRACTION = "10.20.0.0/24", "0.75"
ROUNDS = 8  # closed-loop runs ask every subscriber exactly this often


def memif_pmd_race(code, out):
    """lqd's exit is the memif PMD race of the docstring: a SIGSEGV (directly
    or through `timeout`) whose backtrace, which lqd prints on a fault, runs
    through the memif PMD; or, in a sanitizer build, the sanitizer's report
    of that SEGV inside the memif PMD (ASan aborts after it: exit -6). A
    crash anywhere else is a failure."""
    if code in (-11, 139):
        return "lqd: fatal signal, backtrace:" in out and "librte_net_memif" in out
    return (code != 0 and ("AddressSanitizer: SEGV" in out or "ThreadSanitizer: SEGV" in out)
            and "librte_net_memif" in out)


class Test:
    def __init__(self):
        self.lq = h.tool_binary("LQ_QUERY", "client/lq-query")
        self.storm = h.tool_binary("LQ_STORM", "client/lq-storm")
        self.ns = h.Netns("lqcl", RELAY + "/24")
        self.lqd = None        # kernel path
        self.memif_lqd = None  # DPDK path, one per run
        self.memif_dir = tempfile.mkdtemp(prefix="lqcl-")  # leases, memif socket
        self.memif_sock = os.path.join(self.memif_dir, "memif.sock")
        self.storm_prefixes = []
        self.memif_crashes = 0

    def stop_lqd(self, lqd, what):
        code, out = lqd.stop()
        lqd.cleanup()
        print("--- %s output (exit %s) ---\n%s" % (what, code, out[-3000:]), flush=True)
        return code, out

    def cleanup(self):
        if self.lqd:
            self.stop_lqd(self.lqd, "lqd")
            self.lqd = None
        if self.memif_lqd:
            self.stop_lqd(self.memif_lqd, "memif lqd")
            self.memif_lqd = None
        self.ns.delete()
        shutil.rmtree(self.memif_dir, ignore_errors=True)
        for p in self.storm_prefixes:
            shutil.rmtree("/var/run/dpdk/" + p, ignore_errors=True)

    # ---- setup
    def start(self):
        self.ns.create()
        for a in KERNEL_GIADDRS:
            h.run("ip", "-n", self.ns.name, "addr", "add", a + "/24", "dev", self.ns.relay)
        self.lqd = h.Lqd("lqcl", ["-l", "0-1"], {}, netns=self.ns.name)
        leases, self.rows = h.fresh_leases(self.lqd.tmp)
        # In the test's own temp dir: they outlive the kernel-path lqd.
        pop = os.path.join(self.memif_dir, "population.csv")
        r = subprocess.run([self.storm, "--population", POPULATION, "--active-fraction",
                            ACTIVE_FRACTION, "--write-leases", pop], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
        h.expect(r.returncode == 0, "lq-storm --write-leases", r.stderr)
        with open(pop) as f:
            pop_rows = f.read().splitlines()[1:]
        self.pop_csv = pop
        self.pop_active = len(pop_rows)
        self.pop_size = int(r.stderr.split(" of ")[1].split()[0])  # "wrote A active leases of N to"
        h.expect(0 < self.pop_active < self.pop_size, "population has both kinds", r.stderr)
        self.leases = os.path.join(self.memif_dir, "kea-leases4.csv")
        with open(leases) as f, open(self.leases, "w") as out:
            out.write(f.read() + "\n".join(pop_rows) + "\n")
        leases = self.leases
        self.lqd.config = {
            "ports": [{"device": "net_af_packet0,iface=" + self.ns.dp, "addresses": [SERVER]}],
            "authoritative-ranges": ["198.51.100.0/24", "203.0.113.0/25", POPULATION],
            "leases": leases,
        }
        self.lqd.start()

    def finish_kernel_path(self):
        code, _ = self.stop_lqd(self.lqd, "lqd")
        self.lqd = None
        h.expect(code == 0, "lqd (kernel path) exit %s" % code)

    def start_memif_lqd(self):
        self.memif_lqd = h.Lqd("lqcm", ["-l", "0-1"], {
            "ports": [{"device": "net_memif0,role=server,id=0,socket-abstract=no,socket=" +
                       self.memif_sock, "addresses": [MEMIF_SERVER]}],
            "authoritative-ranges": ["198.51.100.0/24", "203.0.113.0/25", POPULATION],
            "leases": self.leases,
        })
        self.memif_lqd.start()

    def stop_memif_lqd(self):
        code, out = self.stop_lqd(self.memif_lqd, "memif lqd")
        self.memif_lqd = None
        if memif_pmd_race(code, out):
            self.memif_crashes += 1
            print("WARNING: lqd died of SIGSEGV after lq-storm's memif disconnect: the DPDK 22.11 "
                  "memif PMD unmaps its regions under a polling lcore (see the docstring)", flush=True)
        else:
            h.expect(code == 0, "memif lqd exit %s" % code)
        if os.path.exists(self.memif_sock):  # a crashed server leaves its socket behind
            os.unlink(self.memif_sock)

    # ---- lq-query
    def query(self, *args, server=SERVER, timeout="3"):
        cmd = ["ip", "netns", "exec", self.ns.name, self.lq, "--server", server, "--giaddr", RELAY,
               "--timeout", timeout, "--retries", "1", "--json"] + list(args)
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        out = json.loads(r.stdout) if r.stdout.strip() else None
        print("lq-query %s -> exit %d" % (" ".join(args), r.returncode), flush=True)
        return r.returncode, (out or {}).get("answer"), r.stderr

    def row(self, ip):
        return [r for r in self.rows if r["address"] == ip][-1]

    def check_queries(self):
        before = self.lqd.stats()
        rc, a, err = self.query("--ip", "198.51.100.10")
        h.expect(rc == 0, "active by IP: exit %d, expected 0" % rc, err)
        h.expect(a["message_type"] == "DHCPLEASEACTIVE", "type", a)
        h.expect(a["ciaddr"] == "198.51.100.10", "ciaddr", a)
        h.expect(a["chaddr"] == "02:00:00:00:01:01" and a["htype"] == 1, "chaddr", a)
        h.expect(a["giaddr"] == RELAY and a["server_id"] == SERVER, "giaddr/server-id", a)
        # fresh_leases renewed the lease a third of its 86400 s ago.
        h.expect(abs(a["lease_time"] - 86400 * 2 // 3) <= 120, "remaining lease time", a)
        rai = h.rai_from_row(self.row("198.51.100.10"))
        h.expect(a["relay_agent_info"]["hex"] == ":".join("%02x" % b for b in rai),
               "option 82 bytes equal the lease's", (a["relay_agent_info"], rai.hex()))
        h.expect(a["relay_agent_info"]["sub_options"][0]["text"] == "eth0/1/1:100", "circuit-id", a)

        rc, a, err = self.query("--ip", "198.51.100.200")  # in range, never leased
        h.expect(rc == 1, "unassigned by IP: exit %d, expected 1" % rc, (a, err))
        h.expect(a["message_type"] == "DHCPLEASEUNASSIGNED" and a["ciaddr"] == "198.51.100.200",
               "unassigned answer", a)
        h.expect("lease_time" not in a and "relay_agent_info" not in a, "no lease data", a)

        rc, a, err = self.query("--ip", "10.9.9.9")  # outside every range
        h.expect(rc == 2, "unknown by IP: exit %d, expected 2" % rc, (a, err))
        h.expect(a["message_type"] == "DHCPLEASEUNKNOWN", "unknown answer", a)

        rc, a, err = self.query("--mac", "02:00:00:00:01:02")
        h.expect(rc == 0, "active by MAC: exit %d" % rc, err)
        h.expect(a["ciaddr"] == "198.51.100.11" and a["chaddr"] == "02:00:00:00:01:02", "by MAC", a)

        rc, a, err = self.query("--mac", "02:00:00:00:02:01")  # three leases, newest wins
        h.expect(rc == 0 and a["ciaddr"] == "198.51.100.52", "by MAC, several leases", a)
        h.expect(sorted(a["associated_ips"]) == ["198.51.100.50", "198.51.100.51"], "option 92", a)

        rc, a, err = self.query("--client-id", "01:02:00:00:00:01:02")
        h.expect(rc == 0, "active by client-id: exit %d" % rc, err)
        h.expect(a["ciaddr"] == "198.51.100.11" and a["chaddr"] == "02:00:00:00:01:02", "by cid", a)
        h.expect(a["client_id"]["hex"] == "01:02:00:00:00:01:02", "client-id echoed", a)

        rc, a, err = self.query("--mac", "02:00:00:00:99:99")
        h.expect(rc == 2, "unknown MAC: exit %d, expected 2" % rc, (a, err))

        rc, a, err = self.query("--ip", "198.51.100.10", server="192.0.2.99", timeout="1")
        h.expect(rc == 3, "nobody at the server address: exit %d, expected 3" % rc, err)

        after = self.lqd.stats()
        d = {k: after[k] - before[k] for k in ("replies", "reply_active", "reply_unassigned",
                                               "reply_unknown")}
        h.expect(d == {"replies": 7, "reply_active": 4, "reply_unassigned": 1, "reply_unknown": 2},
               "lqd counted the seven answers by type", d)

    # ---- lq-storm
    def storm_run(self, args, dpdk=False):
        if dpdk:
            prefix = "lqs-%d-%d" % (os.getpid(), len(self.storm_prefixes))
            self.storm_prefixes.append(prefix)
            # Generator lcore on CPU 0, away from lqd's worker (lcore 1 = CPU 1):
            # two busy pollers on one CPU would take turns by time slice.
            eal = ("--lcores 0@1,1@0 --no-huge -m 512 --no-pci --file-prefix %s --vdev "
                   "net_memif0,role=client,id=0,socket-abstract=no,socket=%s" % (prefix, self.memif_sock))
            cmd = [self.storm, "--server", MEMIF_SERVER, "--giaddr-base", MEMIF_GIADDR,
                   "--dpdk=" + eal]
        else:
            cmd = ["ip", "netns", "exec", self.ns.name, self.storm, "--server", SERVER,
                   "--giaddr-base", KERNEL_GIADDRS[0]]
        cmd += ["--concentrators", "2", "--duration", "60", "--timeout", "2", "--json"] + args
        if dpdk:
            self.start_memif_lqd()
            lqd = self.memif_lqd
            before = lqd.stats()
            rc, out, after, err = self.run_holding(cmd + ["--dpdk-hold"], lqd)
            shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
            self.stop_memif_lqd()
        else:
            before = self.lqd.stats()
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=120)
            rc, out, err = r.returncode, r.stdout, r.stderr
            after = self.lqd.stats()
        print("lq-storm %s%s -> exit %d\n%s" % ("--dpdk " if dpdk else "", " ".join(args), rc, out),
              flush=True)
        h.expect(rc == 0, "lq-storm exit %d" % rc, err[-3000:])
        rep = json.loads(out)
        delta = {k: after[k] - before[k] for k in after if isinstance(after[k], int)}
        h.expect(rep["io"] == ("dpdk" if dpdk else "kernel"), "path reported", rep)
        # lqd's own counters agree with lq-storm's.
        h.expect(delta["replies"] == rep["answered"], "lqd replies %d vs answered %d" %
               (delta["replies"], rep["answered"]), (rep, delta))
        for t in ("active", "unassigned", "unknown"):
            h.expect(delta["reply_" + t] == rep["answers"][t.upper()],
                   "lqd reply_%s %d vs lq-storm %d" % (t, delta["reply_" + t], rep["answers"][t.upper()]),
                   (rep, delta))
        h.expect(rep["lost"] == 0 and rep["unexpected"] == 0 and rep["stray"] == 0,
               "no loss, no unexpected answer, no stray", rep)
        h.expect(rep["answered"] == rep["sent"], "answered == sent", rep)
        h.expect(rep["latency_us"]["count"] == rep["answered"] and rep["latency_us"]["max"] > 0,
               "latency of every answer", rep)
        return rep, delta

    def run_holding(self, cmd, lqd):
        """lq-storm --dpdk-hold: its report, then lqd's counters while the
        memif link is still up, then lq-storm is let go (stdin closed)."""
        errf = tempfile.TemporaryFile(mode="w+")
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errf,
                             text=True)
        try:
            ready, _, _ = select.select([p.stdout], [], [], 120)
            out = p.stdout.readline() if ready else ""
            after = lqd.stats() if out else None
            p.stdin.close()
            rc = p.wait(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        errf.seek(0)
        err = errf.read()
        h.expect(out, "no report from lq-storm --dpdk (exit %s)" % p.returncode, err[-3000:])
        return rc, out, after, err

    def check_storm_exact(self, dpdk):
        n = self.pop_size * ROUNDS
        rep, _ = self.storm_run(["--population", POPULATION, "--active-fraction", ACTIVE_FRACTION,
                                 "--mode", "closed", "--window", "32", "--max-queries", str(n)], dpdk)
        h.expect(rep["sent"] == n, "sent %d, expected %d" % (rep["sent"], n), rep)
        h.expect(rep["answers"] == {"ACTIVE": self.pop_active * ROUNDS,
                                  "UNASSIGNED": (self.pop_size - self.pop_active) * ROUNDS,
                                  "UNKNOWN": 0, "other": 0},
               "every subscriber asked %d times" % ROUNDS, rep)
        h.expect(rep["recovered_concentrators"] == 2, "both concentrators recovered", rep)

    def check_storm_mix(self, dpdk):
        n = 3000
        rep, delta = self.storm_run(["--leases", self.pop_csv, "--mix", "ip=40,mac=30,cid=30",
                                     "--unknown-fraction", "0.2", "--mode", "open", "--rate", "2000",
                                     "--max-queries", str(n)], dpdk)
        h.expect(rep["sent"] == n, "sent %d, expected %d" % (rep["sent"], n), rep)
        a = rep["answers"]
        # Every population address is active; probes outside it are UNKNOWN.
        h.expect(a["ACTIVE"] + a["UNKNOWN"] == n and a["UNASSIGNED"] == 0, "answer types", rep)

        def within(count, p, what):
            mean, sd = n * p, (n * p * (1 - p)) ** 0.5
            h.expect(abs(count - mean) <= 6 * sd, "%s: %d, expected %.0f +- %.0f" % (what, count, mean,
                                                                                  6 * sd), (rep, delta))
        within(a["UNKNOWN"], 0.2, "UNKNOWN probes")
        # lqd's by-regime counters against the mix (probes are by IP).
        within(delta["regime_by_ip"], 0.2 + 0.8 * 0.4, "queries by IP")
        within(delta["regime_by_mac"], 0.8 * 0.3, "queries by MAC")
        within(delta["regime_by_client_id"], 0.8 * 0.3, "queries by client-id")

    def check_storm_rfc(self, dpdk):
        # RFC 4388 6.6 requesters: one query per subscriber, answers cached.
        rep, _ = self.storm_run(["--leases", self.pop_csv, "--mode", "rfc", "--max-queries", "1000"],
                                dpdk)
        h.expect(rep["answers"]["ACTIVE"] == self.pop_active and rep["sent"] == self.pop_active,
               "one query per subscriber", rep)
        h.expect(rep["recovered_concentrators"] == 2 and rep["recovery_time_s"] is not None,
               "both concentrators recovered", rep)


def main():
    if os.geteuid() != 0:
        h.skip("needs root (network namespaces, AF_PACKET, DPDK runtime directory)")
    h.lqd_binary()
    t = Test()
    # SIGTERM (meson's timeout): lqd_harness kills what the test started, then exits.
    try:
        t.start()
        t.check_queries()
        t.check_storm_exact(dpdk=False)
        t.check_storm_mix(dpdk=False)
        t.finish_kernel_path()
        t.check_storm_exact(dpdk=True)
        t.check_storm_mix(dpdk=True)
        t.check_storm_rfc(dpdk=True)
    finally:
        t.cleanup()
    print("PASS%s" % (" (with %d memif-disconnect crash(es) of lqd, see WARNING)" % t.memif_crashes
                      if t.memif_crashes else ""), flush=True)


if __name__ == "__main__":
    main()
