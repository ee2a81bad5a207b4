#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""kill -9 of lqd in the middle of a snapshot: nothing acknowledged is lost.

lqd (a net_null port: no traffic is needed; the Kea HA endpoint and the API
on 127.0.0.1) starts from a Kea CSV of ~200,000 leases, so that writing a
snapshot takes a while, and snapshots after every 300 journaled updates.
This process plays Kea: it pushes lease4-updates for new leases (one
connection at a time, as Kea's HA hook does) and remembers each one lqd
acknowledged. Once lqd has acknowledged at least 150 pushes in its current
run (so not the snapshot a restart may take of what it recovered), the
moment `snapshot.tmp` appears in the state directory it kills lqd with
SIGKILL; if the file is still there afterwards, the kill
landed mid-snapshot (lqd had already rotated to a new journal, the previous
snapshot is still the valid one). lqd is then restarted on the same
directory and must serve every acknowledged lease, with its MAC, and the
bootstrap CSV's. Two mid-snapshot kills in a row are required (the second
recovers from the first's leftovers); kills that missed the snapshot are
retried, at most 12 attempts in all.
Exit 77 (skip) without root (DPDK runtime directory).
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lqd_harness as h  # noqa: E402

MGMT, HA = 18480, 18481
POPULATION = "10.64.0.0/14"   # ~210,000 active leases in the bootstrap CSV
PUSH_BASE = (198 << 24) | (18 << 16)  # pushed leases: 198.18.0.0/15
SNAPSHOT_EVERY = 300
KILLS_WANTED, ATTEMPTS = 2, 12


def ip_str(v):
    return "%d.%d.%d.%d" % (v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255)


def mac_for(n):
    return "02:5c:00:%02x:%02x:%02x" % ((n >> 16) & 255, (n >> 8) & 255, n & 255)


class Pusher(threading.Thread):
    """Pushes lease4-update for lease n, n+1, ... until a push is not
    acknowledged (lqd died) or stop is set; `acked` gets each acknowledged n."""

    def __init__(self, first):
        super().__init__(daemon=True)
        self.next = first
        self.acked = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            n = self.next
            now = int(time.time())
            body = {"command": "lease4-update", "service": ["dhcp4"], "arguments": {
                "ip-address": ip_str(PUSH_BASE + n), "hw-address": mac_for(n), "expire": now + 7200,
                "valid-lft": 7200, "state": 0, "subnet-id": 1, "force-create": True,
                "fqdn-fwd": False, "fqdn-rev": False, "hostname": "crash-%d" % n}}
            st, text = h.http("POST", HA, "/", body, timeout=30)
            if st is None:
                return  # no answer: lqd is gone, this one was not acknowledged
            h.expect(st == 200 and '"result":0' in text.replace(" ", ""), "push %d acknowledged" % n, text)
            self.acked.append(n)
            self.next = n + 1


def config(state_dir, leases):
    return {
        "ports": [{"device": "net_null0", "addresses": ["192.0.2.1"]}],
        "authoritative-ranges": [POPULATION, "198.18.0.0/15"],
        "leases": leases,
        "control": {"state-dir": state_dir,
                    "management": {"address": "127.0.0.1", "port": MGMT},
                    "kea-ha": {"address": "127.0.0.1", "port": HA},
                    "snapshot-every-updates": SNAPSHOT_EVERY},
    }


def verify(acked, sample):
    """Every acknowledged push and a sample of the bootstrap leases, by IP."""
    missing = []
    for n in acked:
        st, body = h.http("GET", MGMT, "/v1/leases?ip=" + ip_str(PUSH_BASE + n))
        if st != 200 or mac_for(n) not in body:
            missing.append((ip_str(PUSH_BASE + n), st, body[:200]))
    h.expect(not missing, "%d of %d acknowledged leases lost after the crash" % (len(missing), len(acked)),
             missing[:5])
    for ip in sample:
        st, body = h.http("GET", MGMT, "/v1/leases?ip=" + ip)
        h.expect(st == 200 and ip in body, "bootstrap lease %s after the crash" % ip, (st, body[:200]))


def main():
    if os.geteuid() != 0:
        h.skip("needs root (DPDK runtime directory /var/run/dpdk)")
    h.lqd_binary()
    storm = h.tool_binary("LQ_STORM", "client/lq-storm")
    work = tempfile.mkdtemp(prefix="lqd-crashsnap-")
    lqd = None
    try:
        leases = os.path.join(work, "bootstrap.csv")
        r = subprocess.run([storm, "--population", POPULATION, "--write-leases", leases],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        h.expect(r.returncode == 0, "lq-storm --write-leases", r.stderr)
        with open(leases) as f:
            next(f)
            rows = [line.split(",", 1)[0] for line in f]
        sample = random.Random(7).sample(rows, 50)
        state = os.path.join(work, "state")
        os.mkdir(state)
        tmp_snap = os.path.join(state, "snapshot.tmp")
        acked, kills, attempt, next_n = [], 0, 0, 0
        while kills < KILLS_WANTED:
            attempt += 1
            h.expect(attempt <= ATTEMPTS, "no kill landed mid-snapshot in %d attempts" % ATTEMPTS)
            lqd = h.Lqd("lqcrash", ["-l", "0"], config(state, leases))
            lqd.start(timeout=120)
            if acked:
                verify(acked, sample)  # what the previous crash left
            pusher = Pusher(next_n)
            pusher.start()
            # Watch for a snapshot being written while pushes flow (not the one
            # a restart may take of what it recovered); kill lqd the moment it is.
            deadline, seen = time.time() + 60, False
            while time.time() < deadline and pusher.is_alive():
                if len(pusher.acked) >= SNAPSHOT_EVERY // 2 and os.path.exists(tmp_snap):
                    seen = True
                    break
                time.sleep(0.0005)
            h.expect(seen, "attempt %d: no snapshot within 60 s (%d pushes acknowledged)" %
                     (attempt, len(pusher.acked)), lqd.output()[-2000:])
            lqd.kill9()
            mid = os.path.exists(tmp_snap)
            pusher.stop.set()
            pusher.join(40)
            h.expect(not pusher.is_alive(), "the pusher stopped after the kill")
            acked += pusher.acked
            next_n = pusher.next + 1  # the push in flight at the kill may or may not have landed
            print("attempt %d: killed %s a snapshot; %d pushes acknowledged so far; state dir: %s" %
                  (attempt, "in the middle of" if mid else "just after", len(acked), sorted(os.listdir(state))),
                  flush=True)
            kills += mid
            lqd.cleanup()  # the state directory is not lqd's tmp: it stays, leftovers and all
            lqd = None
        # The last crash's recovery, checked in full.
        lqd = h.Lqd("lqcrash", ["-l", "0"], config(state, leases))
        lqd.start(timeout=120)
        verify(acked, sample)
        out = lqd.output()
        h.expect("CORRUPT" not in out, "no snapshot was reported corrupt after the crashes", out[-3000:])
        code, out = lqd.stop()
        h.expect(code == 0, "lqd exit %s" % code, out[-2000:])
        print("PASS: %d kills mid-snapshot in %d attempts, %d acknowledged leases and %d bootstrap samples "
              "all served after restart" % (kills, attempt, len(acked), len(sample)), flush=True)
    except Exception:
        if lqd:
            print("--- lqd output ---\n%s" % lqd.output()[-4000:], flush=True)
        raise
    finally:
        if lqd:
            lqd.cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
