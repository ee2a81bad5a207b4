#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpus for tests/dhcp/message_fuzz.cc.

Deterministic: the same bytes on every run, so the outputs can be committed
and regenerated without noise. Usage (from the repository root):

    python3 tests/dhcp/corpus/make_message_corpus.py

Each seed is a well-formed message exercising one path of the parser; the
fuzzer mutates them into the malformed ones.
"""
import hmac
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "message")
COOKIE = bytes([99, 130, 83, 99])
LEASEQUERY, LEASEACTIVE = 10, 13


def ip(s):
    return bytes(int(x) for x in s.split("."))


def opt(code, value):
    """One option; values over 255 bytes are split per RFC 3396."""
    value = bytes(value)
    chunks = [value[i:i + 255] for i in range(0, len(value), 255)] or [b""]
    return b"".join(bytes([code, len(c)]) + c for c in chunks)


def message(options, op=1, htype=0, chaddr=b"", ciaddr="0.0.0.0",
            giaddr="10.0.0.1", xid=0x1020304, sname=b"", file=b""):
    hdr = struct.pack("!BBBBIHH", op, htype, len(chaddr), 1, xid, 0, 0)
    hdr += ip(ciaddr) + ip("0.0.0.0") + ip("0.0.0.0") + ip(giaddr)
    hdr += chaddr.ljust(16, b"\0") + sname.ljust(64, b"\0") + file.ljust(128, b"\0")
    assert len(hdr) == 236
    body = hdr + COOKIE + options + b"\xff"
    return body.ljust(300, b"\0")  # BOOTP minimum, as relays send it


PRL = opt(55, [51, 61, 82, 92, 91])
TYPE_Q = opt(53, [LEASEQUERY])
MAC = bytes([0x00, 0x11, 0x22, 0x33, 0x44, 0x55])
RAI = opt(82, opt(1, b"ge-0/0/1") + opt(2, MAC) + opt(12, ip("10.0.0.1")) + opt(19, [0x10, 0x00]))

def signed(msg, secret=b"fuzz-key"):
    """RFC 3118: HMAC-MD5 over the message with hops, giaddr and the MAC zeroed."""
    m = bytearray(msg)
    at = m.index(bytes([90, 31, 1, 1, 0])) + 2 + 15
    z = bytearray(m)
    z[3] = 0
    z[24:28] = bytes(4)
    z[at:at + 16] = bytes(16)
    m[at:at + 16] = hmac.new(secret, bytes(z), "md5").digest()
    return bytes(m)


AUTH = opt(90, bytes([1, 1, 0]) + struct.pack("!Q", 1000) + struct.pack("!I", 7) + bytes(16))

SEEDS = {
    # RFC 3118 delayed authentication: signed with key 7 "fuzz-key", and a
    # DISCOVER-style request without authentication information.
    "query_auth_signed": signed(message(TYPE_Q + PRL + AUTH, ciaddr="10.0.1.5")),
    "query_auth_request": message(TYPE_Q + PRL + opt(90, bytes([1, 1, 0]) + struct.pack("!Q", 5)),
                                  ciaddr="10.0.1.5"),
    "query_by_ip": message(TYPE_Q + PRL, ciaddr="10.0.1.5"),
    "query_by_mac": message(TYPE_Q + PRL, htype=1, chaddr=MAC),
    "query_by_client_id": message(TYPE_Q + opt(61, b"\x01" + MAC) + PRL),
    "query_with_rai": message(TYPE_Q + PRL + RAI, ciaddr="10.0.1.5"),
    # Overload 3: options continue in file, then sname (RFC 2131 4.1), and
    # option 12 is split across all three fields (RFC 3396).
    "query_overload": message(opt(52, [3]) + TYPE_Q + opt(12, b"ho"), ciaddr="10.0.1.5",
                              file=opt(12, b"st") + PRL + b"\xff",
                              sname=opt(12, b"-a") + RAI + b"\xff"),
    # Option 82 split in the middle of a sub-option, plus a 300-byte option.
    "query_split_options": message(TYPE_Q + opt(82, RAI[2:7]) + opt(82, RAI[7:]) +
                                   opt(43, bytes(range(256)) + bytes(44)),
                                   ciaddr="10.0.1.5"),
    # A LEASEACTIVE reply with 100 associated addresses (option 92 split at
    # 255 bytes, mid-address: legal for RFC 3396, unlike what lqd writes).
    "lease_active_reply": message(opt(53, [LEASEACTIVE]) + opt(54, ip("10.0.0.254")) +
                                  opt(51, struct.pack("!I", 3600)) +
                                  opt(92, b"".join(struct.pack("!I", 0x0A000200 + i) for i in range(100))) +
                                  RAI, op=2, htype=1, chaddr=MAC, ciaddr="10.0.1.5"),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(data)
        print(f"{name}.bin: {len(data)} bytes")


if __name__ == "__main__":
    main()
