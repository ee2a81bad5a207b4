#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Queries a running lqd through DPDK telemetry (what dpdk-telemetry.py does).

  lqd_telemetry.py --file-prefix lqd-demo-123 /lqd/stats
  lqd_telemetry.py --file-prefix lqd-demo-123 /lqd/lcore,0
  lqd_telemetry.py --file-prefix lqd-demo-123 /help,/lqd/stats

Prints the JSON answer. Standard library only.
"""
import argparse
import json
import os
import socket
import sys


def query(prefix, command, runtime_dir="/var/run/dpdk", timeout=5.0):
    path = os.path.join(runtime_dir, prefix, "dpdk_telemetry.v2")
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(timeout)
        s.connect(path)
        info = json.loads(s.recv(16384).decode())
        s.send(command.encode())
        data = s.recv(info.get("max_output_len", 16384))
    return json.loads(data.decode())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--file-prefix", required=True, help="the EAL --file-prefix lqd runs with")
    ap.add_argument("--runtime-dir", default="/var/run/dpdk")
    ap.add_argument("--nonzero", action="store_true", help="leave out counters that are 0")
    ap.add_argument("command", nargs="?", default="/lqd/stats")
    a = ap.parse_args()
    try:
        reply = query(a.file_prefix, a.command, a.runtime_dir)
    except OSError as e:
        print("cannot reach lqd telemetry (%s): %s" % (a.file_prefix, e), file=sys.stderr)
        return 1
    if a.nonzero:
        def strip(v):
            if isinstance(v, dict):
                return {k: strip(x) for k, x in v.items() if x != 0}
            return v
        reply = strip(reply)
    print(json.dumps(reply, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
