#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Golden pcap test: frames in, frames out, decoded by scapy (not by lqd's codec).

Writes leasequeries of all three regimes (untagged, 802.1Q, QinQ), ARP, ICMP
echo and a set of malformed or foreign frames to in.pcap, runs lqd on
`net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap`, waits until telemetry says
every frame was received and out.pcap stops growing, stops lqd, and checks
every field of every reply, and that nothing else was sent.
"""
import os
import shutil
import sys
import tempfile
import time

try:
    import logging
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)  # the runt frame has no link type
    from scapy.all import (ARP, BOOTP, DHCP, ICMP, IP, UDP, Dot1AD, Dot1Q, Ether, IPv6, Raw,
                           rdpcap, wrpcap)
except ImportError:
    # The Debian python3-scapy package lives under /usr/bin/python3; another
    # python3 (pyenv, venv) may be first on PATH.
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("SKIP: scapy is not installed (apt-get install python3-scapy)")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lqd_harness as h  # noqa: E402
from lqd_harness import lq_client as lq  # noqa: E402

SERVER, RELAY = "192.0.2.1", "192.0.2.2"
RELAY_MAC = "02:00:00:00:aa:01"
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL: " + what)


def l2(lqd_mac, tags):
    """Ethernet plus VLAN tags: tags is a list of (tpid, vid)."""
    if not tags:
        return Ether(src=RELAY_MAC, dst=lqd_mac)
    f = Ether(src=RELAY_MAC, dst=lqd_mac, type=tags[0][0])
    for i, (_tpid, vid) in enumerate(tags):
        nxt = tags[i + 1][0] if i + 1 < len(tags) else 0x0800
        f = f / (Dot1AD if _tpid == 0x88a8 else Dot1Q)(vlan=vid, type=nxt)
    return f


def query_frame(lqd_mac, tags, xid, src=RELAY, giaddr=RELAY, **selector):
    return l2(lqd_mac, tags) / IP(src=src, dst=SERVER) / UDP(sport=67, dport=67) / Raw(
        lq.build_query(xid, giaddr, **selector))


def probe_mac(tmp):
    """lqd's MAC on a net_pcap port (the PMD's fixed default), from a dry run."""
    empty = os.path.join(tmp, "empty.pcap")
    wrpcap(empty, [Ether(src=RELAY_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, psrc=RELAY, pdst="192.0.2.250")])
    d = h.Lqd("lqd-pcap-probe", ["-l", "0", "--vdev", "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (
        empty, os.path.join(tmp, "probe-out.pcap"))], CONFIG)
    try:
        d.start()
        line = [x for x in d.output().splitlines() if "lqd: ready" in x][0]
        return line.split(" mac ")[1].split(",")[0].lower()
    finally:
        d.stop()
        d.cleanup()


# Rate limit: 1 query/s per giaddr after a burst of 8. The limiter runs
# before the parser (an over-rate relay costs lqd little), so the relay's
# own giaddr spends exactly 8 tokens: 5 answered queries, no-selector, and
# the truncated-dhcp and bad-cookie frames; a second giaddr sends 11 back
# to back and gets 8 answers. The whole file is replayed in well under a
# second, so no token is refilled meanwhile.
RL_GIADDR, RL_SENT, RL_BURST = "192.0.2.5", 11, 8
CONFIG = {"ports": [{"device": "net_pcap0", "addresses": [SERVER]}],
          "authoritative-ranges": ["198.51.100.0/24", "203.0.113.0/25"],
          "acl": {"allow": ["192.0.2.0/24"]},
          "rate-limit": {"per-requester-pps": 1, "burst": RL_BURST}}


def main():
    if os.geteuid() != 0:
        h.skip("needs root (DPDK runtime directory /var/run/dpdk)")
    tmp = tempfile.mkdtemp(prefix="lqd-pcap-")
    try:
        return run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp_probe):
    leases, rows = h.fresh_leases(tmp_probe)
    CONFIG["leases"] = leases
    mac = probe_mac(tmp_probe)
    print("lqd MAC on net_pcap0:", mac)

    q1 = [(0x8100, 100)]
    qq = [(0x88a8, 200), (0x8100, 300)]
    # (name, frame, expectation); expectation None = must produce nothing.
    frames = [
        ("active-untagged", query_frame(mac, [], 0x1001, ciaddr="198.51.100.10"),
         {"type": 13, "ciaddr": "198.51.100.10", "chaddr": "02:00:00:00:01:01", "tags": [],
          "rai": "198.51.100.10"}),
        ("bad-ip-checksum", l2(mac, []) / IP(src=RELAY, dst=SERVER, chksum=0x1234) /
         UDP(sport=67, dport=67) / Raw(lq.build_query(0x2001, RELAY, ciaddr="198.51.100.10")), None),
        ("unassigned-dot1q", query_frame(mac, q1, 0x1002, ciaddr="198.51.100.61"),
         {"type": 11, "ciaddr": "198.51.100.61", "chaddr": "", "tags": q1}),
        ("bad-udp-checksum", l2(mac, []) / IP(src=RELAY, dst=SERVER) /
         UDP(sport=67, dport=67, chksum=0x1234) / Raw(lq.build_query(0x2002, RELAY, ciaddr="198.51.100.10")), None),
        ("unknown-qinq", query_frame(mac, qq, 0x1003, ciaddr="10.9.9.9"),
         {"type": 12, "ciaddr": "10.9.9.9", "chaddr": "", "tags": qq}),
        ("fragment", l2(mac, []) / IP(src=RELAY, dst=SERVER, flags="MF") / UDP(sport=67, dport=67) /
         Raw(lq.build_query(0x2003, RELAY, ciaddr="198.51.100.10")), None),
        ("by-mac-qinq", query_frame(mac, qq, 0x1004, mac="02:00:00:00:02:01"),
         {"type": 13, "ciaddr": "198.51.100.52", "chaddr": "02:00:00:00:02:01", "tags": qq,
          "rai": "198.51.100.52", "assoc": ["198.51.100.50", "198.51.100.51"]}),
        ("truncated-dhcp", l2(mac, []) / IP(src=RELAY, dst=SERVER) / UDP(sport=67, dport=67) /
         Raw(lq.build_query(0x2004, RELAY, ciaddr="198.51.100.10")[:120]), None),
        ("bad-cookie", l2(mac, []) / IP(src=RELAY, dst=SERVER) / UDP(sport=67, dport=67) /
         Raw(lq.build_query(0x2005, RELAY, ciaddr="198.51.100.10")[:236] + b"\x01\x02\x03\x04" + b"\xff" * 60), None),
        ("by-client-id-dot1q", query_frame(mac, q1, 0x1005, client_id="01:02:00:00:00:01:02"),
         {"type": 13, "ciaddr": "198.51.100.11", "chaddr": "02:00:00:00:01:02", "tags": q1,
          "rai": "198.51.100.11"}),
        ("no-selector", query_frame(mac, [], 0x2006), None),
        ("not-for-us", l2(mac, []) / IP(src=RELAY, dst="192.0.2.77") / UDP(sport=67, dport=67) /
         Raw(lq.build_query(0x2007, RELAY, ciaddr="198.51.100.10")), None),
        ("three-tags", l2(mac, [(0x88a8, 1), (0x8100, 2), (0x8100, 3)]) / IP(src=RELAY, dst=SERVER) /
         UDP(sport=67, dport=67) / Raw(lq.build_query(0x2008, RELAY, ciaddr="198.51.100.10")), None),
        ("arp", Ether(src=RELAY_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=RELAY_MAC, psrc=RELAY, pdst=SERVER),
         {"arp": True, "tags": []}),
        ("arp-other-host", Ether(src=RELAY_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=RELAY_MAC, psrc=RELAY,
                                                                               pdst="192.0.2.9"), None),
        ("ipv6", Ether(src=RELAY_MAC, dst=mac) / IPv6() / UDP(sport=547, dport=547), None),
        ("udp-68-exception", l2(mac, []) / IP(src=RELAY, dst=SERVER) / UDP(sport=67, dport=68) / Raw(b"x" * 20), None),
        ("icmp-dot1q", l2(mac, q1) / IP(src=RELAY, dst=SERVER) / ICMP(type=8, id=0x77, seq=5) / Raw(bytes(range(32))),
         {"icmp": True, "tags": q1}),
        ("acl-source", query_frame(mac, [], 0x2009, src="198.18.0.1", ciaddr="198.51.100.10"), None),
        ("acl-giaddr", query_frame(mac, [], 0x200a, giaddr="198.18.0.1", ciaddr="198.51.100.10"), None),
    ] + [
        ("ratelimited-%d" % i, query_frame(mac, [], 0x3000 + i, giaddr=RL_GIADDR, ciaddr="198.51.100.12"),
         {"type": 13, "ciaddr": "198.51.100.12", "chaddr": "02:00:00:00:01:03", "tags": [],
          "rai": "198.51.100.12", "giaddr": RL_GIADDR} if i < RL_BURST else None)
        for i in range(RL_SENT)
    ] + [
        ("runt", Raw(b"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"), None),
    ]
    lqd = h.Lqd("lqd-pcap", [], CONFIG)
    in_pcap = os.path.join(lqd.tmp, "in.pcap")
    out_pcap = os.path.join(lqd.tmp, "out.pcap")
    wrpcap(in_pcap, [f for _, f, _ in frames], linktype=1)  # DLT_EN10MB, also for the runt
    lqd.eal_args = ["-l", "0", "--vdev", "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (in_pcap, out_pcap)]
    try:
        lqd.start()
        # Done when every frame was received and the output stopped growing.
        deadline, last, stable = time.time() + 60, -1, 0
        while time.time() < deadline:
            st = lqd.stats()
            size = os.path.getsize(out_pcap) if os.path.exists(out_pcap) else 0
            if st["rx_frames"] >= len(frames) and size == last:
                stable += 1
                if stable >= 5:
                    break
            else:
                stable = 0
            last = size
            time.sleep(0.1)
        stats = lqd.stats()
        code, out = lqd.stop()
        check(code == 0, "lqd exit code %s" % code)
        check(stats["rx_frames"] == len(frames), "rx_frames %d != %d" % (stats["rx_frames"], len(frames)))
        replies = list(rdpcap(out_pcap))
        expected = [(n, f, e) for n, f, e in frames if e is not None]
        check(len(replies) == len(expected), "%d frames out, expected %d: %s" % (
            len(replies), len(expected), [r.summary() for r in replies]))
        # Matched by content, not position: within one RX burst lqd answers
        # ARP and ICMP at once and the leasequeries after the burst's lease
        # prefetch stage (dataplane/lcore_loop.h), so the order may differ.
        by_key = {}
        for reply in replies:
            r = Ether(bytes(reply))
            by_key.setdefault(frame_key(r), []).append(r)
        for name, query, exp in expected:
            key = frame_key(Ether(bytes(query)))
            got = by_key.get(key, [])
            check(len(got) == 1, "%s: %d replies match it (key %s)" % (name, len(got), key))
            if got:
                verify(name, query, exp, got[0], mac, rows)
        # Drop reasons seen by lqd for the malformed frames.
        for key in ("classify_drop_ip_bad_checksum", "classify_drop_udp_bad_checksum",
                    "classify_drop_ip_fragment", "classify_drop_not_for_us", "classify_drop_too_many_tags",
                    "classify_drop_unsupported_ethertype", "classify_drop_runt_frame",
                    "parse_error_truncated_header", "parse_error_bad_magic_cookie",
                    "engine_drop_no_selector", "exception_drops"):
            check(stats[key] >= 1, "counter %s is %d" % (key, stats[key]))
        check(stats["acl_drops"] == 2, "acl_drops %d" % stats["acl_drops"])
        check(stats["ratelimit_drops"] == RL_SENT - RL_BURST, "ratelimit_drops %d" % stats["ratelimit_drops"])
        check(stats["replies"] == 5 + RL_BURST and stats["arp_replies"] == 1 and stats["icmp_echo_replies"] == 1,
              "reply counters %s" % {k: stats[k] for k in ("replies", "arp_replies", "icmp_echo_replies")})
    finally:
        lqd.cleanup()
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("OK: %d frames in, %d replies verified" % (len(frames), len(expected)))
    return 0


def frame_key(f):
    """What ties a reply to its query: ARP, ICMP echo, or the BOOTP xid."""
    if ARP in f:
        return "arp"
    if ICMP in f:
        return "icmp"
    if BOOTP in f:
        return "xid-%x" % f[BOOTP].xid
    return "raw:" + bytes(f).hex()


def tags_of(f):
    tags, layer = [], f.payload
    while isinstance(layer, (Dot1Q, Dot1AD)):
        tags.append((0x88a8 if isinstance(layer, Dot1AD) else 0x8100, layer.vlan))
        layer = layer.payload
    return tags


def verify(name, query, exp, r, mac, rows):
    check(r.dst == RELAY_MAC.lower(), "%s: dst MAC %s" % (name, r.dst))
    check(r.src == mac, "%s: src MAC %s" % (name, r.src))
    check(tags_of(r) == exp["tags"], "%s: VLAN tags %s != %s" % (name, tags_of(r), exp["tags"]))
    if exp.get("arp"):
        a = r[ARP]
        check(a.op == 2 and a.psrc == SERVER and a.hwsrc == mac and a.pdst == RELAY and
              a.hwdst == RELAY_MAC, "%s: %s" % (name, a.summary()))
        return
    ip = r[IP]
    giaddr = exp.get("giaddr", RELAY)
    check(ip.src == SERVER and ip.dst == giaddr, "%s: IP %s -> %s" % (name, ip.src, ip.dst))
    check(ip.ttl == 64 and ip.flags.DF and ip.frag == 0 and ip.ihl == 5, "%s: IP ttl/flags" % name)
    fresh = IP(bytes(ip))
    del fresh.chksum
    check(IP(bytes(fresh)).chksum == ip.chksum, "%s: IPv4 checksum" % name)
    if exp.get("icmp"):
        ic = r[ICMP]
        check(ic.type == 0 and ic.id == 0x77 and ic.seq == 5 and bytes(ic.payload) == bytes(range(32)),
              "%s: %s" % (name, ic.summary()))
        c = ICMP(bytes(ic))
        del c.chksum
        check(ICMP(bytes(c)).chksum == ic.chksum, "%s: ICMP checksum" % name)
        return
    u = r[UDP]
    check(u.sport == 67 and u.dport == 67, "%s: UDP ports %d -> %d" % (name, u.sport, u.dport))
    c = IP(bytes(ip))
    del c[UDP].chksum
    check(IP(bytes(c))[UDP].chksum == u.chksum and u.chksum != 0, "%s: UDP checksum" % name)
    b = r[BOOTP]
    qb = BOOTP(bytes(query[Raw].load))
    check(b.op == 2 and b.xid == qb.xid, "%s: op %d xid %#x" % (name, b.op, b.xid))
    check(b.ciaddr == exp["ciaddr"], "%s: ciaddr %s" % (name, b.ciaddr))
    check(b.giaddr == giaddr, "%s: giaddr %s" % (name, b.giaddr))
    chaddr = b.chaddr[:b.hlen].hex(":") if b.hlen else ""
    check(chaddr == exp["chaddr"], "%s: chaddr %r" % (name, chaddr))
    opts = {o[0]: o[1] for o in r[DHCP].options if isinstance(o, tuple)}
    check(opts.get("message-type") == exp["type"], "%s: message type %s" % (name, opts.get("message-type")))
    check(opts.get("server_id") == SERVER, "%s: server-id %s" % (name, opts.get("server_id")))
    if "rai" in exp:
        row = [x for x in rows if x["address"] == exp["rai"]][-1]
        check(opts.get("relay_agent_information") == h.rai_from_row(row),
              "%s: option 82 %r" % (name, opts.get("relay_agent_information")))
    else:
        check("relay_agent_information" not in opts, "%s: unexpected option 82" % name)
    if "assoc" in exp:
        # scapy decodes option 92 as a single address: walk the TLVs here.
        raw, got, i = bytes(r[BOOTP])[240:], [], 0
        while i < len(raw) and raw[i] != 255:
            if raw[i] == 0:
                i += 1
                continue
            if raw[i] == 92:
                got += [".".join(map(str, raw[k:k + 4])) for k in range(i + 2, i + 2 + raw[i + 1], 4)]
            i += 2 + raw[i + 1]
        check(sorted(got) == exp["assoc"], "%s: option 92 %s" % (name, got))


if __name__ == "__main__":
    sys.exit(main())
