#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""lqd end to end on a veth pair in a private network namespace.

lqd (net_af_packet, worker lcore 1, main lcore as control thread) owns
192.0.2.1; this process enters the namespace and acts as a relay at
192.0.2.2 with kernel sockets: leasequeries of every regime, a relay port
(RFC 8357), a 10,000-query burst with no loss, ARP and ICMP echo, and
the counters that must match. Exit 77 (skip) only without root/netns/veth.
"""
import os
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lqd_harness as h  # noqa: E402
from lqd_harness import lq_client as lq  # noqa: E402

SERVER, RELAY = "192.0.2.1", "192.0.2.2"
OTHER_RELAY = "192.0.2.3"  # on the relay interface too, but not in acl.allow
NS = h.Netns("lqd-live", RELAY + "/24")
LQD = None
ROWS = []


def setUpModule():
    global LQD, ROWS
    NS.create()
    LQD = h.Lqd("lqd-live", ["-l", "0-1"], {}, netns=NS.name)
    leases, ROWS = h.fresh_leases(LQD.tmp)
    LQD.config = {
        "ports": [{"device": "net_af_packet0,iface=" + NS.dp, "addresses": [SERVER]}],
        "authoritative-ranges": ["198.51.100.0/24", "203.0.113.0/25"],
        "leases": leases,
        "acl": {"allow": [RELAY + "/32"]},
    }
    LQD.start()
    h.run("ip", "-n", NS.name, "addr", "add", OTHER_RELAY + "/24", "dev", NS.relay)
    NS.enter()


def tearDownModule():
    if LQD:
        code, out = LQD.stop()
        print("\n--- lqd output ---\n" + out, file=sys.stderr)
        LQD.cleanup()
    NS.delete()


def row_for(ip):
    live = [r for r in ROWS if r["address"] == ip]
    return live[-1]


class Queries(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = lq.Relay(RELAY, SERVER, timeout=3.0)

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()

    def ask(self, **selector):
        reply, addr = self.relay.query(**selector)
        self.assertIsNotNone(reply, "no reply to %r" % selector)
        self.assertEqual(addr, (SERVER, 67), "reply must come from lqd:67")
        self.assertEqual(reply["op"], 2)
        self.assertEqual(reply["giaddr"], RELAY)
        self.assertEqual(reply["options"][54], socket.inet_aton(SERVER))
        return reply

    def test_by_ip_active(self):
        r = self.ask(ciaddr="198.51.100.10")
        self.assertEqual(r["type"], 13)
        self.assertEqual(r["ciaddr"], "198.51.100.10")
        self.assertEqual(r["chaddr"], "02:00:00:00:01:01")
        self.assertEqual(r["htype"], 1)
        self.assertEqual(r["options"][82], h.rai_from_row(row_for("198.51.100.10")))
        lease_time = struct.unpack("!I", r["options"][51])[0]
        self.assertAlmostEqual(lease_time, 86400 * 2 // 3, delta=120)

    def test_by_ip_unassigned(self):
        for ip in ("198.51.100.61",   # expired
                   "198.51.100.60",   # released (expired-reclaimed)
                   "198.51.100.62",   # deleted by a valid_lifetime 0 record
                   "198.51.100.200"):  # in the pool, never leased
            r = self.ask(ciaddr=ip)
            self.assertEqual(r["type"], 11, ip)
            self.assertEqual(r["ciaddr"], ip)
            self.assertNotIn(82, r["options"])

    def test_by_ip_unknown(self):
        for ip in ("10.9.9.9", "203.0.113.200"):  # outside every range
            r = self.ask(ciaddr=ip)
            self.assertEqual(r["type"], 12, ip)
            self.assertNotIn(51, r["options"])

    def test_by_mac_three_addresses(self):
        r = self.ask(mac="02:00:00:00:02:01")
        self.assertEqual(r["type"], 13)
        self.assertEqual(r["ciaddr"], "198.51.100.52")  # most recent transaction
        self.assertEqual(r["chaddr"], "02:00:00:00:02:01")
        self.assertEqual(r["options"][92], socket.inet_aton("198.51.100.50") + socket.inet_aton("198.51.100.51"))
        self.assertEqual(r["options"][61], bytes.fromhex("01020000000201"))

    def test_by_mac_unknown(self):
        r = self.ask(mac="02:00:00:00:99:99")
        self.assertEqual(r["type"], 12)
        self.assertEqual(r["chaddr"], "02:00:00:00:99:99")

    def test_by_client_id(self):
        r = self.ask(client_id="01:02:00:00:00:01:02")
        self.assertEqual(r["type"], 13)
        self.assertEqual(r["ciaddr"], "198.51.100.11")
        self.assertEqual(r["chaddr"], "02:00:00:00:01:02")

    def test_relay_port(self):
        # RFC 8357: sub-option 19 says "reply to the port I sent from", so
        # the reply goes to 6767, the source port, whatever the value says.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((RELAY, 6767))
            s.settimeout(3)
            msg = lq.build_query(0x8357, RELAY, ciaddr="198.51.100.10")
            end = msg.index(b"\xff", 240)
            msg = msg[:end] + bytes([82, 4, 19, 2, 0, 0]) + msg[end:]
            s.sendto(msg, (SERVER, 67))
            data, addr = s.recvfrom(2048)
            self.assertEqual(addr, (SERVER, 67))
            self.assertEqual(lq.decode(data)["xid"], 0x8357)

    def test_acl(self):
        before = LQD.stats()["acl_drops"]
        other = lq.Relay(OTHER_RELAY, SERVER, timeout=1.0)
        try:
            reply, _ = other.query(retries=2, ciaddr="198.51.100.10")
        finally:
            other.close()
        self.assertIsNone(reply, "a relay outside acl.allow must get no answer")
        # The last datagram may still be on its way through a busy lqd.
        deadline = time.time() + 5
        while time.time() < deadline and LQD.stats()["acl_drops"] < before + 2:
            time.sleep(0.05)
        self.assertEqual(LQD.stats()["acl_drops"], before + 2)

    def test_no_selector_is_silent(self):
        before = LQD.stats()["engine_drop_no_selector"]
        self.relay.send(lq.build_query(0x5e1ec7, RELAY))
        deadline = time.time() + 5
        while time.time() < deadline and LQD.stats()["engine_drop_no_selector"] == before:
            time.sleep(0.05)
        self.assertEqual(LQD.stats()["engine_drop_no_selector"], before + 1)
        self.relay.sock.settimeout(0.5)
        try:
            with self.assertRaises(socket.timeout):
                self.relay.recv()
        finally:
            self.relay.sock.settimeout(3.0)


class Burst(unittest.TestCase):
    N = 10_000
    WINDOW = 256  # outstanding queries: well inside the socket buffers

    def test_burst_no_loss(self):
        relay = lq.Relay(RELAY, SERVER, timeout=10.0)
        before = LQD.stats()
        ips = ["198.51.100.%d" % (10 + i % 16) for i in range(16)] + ["198.51.100.61", "10.9.9.9"]
        base = 0x10000000
        pending, seen, sent, t0 = set(), set(), 0, time.time()
        try:
            while len(seen) < self.N:
                while sent < self.N and len(pending) < self.WINDOW:
                    xid = base + sent
                    relay.send(lq.build_query(xid, RELAY, ciaddr=ips[sent % len(ips)]))
                    pending.add(xid)
                    sent += 1
                reply, _ = relay.recv()  # socket.timeout (10 s) fails the test
                xid = reply["xid"]
                self.assertIn(xid, pending, "unexpected or duplicate reply xid %#x" % xid)
                pending.discard(xid)
                seen.add(xid)
        finally:
            relay.close()
        elapsed = time.time() - t0
        print("\nburst: %d queries, %d replies in %.2f s (%.0f/s)" % (self.N, len(seen), elapsed,
                                                                   len(seen) / elapsed), file=sys.stderr)
        after = LQD.stats()
        self.assertEqual(after["replies"] - before["replies"], self.N)
        self.assertEqual(after["tx_full_drops"], 0)


class ArpAndIcmp(unittest.TestCase):
    def test_arp(self):
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806)) as s:
            s.bind((NS.relay, 0))
            s.settimeout(0.5)
            mac = s.getsockname()[4]
            req = (b"\xff" * 6 + mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) +
                   mac + socket.inet_aton(RELAY) + b"\0" * 6 + socket.inet_aton(SERVER))
            deadline = time.time() + 5
            while time.time() < deadline:
                s.send(req)
                try:
                    while True:
                        f = s.recv(128)
                        if f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02":
                            break
                except socket.timeout:
                    continue
                break
            else:
                self.fail("no ARP reply")
        self.assertEqual(f[0:6], mac)
        self.assertEqual(f[28:32], socket.inet_aton(SERVER))  # spa
        self.assertEqual(f[22:28], f[6:12])                  # sha = frame source
        self.assertEqual(f[32:38], mac)
        self.assertEqual(f[38:42], socket.inet_aton(RELAY))

    def test_icmp_echo(self):
        before = LQD.stats()["icmp_echo_replies"]
        with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
            s.settimeout(3)
            payload = bytes(range(48))
            for seq in range(1, 4):
                hdr = struct.pack("!BBHHH", 8, 0, 0, 0x4c51, seq)
                csum = lq_checksum(hdr + payload)
                s.sendto(struct.pack("!BBHHH", 8, 0, csum, 0x4c51, seq) + payload, (SERVER, 0))
                while True:
                    data, addr = s.recvfrom(2048)
                    icmp = data[(data[0] & 0xf) * 4:]
                    if icmp[0] == 0 and struct.unpack("!HH", icmp[4:8]) == (0x4c51, seq):
                        break
                self.assertEqual(addr[0], SERVER)
                self.assertEqual(icmp[8:], payload)
                self.assertEqual(lq_checksum(icmp), 0)
        self.assertEqual(LQD.stats()["icmp_echo_replies"], before + 3)


def lq_checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def load_tests(loader, tests, pattern):
    suite = unittest.TestSuite()
    for cls in (Queries, ArpAndIcmp, Burst):
        suite.addTests(loader.loadTestsFromTestCase(cls))
    suite.addTest(FinalCounters("test_sigterm_summary"))
    return suite


class FinalCounters(unittest.TestCase):
    def test_sigterm_summary(self):
        stats = LQD.stats()
        self.assertEqual(stats["rx_frames"] >= stats["leasequeries"], True)
        self.assertEqual(stats["classify_drop_udp_bad_checksum"], 0)
        code, out = LQD.stop()
        self.assertEqual(code, 0, out)
        self.assertIn("lqd: stopping; counters:", out)
        self.assertRegex(out, r"replies \d+")


if __name__ == "__main__":
    # Skips (exit 77) happen in setUpModule via Netns.create(); run it
    # first so a skip is not reported as an error.
    try:
        NS.create()
        NS.delete()
    except SystemExit:
        raise
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
