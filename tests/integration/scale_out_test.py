#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Scale-out: two lqd instances as two `backup` peers of one real Kea 2.2.

In a network namespace: kea-dhcp4 (HA passive-backup, primary, with TWO
backup peers) and kea-ctrl-agent on loopback; lqd-1 on veth lqd-a at
192.0.2.1 and lqd-2 on a second veth pair lqd-b at 192.0.2.11, each with its
own EAL --file-prefix, Kea HA endpoint, management port and state dir, each
pulling from the same kea-ctrl-agent. This process enters the namespace and
is the relay at 192.0.2.2 (the route to 192.0.2.11 goes out of the second
pair; lqd-2 answers ARP for it): it relays DHCP clients to Kea and sends
leasequeries to both instances.

Checked: leases made before the instances started (pull) and after (push,
to both), a release and a decline; then every lease Kea holds is compared,
IP by IP, between the two instances (management API records and leasequery
replies) and against Kea's lease4-get-all.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import control_kea_test as ck  # noqa: E402  (Kea configs, relay, HTTP helpers)
import lqd_harness as h  # noqa: E402

lq = h.lq_client
RELAY = ck.RELAY
INSTANCES = [  # name, dataplane address, veth (lqd side), HA port, management port
    ("lqd-1", "192.0.2.1", None, 18101, 18181),
    ("lqd-2", "192.0.2.11", "lqd-b", 18102, 18182),
]
# Options whose value depends on when the reply was built (lease time left,
# T1, T2, seconds since the last transaction): compared within a tolerance.
TIMED = (51, 58, 59, 91)


def kea_conf(tmp):
    conf = ck.kea_conf(tmp, "http://127.0.0.1:%d/" % INSTANCES[0][3])
    ha = conf["Dhcp4"]["hooks-libraries"][1]["parameters"]["high-availability"][0]
    ha["peers"][1]["name"] = INSTANCES[0][0]
    ha["peers"].append(dict(ha["peers"][1], name=INSTANCES[1][0], url="http://127.0.0.1:%d/" % INSTANCES[1][3]))
    return conf


def lqd_config(tmp, name, addr, dp_iface, ha_port, mgmt_port):
    return {
        "ports": [{"device": "net_af_packet0,iface=" + dp_iface, "addresses": [addr]}],
        "authoritative-ranges": ["198.51.100.10-198.51.100.200"],
        "control": {
            "state-dir": os.path.join(tmp, name + "-state"),
            "management": {"address": "127.0.0.1", "port": mgmt_port},
            "kea-ha": {"address": "127.0.0.1", "port": ha_port, "user": "foo", "password": "bar"},
            "kea-pull": {"url": "http://127.0.0.1:%d/" % ck.CA_PORT, "user": "appliance",
                         "password": "secret", "interval-seconds": 3600},
        },
    }


def second_link(ns, iface, first):
    """lqd-2's own veth pair; the relay reaches 192.0.2.11 through it (host
    route, relay address as the source).

    DPDK's af_packet PMD joins PACKET_FANOUT group (pid ^ ifindex) & 0xffff,
    and groups are per namespace: if lqd-2's pid ^ its ifindex equalled
    lqd-1's, attaching would fail (EINVAL). lqd-2 starts after lqd-1, so its
    pid is higher: give its interface the ifindex that maps the colliding
    pid below lqd-1's, which no later process gets (short of pid wrap)."""
    p = first.pid() & 0xffff
    a = int(h.run("ip", "-n", ns.name, "-o", "link", "show", ns.dp).stdout.split(":")[0])
    k = 1
    while True:
        b = a ^ p ^ ((p - k) & 0xffff)  # collision would need pid == lqd-1's - k
        if 16 <= b < (1 << 20):
            break
        k += 1
    h.run("ip", "-n", ns.name, "link", "add", iface, "index", str(b), "type", "veth", "peer", "name", "lqd-s")
    for dev in (iface, "lqd-s"):
        h.run("ip", "-n", ns.name, "link", "set", dev, "up")
    h.run("ip", "-n", ns.name, "route", "add", INSTANCES[1][1] + "/32", "dev", "lqd-s", "src", RELAY)
    h.run("ip", "netns", "exec", ns.name, sys.executable, os.path.join(h.ROOT, "scripts", "lq_client.py"),
          "--tx-checksum-off", "lqd-s")


def records(mgmt_port, ip):
    st, body = ck.http("GET", mgmt_port, "/v1/leases?ip=" + ip)
    assert st == 200, (mgmt_port, ip, st, body)
    return json.loads(body)


def comparable(reply):
    """A leasequery reply without the parts that depend on the instant it was built."""
    opts = {k: v for k, v in reply["options"].items() if k not in TIMED and k != 54}
    return (reply["type"], reply["ciaddr"], reply["chaddr"], reply["giaddr"], sorted(opts.items()))


def main():
    for binary in (ck.KEA_DHCP, ck.KEA_CA):
        if not os.access(binary, os.X_OK):
            h.skip(binary + " is not installed (scripts/install-deps.sh installs kea)")
    ns = h.Netns("lqso", RELAY + "/24")
    ns.create()
    tmp = tempfile.mkdtemp(prefix="lqd-scale-")
    procs, lqds = [], []
    try:
        os.chmod(tmp, 0o755)
        env = dict(os.environ, KEA_PIDFILE_DIR=tmp, KEA_LOCKFILE_DIR=tmp)
        for name, conf in (("kea-dhcp4.json", kea_conf(tmp)), ("kea-ctrl-agent.json", ck.ca_conf(tmp))):
            with open(os.path.join(tmp, name), "w") as f:
                json.dump(conf, f, indent=1)
        for binary, conf in ((ck.KEA_DHCP, "kea-dhcp4.json"), (ck.KEA_CA, "kea-ctrl-agent.json")):
            log = open(os.path.join(tmp, os.path.basename(binary) + ".out"), "a")
            procs.append(subprocess.Popen(["ip", "netns", "exec", ns.name, "timeout", "600", binary, "-c",
                                           os.path.join(tmp, conf)], stdout=log, stderr=subprocess.STDOUT,
                                          env=env, start_new_session=True))
        ns.enter()
        ck.wait_for(lambda: os.path.exists(tmp + "/kea4.sock"), "kea-dhcp4 control socket")
        ck.wait_for(lambda: ck.http("POST", ck.CA_PORT, "/", {"command": "list-commands", "service": ["dhcp4"]},
                                    "appliance", "secret")[0] == 200, "kea-ctrl-agent")

        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((RELAY, 67))
        kea = ck.DhcpRelay(ck.RELAY, "127.0.0.1", sock)

        def rai(n):
            cid, rid = ("cable2/0/%d" % n).encode(), bytes([0, 0x11, 0x22, 0x33, 0x55, n])
            return bytes([1, len(cid)]) + cid + bytes([2, len(rid)]) + rid

        # Before either instance exists: only the pull can bring these.
        early = [kea.dora("02:00:00:00:0b:%02x" % n, rai(n)) for n in (1, 2)]

        for name, addr, iface, ha_port, mgmt_port in INSTANCES:
            if iface:
                second_link(ns, iface, lqds[0])
            lqd = h.Lqd(name, ["-l", "0-1"], lqd_config(tmp, name, addr, iface or ns.dp, ha_port, mgmt_port))
            lqds.append(lqd)
            lqd.start()
        for _, _, _, _, mgmt_port in INSTANCES:
            ck.wait_for(lambda: ck.http("GET", mgmt_port, "/readyz")[0] == 200, "/readyz :%d" % mgmt_port)

        relays = []
        for _, addr, _, _, _ in INSTANCES:
            r = lq.Relay(RELAY, addr, timeout=2.0)
            r.sock.close()
            r.sock = sock  # one socket at relay:67 for Kea's and both instances' answers
            relays.append(r)

        def ask(i, **sel):
            reply, src = relays[i].query(retries=3, **sel)
            assert reply is not None, "%s did not answer %r" % (INSTANCES[i][0], sel)
            assert src == (INSTANCES[i][1], 67), src
            return reply

        # After: pushed to both backups (client-id on some, option 82 on all).
        late = [kea.dora("02:00:00:00:0b:%02x" % n, rai(n),
                         client_id=bytes([1, 2, 0, 0, 0, 0xb, n]) if n % 2 else None) for n in range(3, 9)]
        ip_rel, sid = late[0]
        xid = int.from_bytes(os.urandom(4), "big")
        kea.send_only(ck.dhcp_msg(7, "02:00:00:00:0b:03", xid, ciaddr=ip_rel, server_id=sid))
        ip_dec, sid = late[1]
        xid = int.from_bytes(os.urandom(4), "big")
        kea.send_only(ck.dhcp_msg(4, "02:00:00:00:0b:04", xid, requested=ip_dec, server_id=sid, rai=rai(4)))
        for i in range(len(INSTANCES)):
            ck.wait_for(lambda: ask(i, ciaddr=ip_rel)["type"] == 11 and ask(i, ciaddr=ip_dec)["type"] == 11,
                        "%s: release and decline" % INSTANCES[i][0])

        truth = ck.wait_for(lambda: (lambda t: t if len(t) == 7 else None)(ck.kea_leases()), "Kea's 7 leases")
        for ip, l in ck.wait_for(lambda: truth, "truth").items():
            want_state = {0: "active", 1: "declined", 2: "expired", 3: "released"}[l["state"]]

            def converged():
                recs = [records(m, ip) for _, _, _, _, m in INSTANCES]
                return recs if all(len(r) == 1 and r[0]["cltt"] == l["cltt"] and r[0]["state"] == want_state
                                   for r in recs) else None
            recs = ck.wait_for(converged, "both instances to hold %s as Kea does" % ip, timeout=15)
            a, b = recs[0][0], recs[1][0]
            assert a == b, ("instances differ", ip, a, b)
            assert a["hw-address"] == l["hw-address"], (ip, a, l)
            assert a["expire"] == l["cltt"] + l["valid-lft"], (ip, a, l)
            replies = [ask(i, ciaddr=ip) for i in range(len(INSTANCES))]
            assert comparable(replies[0]) == comparable(replies[1]), ("replies differ", ip, replies)
            for k in TIMED:  # same lease, built within a second or two of each other
                va, vb = replies[0]["options"].get(k), replies[1]["options"].get(k)
                assert (va is None) == (vb is None), (ip, k)
                if va is not None:
                    assert abs(int.from_bytes(va, "big") - int.from_bytes(vb, "big")) <= 2, (ip, k, va, vb)
            if want_state == "active":
                assert replies[0]["type"] == 13 and replies[0]["chaddr"] == l["hw-address"], (ip, replies[0])
                assert 82 in replies[0]["options"], (ip, replies[0])
            else:
                assert replies[0]["type"] == 11, (ip, replies[0])
        assert ip_rel not in truth and ip_dec in truth
        for i in range(len(INSTANCES)):
            assert records(INSTANCES[i][4], ip_rel) == [], INSTANCES[i][0]
            assert ask(i, ciaddr=early[0][0])["options"][82] == rai(1), "pulled lease lost option 82"
            st, metrics = ck.http("GET", INSTANCES[i][4], "/metrics")
            assert 'lqd_kea_ha_commands_total{outcome="update"}' in metrics
        assert lqds[1].stats()["arp_replies"] >= 1, "lqd-2 never answered ARP for 192.0.2.11"
        for lqd in lqds:
            code, out = lqd.stop()
            assert code == 0, out[-2000:]
        print("scale_out_test: Kea primary with 2 backup peers, 2 lqd instances (192.0.2.1, 192.0.2.11): "
              "%d leases identical on both and equal to lease4-get-all: OK" % len(truth))
        return 0
    except Exception:
        h.print_failure_logs(tmp, lqds)
        raise
    finally:
        for p in procs:
            h.stop_group(p)
        for lqd in lqds:
            lqd.cleanup()
        ns.delete()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
