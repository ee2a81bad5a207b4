#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""RFC 3118 delayed authentication of leasequery (RFC 4388 section 7), end to end.

One lqd on net_af_packet (veth into namespace lqau-<pid>), leases from the
sample Kea CSV, `policy.auth.mode` = required with key 7 for the relay
192.0.2.2/32. Asserted:
  * lq-query --auth-key 7:SECRET gets its answer and reports it verified
    (lq-query accepts only a reply signed with its key);
  * an independent signer/verifier in Python (hmac + hashlib, i.e. OpenSSL's
    MD5, not lqd's) gets a reply whose option 90 verifies, and the same
    packet sent again is dropped as a replay;
  * a wrong secret, an unknown key ID and an unsigned query get no answer,
    and lqd counts each under its own engine_drop_auth_* reason;
  * replay counters survive a crash: once the Python peer's counter is in
    <state-dir>/auth-replay, lqd is killed with SIGKILL and restarted; the
    query captured before is sent again and dropped as a replay (counted),
    while a fresh signed query is still answered.
Exit 77 (skip) only without root or network namespaces. Env: LQD_BIN, LQ_QUERY.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lqd_harness as h  # noqa: E402

SERVER, RELAY = "192.0.2.1", "192.0.2.2"
SECRET = "lqd-auth-test-secret"

# Runs inside the namespace: sign a by-IP leasequery with Python's HMAC-MD5,
# send it twice, verify the reply's option 90 the RFC 3118 way.
PY_PEER = r'''
import hmac, json, socket, struct, sys, time
server, relay, secret, key_id = sys.argv[1], sys.argv[2], sys.argv[3].encode(), int(sys.argv[4])
capture, resend = sys.argv[5], len(sys.argv) > 6 and sys.argv[6] == "resend"
def mac_of(msg, mac_at):
    m = bytearray(msg)
    m[3] = 0; m[24:28] = b"\0" * 4; m[mac_at:mac_at + 16] = b"\0" * 16
    return hmac.new(secret, bytes(m), "md5").digest()
def options(msg):
    i, out = 240, {}
    while i < len(msg) and msg[i] != 255:
        if msg[i] == 0: i += 1; continue
        out[msg[i]] = (i + 2, msg[i + 2:i + 2 + msg[i + 1]]); i += 2 + msg[i + 1]
    return out
counter = time.time_ns()
hdr = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 0, 0, 0, 0x5eed, 0, 0,
                  socket.inet_aton("198.51.100.10"), b"\0" * 4, b"\0" * 4, socket.inet_aton(relay),
                  b"\0" * 16, b"\0" * 64, b"\0" * 128) + b"\x63\x82\x53\x63"
opts = b"\x35\x01\x0a" + b"\x37\x02\x33\x5b"
auth = bytes([90, 31, 1, 1, 0]) + counter.to_bytes(8, "big") + key_id.to_bytes(4, "big") + b"\0" * 16
mac_at = len(hdr) + len(opts) + 2 + 15
msg = bytearray(hdr + opts + auth + b"\xff")
msg += b"\0" * (300 - len(msg))
msg[mac_at:mac_at + 16] = mac_of(msg, mac_at)
if resend:  # the packet captured by an earlier run, byte for byte
    msg = open(capture, "rb").read()
else:
    open(capture, "wb").write(bytes(msg))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((relay, 67))
s.settimeout(3)
res = {"counter": int.from_bytes(msg[mac_at - 12:mac_at - 4], "big")}
for attempt in (("resend",) if resend else ("first", "replay")):
    s.sendto(bytes(msg), (server, 67))
    try:
        reply, _ = s.recvfrom(4096)
    except socket.timeout:
        res[attempt] = None; continue
    o = options(reply)
    r = {"type": o[53][1][0], "ciaddr": socket.inet_ntoa(reply[12:16])}
    if 90 in o:
        at, v = o[90]
        r["proto"], r["alg"], r["rdm"] = v[0], v[1], v[2]
        r["counter"] = int.from_bytes(v[3:11], "big")
        r["key_id"] = int.from_bytes(v[11:15], "big")
        r["mac_ok"] = len(v) == 31 and hmac.compare_digest(v[15:31], mac_of(reply, at + 15))
    res[attempt] = r
print(json.dumps(res))
'''


class Test:
    def __init__(self):
        self.lq = h.tool_binary("LQ_QUERY", "client/lq-query")
        self.ns = h.Netns("lqau", RELAY + "/24")
        self.lqd = None

    def cleanup(self):
        if self.lqd:
            code, out = self.lqd.stop()
            print("--- lqd output (exit %s) ---\n%s" % (code, out[-2000:]), flush=True)
            self.lqd.cleanup()
        self.ns.delete()

    def start(self):
        self.ns.create()
        self.lqd = h.Lqd("lqau", ["-l", "0-1"], {}, netns=self.ns.name)
        leases, _ = h.fresh_leases(self.lqd.tmp)
        self.state_dir = os.path.join(self.lqd.tmp, "state")
        self.capture = os.path.join(self.lqd.tmp, "captured-query.bin")
        self.lqd.config = {
            "ports": [{"device": "net_af_packet0,iface=" + self.ns.dp, "addresses": [SERVER]}],
            "authoritative-ranges": ["198.51.100.0/24"],
            "leases": leases,
            "control": {"state-dir": self.state_dir},
            "policy": {"auth": {"mode": "required", "keys": [
                {"id": 7, "secret": SECRET, "requesters": [RELAY + "/32"]},
                {"id": 9, "secret-hex": "00112233", "requesters": ["203.0.113.0/24"]}]}},
        }
        self.lqd.start()

    def query(self, *args):
        cmd = ["ip", "netns", "exec", self.ns.name, self.lq, "--server", SERVER, "--giaddr", RELAY,
               "--timeout", "2", "--retries", "0", "--json", "--ip", "198.51.100.10"] + list(args)
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        print("lq-query %s -> exit %d %s" % (" ".join(args), r.returncode, r.stdout.strip()), flush=True)
        return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else {}), r.stderr

    def drops(self):
        s = self.lqd.stats()
        return {k: v for k, v in s.items() if k.startswith("engine_drop_auth")}, s["replies"]

    def delta(self, before, after):
        return {k: after[0][k] - before[0][k] for k in after[0] if after[0][k] != before[0][k]}, \
            after[1] - before[1]

    def wait_counted(self, before, key):
        # The drop is counted by the lcore shortly after the query left; poll.
        deadline = time.time() + 5
        while time.time() < deadline and self.drops()[0][key] == before[0][key]:
            time.sleep(0.05)
        return self.delta(before, self.drops())

    def run(self):
        before = self.drops()
        rc, out, err = self.query("--auth-key", "7:" + SECRET)
        h.expect(rc == 0, "signed query answered ACTIVE: exit %d" % rc, err)
        h.expect(out.get("auth") == "verified", "lq-query verified the reply's signature", out)
        h.expect(out["answer"]["ciaddr"] == "198.51.100.10", "answer", out)
        d = self.delta(before, self.drops())
        h.expect(d == ({}, 1), "one reply, no auth drop", d)

        before = self.drops()
        res = self.py_peer()
        print("python peer:", res, flush=True)
        first = res["first"]
        h.expect(first is not None and first["type"] == 13, "independently signed query answered", res)
        h.expect((first["proto"], first["alg"], first["rdm"], first["key_id"]) == (1, 1, 0, 7),
               "reply carries delayed-auth option 90 with key 7", first)
        h.expect(first["mac_ok"], "reply's HMAC-MD5 verifies with Python's hmac", first)
        h.expect(first["counter"] > int(time.time() - 3600) << 32, "reply counter clock-seeded", first)
        h.expect(res["replay"] is None, "the same packet again gets no answer", res)
        d = self.wait_counted(before, "engine_drop_auth_replay")
        h.expect(d == ({"engine_drop_auth_replay": 1}, 1), "one reply, one replay drop", d)

        for args, reason in ((["--auth-key", "7:wrong-secret"], "engine_drop_auth_bad_mac"),
                             (["--auth-key", "8:" + SECRET], "engine_drop_auth_unknown_key"),
                             (["--auth-key", "9:hex:00112233"], "engine_drop_auth_unknown_key"),
                             ([], "engine_drop_auth_missing")):
            before = self.drops()
            rc, out, err = self.query(*args)
            h.expect(rc == 3, "%s: no answer expected, exit %d" % (args, rc), (out, err))
            d = self.wait_counted(before, reason)
            h.expect(d == ({reason: 1}, 0), "%s counted as %s only" % (args, reason), d)
        self.replay_after_crash(res["counter"])
        print("PASS checks", flush=True)

    def py_peer(self, *extra):
        r = subprocess.run(["ip", "netns", "exec", self.ns.name, "/usr/bin/python3", "-c", PY_PEER,
                            SERVER, RELAY, SECRET, "7", self.capture] + list(extra), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
        h.expect(r.returncode == 0, "python peer", r.stderr)
        return json.loads(r.stdout)

    def persisted_counter(self):
        try:
            with open(os.path.join(self.state_dir, "auth-replay")) as f:
                for line in f:
                    if line.startswith("7 %s " % RELAY):
                        return int(line.split()[2])
        except FileNotFoundError:
            pass
        return None

    def replay_after_crash(self, counter):
        # The control thread saves the table within about a second; only
        # then is the counter promised to outlive a crash.
        deadline = time.time() + 10
        while time.time() < deadline and (self.persisted_counter() or 0) < counter:
            time.sleep(0.1)
        h.expect((self.persisted_counter() or 0) >= counter, "counter %d saved in the state dir" % counter,
                 self.persisted_counter())
        self.lqd.kill9()
        self.lqd.start()
        h.expect("replay counters of 1 requesters restored" in self.lqd.output(), "restore logged",
                 self.lqd.output()[-2000:])
        before = self.drops()
        res = self.py_peer("resend")
        print("captured query sent again after kill -9 and restart:", res, flush=True)
        h.expect(res["counter"] == counter and res["resend"] is None,
                 "the query captured before the crash gets no answer", res)
        d = self.wait_counted(before, "engine_drop_auth_replay")
        h.expect(d == ({"engine_drop_auth_replay": 1}, 0), "counted as one replay, no reply", d)
        rc, out, err = self.query("--auth-key", "7:" + SECRET)
        h.expect(rc == 0 and out.get("auth") == "verified", "a fresh signed query is still answered", (out, err))


def main():
    if os.geteuid() != 0:
        h.skip("needs root (network namespaces, AF_PACKET, DPDK runtime directory)")
    h.lqd_binary()
    t = Test()
    # SIGTERM (meson's timeout): lqd_harness kills what the test started, then exits.
    try:
        t.start()
        t.run()
    finally:
        t.cleanup()
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
