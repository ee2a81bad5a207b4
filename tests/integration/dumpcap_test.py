#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Operators debug lqd with DPDK's own tools: dpdk-dumpcap and dpdk-proc-info
attach to the running lqd as secondary processes (docs/operations.md).

Secondary processes need shared hugepage memory, so this test reserves
2 MB hugepages (and mounts hugetlbfs) if the host has none, and puts both
back as they were afterwards. lqd runs on a net_null port (which receives
a stream of frames), dpdk-dumpcap captures 20 of them into a pcapng file,
and dpdk-proc-info reads the port statistics.
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lqd_harness as h  # noqa: E402

NR = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
MNT = "/dev/hugepages"
# Secondary processes map the primary's memory at the primary's addresses.
# Left to chance, that range can be taken in the secondary (seen with an
# ASan-built lqd, whose runtime shifts the layout); a fixed base far from
# where the loader, the heap and ASan's shadow live makes it the same in both.
BASE_VA = "0x500000000000"


def main():
    if os.geteuid() != 0:
        h.skip("needs root (hugepages, DPDK runtime directory)")
    if os.environ.get("LQD_SANITIZED") == "tsan":
        # The secondaries (Debian's dpdk-dumpcap, dpdk-proc-info) must map
        # lqd's memory at lqd's addresses; ThreadSanitizer allows application
        # memory only in ranges where an uninstrumented process puts its
        # own executable, so no base address works for both.
        h.skip("not under ThreadSanitizer: a DPDK secondary cannot share a TSan primary's address layout")
    for tool in ("dpdk-dumpcap", "dpdk-proc-info"):
        if subprocess.run(["which", tool], stdout=subprocess.DEVNULL).returncode != 0:
            h.skip(tool + " not installed (Debian package dpdk-dev; scripts/install-deps.sh)")
    if not os.path.exists(NR):
        h.skip("kernel has no 2 MB hugepages")
    with open(NR) as f:
        old_nr = int(f.read())
    mounted_here = False
    tmp = tempfile.mkdtemp(prefix="lqd-dumpcap-")
    lqd = None
    try:
        if old_nr < 192:
            try:
                with open(NR, "w") as f:
                    f.write("256")
            except OSError as e:
                h.skip("cannot reserve hugepages: %s" % e)
            with open(NR) as f:
                if int(f.read()) < 192:
                    h.skip("cannot reserve hugepages (memory too fragmented?)")
        if subprocess.run(["mountpoint", "-q", MNT]).returncode != 0:
            os.makedirs(MNT, exist_ok=True)
            r = h.run("mount", "-t", "hugetlbfs", "nodev", MNT, check=False)
            if r.returncode != 0:
                h.skip("cannot mount hugetlbfs on %s: %s" % (MNT, r.stdout.strip()))
            mounted_here = True
        lqd = h.Lqd("lqd-dumpcap", [], {"ports": [{"device": "net_null0", "addresses": ["192.0.2.1"]}]})
        # Not the harness's --no-huge: secondary processes need hugepage memory.
        cfg = os.path.join(lqd.tmp, "lqd.json")
        with open(cfg, "w") as f:
            f.write('{"ports": [{"device": "net_null0", "addresses": ["192.0.2.1"]}]}')
        log = open(lqd.log_path, "w")
        lqd.proc = subprocess.Popen(["timeout", "120", h.lqd_binary(), "-l", "0-1", "-m", "256", "--base-virtaddr", BASE_VA, "--file-prefix",
                                     lqd.prefix, "--no-pci", "--vdev", "net_null0", "--", "--config", cfg],
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 30
        while "lqd: ready" not in lqd.output():
            assert lqd.proc.poll() is None and time.time() < deadline, lqd.output()
            time.sleep(0.1)
        pcap = os.path.join(tmp, "lqd.pcapng")
        r = subprocess.run(["timeout", "60", "dpdk-dumpcap", "--file-prefix", lqd.prefix, "-i", "net_null0",
                            "-c", "20", "-w", pcap], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert r.returncode == 0, r.stdout
        assert "Packets received" in r.stdout, r.stdout
        assert os.path.getsize(pcap) > 200, "capture file holds no packets:\n" + r.stdout
        p = subprocess.run(["timeout", "60", "dpdk-proc-info", "--file-prefix", lqd.prefix, "--", "--stats"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert p.returncode == 0 and "RX-packets" in p.stdout.replace("RX-packets:", "RX-packets"), p.stdout[-2000:]
        code, out = lqd.stop()
        assert code == 0, out
        print("dumpcap_test: dpdk-dumpcap captured from lqd (%d bytes), dpdk-proc-info read its stats: OK"
              % os.path.getsize(pcap))
        return 0
    finally:
        if lqd is not None:
            prefix = lqd.prefix
            lqd.cleanup()
            # The EAL leaves its hugepage files behind; they hold the pages.
            for name in os.listdir(MNT) if os.path.isdir(MNT) else []:
                if name.startswith(prefix + "map_"):
                    os.unlink(os.path.join(MNT, name))
        if mounted_here:
            subprocess.run(["umount", MNT])
        try:
            with open(NR, "w") as f:
                f.write(str(old_nr))
        except OSError:
            pass
        with open(NR) as f:
            left = int(f.read())
        if left != old_nr:
            print("WARNING: %d hugepages still reserved (wanted %d): in use by another process?" % (left, old_nr))
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
