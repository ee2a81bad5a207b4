#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""lqd and a real Kea 2.2 talking TLS both ways, with client certificates.

In a network namespace this test creates, with certificates it makes with
the openssl CLI (one CA; server certificates for IP 127.0.0.1; client
certificates):
  - kea-dhcp4 (HA passive-backup, lqd as its `backup` peer at an https://
    URL; the HA hook's trust-anchor/cert-file/key-file) pushes leases to
    lqd's kea-ha endpoint, which requires a client certificate;
  - kea-ctrl-agent serves https with cert-required; lqd pulls from it with
    its own client certificate;
  - lqd's management API is https too (no client certificate asked).
Checked: a lease made before lqd started arrives by the TLS pull, a later
one by the TLS push with its exact option 82 bytes; Kea's HA hook reports
no communication failure; plain HTTP and a TLS client without a
certificate are refused by lqd's kea-ha port (counted, nothing served).
"""
import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lqd_harness as h  # noqa: E402
from dhcp_relay import Relay as DhcpRelay, wait_for  # noqa: E402

lq = h.lq_client
SERVER, RELAY = "192.0.2.1", "192.0.2.2"
KEA_DHCP = "/usr/sbin/kea-dhcp4"
KEA_CA = "/usr/sbin/kea-ctrl-agent"
HOOKS = "/usr/lib/x86_64-linux-gnu/kea/hooks"
HA_PORT, CA_PORT, MGMT_PORT = 18101, 18100, 18180


def make_pki(d):
    def sh(*cmd):
        subprocess.run(cmd, cwd=d, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=lqd-test-ca",
       "-keyout", "ca.key", "-out", "ca.pem")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
                      ("client", "extendedKeyUsage=clientAuth")):
        sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", name + ".key",
           "-out", name + ".csr")
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext + "\n")
        sh("openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
           "-CAcreateserial", "-days", "2", "-extfile", name + ".ext", "-out", name + ".pem")
    for f in os.listdir(d):  # Kea runs as root here, but keep keys private anyway
        os.chmod(os.path.join(d, f), 0o600 if f.endswith(".key") else 0o644)


def kea_conf(tmp, pki):
    return {"Dhcp4": {
        "interfaces-config": {"interfaces": ["lo"], "dhcp-socket-type": "udp"},
        "control-socket": {"socket-type": "unix", "socket-name": tmp + "/kea4.sock"},
        "lease-database": {"type": "memfile", "persist": True, "name": tmp + "/kea-leases4.csv",
                           "lfc-interval": 0},
        "store-extended-info": True,
        "valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
        "hooks-libraries": [
            {"library": HOOKS + "/libdhcp_lease_cmds.so", "parameters": {}},
            {"library": HOOKS + "/libdhcp_ha.so", "parameters": {"high-availability": [{
                "this-server-name": "server1", "mode": "passive-backup", "wait-backup-ack": False,
                "trust-anchor": pki + "/ca.pem", "cert-file": pki + "/client.pem", "key-file": pki + "/client.key",
                "peers": [
                    {"name": "server1", "url": "https://127.0.0.1:%d/" % CA_PORT, "role": "primary"},
                    {"name": "lqd", "url": "https://127.0.0.1:%d/" % HA_PORT, "role": "backup",
                     "basic-auth-user": "foo", "basic-auth-password": "bar"}]}]}}],
        "subnet4": [{"id": 1, "subnet": "198.51.100.0/24",
                     "relay": {"ip-addresses": [RELAY]},
                     "pools": [{"pool": "198.51.100.10 - 198.51.100.200"}]}],
        "loggers": [{"name": "kea-dhcp4", "output_options": [{"output": tmp + "/kea-dhcp4.log"}],
                     "severity": "INFO"}]}}


def ca_conf(tmp, pki):
    return {"Control-agent": {
        "http-host": "127.0.0.1", "http-port": CA_PORT,
        "trust-anchor": pki + "/ca.pem", "cert-file": pki + "/server.pem", "key-file": pki + "/server.key",
        "cert-required": True,
        "authentication": {"type": "basic", "realm": "kea",
                           "clients": [{"user": "appliance", "password": "secret"}]},
        "control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": tmp + "/kea4.sock"}},
        "loggers": [{"name": "kea-ctrl-agent", "output_options": [{"output": tmp + "/ca.log"}],
                     "severity": "INFO"}]}}


def https(port, path, pki, body=None, user=None, password=None, cert=True):
    """One HTTPS request to 127.0.0.1:port verified against the test CA;
    (status, text) or (None, error text)."""
    ctx = ssl.create_default_context(cafile=pki + "/ca.pem")
    if cert:
        ctx.load_cert_chain(pki + "/client.pem", pki + "/client.key")
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("https://127.0.0.1:%d%s" % (port, path), data=data,
                                 method="POST" if body is not None else "GET")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if user:
        req.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (OSError, ssl.SSLError) as e:
        return None, str(e)


def main():
    for binary in (KEA_DHCP, KEA_CA):
        if not os.access(binary, os.X_OK):
            h.skip(binary + " is not installed (scripts/install-deps.sh installs kea)")
    if shutil.which("openssl") is None:
        h.skip("the openssl CLI is not installed (scripts/install-deps.sh installs it)")
    ns = h.Netns("lqt", RELAY + "/24")
    ns.create()
    tmp = tempfile.mkdtemp(prefix="lqd-kea-tls-")
    procs = []
    lqd = None
    try:
        os.chmod(tmp, 0o755)
        pki = os.path.join(tmp, "pki")
        os.mkdir(pki)
        make_pki(pki)
        env = dict(os.environ, KEA_PIDFILE_DIR=tmp, KEA_LOCKFILE_DIR=tmp)
        for name, conf in (("kea-dhcp4.json", kea_conf(tmp, pki)), ("kea-ctrl-agent.json", ca_conf(tmp, pki))):
            with open(os.path.join(tmp, name), "w") as f:
                json.dump(conf, f, indent=1)
        for binary, conf in ((KEA_DHCP, "kea-dhcp4.json"), (KEA_CA, "kea-ctrl-agent.json")):
            log = open(os.path.join(tmp, os.path.basename(binary) + ".out"), "a")
            procs.append(subprocess.Popen(["ip", "netns", "exec", ns.name, "timeout", "600", binary, "-c",
                                           os.path.join(tmp, conf)], stdout=log, stderr=subprocess.STDOUT,
                                          env=env, start_new_session=True))
        ns.enter()
        wait_for(lambda: os.path.exists(tmp + "/kea4.sock"), "kea-dhcp4 control socket")
        wait_for(lambda: https(CA_PORT, "/", pki, {"command": "list-commands", "service": ["dhcp4"]},
                               "appliance", "secret")[0] == 200, "kea-ctrl-agent over https")
        # The agent really requires a client certificate.
        st, err = https(CA_PORT, "/", pki, {"command": "list-commands"}, "appliance", "secret", cert=False)
        assert st is None, "kea-ctrl-agent answered without a client certificate: %r" % ((st, err),)

        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((RELAY, 67))
        kea = DhcpRelay(RELAY, "127.0.0.1", sock)

        def rai(n):
            cid, rid = ("cable1/0/%d" % n).encode(), bytes([0, 0x11, 0x22, 0x33, 0x44, n])
            return bytes([1, len(cid)]) + cid + bytes([2, len(rid)]) + rid

        ip_a, _ = kea.dora("02:00:00:00:0b:01", rai(1))  # before lqd: only the TLS pull brings it

        config = {
            "ports": [{"device": "net_af_packet0,iface=" + ns.dp, "addresses": [SERVER]}],
            "authoritative-ranges": ["198.51.100.10-198.51.100.200"],
            "control": {
                "management": {"address": "127.0.0.1", "port": MGMT_PORT,
                               "cert-file": pki + "/server.pem", "key-file": pki + "/server.key"},
                "kea-ha": {"address": "127.0.0.1", "port": HA_PORT, "user": "foo", "password": "bar",
                           "trust-anchor": pki + "/ca.pem", "cert-file": pki + "/server.pem",
                           "key-file": pki + "/server.key", "cert-required": True},
                "kea-pull": {"url": "https://127.0.0.1:%d/" % CA_PORT, "user": "appliance", "password": "secret",
                             "trust-anchor": pki + "/ca.pem", "cert-file": pki + "/client.pem",
                             "key-file": pki + "/client.key", "interval-seconds": 3600},
            },
        }
        lqd = h.Lqd("lqt", ["-l", "0-1"], config)
        lqd.start()
        wait_for(lambda: https(MGMT_PORT, "/readyz", pki, cert=False)[0] == 200, "lqd /readyz over https")
        relay = lq.Relay(RELAY, SERVER, timeout=2.0)
        relay.sock.close()
        relay.sock = sock

        def ask(**sel):
            r, _ = relay.query(retries=3, **sel)
            assert r is not None, "lqd did not answer %r" % (sel,)
            return r

        a = ask(ciaddr=ip_a)
        assert a["type"] == 13 and a["options"][82] == rai(1), a

        ip_b, _ = kea.dora("02:00:00:00:0b:02", rai(2))  # pushed over TLS
        b = wait_for(lambda: (lambda r: r if r["type"] == 13 else None)(ask(ciaddr=ip_b)), "lease B pushed over TLS")
        assert b["options"][82] == rai(2) and b["chaddr"] == "02:00:00:00:0b:02", b

        # Refusals on the kea-ha port: plain HTTP, and TLS without a client certificate.
        s = socket.create_connection(("127.0.0.1", HA_PORT), timeout=5)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        try:
            got = s.recv(4096)
        except ConnectionResetError:
            got = b""
        s.close()
        assert b"HTTP/1" not in got, got
        st, err = https(HA_PORT, "/", pki, {"command": "lease4-update"}, "foo", "bar", cert=False)
        assert st is None, (st, err)

        # Scrapers that hang up without reading their answer: lqd's TLS
        # writes then hit a closed socket (EPIPE), which must not kill it.
        ctx = ssl.create_default_context(cafile=pki + "/ca.pem")
        for _ in range(10):
            try:
                raw = socket.create_connection(("127.0.0.1", MGMT_PORT), timeout=5)
                t = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
                t.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                t.close()
            except OSError:
                break  # lqd is gone: reported just below
        st, _ = https(MGMT_PORT, "/readyz", pki, cert=False)
        assert st == 200 and lqd.proc.poll() is None, \
            "lqd died after TLS clients hung up: exit %r\n%s" % (lqd.proc.poll(), lqd.output()[-1500:])

        st, metrics = https(MGMT_PORT, "/metrics", pki, cert=False)
        assert st == 200, (st, metrics)
        m = [l for l in metrics.splitlines() if l.startswith('lqd_http_tls_handshake_failures_total{server="kea-ha"}')]
        assert m and float(m[0].split()[-1]) >= 2, m or metrics[:600]
        upd = [l for l in metrics.splitlines() if l.startswith('lqd_kea_ha_commands_total{outcome="update"}')]
        assert upd and float(upd[0].split()[-1]) >= 1, upd

        klog = open(os.path.join(tmp, "kea-dhcp4.log")).read()
        assert "HA_LEASE_UPDATE_COMMUNICATIONS_FAILED" not in klog and "HA_LEASE_UPDATE_FAILED" not in klog, klog[-2000:]
        code, out = lqd.stop()
        assert code == 0, out
        print("control_kea_tls_test: pull and push over TLS with client certificates, refusals counted: OK")
        return 0
    except Exception:
        h.print_failure_logs(tmp, [lqd])
        raise
    finally:
        h.teardown(procs, [lqd], ns, tmp)


if __name__ == "__main__":
    sys.exit(main())
