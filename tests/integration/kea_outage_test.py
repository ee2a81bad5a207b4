#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The primary goes away under a running lqd, and comes back.

Same namespace layout as control_kea_test.py (real kea-dhcp4 with lqd as its
HA backup peer, kea-ctrl-agent for the pull, this process as the relay),
with a 3-second pull interval. Checked:
  * lease A arrives by push and is ACTIVE;
  * Kea (kea-dhcp4 and kea-ctrl-agent) stopped: lqd keeps answering A from
    its replica, /metrics lqd_replica_lag_seconds{source="kea-pull"} keeps
    growing past the interval, the failed pulls are logged, /healthz stays 200;
  * Kea restarted on the same lease file, but with lqd's peer URL pointing
    nowhere (the push path is cut, as when the backup peer is unreachable):
    lease B made then never reaches lqd by push, and the periodic pull brings
    it (ACTIVE with its option 82) once Kea is back; the pull lag drops again;
  * a silent partition: iptables DROPs every packet to and from
    kea-ctrl-agent (nothing is refused, so each pull request hangs until its
    `timeout-ms`). The failures are logged as timeouts; meanwhile lqd keeps
    answering A and B, /healthz and /metrics answer within 1 s every time
    (the pull runs in its own thread), a lease4-update POSTed to the HA
    endpoint is acknowledged at once and served, and the pull lag grows.
    Lease D made on Kea during the partition is unknown to lqd until the
    DROP rules go, then the pull brings it and the lag drops.
Runtime ~50 s. Exit 77 (skip) without root, namespaces, Kea or iptables.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lqd_harness as h  # noqa: E402
from dhcp_relay import Relay as DhcpRelay, wait_for  # noqa: E402
import control_kea_test as ck  # noqa: E402  (Kea configs and constants)

lq = h.lq_client
SERVER, RELAY = ck.SERVER, ck.RELAY
HA_PORT, CA_PORT, MGMT_PORT = 18101, 18100, 18180
DEAD_PORT = 18199  # nothing listens here: Kea's pushes to lqd fail
PULL_INTERVAL = 3
PULL_TIMEOUT_MS = 3000  # what a silently dropped request waits before failing
# The control thread must not wait for a hanging pull: an answer blocked by
# one would take the whole PULL_TIMEOUT_MS. Two thirds of it tells the two
# apart with room for a loaded machine (or a sanitizer build).
API_BOUND_S = PULL_TIMEOUT_MS / 1000.0 * 2 / 3


def http(method, port, path, body=None, user=None, password=None):
    return h.http(method, port, path, body, user, password)


def pull_lag():
    st, text = http("GET", MGMT_PORT, "/metrics")
    assert st == 200, st
    m = re.search(r'^lqd_replica_lag_seconds\{source="kea-pull"\} (\d+)$', text, re.M)
    return int(m.group(1)) if m else None


def iptables(ns, op):
    """Adds (-A) or deletes (-D) the partition: every TCP segment to or from
    kea-ctrl-agent's port is dropped, silently (no RST, no ICMP)."""
    for rule in (["--dport", str(CA_PORT)], ["--sport", str(CA_PORT)]):
        h.run("ip", "netns", "exec", ns.name, "iptables", op, "INPUT", "-p", "tcp", *rule, "-j", "DROP")


def timed_get(path):
    t0 = time.monotonic()
    st, text = http("GET", MGMT_PORT, path)
    return st, text, time.monotonic() - t0


def partition(ns, lqd, kea, ask, rai, ip_a, ip_b):
    failures_before = lqd.output().count("kea-pull failed")
    iptables(ns, "-A")
    try:
        lag0 = pull_lag()
        ip_d, _ = kea.dora("02:00:00:00:0b:04", rai(4))  # DHCP itself is not cut; the push goes nowhere
        # Until a pull has failed by timeout and the lag has grown past the
        # interval, keep checking that the management API never waits on it.
        worst, samples, seen_timeout = 0.0, 0, False
        deadline = time.time() + 30
        while time.time() < deadline:
            for path in ("/healthz", "/metrics"):
                st, _, took = timed_get(path)
                h.expect(st == 200, "%s answers during the partition" % path, st)
                worst, samples = max(worst, took), samples + 1
            out = lqd.output()
            seen_timeout = out.count("kea-pull failed") > failures_before and "timed out" in out
            lag = pull_lag()
            if seen_timeout and lag >= lag0 + PULL_INTERVAL + 2:
                break
            time.sleep(0.2)
        h.expect(seen_timeout, "a pull failed by timeout during the partition", lqd.output()[-2000:])
        h.expect(lag >= lag0 + PULL_INTERVAL + 2, "pull lag grows during the partition (%s -> %s)" % (lag0, lag))
        h.expect(worst < API_BOUND_S, "management API answered within %.1f s during the partition "
                 "(worst %.3f s over %d requests; a pull request hangs %d ms)"
                 % (API_BOUND_S, worst, samples, PULL_TIMEOUT_MS))
        # Kea HA ingest is served by the same thread: a push is acknowledged at once.
        now = int(time.time())
        t0 = time.monotonic()
        st, text = h.http("POST", HA_PORT, "/", {"command": "lease4-update", "service": ["dhcp4"], "arguments": {
            "ip-address": "198.51.100.190", "hw-address": "02:00:00:00:0b:05", "expire": now + 3600,
            "valid-lft": 3600, "state": 0, "subnet-id": 1, "force-create": True, "fqdn-fwd": False,
            "fqdn-rev": False, "hostname": "cpe-e"}}, "foo", "bar")
        took = time.monotonic() - t0
        h.expect(st == 200 and '"result": 0' in text.replace('"result":0', '"result": 0'), "push acknowledged", text)
        h.expect(took < API_BOUND_S, "push acknowledged within %.1f s during the partition (%.3f s)" % (API_BOUND_S, took))
        h.expect(ask("198.51.100.190")["type"] == 13, "the pushed lease is served")
        for ip in (ip_a, ip_b):
            h.expect(ask(ip)["type"] == 13, "%s served from the replica during the partition" % ip)
        h.expect(ask(ip_d)["type"] != 13, "lease D (made during the partition) not known yet")
        print("partition: pull lag %d -> %d s, management worst %.3f s over %d requests, push ack %.3f s"
              % (lag0, lag, worst, samples, took), flush=True)
    finally:
        iptables(ns, "-D")
    d = wait_for(lambda: (lambda r: r if r["type"] == 13 else None)(ask(ip_d)),
                 "lease D recovered by the pull after the partition healed",
                 timeout=PULL_INTERVAL * 3 + 2 * PULL_TIMEOUT_MS / 1000 + 10)
    h.expect(d["options"][82] == rai(4), "D's option 82", d)
    wait_for(lambda: (lambda v: v is not None and v <= PULL_INTERVAL + 1)(pull_lag()),
             "pull lag back to the interval after the partition", timeout=PULL_INTERVAL * 5)


def main():
    for binary in (ck.KEA_DHCP, ck.KEA_CA):
        if not os.access(binary, os.X_OK):
            h.skip(binary + " is not installed (scripts/install-deps.sh installs kea)")
    if os.geteuid() != 0:
        h.skip("needs root (network namespaces)")
    if not shutil.which("iptables"):
        h.skip("iptables is not installed (scripts/install-deps.sh installs it): needed for the partition")
    ck.CA_PORT = CA_PORT  # kea_conf/ca_conf read the module's ports
    ns = h.Netns("lqko", RELAY + "/24")
    ns.create()
    tmp = tempfile.mkdtemp(prefix="lqd-kea-outage-")
    kea_procs = []
    lqd = None
    try:
        os.chmod(tmp, 0o755)
        env = dict(os.environ, KEA_PIDFILE_DIR=tmp, KEA_LOCKFILE_DIR=tmp)

        def write_confs(ha_port):
            for name, conf in (("kea-dhcp4.json", ck.kea_conf(tmp, "http://127.0.0.1:%d/" % ha_port)),
                               ("kea-ctrl-agent.json", ck.ca_conf(tmp))):
                with open(os.path.join(tmp, name), "w") as f:
                    json.dump(conf, f, indent=1)

        def start_kea():
            for binary, conf in ((ck.KEA_DHCP, "kea-dhcp4.json"), (ck.KEA_CA, "kea-ctrl-agent.json")):
                log = open(os.path.join(tmp, os.path.basename(binary) + ".out"), "a")
                kea_procs.append(subprocess.Popen(
                    ["ip", "netns", "exec", ns.name, "timeout", "600", binary, "-c", os.path.join(tmp, conf)],
                    stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True))
            wait_for(lambda: http("POST", CA_PORT, "/", {"command": "list-commands", "service": ["dhcp4"]},
                                  "appliance", "secret")[0] == 200, "kea-ctrl-agent", timeout=30)

        def stop_kea():
            while kea_procs:
                h.stop_group(kea_procs.pop())
            if os.path.exists(tmp + "/kea4.sock"):
                os.unlink(tmp + "/kea4.sock")

        write_confs(HA_PORT)
        ns.enter()
        start_kea()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((RELAY, 67))
        kea = DhcpRelay(RELAY, "127.0.0.1", sock)

        def rai(n):
            cid = ("cable2/0/%d" % n).encode()
            return bytes([1, len(cid)]) + cid

        config = {
            "ports": [{"device": "net_af_packet0,iface=" + ns.dp, "addresses": [SERVER]}],
            "authoritative-ranges": ["198.51.100.10-198.51.100.200"],
            "control": {
                "state-dir": os.path.join(tmp, "lqd-state"),
                "management": {"address": "127.0.0.1", "port": MGMT_PORT},
                "kea-ha": {"address": "127.0.0.1", "port": HA_PORT, "user": "foo", "password": "bar"},
                "kea-pull": {"url": "http://127.0.0.1:%d/" % CA_PORT, "user": "appliance",
                             "password": "secret", "interval-seconds": PULL_INTERVAL,
                             "timeout-ms": PULL_TIMEOUT_MS},
            },
        }
        lqd = h.Lqd("lqko", ["-l", "0-1"], config)
        lqd.start()
        wait_for(lambda: http("GET", MGMT_PORT, "/readyz")[0] == 200, "lqd /readyz")
        relay = lq.Relay(RELAY, SERVER, timeout=2.0)
        relay.sock.close()
        relay.sock = sock

        def ask(ip):
            r, _ = relay.query(retries=3, ciaddr=ip)
            assert r is not None, "lqd did not answer for %s" % ip
            return r

        ip_a, _ = kea.dora("02:00:00:00:0b:01", rai(1))
        wait_for(lambda: ask(ip_a)["type"] == 13, "lease A pushed")

        # ---- Kea goes away.
        stop_kea()
        lag0 = wait_for(lambda: pull_lag(), "a kea-pull lag gauge")
        lag = wait_for(lambda: (lambda v: v if v is not None and v >= lag0 + PULL_INTERVAL + 2 else None)(pull_lag()),
                       "pull lag to grow while Kea is down", timeout=30)
        print("pull lag while Kea is down: %d s (was %d)" % (lag, lag0), flush=True)
        a = ask(ip_a)
        assert a["type"] == 13 and a["options"][82] == rai(1), "A not served from the replica: %r" % a
        assert http("GET", MGMT_PORT, "/healthz")[0] == 200
        assert "kea-pull failed" in lqd.output(), lqd.output()[-1500:]

        # ---- Kea returns, its pushes to lqd cut; a lease made now comes by pull.
        write_confs(DEAD_PORT)
        start_kea()
        ip_b, _ = kea.dora("02:00:00:00:0b:02", rai(2))
        assert ip_b != ip_a
        b = wait_for(lambda: (lambda r: r if r["type"] == 13 else None)(ask(ip_b)),
                     "lease B (made while pushes fail) recovered by the pull", timeout=PULL_INTERVAL * 5)
        assert b["options"][82] == rai(2) and b["chaddr"] == "02:00:00:00:0b:02", b
        wait_for(lambda: (lambda v: v is not None and v <= PULL_INTERVAL + 1)(pull_lag()),
                 "pull lag back to the interval", timeout=PULL_INTERVAL * 5)
        st, metrics = http("GET", MGMT_PORT, "/metrics")
        m = re.search(r'^lqd_replica_lag_seconds\{source="kea-ha-push"\} (\d+)$', metrics, re.M)
        assert m and int(m.group(1)) >= lag, "push lag should keep growing (pushes are cut): %s" % m
        partition(ns, lqd, kea, ask, rai, ip_a, ip_b)
        print("kea_outage_test: A served while Kea was down (pull lag reached %d s), B recovered by "
              "the pull, partition survived: OK" % lag, flush=True)
        code, out = lqd.stop()
        assert code == 0, out[-2000:]
        return 0
    except Exception:
        h.print_failure_logs(tmp, [lqd])
        raise
    finally:
        h.teardown(kea_procs, [lqd], ns, tmp)


if __name__ == "__main__":
    sys.exit(main())
