#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""lq-query and lq-storm against a real ISC dhcpd (allow leasequery).

dhcpd does not answer a leasequery from its own host, so the requester has
to look like a relay on another host: two network namespaces joined by a
veth pair,

    lqc-srv-<pid>  192.0.2.1/24   dhcpd -4 -f on its veth end
    lqc-rel-<pid>  192.0.2.2/24   lq-query / lq-storm, giaddr 192.0.2.2
                   (+ 192.0.2.10.. for lq-storm's emulated concentrators)

dhcpd is started under `timeout` with a dhcpd.leases seeded with known
leases: two active ones with agent options and one with a uid, plus free
addresses in the range. Everything (dhcpd, namespaces, temp dir) is removed
in `finally`, also on failure or SIGTERM. Exit 77 (skip) only when not root,
when network namespaces are unavailable or dhcpd is not installed.

Env: LQ_QUERY, LQ_STORM (built binaries; default build-client/client/...).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKIP = 77
PID = os.getpid()
SRV_NS, REL_NS = "lqc-srv-%d" % PID, "lqc-rel-%d" % PID
SRV_IF, REL_IF = "lqcs%d" % PID, "lqcr%d" % PID
SERVER, RELAY = "192.0.2.1", "192.0.2.2"
STORM_GIADDRS = ["192.0.2.%d" % (10 + i) for i in range(4)]
DHCPD = "/usr/sbin/dhcpd"

# Seeded leases: address -> (mac, uid bytes or None, circuit-id, remote-id)
ACTIVE = {
    "198.51.100.10": ("02:00:00:00:00:01", b"\x01\x02\x00\x00\x00\x00\x01", "eth0/1/1:100", "RID-0001"),
    "198.51.100.11": ("02:00:00:00:00:02", None, "ge-0/0/2.200", "RID-0002"),
}
# More active leases for the storm population (no agent options).
STORM_ACTIVE = ["198.51.100.%d" % i for i in range(100, 150)]
FREE = "198.51.100.20"       # in the range, no lease: DHCPLEASEUNASSIGNED
OUTSIDE = "203.0.113.5"      # no subnet: DHCPLEASEUNKNOWN


def skip(reason):
    print("SKIP: " + reason, flush=True)
    sys.exit(SKIP)


def run(*cmd, check=True, timeout=60):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s %s" % (" ".join(cmd), r.returncode, r.stdout,
                                                      r.stderr))
    return r


def binary(env, default):
    path = os.environ.get(env) or os.path.join(ROOT, "build-client", "client", default)
    if not os.access(path, os.X_OK):
        skip("%s not found (set %s)" % (path, env))
    return path


def dhcpd_time(t):
    # dhcpd.leases(5): "W YYYY/MM/DD HH:MM:SS" in UTC, W = weekday, 0 = Sunday.
    tm = time.gmtime(t)
    return "%d %s" % ((tm.tm_wday + 1) % 7, time.strftime("%Y/%m/%d %H:%M:%S", tm))


def octal_string(b):
    return "".join("\\%03o" % c for c in b)


def write_config(tmp):
    conf = os.path.join(tmp, "dhcpd.conf")
    with open(conf, "w") as f:
        f.write("""authoritative;
default-lease-time 3600;
max-lease-time 7200;
ddns-update-style none;
allow leasequery;
subnet 192.0.2.0 netmask 255.255.255.0 { }
subnet 198.51.100.0 netmask 255.255.255.0 {
    range 198.51.100.10 198.51.100.200;
    option routers 198.51.100.1;
}
""")
    now = int(time.time())
    leases = os.path.join(tmp, "dhcpd.leases")
    with open(leases, "w") as f:
        f.write("authoring-byte-order little-endian;\n")

        def lease(ip, mac, uid, circuit, remote, cltt_ago):
            f.write("lease %s {\n" % ip)
            f.write("  starts %s;\n" % dhcpd_time(now - cltt_ago))
            f.write("  ends %s;\n" % dhcpd_time(now - cltt_ago + 3600))
            f.write("  cltt %s;\n" % dhcpd_time(now - cltt_ago))
            f.write("  binding state active;\n  next binding state free;\n")
            f.write("  hardware ethernet %s;\n" % mac)
            if uid:
                f.write('  uid "%s";\n' % octal_string(uid))
            if circuit:
                f.write('  option agent.circuit-id "%s";\n' % circuit)
                f.write('  option agent.remote-id "%s";\n' % remote)
            f.write("}\n")

        for ip, (mac, uid, circuit, remote) in ACTIVE.items():
            lease(ip, mac, uid, circuit, remote, 600)
        for i, ip in enumerate(STORM_ACTIVE):
            lease(ip, "02:00:00:00:01:%02x" % i, None, None, None, 300)
    # The same population as a Kea memfile CSV for lq-storm --leases.
    csv = os.path.join(tmp, "storm-leases.csv")
    with open(csv, "w") as f:
        f.write("address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,"
                "hostname,state,user_context\n")
        for i, ip in enumerate(STORM_ACTIVE):
            f.write("%s,02:00:00:00:01:%02x,,3600,%d,1,0,0,,0,\n" % (ip, i, now + 3300))
    return conf, leases, csv


class Env:
    def __init__(self):
        self.dhcpd = None
        self.tmp = tempfile.mkdtemp(prefix="lqc-dhcpd-")
        self.created = []

    def setup_netns(self):
        r = run("ip", "netns", "add", SRV_NS, check=False)
        if r.returncode != 0:
            skip("cannot create network namespaces: " + r.stderr.strip())
        self.created.append(SRV_NS)
        run("ip", "netns", "add", REL_NS)
        self.created.append(REL_NS)
        # Both ends created inside the namespaces: nothing appears in the host's.
        run("ip", "-n", SRV_NS, "link", "add", SRV_IF, "type", "veth", "peer", "name", REL_IF, "netns", REL_NS)
        run("ip", "-n", SRV_NS, "addr", "add", SERVER + "/24", "dev", SRV_IF)
        run("ip", "-n", REL_NS, "addr", "add", RELAY + "/24", "dev", REL_IF)
        for a in STORM_GIADDRS:
            run("ip", "-n", REL_NS, "addr", "add", a + "/24", "dev", REL_IF)
        for ns, dev in ((SRV_NS, SRV_IF), (REL_NS, REL_IF)):
            run("ip", "-n", ns, "link", "set", dev, "up")
            run("ip", "-n", ns, "link", "set", "lo", "up")

    def start_dhcpd(self, conf, leases):
        pidf = os.path.join(self.tmp, "dhcpd.pid")
        self.log = open(os.path.join(self.tmp, "dhcpd.log"), "w+")
        cmd = ["ip", "netns", "exec", SRV_NS, "timeout", "300", DHCPD, "-4", "-f", "-d",
               "-cf", conf, "-lf", leases, "-pf", pidf, SRV_IF]
        self.dhcpd = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.dhcpd.poll() is not None:
                raise RuntimeError("dhcpd exited early:\n" + self.dhcpd_log())
            if "Sending on" in self.dhcpd_log() and "Server starting service" in self.dhcpd_log():
                return
            time.sleep(0.1)
        raise RuntimeError("dhcpd did not start:\n" + self.dhcpd_log())

    def dhcpd_log(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def cleanup(self):
        if self.dhcpd and self.dhcpd.poll() is None:
            try:
                os.killpg(self.dhcpd.pid, signal.SIGTERM)
                self.dhcpd.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.dhcpd.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.dhcpd.wait(timeout=5)
        for ns in reversed(self.created):
            run("ip", "netns", "del", ns, check=False)
        self.created = []
        shutil.rmtree(self.tmp, ignore_errors=True)


def lq_query(lq, *args, timeout=30):
    cmd = ["ip", "netns", "exec", REL_NS, lq, "--server", SERVER, "--giaddr", RELAY,
           "--timeout", "5", "--retries", "1", "--json"] + list(args)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    out = json.loads(r.stdout) if r.stdout.strip() else None
    print("lq-query %s -> exit %d %s" % (" ".join(args), r.returncode,
                                          out and out.get("answer", out).get("state")), flush=True)
    return r.returncode, out, r.stderr


def expect(cond, what, detail=""):
    if not cond:
        raise AssertionError(what + ("\n" + str(detail) if detail else ""))


def sub_option(answer, code):
    for s in answer.get("relay_agent_info", {}).get("sub_options", []):
        if s["code"] == code:
            return s
    return None


def check_queries(lq):
    # Active by IP: everything the lease holds comes back.
    rc, out, err = lq_query(lq, "--ip", "198.51.100.10")
    expect(rc == 0, "active by IP: exit %d, expected 0 (ACTIVE)" % rc, err)
    a = out["answer"]
    expect(a["message_type"] == "DHCPLEASEACTIVE", "message type", a)
    expect(a["ciaddr"] == "198.51.100.10", "ciaddr", a)
    expect(a["chaddr"] == "02:00:00:00:00:01" and a["htype"] == 1, "chaddr", a)
    expect(a["giaddr"] == RELAY, "giaddr echoed", a)
    expect(sub_option(a, 1) and sub_option(a, 1)["text"] == "eth0/1/1:100", "circuit-id", a)
    expect(sub_option(a, 2) and sub_option(a, 2)["text"] == "RID-0002"[:0] + "RID-0001",
           "remote-id", a)
    expect(sub_option(a, 1)["name"] == "circuit-id", "sub-option named", a)
    expect(0 < a.get("lease_time", 0) <= 3000, "lease time remaining", a)
    expect(590 <= a.get("client_last_transaction_time", -1) <= 700, "CLTT ~600 s ago", a)
    # The readable table too.
    r = subprocess.run(["ip", "netns", "exec", REL_NS, lq, "--server", SERVER, "--giaddr", RELAY,
                        "--ip", "198.51.100.10", "--timeout", "5"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    expect(r.returncode == 0 and "circuit-id" in r.stdout and "eth0/1/1:100" in r.stdout
           and "DHCPLEASEACTIVE (13)" in r.stdout, "table output", r.stdout + r.stderr)
    print(r.stdout, flush=True)

    rc, out, err = lq_query(lq, "--mac", "02:00:00:00:00:02")
    expect(rc == 0, "active by MAC: exit %d" % rc, err)
    expect(out["answer"]["ciaddr"] == "198.51.100.11", "by MAC ciaddr", out)
    expect(sub_option(out["answer"], 1)["text"] == "ge-0/0/2.200", "by MAC circuit-id", out)

    rc, out, err = lq_query(lq, "--client-id", "01:02:00:00:00:00:01")
    expect(rc == 0, "active by client-id: exit %d" % rc, err)
    expect(out["answer"]["ciaddr"] == "198.51.100.10", "by client-id ciaddr", out)
    expect(out["answer"]["chaddr"] == "02:00:00:00:00:01", "by client-id chaddr", out)

    rc, out, err = lq_query(lq, "--ip", FREE)
    expect(rc == 1, "free address in range: exit %d, expected 1 (UNASSIGNED)" % rc, (out, err))
    expect(out["answer"]["message_type"] == "DHCPLEASEUNASSIGNED", "unassigned type", out)

    rc, out, err = lq_query(lq, "--ip", OUTSIDE)
    expect(rc == 2, "address outside: exit %d, expected 2 (UNKNOWN)" % rc, (out, err))
    expect(out["answer"]["message_type"] == "DHCPLEASEUNKNOWN", "unknown type", out)

    rc, out, err = lq_query(lq, "--mac", "02:00:00:00:99:99")
    expect(rc == 2, "unknown MAC: exit %d, expected 2" % rc, (out, err))

    # Nobody at this address: no answer, exit 3, after the given retries.
    r = subprocess.run(["ip", "netns", "exec", REL_NS, lq, "--server", "192.0.2.99",
                        "--giaddr", RELAY, "--ip", "198.51.100.10", "--timeout", "1",
                        "--retries", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    expect(r.returncode == 3, "silent server: exit %d, expected 3" % r.returncode, r.stderr)


def check_storm(storm, csv):
    n = 2000
    cmd = ["ip", "netns", "exec", REL_NS, storm, "--server", SERVER,
           "--giaddr-base", STORM_GIADDRS[0], "--concentrators", str(len(STORM_GIADDRS)),
           "--leases", csv, "--mode", "closed", "--window", "16", "--max-queries", str(n),
           "--duration", "60", "--timeout", "2", "--json"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=120)
    print("lq-storm exit %d\n%s" % (r.returncode, r.stdout), flush=True)
    expect(r.returncode == 0, "lq-storm exit %d" % r.returncode, r.stderr)
    rep = json.loads(r.stdout)
    expect(rep["sent"] == n, "sent %d, expected %d" % (rep["sent"], n), rep)
    expect(rep["answered"] == n, "answered %d of %d" % (rep["answered"], n), rep)
    expect(rep["lost"] == 0, "lost %d" % rep["lost"], rep)
    expect(rep["answers"]["ACTIVE"] == n, "every storm address is an active lease", rep)
    expect(rep["latency_us"]["max"] > 0, "latency measured", rep)

    # RFC mode: every concentrator recovers all its subscribers.
    cmd = ["ip", "netns", "exec", REL_NS, storm, "--server", SERVER,
           "--giaddr-base", STORM_GIADDRS[0], "--concentrators", str(len(STORM_GIADDRS)),
           "--leases", csv, "--mode", "rfc", "--max-queries", "1000", "--duration", "60",
           "--json"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=120)
    print("lq-storm rfc exit %d\n%s" % (r.returncode, r.stdout), flush=True)
    expect(r.returncode == 0, "lq-storm rfc exit %d" % r.returncode, r.stderr)
    rep = json.loads(r.stdout)
    expect(rep["recovered_concentrators"] == len(STORM_GIADDRS), "all concentrators recovered", rep)
    expect(rep["answers"]["ACTIVE"] == len(STORM_ACTIVE), "one query per subscriber", rep)
    expect(rep["recovery_time_s"] is not None, "recovery time reported", rep)


def main():
    if os.geteuid() != 0:
        skip("needs root (network namespaces, port 67)")
    if not os.access(DHCPD, os.X_OK):
        skip("ISC dhcpd not installed (" + DHCPD + ")")
    if not shutil.which("ip"):
        skip("iproute2 not installed")
    lq = binary("LQ_QUERY", "lq-query")
    storm = os.environ.get("LQ_STORM") or os.path.join(ROOT, "build-client", "client", "lq-storm")
    env = Env()
    # meson sends SIGTERM on timeout: turn it into an exception so `finally` runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    ok = False
    try:
        env.setup_netns()
        conf, leases, csv = write_config(env.tmp)
        env.start_dhcpd(conf, leases)
        check_queries(lq)
        if os.access(storm, os.X_OK):
            check_storm(storm, csv)
        else:
            raise AssertionError("lq-storm not found: " + storm)
        ok = True
    except Exception:
        if env.dhcpd is not None:
            print("---- dhcpd log ----\n" + env.dhcpd_log()[-4000:], flush=True)
        raise
    finally:
        env.cleanup()
    print("PASS" if ok else "FAIL", flush=True)


if __name__ == "__main__":
    main()
