#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""lqd's port features on real virtual devices, each in a namespace this test
creates and removes:

  TxChecksumOffload  net_tap, which offers IPv4 and UDP TX checksum offload:
                     lqd must enable it (/lqd/info says so), leave the reply
                     checksums to the port, and every reply must still carry
                     valid IPv4 and UDP checksums, checked here on the raw
                     frames (AF_PACKET on the tap) and by the kernel's UDP
                     receive path (UDP InCsumErrors unchanged).
  MultiQueue         net_af_packet with qpairs=2 (the PMD joins its queue
                     sockets in one kernel packet-fanout group, which spreads
                     frames over the queues as RSS does on a NIC) and two
                     worker lcores, one queue pair each: 32
                     relays' queries are answered, every reply arrives, and
                     both lcores took a share (per-lcore telemetry).

Exit 77 (skip) only without root, namespaces, TAP or veth support.
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
ETH_P_ALL = 0x0003


def ones_sum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def checksums_ok(frame):
    """(ipv4 ok, udp ok) for an untagged Ethernet/IPv4/UDP frame."""
    ip = frame[14:]
    ihl = (ip[0] & 0xF) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    ip_ok = ones_sum(ip[:ihl]) == 0xFFFF
    udp = ip[ihl:total]
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, len(udp))
    udp_ok = struct.unpack("!H", udp[6:8])[0] != 0 and ones_sum(pseudo + udp) == 0xFFFF
    return ip_ok, udp_ok


def udp_in_csum_errors():
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    return int(rows[1][rows[0].index("InCsumErrors")])


def skip_is_a_skip(set_up):
    """h.skip() exits with meson's SKIP code; inside setUp unittest would
    report that SystemExit as an error. Turn it into a unittest skip, which
    the main block below reports to meson as SKIP (77)."""
    def wrapped(self):
        try:
            set_up(self)
        except SystemExit as e:
            if e.code == h.SKIP:
                raise unittest.SkipTest("see the SKIP line above")
            raise
    return wrapped


class LqdInNamespace(unittest.TestCase):
    """setUp of each test creates self.ns and starts self.lqd in it."""

    def tearDown(self):
        code, out = self.lqd.stop()
        if code != 0:
            print("\n--- lqd output ---\n" + out, file=sys.stderr)
        self.lqd.cleanup()
        self.ns.delete()


class TxChecksumOffload(LqdInNamespace):
    TAP = "lqtap0"
    N = 200

    @skip_is_a_skip
    def setUp(self):
        self.ns = h.Netns("lqd-tap", None, with_veth=False)
        self.ns.create()
        self.lqd = h.Lqd("lqd-tap", ["-l", "0-1"], {}, netns=self.ns.name)
        leases, self.rows = h.fresh_leases(self.lqd.tmp)
        dev = "net_tap0,iface=" + self.TAP
        self.lqd.config = {
            "ports": [{"device": dev, "addresses": [SERVER]}],
            "authoritative-ranges": ["198.51.100.0/24"],
            "leases": leases,
        }
        try:
            self.lqd.start()
        except RuntimeError as e:
            if "tap" in str(e).lower() and "/dev/net/tun" in str(e):
                h.skip("kernel lacks TUN/TAP: %s" % e)
            raise
        h.run("ip", "-n", self.ns.name, "addr", "add", RELAY + "/24", "dev", self.TAP)
        h.run("ip", "-n", self.ns.name, "link", "set", self.TAP, "up")

    def test_replies_checksummed_by_the_port(self):
        info = self.lqd.stats("/lqd/info")
        self.assertIn("tx checksum offload", info, "lqd did not enable offload on net_tap: " + info)
        pid = os.fork()
        if pid == 0:  # the child enters the namespace and reports by exit code
            os._exit(self.relay_side())
        _, status = os.waitpid(pid, 0)
        self.assertTrue(os.WIFEXITED(status), "relay side crashed")
        self.assertEqual(os.WEXITSTATUS(status), 0, "relay side failed (see its output above)")
        st = self.lqd.stats()
        self.assertGreaterEqual(st["replies"], self.N)

    def relay_side(self):
        """Runs in a forked child inside the namespace; returns an exit code."""
        try:
            self.ns.enter()
            raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            # Room for every frame of the run (each skb costs a few KB of buffer).
            raw.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE (root)
            raw.bind((self.TAP, 0))
            raw.settimeout(0.2)
            errors_before = udp_in_csum_errors()
            relay = lq.Relay(RELAY, SERVER, timeout=3.0)
            answered = 0
            for i in range(self.N):
                ip = "198.51.100.%d" % (10 + i % 4)
                reply, addr = relay.query(ciaddr=ip)
                if reply is None or reply["type"] != 13 or reply["ciaddr"] != ip:
                    print("query %d for %s: bad or no reply %r" % (i, ip, reply))
                    return 1
                answered += 1
            relay.close()
            # Every reply frame lqd put on the tap, as the wire carried it.
            frames, bad = 0, 0
            deadline = time.time() + 10
            while frames < self.N and time.time() < deadline:
                try:
                    data, meta = raw.recvfrom(2048)
                except socket.timeout:
                    continue
                if meta[2] == socket.PACKET_OUTGOING or len(data) < 42 or data[12:14] != b"\x08\x00":
                    continue
                if data[23] != 17 or socket.inet_ntoa(data[26:30]) != SERVER:
                    continue
                frames += 1
                ip_ok, udp_ok = checksums_ok(data)
                if not (ip_ok and udp_ok):
                    bad += 1
                    print("reply frame with bad checksum(s): ip %s udp %s: %s" % (ip_ok, udp_ok, data[:64].hex()))
            raw.close()
            errors = udp_in_csum_errors() - errors_before
            print("tap: %d answered, %d reply frames checked, %d bad, UDP InCsumErrors +%d" %
                  (answered, frames, bad, errors))
            return 0 if frames >= self.N and bad == 0 and errors == 0 else 1
        except Exception as e:  # noqa: BLE001 - reported through the exit code
            print("relay side: %r" % e)
            return 1


class MultiQueue(LqdInNamespace):
    RELAYS = ["192.0.2.%d" % (10 + i) for i in range(32)]
    PER_RELAY = 20

    @skip_is_a_skip
    def setUp(self):
        self.ns = h.Netns("lqd-mq", RELAY + "/24")
        self.ns.create()
        for a in self.RELAYS:
            h.run("ip", "-n", self.ns.name, "addr", "add", a + "/24", "dev", self.ns.relay)
        # Two worker lcores (1 and 2) on one CPU if the machine has only two.
        lcores = "0@0,1@1,2@%d" % (2 if os.cpu_count() > 2 else 1)
        self.lqd = h.Lqd("lqd-mq", ["--lcores", lcores], {}, netns=self.ns.name)
        leases, _ = h.fresh_leases(self.lqd.tmp)
        self.lqd.config = {
            "ports": [{"device": "net_af_packet0,iface=%s,qpairs=2" % self.ns.dp, "addresses": [SERVER]}],
            "lcores": [1, 2],
            "authoritative-ranges": ["198.51.100.0/24"],
            "leases": leases,
        }
        self.lqd.start()

    def test_two_queues_two_lcores(self):
        info = self.lqd.stats("/lqd/info")
        self.assertIn("2 queue(s)", info)
        pid = os.fork()
        if pid == 0:
            os._exit(self.relays_side())
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1, 0,
                         "relay side failed (see its output above)")
        per_lcore = self.lqd.stats("/lqd/lcore")
        total = len(self.RELAYS) * self.PER_RELAY
        replies = {lc: c["replies"] for lc, c in per_lcore.items()}
        print("\nreplies per lcore: %s" % replies, file=sys.stderr)
        self.assertEqual(sum(replies.values()), total)
        self.assertEqual(sorted(replies), ["1", "2"])
        for lc, n in replies.items():
            self.assertGreater(n, 0, "lcore %s answered nothing: the second queue is idle" % lc)

    def relays_side(self):
        try:
            self.ns.enter()
            relays = [lq.Relay(a, SERVER, timeout=5.0) for a in self.RELAYS]
            for k in range(self.PER_RELAY):
                for i, r in enumerate(relays):
                    r.send(lq.build_query((i << 16) | k, r.relay, ciaddr="198.51.100.%d" % (10 + k % 4)))
                for i, r in enumerate(relays):  # one outstanding per relay: nothing can overflow
                    reply, _ = r.recv()
                    if reply["xid"] != (i << 16) | k or reply["type"] != 13:
                        print("relay %s: unexpected reply %r" % (r.relay, reply))
                        return 1
            for r in relays:
                r.close()
            return 0
        except Exception as e:  # noqa: BLE001
            print("relays side: %r" % e)
            return 1


if __name__ == "__main__":
    if os.geteuid() != 0:
        h.skip("needs root (namespaces, TAP, AF_PACKET)")
    result = unittest.main(verbosity=2, exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.skipped:  # loud, never a silent pass: meson shows SKIP
        print("SKIP: %d test(s) skipped: %s" % (len(result.skipped), [str(t) for t, _ in result.skipped]), flush=True)
        sys.exit(h.SKIP)
