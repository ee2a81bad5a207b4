#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a .pcap of DHCPLEASEQUERY frames for pktgen to replay (pktgen -s P:file.pcap).

Each frame is what a relay agent (access concentrator) sends to the appliance:
Ethernet [/ 802.1Q | / 802.1ad + 802.1Q] / IPv4 giaddr -> server / UDP 67 -> 67 /
BOOTP op=1, giaddr = the concentrator's address, xid unique per frame /
options 53=10, [61], 55, end, padded to the 300-byte BOOTP minimum
(RFC 4388 6.2 rules: by IP ciaddr only; by MAC htype/hlen/chaddr; by
client-id option 61 with chaddr zero).

  make_storm_pcap.py --out lq.pcap --count 4096 --mix ip=80,mac=10,cid=10 \
      --server 10.0.0.2 --giaddr-base 10.0.0.1 --concentrators 16 \
      --population 198.51.100.0/24 [--vlan 100 | --qinq 200:100] \
      [--src-mac 02:00:00:00:00:01 --dst-mac 02:00:00:00:00:02] [--seed 1]

The queried subscribers follow lq-storm's generated population (host i of the
prefix: address network+1+i, MAC 02:00:<address bytes>, client-id 01:<MAC>),
so a server seeded with `lq-storm --population P --write-leases` knows them.
Needs python3-scapy (Debian), run with the system python3.
"""
import argparse
import ipaddress
import random
import sys

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether
from scapy.utils import wrpcap

PRL = bytes([51, 54, 58, 59, 61, 82, 91, 92])


def parse_mix(text):
    weights = {"ip": 0.0, "mac": 0.0, "cid": 0.0}
    for part in text.split(","):
        name, _, w = part.partition("=")
        if name not in weights:
            raise argparse.ArgumentTypeError("--mix: '%s' is not ip, mac or cid" % name)
        try:
            weights[name] = float(w)
        except ValueError:
            raise argparse.ArgumentTypeError("--mix: '%s' needs a number, e.g. ip=80" % part)
        if weights[name] < 0:
            raise argparse.ArgumentTypeError("--mix: negative weight")
    if sum(weights.values()) <= 0:
        raise argparse.ArgumentTypeError("--mix: all weights are zero")
    return weights


def parse_qinq(text):
    try:
        outer, inner = (int(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError("--qinq: expected OUTER:INNER, e.g. 200:100")
    for v in (outer, inner):
        if not 0 < v < 4095:
            raise argparse.ArgumentTypeError("--qinq: VLAN ids are 1..4094")
    return outer, inner


def vlan_id(text):
    v = int(text)
    if not 0 < v < 4095:
        raise argparse.ArgumentTypeError("--vlan: 1..4094")
    return v


def subscriber(net, i):
    hosts = net.num_addresses - 2 if net.num_addresses > 2 else net.num_addresses
    first = 1 if net.num_addresses > 2 else 0
    ip = int(net.network_address) + first + (i % hosts)
    mac = bytes([2, 0]) + ip.to_bytes(4, "big")
    return ip, mac, b"\x01" + mac


def frames(args):
    rng = random.Random(args.seed)
    net = ipaddress.IPv4Network(args.population)
    base = int(ipaddress.IPv4Address(args.giaddr_base))
    regimes = list(args.mix.keys())
    weights = [args.mix[r] for r in regimes]
    for n in range(args.count):
        ip, mac, cid = subscriber(net, n)
        giaddr = str(ipaddress.IPv4Address(base + n % args.concentrators))
        regime = rng.choices(regimes, weights)[0]
        bootp = dict(op=1, xid=(args.seed * 0x10000 + n) & 0xFFFFFFFF, giaddr=giaddr)
        opts = [("message-type", 10)]
        if regime == "ip":
            bootp.update(ciaddr=str(ipaddress.IPv4Address(ip)), htype=0, hlen=0,
                         chaddr=b"\x00" * 16)
        elif regime == "mac":
            bootp.update(ciaddr="0.0.0.0", htype=1, hlen=6, chaddr=mac + b"\x00" * 10)
        else:
            bootp.update(ciaddr="0.0.0.0", htype=0, hlen=0, chaddr=b"\x00" * 16)
            opts.append(("client_id", cid))
        opts += [("param_req_list", list(PRL)), "end"]
        dhcp = BOOTP(**bootp) / DHCP(options=opts)
        payload = bytes(dhcp)
        if len(payload) < 300:
            payload += b"\x00" * (300 - len(payload))
        l2 = Ether(src=args.src_mac, dst=args.dst_mac)
        if args.qinq:
            l2 = l2 / Dot1AD(vlan=args.qinq[0]) / Dot1Q(vlan=args.qinq[1])
        elif args.vlan:
            l2 = l2 / Dot1Q(vlan=args.vlan)
        yield l2 / IP(src=giaddr, dst=args.server, ttl=64) / UDP(sport=67, dport=67) / payload


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--count", type=int, default=1024)
    p.add_argument("--mix", type=parse_mix, default=parse_mix("ip=100"))
    p.add_argument("--server", default="10.0.0.2")
    p.add_argument("--giaddr-base", default="10.0.0.1")
    p.add_argument("--concentrators", type=int, default=1)
    p.add_argument("--population", default="198.51.100.0/24")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--vlan", type=vlan_id)
    g.add_argument("--qinq", type=parse_qinq, help="OUTER:INNER (802.1ad S-tag, 802.1Q C-tag)")
    p.add_argument("--src-mac", default="02:00:00:00:00:01")
    p.add_argument("--dst-mac", default="02:00:00:00:00:02")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    if args.count < 1 or args.concentrators < 1:
        p.error("--count and --concentrators must be >= 1")
    try:
        ipaddress.IPv4Network(args.population)
        ipaddress.IPv4Address(args.server)
        ipaddress.IPv4Address(args.giaddr_base)
    except ValueError as e:
        p.error(str(e))
    wrpcap(args.out, list(frames(args)))
    print("wrote %d frames to %s" % (args.count, args.out), file=sys.stderr)


if __name__ == "__main__":
    main()
