#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The malformed-packet battery: hostile and broken frames through the real lqd.

Every frame below is sent to lqd on `net_pcap0` (rx_pcap) after one good
query; each must be dropped (or answered) exactly as documented in
docs/operations.md, and counted under its own reason, one by one: the test
compares the full counter set before and after each frame is replayed, so a
frame counted under the wrong reason fails. Also measured: the worst
reply/query size ratio (amplification), which must stay below 2.

Counter names are the telemetry keys (`/lqd/stats`): classify_drop_*,
parse_error_*, engine_drop_*.
"""
import os
import shutil
import struct
import sys
import tempfile
import time

try:
    import logging
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import IP, UDP, Dot1Q, Ether, Raw, rdpcap, wrpcap
except ImportError:
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("SKIP: scapy is not installed (apt-get install python3-scapy)")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lqd_harness as h  # noqa: E402
from lqd_harness import lq_client as lq  # noqa: E402

SERVER, RELAY = "192.0.2.1", "192.0.2.2"
RELAY_MAC = "02:00:00:00:aa:01"
MAC = "02:00:00:00:01:01"
CONFIG = {"ports": [{"device": "net_pcap0", "addresses": [SERVER]}],
          "authoritative-ranges": ["198.51.100.0/24"]}


def dhcp(xid=1, op=1, htype=0, hlen=0, chaddr=b"", ciaddr="0.0.0.0", giaddr=RELAY, opts=b"\x35\x01\x0a", pad=True,
         sname=b"", file=b""):
    hdr = struct.pack("!BBBBIHHIIII16s64s128sI", op, htype, hlen, 0, xid, 0, 0, lq.ip2int(ciaddr), 0, 0,
                      lq.ip2int(giaddr), chaddr, sname, file, lq.MAGIC)
    m = hdr + opts
    return m + b"\0" * max(0, 300 - len(m)) if pad else m


def frame(payload, mac, src=RELAY, dst=SERVER, tags=()):
    f = Ether(src=RELAY_MAC, dst=mac)
    for vid in tags:
        f = f / Dot1Q(vlan=vid)
    return f / IP(src=src, dst=dst) / UDP(sport=67, dport=67) / Raw(payload)


def battery(mac):
    """(name, frame bytes, counter that must move, replies expected)."""
    good = dhcp(opts=b"\x35\x01\x0a\xff", ciaddr="198.51.100.10")
    big_ip = bytes(frame(good, mac))
    items = [
        # --- layers below DHCP, truncated at every layer
        ("runt", bytes(Ether(src=RELAY_MAC, dst=mac))[:10], "classify_drop_runt_frame"),
        ("eth-only", bytes(Ether(src=RELAY_MAC, dst=mac, type=0x0800)), "classify_drop_ip_truncated"),
        ("ip-truncated", big_ip[:14 + 12], "classify_drop_ip_truncated"),
        ("ip-total-length-past-frame", big_ip[:14 + 20 + 8 + 100], "classify_drop_ip_truncated"),
        ("ip-bad-version", bytes(Ether(src=RELAY_MAC, dst=mac) / IP(src=RELAY, dst=SERVER, version=6) /
                                 UDP(sport=67, dport=67) / Raw(good)), "classify_drop_ip_bad_header"),
        ("ip-bad-checksum", bytes(Ether(src=RELAY_MAC, dst=mac) / IP(src=RELAY, dst=SERVER, chksum=1) /
                                  UDP(sport=67, dport=67) / Raw(good)), "classify_drop_ip_bad_checksum"),
        ("ip-fragment", bytes(Ether(src=RELAY_MAC, dst=mac) / IP(src=RELAY, dst=SERVER, frag=10) /
                              UDP(sport=67, dport=67) / Raw(good)), "classify_drop_ip_fragment"),
        ("udp-truncated", bytes(Ether(src=RELAY_MAC, dst=mac) / IP(src=RELAY, dst=SERVER, proto=17) / Raw(b"\x00\x43\x00")),
         "classify_drop_udp_truncated"),
        ("udp-bad-checksum", bytes(Ether(src=RELAY_MAC, dst=mac) / IP(src=RELAY, dst=SERVER) /
                                   UDP(sport=67, dport=67, chksum=7) / Raw(good)), "classify_drop_udp_bad_checksum"),
        # --- DHCP message
        ("dhcp-truncated-header", bytes(frame(good[:200], mac)), "parse_error_truncated_header"),
        ("dhcp-bad-cookie", bytes(frame(good[:236] + b"\x00\x00\x00\x00" + good[240:], mac)),
         "parse_error_bad_magic_cookie"),
        ("hlen-over-16", bytes(frame(dhcp(htype=1, hlen=17, chaddr=b"\x02" * 16, opts=b"\x35\x01\x0a\xff"), mac)),
         "parse_error_hlen_too_long"),
        ("option-overrun", bytes(frame(dhcp(opts=b"\x35\x01\x0a\x3d\xf0\x01\x02", pad=False), mac)),
         "parse_error_option_overrun"),
        ("no-end-option", bytes(frame(dhcp(opts=b"\x35\x01\x0a", pad=False, ciaddr="198.51.100.10"), mac)),
         "parse_error_missing_end"),
        ("overload-loop", bytes(frame(dhcp(opts=b"\x35\x01\x0a\x34\x01\x01\xff", ciaddr="198.51.100.10",
                                           file=b"\x34\x01\x03\xff"), mac)), "parse_error_overload_nested"),
        ("zero-length-client-id", bytes(frame(dhcp(opts=b"\x35\x01\x0a\x3d\x00\xff"), mac)),
         "parse_error_empty_client_id"),
        ("duplicate-message-type", bytes(frame(dhcp(opts=b"\x35\x01\x0a\x35\x01\x0a\xff", ciaddr="198.51.100.10"), mac)),
         "parse_error_duplicate_message_type"),
        ("no-message-type", bytes(frame(dhcp(opts=b"\xff", ciaddr="198.51.100.10"), mac)),
         "parse_error_missing_message_type"),
        ("bad-option-82", bytes(frame(dhcp(opts=b"\x35\x01\x0a\x52\x03\x01\x05\x00\xff", ciaddr="198.51.100.10"), mac)),
         "parse_error_bad_relay_agent_info"),
        # --- leasequery semantics (RFC 4388 6.3, 6.4.3)
        ("several-selectors", bytes(frame(dhcp(htype=1, hlen=6, chaddr=bytes.fromhex("020000000101"),
                                               ciaddr="198.51.100.10", opts=b"\x35\x01\x0a\xff"), mac)),
         "engine_drop_multiple_selectors"),
        ("no-selector", bytes(frame(dhcp(opts=b"\x35\x01\x0a\xff"), mac)), "engine_drop_no_selector"),
        ("giaddr-zero", bytes(frame(dhcp(giaddr="0.0.0.0", ciaddr="198.51.100.10", opts=b"\x35\x01\x0a\xff"), mac)),
         "engine_drop_zero_giaddr"),
        ("giaddr-broadcast", bytes(frame(dhcp(giaddr="255.255.255.255", ciaddr="198.51.100.10",
                                              opts=b"\x35\x01\x0a\xff"), mac)), "engine_drop_giaddr_not_unicast"),
        ("bootreply", bytes(frame(dhcp(op=2, ciaddr="198.51.100.10", opts=b"\x35\x01\x0a\xff"), mac)),
         "engine_drop_not_bootrequest"),
        ("dhcpack", bytes(frame(dhcp(ciaddr="198.51.100.10", opts=b"\x35\x01\x05\xff"), mac)),
         "engine_drop_not_leasequery"),
        ("discover", bytes(frame(dhcp(ciaddr="198.51.100.10", opts=b"\x35\x01\x01\xff"), mac)),
         "engine_drop_not_leasequery"),
    ] + [
        ("draft-type-%d" % t, bytes(frame(dhcp(ciaddr="198.51.100.10", opts=bytes([0x35, 1, t, 0xff])), mac)),
         "engine_drop_not_leasequery") for t in range(13, 18)
    ] + [
        # --- oversize: a jumbo frame (9000 bytes) is not a leasequery lqd will parse
        ("oversize-jumbo", bytes(frame(dhcp(ciaddr="198.51.100.10", opts=b"\x35\x01\x0a\xff") + b"\0" * 8700, mac)),
         "classify_drop_oversize_frame"),
    ]
    return [(n, f, c) for n, f, c in items]


def replay(tag, frames, tmp):
    """Runs lqd over `frames`; returns (stats, replies)."""
    lqd = h.Lqd("lqd-bat-%s" % tag, [], dict(CONFIG, leases=LEASES))
    in_pcap, out_pcap = os.path.join(tmp, tag + "-in.pcap"), os.path.join(tmp, tag + "-out.pcap")
    wrpcap(in_pcap, [Ether(f) if len(f) >= 14 else Raw(f) for f in frames], linktype=1)
    lqd.eal_args = ["-l", "0", "--vdev", "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (in_pcap, out_pcap)]
    try:
        lqd.start()
        deadline, last, stable = time.time() + 60, -1, 0
        while time.time() < deadline and stable < 5:
            st = lqd.stats()
            size = os.path.getsize(out_pcap) if os.path.exists(out_pcap) else 0
            stable = stable + 1 if st["rx_frames"] >= len(frames) and size == last else 0
            last = size
            time.sleep(0.1)
        stats = lqd.stats()
        code, out = lqd.stop()
        assert code == 0, out
        return stats, list(rdpcap(out_pcap)) if os.path.getsize(out_pcap) > 24 else []
    finally:
        lqd.cleanup()


def mac_of(tmp):
    probe = h.Lqd("lqd-bat-probe", [], dict(CONFIG, leases=LEASES))
    empty = os.path.join(tmp, "empty.pcap")
    wrpcap(empty, [Ether(src=RELAY_MAC, dst="ff:ff:ff:ff:ff:ff") / Raw(b"x" * 50)])
    probe.eal_args = ["-l", "0", "--vdev", "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (empty, empty + ".out")]
    try:
        probe.start()
        return [x for x in probe.output().splitlines() if "lqd: ready" in x][0].split(" mac ")[1].split(",")[0].lower()
    finally:
        probe.stop()
        probe.cleanup()


LEASES = None


def main():
    global LEASES
    if os.geteuid() != 0:
        h.skip("needs root (DPDK runtime directory /var/run/dpdk)")
    tmp = tempfile.mkdtemp(prefix="lqd-battery-")
    failures = []
    try:
        LEASES, _ = h.fresh_leases(tmp)
        mac = mac_of(tmp)
        good = bytes(frame(dhcp(opts=b"\x35\x01\x0a\xff", ciaddr="198.51.100.10"), mac))
        items = battery(mac)
        # One lqd run over all frames, then per-reason accounting from one
        # run per frame would be slow; instead the whole battery is replayed
        # once and every expected counter must equal the number of frames
        # that expect it, with no reply at all but the good query's.
        stats, replies = replay("all", [good] + [f for _, f, _ in items], tmp)
        want = {}
        for _, _, c in items:
            want[c] = want.get(c, 0) + 1
        for c, n in sorted(want.items()):
            got = stats.get(c)
            if got != n:
                failures.append("%s: counted %s, expected %d (frames: %s)" % (
                    c, got, n, [x for x, _, cc in items if cc == c]))
        # Nothing else was dropped under another reason.
        for k, v in stats.items():
            if (k.startswith(("classify_drop_", "parse_error_", "engine_drop_")) or k == "reply_no_room_drops") \
                    and v and k not in want:
                failures.append("unexpected counter %s = %d" % (k, v))
        if stats["replies"] != 1 or len(replies) != 1:
            failures.append("expected exactly one reply (the good query), got %d (counter %d)" % (
                len(replies), stats["replies"]))
        # Amplification: the largest reply lqd can send against its query.
        if replies:
            ratio = len(bytes(replies[0])) / len(good)
            print("reply/query size for a full DHCPLEASEACTIVE: %d/%d bytes = %.2f" % (
                len(bytes(replies[0])), len(good), ratio))
            if ratio >= 2:
                failures.append("amplification %.2f" % ratio)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL: " + f)
    if failures:
        return 1
    print("OK: %d malformed frames, each dropped and counted under its own reason" % len(items))
    return 0


if __name__ == "__main__":
    sys.exit(main())
