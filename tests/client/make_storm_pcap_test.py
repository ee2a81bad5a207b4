#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""client/make_storm_pcap.py: every frame it writes decodes, with both scapy and
tshark, as the DHCPLEASEQUERY it claims to be (RFC 4388 6.2 header rules,
VLAN tags, giaddr per concentrator, the requested regime mix).

  make_storm_pcap_test.py path/to/make_storm_pcap.py
Exit 77 (skip) if scapy or tshark is missing.
"""
import collections
import os
import shutil
import subprocess
import sys
import tempfile

try:
    from scapy.layers.dhcp import BOOTP, DHCP
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Dot1AD, Dot1Q
    from scapy.utils import rdpcap
except ImportError:
    print("SKIP: python3-scapy not installed")
    sys.exit(77)

GEN = sys.argv[1]
COUNT = 400


def generate(out, *extra):
    subprocess.run([sys.executable, GEN, "--out", out, "--count", str(COUNT),
                    "--mix", "ip=50,mac=25,cid=25", "--server", "10.0.0.2",
                    "--giaddr-base", "10.0.0.10", "--concentrators", "4",
                    "--population", "198.51.100.0/24"] + list(extra), check=True)


def options(pkt):
    out = {}
    for o in pkt[DHCP].options:
        if isinstance(o, tuple):
            out[o[0]] = o[1]
    return out


def check_scapy(path, vlans):
    pkts = rdpcap(path)
    assert len(pkts) == COUNT, len(pkts)
    regimes = collections.Counter()
    xids = set()
    for i, p in enumerate(pkts):
        tags = []
        if Dot1AD in p:
            tags.append(p[Dot1AD].vlan)
        if Dot1Q in p:
            tags.append(p[Dot1Q].vlan)
        assert tags == vlans, (i, tags)
        assert p[IP].dst == "10.0.0.2" and p[UDP].sport == 67 and p[UDP].dport == 67, i
        b = p[BOOTP]
        assert b.op == 1, i
        assert len(bytes(p[UDP].payload)) >= 300, i
        assert b.giaddr == "10.0.0.%d" % (10 + i % 4) == p[IP].src, (i, b.giaddr)
        o = options(p)
        assert o.get("message-type") == 10, (i, o)
        assert 51 in o.get("param_req_list", []) and 82 in o["param_req_list"], i
        if b.ciaddr != "0.0.0.0":
            assert b.hlen == 0 and b.htype == 0 and set(b.chaddr) == {0}, i
            assert "client_id" not in o, i
            assert b.ciaddr == "198.51.100.%d" % (1 + i % 254), (i, b.ciaddr)
            regimes["ip"] += 1
        elif b.hlen:
            assert b.htype == 1 and b.hlen == 6, i
            assert b.chaddr[:6] == bytes([2, 0, 198, 51, 100, 1 + i % 254]), i
            assert "client_id" not in o, i
            regimes["mac"] += 1
        else:
            assert set(b.chaddr) == {0} and b.htype == 0, i
            assert o["client_id"] == bytes([1, 2, 0, 198, 51, 100, 1 + i % 254]), i
            regimes["cid"] += 1
        xids.add(b.xid)
    assert len(xids) == COUNT, "xids must be unique"
    assert 150 < regimes["ip"] < 250 and 60 < regimes["mac"] < 140 and 60 < regimes["cid"] < 140, \
        regimes
    return regimes


def check_tshark(path, vlans):
    tshark = shutil.which("tshark")
    if not tshark:
        print("SKIP: tshark not installed")
        sys.exit(77)
    r = subprocess.run([tshark, "-n", "-r", path, "-T", "fields", "-E", "separator=|",
                        "-e", "ieee8021ad.id", "-e", "vlan.id", "-e", "dhcp.option.dhcp", "-e", "dhcp.ip.relay",
                        "-e", "_ws.expert"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, check=True)
    lines = r.stdout.strip().split("\n")
    assert len(lines) == COUNT, (len(lines), r.stderr)
    for i, line in enumerate(lines):
        stag, vlan, msgtype, relay, expert = line.split("|")
        assert [int(v) for v in (stag, vlan) if v] == vlans, (i, line)
        assert msgtype == "10", (i, line)  # DHCPLEASEQUERY
        assert relay == "10.0.0.%d" % (10 + i % 4), (i, line)
        # Notes are fine (tshark notes e.g. "Client address not given"),
        # malformed packets and errors are not.
        assert "Malformed" not in expert and "/Error/" not in expert \
            and "(Error" not in expert and "(Warning" not in expert, (i, line)


def main():
    tmp = tempfile.mkdtemp(prefix="lq-pcap-")
    try:
        for extra, vlans in (([], []), (["--vlan", "100"], [100]),
                             (["--qinq", "200:100"], [200, 100])):
            path = os.path.join(tmp, "lq-%d.pcap" % len(vlans))
            generate(path, *extra)
            regimes = check_scapy(path, vlans)
            check_tshark(path, vlans)
            print("ok: %s vlans=%s regimes=%s" % (os.path.basename(path), vlans, dict(regimes)))
        # Bad arguments are refused.
        r = subprocess.run([sys.executable, GEN, "--out", os.path.join(tmp, "x.pcap"),
                            "--mix", "ip=1,foo=2"], stderr=subprocess.PIPE)
        assert r.returncode == 2, r.returncode
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")


if __name__ == "__main__":
    main()
