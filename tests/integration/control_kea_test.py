#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""lqd as a live replica of a real Kea 2.2 primary.

In a network namespace this test creates: kea-dhcp4 (HA passive-backup with
lqd as its `backup` peer, lease_cmds, store-extended-info) and
kea-ctrl-agent on loopback; lqd on a veth end (net_af_packet) with its Kea
HA endpoint, pull and management API on loopback. This process enters the
namespace and is the relay agent at 192.0.2.2: it relays DHCP clients with
option 82 to Kea (DISCOVER/REQUEST, renew, RELEASE, DECLINE) and sends
leasequeries to lqd.

Checked: leases Kea made before lqd started arrive by pull; later ones by
push, with the exact option 82 bytes; released and declined addresses are
UNASSIGNED; an address in a Kea pool that lqd's config does not list is
UNASSIGNED too (ranges learned from Kea's config-get), one outside every
pool UNKNOWN; after kill -9 lqd restarts from its journal and the pull
recovers what was pushed while it was down; with its snapshot corrupted,
lqd says so at level=error, becomes ready only after a full pull, and then
answers every lease as the primary holds it, lease by lease. Everything
started is stopped in finally.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lqd_harness as h  # noqa: E402
from dhcp_relay import Relay as DhcpRelay, dhcp_msg as _dhcp_msg, wait_for  # noqa: E402

lq = h.lq_client
SERVER, RELAY = "192.0.2.1", "192.0.2.2"
KEA_DHCP = "/usr/sbin/kea-dhcp4"
KEA_CA = "/usr/sbin/kea-ctrl-agent"
HOOKS = "/usr/lib/x86_64-linux-gnu/kea/hooks"
HA_PORT, CA_PORT, MGMT_PORT = 18001, 18000, 18080


def dhcp_msg(mtype, mac, xid, client_id=None, rai=None, requested=None, server_id=None, ciaddr="0.0.0.0",
             giaddr=RELAY):
    """A client message relayed by this test's relay (see dhcp_relay.dhcp_msg)."""
    return _dhcp_msg(mtype, mac, xid, giaddr, client_id=client_id, rai=rai, requested=requested,
                     server_id=server_id, ciaddr=ciaddr)


def kea_conf(tmp, ha_url):
    return {"Dhcp4": {
        "interfaces-config": {"interfaces": ["lo"], "dhcp-socket-type": "udp"},
        "control-socket": {"socket-type": "unix", "socket-name": tmp + "/kea4.sock"},
        "lease-database": {"type": "memfile", "persist": True, "name": tmp + "/kea-leases4.csv",
                           "lfc-interval": 0},
        "store-extended-info": True,
        "decline-probation-period": 600,
        "valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
        "hooks-libraries": [
            {"library": HOOKS + "/libdhcp_lease_cmds.so", "parameters": {}},
            {"library": HOOKS + "/libdhcp_ha.so", "parameters": {"high-availability": [{
                "this-server-name": "server1", "mode": "passive-backup", "wait-backup-ack": False,
                "peers": [
                    {"name": "server1", "url": "http://127.0.0.1:%d/" % CA_PORT, "role": "primary"},
                    {"name": "lqd", "url": ha_url, "role": "backup",
                     "basic-auth-user": "foo", "basic-auth-password": "bar"}]}]}}],
        "subnet4": [{"id": 1, "subnet": "198.51.100.0/24",
                     "relay": {"ip-addresses": [RELAY]},
                     # The second pool is not in lqd's authoritative-ranges: lqd learns it.
                     "pools": [{"pool": "198.51.100.10 - 198.51.100.200"},
                               {"pool": "198.51.100.220 - 198.51.100.230"}]}],
        "loggers": [{"name": "kea-dhcp4", "output_options": [{"output": tmp + "/kea-dhcp4.log"}],
                     "severity": "INFO"}]}}


def ca_conf(tmp):
    return {"Control-agent": {
        "http-host": "127.0.0.1", "http-port": CA_PORT,
        "authentication": {"type": "basic", "realm": "kea",
                           "clients": [{"user": "appliance", "password": "secret"}]},
        "control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": tmp + "/kea4.sock"}},
        "loggers": [{"name": "kea-ctrl-agent", "output_options": [{"output": tmp + "/ca.log"}],
                     "severity": "INFO"}]}}


http = h.http


def kea_leases():
    """Every lease the primary holds, from kea-ctrl-agent (the ground truth)."""
    st, body = http("POST", CA_PORT, "/", {"command": "lease4-get-all", "service": ["dhcp4"]},
                    "appliance", "secret")
    assert st == 200, (st, body)
    r = json.loads(body)[0]
    return {l["ip-address"]: l for l in r.get("arguments", {}).get("leases", [])}


def main():
    for binary in (KEA_DHCP, KEA_CA):
        if not os.access(binary, os.X_OK):
            h.skip(binary + " is not installed (scripts/install-deps.sh installs kea)")
    ns = h.Netns("lqk", RELAY + "/24")
    ns.create()
    tmp = tempfile.mkdtemp(prefix="lqd-kea-")
    procs = []
    extra = []
    lqd = None
    try:
        os.chmod(tmp, 0o755)
        env = dict(os.environ, KEA_PIDFILE_DIR=tmp, KEA_LOCKFILE_DIR=tmp)
        for name, conf in (("kea-dhcp4.json", kea_conf(tmp, "http://127.0.0.1:%d/" % HA_PORT)),
                           ("kea-ctrl-agent.json", ca_conf(tmp))):
            with open(os.path.join(tmp, name), "w") as f:
                json.dump(conf, f, indent=1)

        def start_kea(binary, conf):
            log = open(os.path.join(tmp, os.path.basename(binary) + ".out"), "a")
            p = subprocess.Popen(["ip", "netns", "exec", ns.name, "timeout", "600", binary, "-c",
                                  os.path.join(tmp, conf)], stdout=log, stderr=subprocess.STDOUT, env=env,
                                 start_new_session=True)
            procs.append(p)
            return p

        start_kea(KEA_DHCP, "kea-dhcp4.json")
        start_kea(KEA_CA, "kea-ctrl-agent.json")
        ns.enter()
        wait_for(lambda: os.path.exists(tmp + "/kea4.sock"), "kea-dhcp4 control socket")
        wait_for(lambda: http("POST", CA_PORT, "/", {"command": "list-commands", "service": ["dhcp4"]},
                              "appliance", "secret")[0] == 200, "kea-ctrl-agent")

        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((RELAY, 67))
        kea = DhcpRelay(RELAY, "127.0.0.1", sock)

        def rai(n):  # circuit-id and remote-id, as a cable relay would add
            cid, rid = ("cable1/0/%d" % n).encode(), bytes([0, 0x11, 0x22, 0x33, 0x44, n])
            return bytes([1, len(cid)]) + cid + bytes([2, len(rid)]) + rid

        clients = {}
        # A: leased before lqd exists -> only the pull can bring it.
        clients["A"] = kea.dora("02:00:00:00:0a:01", rai(1), client_id=b"\x01\x02\x00\x00\x00\x0a\x01")

        state_dir = os.path.join(tmp, "lqd-state")
        config = {
            "ports": [{"device": "net_af_packet0,iface=" + ns.dp, "addresses": [SERVER]}],
            "authoritative-ranges": ["198.51.100.10-198.51.100.200"],
            "control": {
                "state-dir": state_dir,
                # Ack after write(), fsync later: kill -9 below must still lose nothing.
                "journal-fsync": "interval",
                "management": {"address": "127.0.0.1", "port": MGMT_PORT},
                "kea-ha": {"address": "127.0.0.1", "port": HA_PORT, "user": "foo", "password": "bar"},
                "kea-pull": {"url": "http://127.0.0.1:%d/" % CA_PORT, "user": "appliance",
                             "password": "secret", "interval-seconds": 3600},
            },
        }
        lqd = h.Lqd("lqk", ["-l", "0-1"], config)  # already inside the namespace
        lqd.start()
        wait_for(lambda: http("GET", MGMT_PORT, "/readyz")[0] == 200, "lqd /readyz")
        relay = lq.Relay(RELAY, SERVER, timeout=2.0)
        relay.sock.close()
        relay.sock = sock  # one socket at relay:67 for Kea and lqd answers alike

        def ask(**sel):
            r, _ = relay.query(retries=3, **sel)
            assert r is not None, "lqd did not answer %r" % (sel,)
            return r

        a = ask(ciaddr=clients["A"][0])
        assert a["type"] == 13, a
        assert a["chaddr"] == "02:00:00:00:0a:01", a
        assert a["options"][82] == rai(1), "pulled lease lost its option 82: %r" % a["options"].get(82)

        # B by push, with the exact option 82 bytes.
        clients["B"] = kea.dora("02:00:00:00:0a:02", rai(2))
        b = wait_for(lambda: (lambda r: r if r["type"] == 13 else None)(ask(ciaddr=clients["B"][0])),
                     "pushed lease B")
        assert b["options"][82] == rai(2), b
        assert b["chaddr"] == "02:00:00:00:0a:02"

        # C leased then released; D leased then declined.
        clients["C"] = kea.dora("02:00:00:00:0a:03", rai(3))
        ip_c, sid = clients["C"]
        wait_for(lambda: ask(ciaddr=ip_c)["type"] == 13, "lease C active")
        xid = int.from_bytes(os.urandom(4), "big")
        kea.send_only(dhcp_msg(7, "02:00:00:00:0a:03", xid, ciaddr=ip_c, server_id=sid))
        wait_for(lambda: ask(ciaddr=ip_c)["type"] == 11, "released C to be UNASSIGNED")
        clients["D"] = kea.dora("02:00:00:00:0a:04", rai(4))
        ip_d, sid = clients["D"]
        wait_for(lambda: ask(ciaddr=ip_d)["type"] == 13, "lease D active")
        xid = int.from_bytes(os.urandom(4), "big")
        kea.send_only(dhcp_msg(4, "02:00:00:00:0a:04", xid, requested=ip_d, server_id=sid, rai=rai(4)))
        wait_for(lambda: ask(ciaddr=ip_d)["type"] == 11, "declined D to be UNASSIGNED")

        # By MAC and by client-id; unknown outside the ranges.
        assert ask(mac="02:00:00:00:0a:01")["ciaddr"] == clients["A"][0]
        assert ask(client_id="01:02:00:00:00:0a:01")["ciaddr"] == clients["A"][0]
        assert ask(ciaddr="203.0.113.5")["type"] == 12
        # In Kea's second pool, absent from lqd's config: learned by config-get.
        assert ask(ciaddr="198.51.100.225")["type"] == 11, "address of a Kea-only pool not UNASSIGNED"
        assert ask(ciaddr="198.51.100.210")["type"] == 12, "address between Kea's pools not UNKNOWN"
        assert "authoritative ranges learned from Kea config-get" in lqd.output()

        st, metrics = http("GET", MGMT_PORT, "/metrics")
        assert st == 200 and 'lqd_replica_lag_seconds{source="kea-ha-push"}' in metrics, metrics[:400]
        assert 'lqd_kea_ha_commands_total{outcome="update"}' in metrics

        # kill -9, a lease made while lqd is down, restart from the journal.
        lqd.kill9()
        clients["E"] = kea.dora("02:00:00:00:0a:05", rai(5))
        lqd2 = h.Lqd("lqk2", ["-l", "0-1"], config)
        extra.append(lqd2)
        lqd2.start()
        wait_for(lambda: http("GET", MGMT_PORT, "/readyz")[0] == 200, "lqd /readyz after restart")
        out = lqd2.output()
        m = re.search(r"recovered (\d+) leases from the snapshot and (\d+) journal records", out)
        assert m, out
        # B, C (lease then release), D (lease then decline) were pushed after
        # the first pull's snapshot: at least 5 acknowledged journal records.
        assert int(m.group(2)) >= 5, out
        e = ask(ciaddr=clients["E"][0])
        assert e["type"] == 13 and e["options"][82] == rai(5), e
        code, out = lqd2.stop()
        assert code == 0, out

        # A corrupted snapshot: detected, said loudly, repaired by a full pull.
        snap = os.path.join(state_dir, "snapshot.lqs")
        data = bytearray(open(snap, "rb").read())
        assert len(data) > 64, len(data)
        data[len(data) // 2] ^= 0xFF
        with open(snap, "wb") as f:
            f.write(data)
        clients["F"] = kea.dora("02:00:00:00:0a:06", rai(6))  # while lqd is down
        lqd3 = h.Lqd("lqk3", ["-l", "0-1"], config)
        extra.append(lqd3)
        lqd3.start()
        wait_for(lambda: http("GET", MGMT_PORT, "/readyz")[0] == 200, "lqd /readyz after a corrupt snapshot")
        out = lqd3.output()
        assert re.search(r'level=error component=persistence msg="CORRUPT SNAPSHOT ignored', out), out
        pull, ready = out.find('msg="pull complete"'), out.find('msg="ready: initial load complete"')
        assert 0 <= pull < ready, "ready before the full pull:\n" + out
        # The dataplane banner may come before or after the pull finishes
        # (timing); if before, it must say lqd is not answering yet.
        banner = out.find("lqd: ready:")
        if 0 <= banner < ready:
            assert "NOT READY: waiting for the initial pull" in out[banner:out.find("\n", banner)], out

        # Lease by lease against the primary: the stored lease and the answer.
        truth = kea_leases()
        for ip, l in truth.items():
            st, body = http("GET", MGMT_PORT, "/v1/leases?ip=" + ip)
            mine = json.loads(body)
            assert st == 200 and len(mine) == 1, (ip, st, body)
            mine = mine[0]
            assert mine["hw-address"] == l["hw-address"], (ip, mine, l)
            assert mine["cltt"] == l["cltt"], (ip, mine, l)
            assert mine["expire"] == l["cltt"] + l["valid-lft"], (ip, mine, l)
            want_state = {0: "active", 1: "declined", 2: "expired", 3: "released"}[l["state"]]
            assert mine["state"] == want_state, (ip, mine, l)
            a = ask(ciaddr=ip)
            if l["state"] == 0:
                assert a["type"] == 13 and a["chaddr"] == l["hw-address"], (ip, a, l)
                rai_hex = l.get("user-context", {}).get("ISC", {}).get("relay-agent-info", "0x")[2:].lower()
                assert a["options"].get(82, b"").hex() == rai_hex, (ip, a, l)
            else:
                assert a["type"] == 11, (ip, a, l)
        assert clients["F"][0] in truth
        assert ip_c not in truth
        st, body = http("GET", MGMT_PORT, "/v1/leases?ip=" + ip_c)
        assert json.loads(body) == [], "released lease still held: " + body
        code, out = lqd3.stop()
        assert code == 0, out
        print("control_kea_test: %d leases checked against Kea, push, pull, release, decline, learned pool, "
              "kill -9 recovery, corrupt snapshot: OK" % len(truth))
        return 0
    except Exception:
        h.print_failure_logs(tmp, [lqd])
        raise
    finally:
        for p in procs:  # each in its own group: `timeout` and Kea go together
            h.stop_group(p)
        for x in [lqd] + extra:
            if x is not None:
                x.cleanup()
        ns.delete()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
