#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpora of the libFuzzer targets outside tests/dhcp
(whose own generator is tests/dhcp/corpus/make_message_corpus.py).
Deterministic: running it twice writes identical files.

  tests/dhcp/corpus/relay_agent_info/   option 82 payloads
  tests/dataplane/corpus/frame/         mode byte + DHCP payload (wrapped in Eth/IP/UDP by the target)
  tests/dataplane/corpus/config/        lqd JSON configs
  tests/control/corpus/kea_feeds/       0x01 + Kea HA command body, 0x00 + Kea CSV text
"""
import glob
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "reference", "kea")


def write(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    rai = os.path.join(ROOT, "tests", "dhcp", "corpus", "relay_agent_info")
    write(rai, "circuit-remote", bytes([1, 4]) + b"eth0" + bytes([2, 6, 0, 1, 2, 3, 4, 5]))
    write(rai, "relay-port", bytes([19, 0]))
    write(rai, "docsis", bytes([1, 8]) + b"cable1/0" + bytes([4, 4, 0, 0, 0, 1, 12, 3]) + b"rid")
    write(rai, "empty-sub", bytes([1, 0, 2, 0]))

    frame = os.path.join(ROOT, "tests", "dataplane", "corpus", "frame")
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "dhcp", "corpus", "message", "*"))):
        with open(path, "rb") as f:
            msg = f.read()
        base = os.path.basename(path)
        write(frame, base + "-untagged", bytes([0x01]) + msg)
        write(frame, base + "-qinq", bytes([0x07]) + msg)
        if base.startswith("query_auth"):  # mode bit 32: the engine with RFC 3118 auth on
            write(frame, base + "-auth", bytes([0x21]) + msg)

    cfgs = os.path.join(ROOT, "tests", "dataplane", "corpus", "config")
    with open(os.path.join(ROOT, "docs", "samples", "lqd-demo.json"), "rb") as f:
        write(cfgs, "demo", f.read())
    write(cfgs, "control", json.dumps({
        "ports": [{"device": "net_null0", "addresses": ["192.0.2.1"]}],
        "control": {"state-dir": "/tmp/x", "management": {"address": "127.0.0.1", "port": 8080},
                    "kea-ha": {"address": "127.0.0.1", "port": 8001, "user": "a", "password": "b"},
                    "kea-pull": {"url": "http://127.0.0.1:8000/"}}}).encode())

    write(cfgs, "auth", json.dumps({
        "ports": [{"device": "net_null0", "addresses": ["192.0.2.1"]}],
        "policy": {"auth": {"mode": "optional", "keys": [
            {"id": 1, "secret-hex": "00ff", "requesters": ["10.0.0.0/8"]},
            {"id": 2, "secret": "s", "requesters": ["0.0.0.0/0"]}]}}}).encode())

    feeds = os.path.join(ROOT, "tests", "control", "corpus", "kea_feeds")
    n = 0
    for path in sorted(glob.glob(os.path.join(SHARED, "captured", "*.requests.jsonl"))):
        with open(path) as f:
            for line in f:
                body = json.loads(line)["body"]
                write(feeds, "ha-%02d" % n, b"\x01" + body.encode())
                n += 1
                if n >= 12:
                    break
        if n >= 12:
            break
    csv = os.path.join(SHARED, "captured", "kea-leases4.before-lfc.csv")
    if os.path.exists(csv):
        with open(csv, "rb") as f:
            write(feeds, "csv-captured", b"\x00" + f.read())
    write(feeds, "csv-24", b"\x00address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,"
          b"hostname,state,user_context,pool_id\n10.0.0.5,02:00:00:00:00:05,,600,2000000000,3,0,0,,0,,0\n")


if __name__ == "__main__":
    main()
