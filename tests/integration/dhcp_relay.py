# SPDX-License-Identifier: Apache-2.0
"""A DHCP relay agent for integration tests that talk to a real primary
(Kea, dhcpd): builds relayed client messages and runs DORA exchanges over a
kernel UDP socket bound to the relay's giaddr:67, where the server answers.
Standard library only."""
import os
import socket
import struct
import time

import lqd_harness as h

lq = h.lq_client


def wait_for(pred, what, timeout=30.0):
    """Polls `pred` until it returns something true; fails after `timeout` s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def dhcp_msg(mtype, mac, xid, giaddr, client_id=None, vendor=None, rai=None, requested=None,
             server_id=None, ciaddr="0.0.0.0"):
    """A relayed client message (op 1) of DHCP type `mtype`; option 82 last, as relays add it."""
    hdr = struct.pack("!BBBBIHHIIII16s64s128sI", 1, 1, 6, 1, xid, 0, 0, lq.ip2int(ciaddr), 0, 0,
                      lq.ip2int(giaddr) if giaddr else 0, lq.parse_hex(mac), b"", b"", lq.MAGIC)
    o = bytes([53, 1, mtype])
    if client_id:
        o += bytes([61, len(client_id)]) + client_id
    if vendor:
        o += bytes([60, len(vendor)]) + vendor
    if requested:
        o += bytes([50, 4]) + socket.inet_aton(requested)
    if server_id:
        o += bytes([54, 4]) + socket.inet_aton(server_id)
    if rai:
        o += bytes([82, len(rai)]) + rai
    o += b"\xff"
    m = hdr + o
    return m + b"\0" * max(0, 300 - len(m))


class Relay:
    """giaddr:67 -> server:67; the server answers the relay at giaddr:67.
    `sock` may be shared with a leasequery client bound to the same address."""

    def __init__(self, giaddr, server, sock=None):
        self.giaddr, self.server = giaddr, server
        if sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((giaddr, 67))
        self.sock = sock

    def exchange(self, msg, want_type, xid, timeout=6.0, tries=3):
        """Sends `msg` (retrying) until an answer of `want_type` with `xid` arrives."""
        for _ in range(tries):
            self.sock.sendto(msg, (self.server, 67))
            deadline = time.time() + timeout / tries
            while time.time() < deadline:
                self.sock.settimeout(max(0.05, deadline - time.time()))
                try:
                    data, _ = self.sock.recvfrom(4096)
                except socket.timeout:
                    break
                r = lq.decode(data)
                if r["xid"] == xid and r["type"] == want_type:
                    return r
        raise AssertionError("%s did not answer type %d for xid %#x" % (self.server, want_type, xid))

    def dora(self, mac, rai, client_id=None, vendor=None):
        """DISCOVER/OFFER/REQUEST/ACK; returns (leased address, server id)."""
        xid = int.from_bytes(os.urandom(4), "big")
        offer = self.exchange(dhcp_msg(1, mac, xid, self.giaddr, client_id, vendor, rai), 2, xid)
        ip = offer["yiaddr"]
        sid = socket.inet_ntoa(offer["options"][54])
        self.exchange(dhcp_msg(3, mac, xid, self.giaddr, client_id, vendor, rai, requested=ip, server_id=sid),
                      5, xid)
        return ip, sid

    def send_only(self, msg):
        self.sock.sendto(msg, (self.server, 67))
