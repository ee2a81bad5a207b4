#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Policy reload without a restart: SIGHUP and POST /v1/reload.

lqd (net_af_packet on a veth pair in a private namespace, management API on
the namespace's loopback) owns 192.0.2.1; this process is two relays,
192.0.2.2 and 192.0.2.3. Checked:
  * an ACL change by SIGHUP: the relay refused before is answered after,
    and the one answered before is refused;
  * a bad file is refused (every error with its JSON path, logged and in the
    API's answer) and the running configuration keeps working;
  * a port change is reported as "needs a restart" while the ACL and rate
    limit next to it apply at once;
  * queries in flight across 20 reloads are all answered (no drop);
  * /metrics counts reloads by result.
Exit 77 (skip) only without root/netns/veth.
"""
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lqd_harness as h  # noqa: E402

lq = h.lq_client
SERVER, RELAY, OTHER = "192.0.2.1", "192.0.2.2", "192.0.2.3"
MGMT = 18280
LEASE_IP = "198.51.100.10"


def http(method, path):
    return h.http(method, MGMT, path)


def answered(relay_ip):
    r = lq.Relay(relay_ip, SERVER, timeout=1.0)
    try:
        reply, _ = r.query(retries=2, ciaddr=LEASE_IP)
    finally:
        r.close()
    return reply is not None and reply["type"] == 13


def main():
    ns = h.Netns("lqd-rl", RELAY + "/24")
    ns.create()
    lqd = h.Lqd("lqd-rl", ["-l", "0-1"], {}, netns=ns.name)
    try:
        leases, _ = h.fresh_leases(lqd.tmp)
        base = {
            "ports": [{"device": "net_af_packet0,iface=" + ns.dp, "addresses": [SERVER]}],
            "authoritative-ranges": ["198.51.100.0/24"],
            "leases": leases,
            "acl": {"allow": [RELAY + "/32"]},
            "control": {"management": {"address": "127.0.0.1", "port": MGMT}},
        }
        lqd.config = base
        # `systemctl reload` right after a start: a SIGHUP while lqd is
        # still starting is a reload request, not the end of it.
        hup_at_startup = {}

        def hup_while_starting(l):
            hup_at_startup["before_banner"] = "lqd: ready" not in l.output()
            l.signal(signal.SIGHUP)

        lqd.start(during_startup=hup_while_starting)
        assert hup_at_startup, "the start-up hook did not run"
        h.run("ip", "-n", ns.name, "addr", "add", OTHER + "/24", "dev", ns.relay)
        ns.enter()
        cfg_path = os.path.join(lqd.tmp, "lqd.json")

        def write(cfg, raw=None):
            with open(cfg_path + ".tmp", "w") as f:
                f.write(raw if raw is not None else json.dumps(cfg, indent=1))
            os.rename(cfg_path + ".tmp", cfg_path)

        def sighup():
            n = lqd.output().count("msg=\"reload (SIGHUP)")
            lqd.signal(signal.SIGHUP)
            deadline = time.time() + 10
            while time.time() < deadline:
                lines = [l for l in lqd.output().splitlines() if "msg=\"reload (SIGHUP)" in l]
                if len(lines) > n:
                    return lines[-1]
                time.sleep(0.05)
            raise AssertionError("no reload logged after SIGHUP:\n" + lqd.output()[-2000:])

        # The start-up SIGHUP is served at the first control round: an
        # unchanged file, so generation 2 with nothing applied.
        deadline = time.time() + 10
        while "msg=\"reload (SIGHUP)" not in lqd.output() and time.time() < deadline:
            time.sleep(0.05)
        early = [l for l in lqd.output().splitlines() if "msg=\"reload (SIGHUP)" in l]
        assert early and "OK, generation 2" in early[0], lqd.output()[-2000:]
        print("reload_test: SIGHUP during start-up (%s the banner) became a reload" %
              ("before" if hup_at_startup["before_banner"] else "after"))

        assert answered(RELAY), "allowed relay not answered at start"
        assert not answered(OTHER), "relay outside acl.allow answered at start"

        # 1. ACL flipped by SIGHUP.
        write(dict(base, acl={"allow": [OTHER + "/32"]}))
        line = sighup()
        assert "OK, generation 3; applied: acl" in line, line
        assert answered(OTHER), "relay allowed by the reloaded ACL not answered"
        assert not answered(RELAY), "relay removed from the ACL still answered"

        # 2. A bad file: refused, every error with its path, old ACL still in force.
        write(None, raw=json.dumps(dict(base, acl={"allow": ["192.0.2.300/32", "10.0.0.1/8"]},
                                        policy={"max-associated-ips": "many"})))
        line = sighup()
        assert "FAILED, keeping the running configuration (generation 3)" in line, line
        out = lqd.output()
        for path in ("policy.max-associated-ips", "acl.allow[0]", "acl.allow[1]"):
            assert "reload: %s: %s:" % (cfg_path, path) in out, (path, out[-2000:])
        st, body = http("POST", "/v1/reload")
        assert st == 422, (st, body)
        errs = json.loads(body)["errors"]
        assert len(errs) == 3 and errs[1].startswith("acl.allow[0]"), errs
        assert answered(OTHER) and not answered(RELAY), "a refused reload changed the ACL"
        write(None, raw="{ \"ports\": [")  # syntax error
        st, body = http("POST", "/v1/reload")
        assert st == 422 and "(syntax)" in body, (st, body)
        assert answered(OTHER), "a refused reload changed the ACL"

        # 3. A port change waits for a restart; the ACL and rate limit apply now.
        changed_ports = [{"device": "net_af_packet0,iface=" + ns.dp, "addresses": [SERVER], "vlan": 7}]
        write(dict(base, ports=changed_ports, **{"rate-limit": {"per-requester-pps": 1, "burst": 3}}))
        st, body = http("POST", "/v1/reload")
        assert st == 200, (st, body)
        r = json.loads(body)
        assert r["generation"] == 4 and r["applied"] == ["acl", "rate-limit"], r
        assert r["needs-restart"] == ["ports"], r
        assert "needs a restart (running value kept): ports" in lqd.output()
        assert answered(RELAY), "untagged query refused: the port's vlan must not change live"  # 1 token
        assert not answered(OTHER)
        before = lqd.stats()["ratelimit_drops"]
        relay = lq.Relay(RELAY, SERVER, timeout=0.5)
        for i in range(10):
            relay.send(lq.build_query(0x7a7e0000 + i, RELAY, ciaddr=LEASE_IP))
        got = 0
        try:
            while True:
                relay.recv()
                got += 1
        except OSError:
            pass
        assert got <= 3, "rate limit of burst 3 let %d of 10 through" % got
        assert lqd.stats()["ratelimit_drops"] >= before + 7, lqd.stats()

        write(base)  # rate limit off again
        st, body = http("POST", "/v1/reload")
        assert st == 200 and json.loads(body)["applied"] == ["rate-limit"], (st, body)

        # 4. Queries in flight across 20 reloads (policy toggled, ACL kept): none lost.
        pending, seen, xid = set(), 0, 0x3e000000
        t0 = time.time()
        # Generous: a loss shows as a timeout, a slow (sanitizer, loaded) lqd must not.
        relay.sock.settimeout(15.0)
        for round_ in range(20):
            write(dict(base, policy={"non-sensitive-options": [3] if round_ % 2 else [6]}))
            for _ in range(100):
                xid += 1
                relay.send(lq.build_query(xid, RELAY, ciaddr=LEASE_IP))
                pending.add(xid)
            st, body = http("POST", "/v1/reload")
            assert st == 200, (st, body)
            while pending:
                reply, _ = relay.recv()
                if reply["xid"] in pending:
                    assert reply["type"] == 13, reply
                    pending.discard(reply["xid"])
                    seen += 1
        relay.close()
        assert seen == 2000, seen
        took = time.time() - t0

        st, metrics = http("GET", "/metrics")
        assert st == 200
        for want in ('lqd_config_reloads_total{result="ok"} 24', 'lqd_config_reloads_total{result="failed"} 3',
                     "lqd_config_generation 25"):
            assert want in metrics, (want, [l for l in metrics.splitlines() if "config" in l])
        code, out = lqd.stop()
        assert code == 0, out[-2000:]
        print("reload_test: ACL flip by SIGHUP, bad config refused (3 paths), restart-only change kept, "
              "rate limit live, 2000 queries across 20 reloads in %.1f s with no loss: OK" % took)
        return 0
    except Exception:
        print("---- lqd\n" + lqd.output()[-4000:])
        raise
    finally:
        lqd.cleanup()
        ns.delete()


if __name__ == "__main__":
    sys.exit(main())
