#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""lqd following a real ISC dhcpd 4.4's lease file (dhcpd.leases).

Two network namespaces: dhcpd runs alone in `lqds-<pid>` on dh-s
(10.99.0.1), reached over a veth from `lqdh-<pid>`, where lqd runs on
another veth end (net_af_packet, 192.0.2.1). This process enters
`lqdh-<pid>` and is a relay agent twice over: at 198.51.100.1 (giaddr) it
relays DHCP clients with option 82 to dhcpd (DISCOVER/REQUEST, RELEASE,
DECLINE); at 192.0.2.2 it sends leasequeries to lqd.

lqd's only feed is a `dhcpd-leases` follower on dhcpd's lease file. Checked:
leases made before lqd started (initial read) and while it runs (tail) are
ACTIVE with the exact option 82 bytes and chaddr, by IP, MAC and client-id;
released and declined addresses are UNASSIGNED; the vendor class is kept;
dhcpd is restarted, which rewrites its file (new inode, dhcpd.leases~ keeps
the old one), and lqd still answers correctly, then follows appends to the
new file. Everything started is stopped in finally.
"""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lqd_harness as h  # noqa: E402
from dhcp_relay import Relay as DhcpRelay, dhcp_msg as _dhcp_msg, wait_for  # noqa: E402

lq = h.lq_client
DHCPD = "/usr/sbin/dhcpd"
SERVER, RELAY = "192.0.2.1", "192.0.2.2"        # lqd, and the leasequery relay
GIADDR, DHCPD_IP, LINK_R = "198.51.100.1", "10.99.0.1", "10.99.0.2"
MGMT_PORT = 18081

DHCPD_CONF = """
authoritative;
default-lease-time 3600;
max-lease-time 7200;
ddns-update-style none;
ping-check false;
subnet 10.99.0.0 netmask 255.255.255.0 { }
subnet 198.51.100.0 netmask 255.255.255.0 {
    range 198.51.100.10 198.51.100.200;
    option routers 198.51.100.1;
}
"""


def rai(n):
    """Circuit-id printable (dhcpd writes a quoted string), remote-id binary
    (dhcpd writes unpadded colon hex): both of dhcpd's value forms."""
    cid, rid = ("cable1/0/%d" % n).encode(), bytes([0, 0x11, 0x22, 0x33, 0x0a, n])
    return bytes([1, len(cid)]) + cid + bytes([2, len(rid)]) + rid


def dhcp_msg(mtype, mac, xid, client_id=None, vendor=None, rai_bytes=None, requested=None, server_id=None,
             ciaddr="0.0.0.0"):
    """A client message relayed by this test's relay (see dhcp_relay.dhcp_msg)."""
    return _dhcp_msg(mtype, mac, xid, GIADDR, client_id=client_id, vendor=vendor, rai=rai_bytes,
                     requested=requested, server_id=server_id, ciaddr=ciaddr)


def http_get(path):
    return h.http("GET", MGMT_PORT, path, timeout=5)


def main():
    if os.geteuid() != 0:
        h.skip("needs root (network namespaces, dhcpd on a raw socket)")
    if not os.access(DHCPD, os.X_OK):
        h.skip(DHCPD + " is not installed (apt-get install isc-dhcp-server)")
    h.lqd_binary()  # skips if lqd was not built
    ns = h.Netns("lqdh", RELAY + "/24")
    ns.create()
    srv_ns = "lqds-%d" % os.getpid()
    tmp = tempfile.mkdtemp(prefix="lqd-dhcpd-")
    dhcpd = {"proc": None}
    lqd = None
    leases = os.path.join(tmp, "dhcpd.leases")
    dhcpd_log = os.path.join(tmp, "dhcpd.out")

    def start_dhcpd():
        log = open(dhcpd_log, "a")
        mark = os.path.getsize(dhcpd_log)
        dhcpd["proc"] = subprocess.Popen(
            ["ip", "netns", "exec", srv_ns, "timeout", "600", DHCPD, "-4", "-f", "-d", "-cf",
             os.path.join(tmp, "dhcpd.conf"), "-lf", leases, "-pf", os.path.join(tmp, "dhcpd.pid"), "dh-s"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_for(lambda: "Server starting service" in open(dhcpd_log).read()[mark:]
                 or dhcpd["proc"].poll() is not None, "dhcpd to start")
        if dhcpd["proc"].poll() is not None:
            raise RuntimeError("dhcpd exited:\n" + open(dhcpd_log).read())

    def stop_dhcpd():
        p = dhcpd["proc"]
        if p is None:
            return
        dhcpd["proc"] = None
        h.stop_group(p)

    try:
        os.chmod(tmp, 0o755)
        with open(os.path.join(tmp, "dhcpd.conf"), "w") as f:
            f.write(DHCPD_CONF)
        open(leases, "w").close()
        # dhcpd's own namespace, linked to lqd's: dh-s (dhcpd) <-> dh-r (relay side).
        r = h.run("ip", "netns", "add", srv_ns, check=False)
        if r.returncode != 0:
            raise RuntimeError("ip netns add: " + r.stdout)
        h.register_netns(srv_ns)
        h.run("ip", "-n", ns.name, "link", "add", "dh-r", "type", "veth", "peer", "name", "dh-s")
        h.run("ip", "-n", ns.name, "link", "set", "dh-s", "netns", srv_ns)
        h.run("ip", "-n", ns.name, "addr", "add", LINK_R + "/24", "dev", "dh-r")
        h.run("ip", "-n", ns.name, "addr", "add", GIADDR + "/24", "dev", "dh-r")
        h.run("ip", "-n", ns.name, "link", "set", "dh-r", "up")
        h.run("ip", "-n", srv_ns, "link", "set", "lo", "up")
        h.run("ip", "-n", srv_ns, "addr", "add", DHCPD_IP + "/24", "dev", "dh-s")
        h.run("ip", "-n", srv_ns, "link", "set", "dh-s", "up")
        h.run("ip", "-n", srv_ns, "route", "add", "198.51.100.0/24", "via", LINK_R)
        # dhcpd reads requests from a packet socket: they need real UDP checksums.
        h.run("ip", "netns", "exec", ns.name, sys.executable, os.path.join(h.ROOT, "scripts", "lq_client.py"),
              "--tx-checksum-off", "dh-r")
        start_dhcpd()
        ns.enter()
        dh = DhcpRelay(GIADDR, DHCPD_IP)

        clients = {}
        # A, B: leased before lqd starts -> its initial read of the file.
        clients["A"] = dh.dora("02:00:00:00:0d:01", rai(1), client_id=b"\x01\x02\x00\x00\x00\x0d\x01")
        clients["B"] = dh.dora("02:00:00:00:0d:02", rai(2), vendor=b"docsis3.0")

        config = {
            "ports": [{"device": "net_af_packet0,iface=" + ns.dp, "addresses": [SERVER]}],
            "authoritative-ranges": ["198.51.100.10-198.51.100.200"],
            "control": {
                "management": {"address": "127.0.0.1", "port": MGMT_PORT},
                "followers": [{"type": "dhcpd-leases", "path": leases}],
            },
        }
        lqd = h.Lqd("lqdh", ["-l", "0-1"], config)  # already inside the namespace
        lqd.start()
        wait_for(lambda: http_get("/readyz")[0] == 200, "lqd /readyz")
        relay = lq.Relay(RELAY, SERVER, timeout=1.0)

        def ask(**sel):
            r, _ = relay.query(retries=3, **sel)
            assert r is not None, "lqd did not answer %r" % (sel,)
            return r

        def active(name, mac, n):
            ip = clients[name][0]
            r = wait_for(lambda: (lambda a: a if a["type"] == 13 else None)(ask(ciaddr=ip)),
                         "lease %s (%s) ACTIVE" % (name, ip), timeout=10)
            assert r["chaddr"] == mac, r
            assert r["options"][82] == rai(n), "option 82 of %s: %r != %r" % (name, r["options"].get(82), rai(n))
            return r

        active("A", "02:00:00:00:0d:01", 1)
        active("B", "02:00:00:00:0d:02", 2)
        assert ask(mac="02:00:00:00:0d:01")["ciaddr"] == clients["A"][0]
        assert ask(client_id="01:02:00:00:00:0d:01")["ciaddr"] == clients["A"][0]
        st, body = http_get("/v1/leases?ip=" + clients["B"][0])
        assert st == 200 and json.loads(body)[0].get("vendor-class") == "docsis3.0", body

        # C: leased while lqd runs (tail), then released; D leased then declined.
        clients["C"] = dh.dora("02:00:00:00:0d:03", rai(3))
        active("C", "02:00:00:00:0d:03", 3)
        ip_c, sid = clients["C"]
        xid = int.from_bytes(os.urandom(4), "big")
        dh.send_only(dhcp_msg(7, "02:00:00:00:0d:03", xid, ciaddr=ip_c, server_id=sid))
        wait_for(lambda: ask(ciaddr=ip_c)["type"] == 11, "released C to be UNASSIGNED", timeout=10)
        clients["D"] = dh.dora("02:00:00:00:0d:04", rai(4))
        active("D", "02:00:00:00:0d:04", 4)
        ip_d, sid = clients["D"]
        xid = int.from_bytes(os.urandom(4), "big")
        dh.send_only(dhcp_msg(4, "02:00:00:00:0d:04", xid, requested=ip_d, server_id=sid, rai_bytes=rai(4)))
        wait_for(lambda: ask(ciaddr=ip_d)["type"] == 11, "declined D to be UNASSIGNED", timeout=10)
        assert ask(ciaddr="203.0.113.5")["type"] == 12

        # dhcpd rewrites its lease file when it starts: new inode at the path.
        before = os.stat(leases).st_ino
        stop_dhcpd()
        start_dhcpd()
        wait_for(lambda: os.stat(leases).st_ino != before, "dhcpd to rewrite dhcpd.leases")
        assert os.path.exists(leases + "~") and os.stat(leases + "~").st_ino == before
        wait_for(lambda: "rotated" in lqd.output(), "lqd to notice the rewrite", timeout=10)
        active("A", "02:00:00:00:0d:01", 1)
        active("B", "02:00:00:00:0d:02", 2)
        assert ask(ciaddr=ip_c)["type"] == 11
        assert ask(ciaddr=ip_d)["type"] == 11
        # E: appended to the new file.
        clients["E"] = dh.dora("02:00:00:00:0d:05", rai(5))
        active("E", "02:00:00:00:0d:05", 5)

        out = lqd.output()
        if os.environ.get("LQD_TEST_VERBOSE"):
            print("---- dhcpd.leases\n" + open(leases).read() + "---- lqd\n" + out)
        assert "follower dhcpd-leases" in out and "(skipped)" not in out, out[-3000:]
        code, out = lqd.stop()
        assert code == 0, out[-3000:]
        print("dhcpd_follow_test: %d leases from a real dhcpd, initial read, tail, release, decline, "
              "rewrite on restart: OK" % len(clients))
        return 0
    except Exception:
        if os.path.exists(dhcpd_log):
            print("---- dhcpd")
            print(open(dhcpd_log).read()[-3000:])
        if os.path.exists(leases):
            print("---- dhcpd.leases")
            print(open(leases).read()[-3000:])
        if lqd is not None:
            print("---- lqd")
            print(lqd.output()[-3000:])
        raise
    finally:
        stop_dhcpd()
        if lqd is not None:
            lqd.cleanup()
        h.run("ip", "netns", "del", srv_ns, check=False)
        ns.delete()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
