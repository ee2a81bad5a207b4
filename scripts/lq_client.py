#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Minimal DHCPv4 Leasequery (RFC 4388) client over a kernel UDP socket.

Acts as a relay: binds <relay-ip>:67, sends DHCPLEASEQUERY with giaddr =
<relay-ip> to the server, and prints the decoded answer. Standard library
only (socket + struct), so it runs anywhere python3 does.

  lq_client.py --server 192.0.2.1 --relay 192.0.2.2 --ip 198.51.100.10
  lq_client.py --server 192.0.2.1 --relay 192.0.2.2 --mac 02:00:00:00:01:01
  lq_client.py --server 192.0.2.1 --relay 192.0.2.2 --client-id 01:02:00:00:00:02:01

  lq_client.py --tx-checksum-off IFACE     (see tx_checksum_off())

Also importable: build_query() / decode() / Relay are used by the tests.
"""
import argparse
import array
import fcntl
import ipaddress
import os
import socket
import struct
import sys
import time

MAGIC = 0x63825363
TYPES = {10: "DHCPLEASEQUERY", 11: "DHCPLEASEUNASSIGNED", 12: "DHCPLEASEUNKNOWN",
         13: "DHCPLEASEACTIVE"}
OPTION_NAMES = {51: "lease-time", 53: "message-type", 54: "server-id", 55: "prl",
                58: "T1", 59: "T2", 61: "client-id", 82: "relay-agent-info",
                91: "client-last-transaction-time", 92: "associated-ip"}
DEFAULT_PRL = bytes([51, 54, 58, 59, 61, 82, 91, 92])


def ip2int(s):
    return int(ipaddress.IPv4Address(s))


def int2ip(v):
    return str(ipaddress.IPv4Address(v))


def parse_hex(s):
    return bytes(int(x, 16) for x in s.replace("-", ":").split(":"))


def build_query(xid, giaddr, ciaddr="0.0.0.0", mac=None, client_id=None, prl=DEFAULT_PRL):
    """A DHCPLEASEQUERY with exactly the selector given."""
    chaddr = parse_hex(mac) if mac else b""
    htype, hlen = (1, len(chaddr)) if chaddr else (0, 0)
    hdr = struct.pack("!BBBBIHHIIII16s64s128sI", 1, htype, hlen, 0, xid, 0, 0,
                      ip2int(ciaddr), 0, 0, ip2int(giaddr), chaddr, b"", b"", MAGIC)
    opts = bytes([53, 1, 10])
    if client_id:
        cid = parse_hex(client_id) if isinstance(client_id, str) else client_id
        opts += bytes([61, len(cid)]) + cid
    if prl:
        opts += bytes([55, len(prl)]) + prl
    opts += b"\xff"
    msg = hdr + opts
    return msg + b"\0" * max(0, 300 - len(msg))


def decode(data):
    """Decodes a BOOTP/DHCP message into a dict (independent of lqd's codec)."""
    if len(data) < 240:
        raise ValueError("short message: %d bytes" % len(data))
    (op, htype, hlen, _hops, xid, _secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr,
     _sname, _file, magic) = struct.unpack("!BBBBIHHIIII16s64s128sI", data[:240])
    if magic != MAGIC:
        raise ValueError("bad magic cookie")
    opts, i = {}, 240
    while i < len(data):
        code = data[i]
        if code == 255:
            break
        if code == 0:
            i += 1
            continue
        n = data[i + 1]
        opts[code] = opts.get(code, b"") + data[i + 2:i + 2 + n]  # RFC 3396
        i += 2 + n
    return {"op": op, "htype": htype, "hlen": hlen, "xid": xid, "flags": flags,
            "ciaddr": int2ip(ciaddr), "yiaddr": int2ip(yiaddr), "siaddr": int2ip(siaddr),
            "giaddr": int2ip(giaddr), "chaddr": chaddr[:hlen].hex(":"),
            "type": opts.get(53, b"\0")[0], "options": opts}


def decode_rai(raw):
    subs, i = [], 0
    while i + 2 <= len(raw):
        code, n = raw[i], raw[i + 1]
        subs.append((code, raw[i + 2:i + 2 + n]))
        i += 2 + n
    return subs


def describe(msg):
    """Human-readable multi-line rendering of a decoded reply."""
    t = msg["type"]
    lines = ["%s  xid=0x%08x  ciaddr=%s  chaddr=%s" % (TYPES.get(t, "type %d" % t), msg["xid"],
                                                        msg["ciaddr"], msg["chaddr"] or "-")]
    for code, val in sorted(msg["options"].items()):
        name = OPTION_NAMES.get(code, "option-%d" % code)
        if code in (51, 58, 59, 91) and len(val) == 4:
            shown = "%d s" % struct.unpack("!I", val)[0]
        elif code == 54 and len(val) == 4:
            shown = int2ip(struct.unpack("!I", val)[0])
        elif code == 92:
            shown = ", ".join(int2ip(struct.unpack("!I", val[k:k + 4])[0])
                              for k in range(0, len(val) - 3, 4))
        elif code == 82:
            shown = " ".join("%s=%r" % ({1: "circuit-id", 2: "remote-id"}.get(c, "sub%d" % c),
                                        v.decode("ascii", "replace")) for c, v in decode_rai(val))
        elif code == 53:
            continue
        else:
            shown = val.hex(":")
        lines.append("    %-30s %s" % (name + " (%d)" % code, shown))
    return "\n".join(lines)


def tx_checksum_off(ifname):
    """Turns off TX checksum offload on `ifname` (what `ethtool -K IF tx off` does).

    A veth hands frames to the peer with the UDP checksum only partially
    computed (CHECKSUM_PARTIAL); an AF_PACKET reader such as DPDK's
    net_af_packet then sees a wrong checksum. Real NICs and the kernel's own
    receive path are not affected.
    """
    siocethtool, ethtool_stxcsum = 0x8946, 0x17
    value = array.array("I", [ethtool_stxcsum, 0])
    ifreq = struct.pack("16sP", ifname.encode(), value.buffer_info()[0]).ljust(40, b"\0")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s.fileno(), siocethtool, ifreq)


class Relay:
    """A kernel UDP socket bound to relay:67 that sends queries to server:67."""

    def __init__(self, relay, server, port=67, timeout=2.0):
        self.server = (server, port)
        self.relay = relay
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((relay, port))
        self.sock.settimeout(timeout)

    def send(self, msg):
        self.sock.sendto(msg, self.server)

    def recv(self):
        data, addr = self.sock.recvfrom(4096)
        return decode(data), addr

    def query(self, retries=3, **selector):
        """Sends one query, waits for the reply with the same xid."""
        xid = int.from_bytes(os.urandom(4), "big")
        msg = build_query(xid, self.relay, **selector)
        for _ in range(retries):
            self.send(msg)
            deadline = time.time() + self.sock.gettimeout()
            try:
                while time.time() < deadline:
                    reply, addr = self.recv()
                    if reply["xid"] == xid:
                        return reply, addr
            except socket.timeout:
                continue
        return None, None

    def close(self):
        self.sock.close()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--tx-checksum-off":
        tx_checksum_off(sys.argv[2])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", required=True, help="lqd's address")
    ap.add_argument("--relay", required=True, help="our address (giaddr), bound on port 67")
    sel = ap.add_mutually_exclusive_group(required=True)
    sel.add_argument("--ip", help="query by IP address (ciaddr)")
    sel.add_argument("--mac", help="query by hardware address (chaddr)")
    sel.add_argument("--client-id", help="query by client-id (option 61), hex bytes a:b:c")
    ap.add_argument("--timeout", type=float, default=2.0)
    a = ap.parse_args()
    r = Relay(a.relay, a.server, timeout=a.timeout)
    if a.ip:
        selector = {"ciaddr": a.ip}
    elif a.mac:
        selector = {"mac": a.mac}
    else:
        selector = {"client_id": a.client_id}
    reply, addr = r.query(**selector)
    r.close()
    if reply is None:
        print("no answer from %s:67" % a.server)
        return 1
    print(describe(reply))
    return 0


if __name__ == "__main__":
    sys.exit(main())
