#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The state directory turns read-only under a running lqd (a real ext4 error).

The state directory is an ext4 image on a loop device, mounted with
errors=remount-ro. Mid-run the test writes ext4's own sysfs
`trigger_fs_error`: the kernel records a filesystem error and remounts it
read-only at once, while lqd holds its journal open for writing (the case a
tmpfs cannot reproduce: `mount -o remount,ro` refuses while files are open).
This process plays Kea (lease4-update POSTs) and the relay. Checked:
  * healthy: pushes acknowledged (result 0), /healthz 200;
  * after the error: every further push gets NO acknowledgement (the
    connection is closed without an answer; nothing false is acknowledged),
    /healthz 503 "degraded: ... Read-only file system ...", lqd_degraded 1,
    the log names the problem and what to do, and every lease (the ones
    pushed during the failure included) is still answered ACTIVE from memory;
  * lqd stopped, the image checked and mounted again, lqd restarted on it:
    every acknowledged lease is there.
Exit 77 (skip) only without root, namespaces, loop devices, ext4 or its
trigger_fs_error sysfs file.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lqd_harness as h  # noqa: E402
import persistence_fault_test as pf  # noqa: E402  (push helpers, same ports)

RELAY = pf.RELAY


def main():
    if os.geteuid() != 0:
        h.skip("needs root (namespaces, loop devices, mount)")
    for tool in ("losetup", "mkfs.ext4", "e2fsck"):
        if subprocess.run(["which", tool], stdout=subprocess.DEVNULL).returncode != 0:
            h.skip(tool + " not installed")
    ns = h.Netns("lqd-ro", RELAY + "/24")
    lqd = h.Lqd("lqd-ro", ["-l", "0-1"], {}, netns=ns.name)
    image = os.path.join(lqd.tmp, "state.ext4")
    mnt = os.path.join(lqd.tmp, "state-fs")
    os.makedirs(mnt)
    loop, mounted = None, False

    def mount():
        nonlocal mounted
        r = h.run("mount", "-t", "ext4", "-o", "errors=remount-ro", loop, mnt, check=False)
        if r.returncode != 0:
            h.skip("cannot mount ext4 from a loop device: " + r.stdout.strip())
        mounted = True

    try:
        h.run("truncate", "-s", "32M", image)
        h.run("mkfs.ext4", "-q", image)
        r = h.run("losetup", "-f", "--show", image, check=False)
        if r.returncode != 0:
            h.skip("no loop device available: " + r.stdout.strip())
        loop = r.stdout.strip()
        mount()
        trigger = "/sys/fs/ext4/%s/trigger_fs_error" % os.path.basename(loop)
        if not os.path.exists(trigger):
            h.skip("kernel lacks ext4's " + trigger)
        ns.create()
        leases, _ = h.fresh_leases(lqd.tmp)
        lqd.config = pf.lqd_config(ns, mnt + "/lqd", leases)
        lqd.start()
        ns.enter()

        acked = []
        for i in range(1, 21):
            ip = "203.0.113.%d" % i
            h.expect(pf.push(ip, i), "push %s acknowledged while the disk works" % ip)
            acked.append(ip)
        h.expect(pf.wait_health(200).startswith("ok"), "healthy before the error")

        with open(trigger, "w") as f:  # ext4_error(): errors=remount-ro takes effect now
            f.write("1")
        with open("/proc/mounts") as f:
            opts = [l.split()[3] for l in f if l.split()[1] == mnt]
        print("mount options after the error:", opts, flush=True)
        h.expect(bool(opts) and ("ro" in opts[0].split(",") or "emergency_ro" in opts[0]), "remounted read-only",
                 opts)

        unacked = []
        for i in range(21, 61):
            ip = "203.0.113.%d" % i
            (acked if pf.push(ip, i) else unacked).append(ip)
        late = [ip for ip in acked if int(ip.split(".")[3]) > 20]
        h.expect(not late, "no push acknowledged after the state dir turned read-only", late)
        body = pf.wait_health(503)
        print("healthz while read-only:", body.strip(), flush=True)
        h.expect(body.startswith("degraded:") and "Read-only file system" in body, "health names the cause", body)
        h.expect(pf.degraded_gauge() == 1, "lqd_degraded 1")
        out = lqd.output()
        h.expect("NOT acknowledging Kea updates" in out and "remount read-write" in out,
                 "the log says what is wrong and what to do", out[-2000:])
        missing = [ip for ip in acked + unacked if not pf.active(ip)]
        h.expect(not missing, "every lease still served from memory while read-only", missing)

        code, out = lqd.stop()
        print("lqd stopped on the read-only state dir: exit %s" % code, flush=True)
        h.run("umount", mnt)
        mounted = False
        fsck = h.run("e2fsck", "-fy", loop, check=False)
        h.expect(fsck.returncode in (0, 1), "e2fsck repairs the image", fsck.stdout)
        mount()
        lqd.start()
        missing = [ip for ip in acked if not pf.active(ip)]
        h.expect(not missing, "acknowledged leases lost across the read-only episode", missing)
        print("persistence_ro_test: %d acknowledged before the error all kept, %d pushes during it "
              "unacknowledged and served from memory: OK" % (len(acked), len(unacked)), flush=True)
    finally:
        code, out = lqd.stop()
        print("--- lqd output (exit %s) ---\n%s" % (code, out[-2500:]), flush=True)
        ns.delete()
        if mounted:
            subprocess.run(["umount", "-l", mnt])
        if loop:
            subprocess.run(["losetup", "-d", loop])
        lqd.cleanup()  # removes the image with the rest of lqd's temp directory
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
