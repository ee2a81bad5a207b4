#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Disk full under a running lqd: it keeps serving, says so, and recovers by itself.

lqd (net_af_packet on a veth into a namespace; management API and the Kea HA
endpoint on the namespace's loopback) keeps its journal and snapshots on a
512 KB tmpfs this test mounts. This process plays Kea (lease4-update POSTs)
and the relay. Checked:
  * healthy: /healthz 200, lqd_degraded 0;
  * the tmpfs filled to the last byte, then more pushes: once the journal
    cannot take them they are no longer acknowledged; /healthz turns 503
    "degraded: ... disk full ...", /metrics lqd_degraded 1, the log says
    "disk full", and leasequeries for the leases pushed meanwhile are
    answered ACTIVE from memory;
  * space freed: /healthz back to 200 without any action (the backlog is
    written by the control loop's retry), pushes acknowledged again;
  * lqd restarted on the same state directory: every lease pushed while the
    disk was full is still there (nothing acknowledged was lost).
Exit 77 (skip) only without root/netns/veth/tmpfs.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lqd_harness as h  # noqa: E402

lq = h.lq_client
SERVER, RELAY = "192.0.2.1", "192.0.2.2"
MGMT, HA = 18380, 18381


def push(ip, mac_last):
    now = int(time.time())
    body = {"command": "lease4-update", "service": ["dhcp4"], "arguments": {
        "ip-address": ip, "hw-address": "02:00:00:00:%02x:%02x" % (mac_last >> 8, mac_last & 0xff),
        "client-id": "01:02:00:00:00:%02x:%02x" % (mac_last >> 8, mac_last & 0xff),
        "expire": now + 3600, "valid-lft": 3600, "state": 0, "subnet-id": 1, "force-create": True,
        "fqdn-fwd": False, "fqdn-rev": False, "hostname": "cpe-%d" % mac_last}}
    st, text = h.http("POST", HA, "/", body)
    if st is None:
        return False  # not acknowledged: lqd closed the connection (the journal is failing)
    assert st == 200 and '"result": 0' in text.replace('"result":0', '"result": 0'), (ip, st, text)
    return True


def lqd_config(ns, state_dir, leases):
    """lqd on the namespace's veth, its replica persisted in `state_dir`,
    the Kea HA endpoint and the API on the namespace's loopback."""
    return {
        "ports": [{"device": "net_af_packet0,iface=" + ns.dp, "addresses": [SERVER]}],
        "authoritative-ranges": ["198.51.100.0/24", "203.0.113.0/24"],
        "leases": leases,
        "control": {"state-dir": state_dir,
                    "management": {"address": "127.0.0.1", "port": MGMT},
                    "kea-ha": {"address": "127.0.0.1", "port": HA},
                    "snapshot-every-updates": 100000},
    }


def wait_health(want_status, deadline_s=20):
    deadline = time.time() + deadline_s
    st, body = None, ""
    while time.time() < deadline:
        st, body = h.http("GET", MGMT, "/healthz")
        if st == want_status:
            return body
        time.sleep(0.1)
    raise AssertionError("/healthz stayed %s %r, expected %s" % (st, body, want_status))


def degraded_gauge():
    st, text = h.http("GET", MGMT, "/metrics")
    assert st == 200, st
    line = [l for l in text.splitlines() if l.startswith("lqd_degraded ")]
    assert line, text[:500]
    return int(float(line[0].split()[1]))


def active(ip):
    r = lq.Relay(RELAY, SERVER, timeout=1.0)
    try:
        reply, _ = r.query(retries=2, ciaddr=ip)
    finally:
        r.close()
    if reply is None or reply["type"] != 13:
        print("query %s: reply %r" % (ip, reply), flush=True)
    return reply is not None and reply["type"] == 13


def main():
    if os.geteuid() != 0:
        h.skip("needs root (namespaces, tmpfs)")
    ns = h.Netns("lqd-pf", RELAY + "/24")
    lqd = h.Lqd("lqd-pf", ["-l", "0-1"], {}, netns=ns.name)
    state = os.path.join(lqd.tmp, "state-fs")
    os.makedirs(state)
    mounted = False
    try:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "lqd-pf", state]).returncode != 0:
            h.skip("cannot mount a tmpfs")
        mounted = True
        ns.create()
        leases, _ = h.fresh_leases(lqd.tmp)
        lqd.config = lqd_config(ns, state + "/lqd", leases)
        lqd.start()
        ns.enter()

        push("203.0.113.1", 1)
        assert wait_health(200).startswith("ok"), "healthy at start"
        assert degraded_gauge() == 0
        assert active("203.0.113.1")

        # Fill the tmpfs to the last byte.
        filler = os.path.join(state, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"x" * 4096)
        except OSError:
            pass  # ENOSPC: full
        finally:
            os.close(fd)
        # More than the journal's current page can take. What no longer fits
        # is applied and served, but not acknowledged (Kea is not told a lie).
        acks = [push("203.0.113.%d" % i, i) for i in range(2, 200)]
        print("pushes while full: %d acknowledged (fit in the journal's last page), %d not"
              % (acks.count(True), acks.count(False)), flush=True)
        assert acks.count(False) > 0, "pushes acknowledged although the journal cannot take them"
        assert all(acks[:acks.index(False)]) and not any(acks[acks.index(False):]), \
            "once the journal fails no push is acknowledged until space returns: %r" % acks
        body = wait_health(503)
        print("healthz while full:", body.strip(), flush=True)
        assert body.startswith("degraded:") and "disk full" in body, body
        assert degraded_gauge() == 1
        assert "disk full" in lqd.output(), lqd.output()[-2000:]
        for ip in ("203.0.113.2", "203.0.113.150", "203.0.113.199", "198.51.100.10"):
            assert active(ip), "%s not answered while the disk is full" % ip

        os.unlink(filler)
        body = wait_health(200)
        print("healthz after freeing:", body.strip(), flush=True)
        assert degraded_gauge() == 0
        assert push("203.0.113.200", 200), "acknowledged again once space returned"

        # Restart on the same state directory, without the pushes' source.
        code, out = lqd.stop()
        assert code == 0, out[-2000:]
        lqd.start()
        missing = [i for i in range(1, 201) if not active("203.0.113.%d" % i)]
        assert not missing, "leases pushed while the disk was full lost across restart: %s" % missing
    finally:
        code, out = lqd.stop()
        print("--- lqd output (exit %s) ---\n%s" % (code, out[-2500:]), flush=True)
        lqd.cleanup()
        ns.delete()
        if mounted:
            subprocess.run(["umount", "-l", state])
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
