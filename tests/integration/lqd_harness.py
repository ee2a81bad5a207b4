# SPDX-License-Identifier: Apache-2.0
"""Shared helpers for lqd's integration tests: skip rules, sample data, a
network namespace, starting/stopping lqd, telemetry.

Every test process creates uniquely named resources (pid in the name) and
removes them in `finally`/atexit, also on failure.
"""
import atexit
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import lq_client  # noqa: E402  (scripts/lq_client.py)
import lqd_telemetry  # noqa: E402

SKIP = 77  # meson: the test was skipped
SAMPLE_EXPIRE_BASE = 2051222400

# Network namespaces this process created (removed on SIGTERM, see below).
_namespaces = []


def register_netns(name):
    """A namespace the test created itself (Netns registers its own)."""
    _namespaces.append(name)


def _descendants(root):
    """Every live process below `root` (any depth, whatever its session or
    process group: lqd, Kea and dhcpd run in sessions of their own)."""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            fields = _stat_fields("/proc/%s/stat" % d)
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(d))
    out, todo = [], [root]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


_OWNER = os.getpid()  # the test process (a forked helper inherits the handler)


def _on_sigterm(signum, frame):
    # meson's timeout sends SIGTERM and SIGKILL half a second later: too soon
    # for `finally` blocks that stop servers gracefully. First, at once, what
    # must not outlive the test: every process it started (a leaked lqd
    # busy-polls a CPU for the tests after it) and its namespaces. Then exit
    # for good: not by raising SystemExit, which a test runner (unittest)
    # would catch and go on to the next test, starting new servers.
    if os.getpid() != _OWNER:
        os._exit(1)  # a forked helper of the test: the owner cleans up
    for pid in _descendants(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for name in _namespaces:
        subprocess.run(["ip", "netns", "del", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print("terminated (SIGTERM, e.g. meson's timeout): every process this test started was killed",
          file=sys.stderr, flush=True)
    try:
        atexit._run_exitfuncs()  # temp dirs, DPDK runtime files (the processes are gone: quick)
    finally:
        os._exit(1)


signal.signal(signal.SIGTERM, _on_sigterm)


def skip(reason):
    print("SKIP: " + reason, flush=True)
    sys.exit(SKIP)


def lqd_binary():
    path = os.environ.get("LQD_BIN") or os.path.join(ROOT, "build-dp", "dataplane", "lqd")
    if not os.access(path, os.X_OK):
        skip("lqd binary not found (set LQD_BIN): " + path)
    return path


def tool_binary(env, rel):
    """A built tool: $env (meson sets it), else build/<rel>; skips loudly if absent."""
    path = os.environ.get(env) or os.path.join(ROOT, "build", rel)
    if not os.access(path, os.X_OK):
        skip("%s not found (set %s)" % (path, env))
    return path


def expect(cond, what, detail=""):
    """Fails the test with `what` (and `detail`) unless `cond`."""
    if not cond:
        raise AssertionError(what + ("\n" + str(detail) if detail else ""))


def run(*cmd, check=True):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)


def _stat_fields(path):
    """state, ppid, pgrp, ... of a /proc/.../stat file; None if it is gone."""
    try:
        with open(path) as f:
            st = f.read()
    except OSError:
        return None
    return st[st.rfind(")") + 2:].split()


def wait_group_gone(pgid, timeout=20):
    """Waits until every thread of every process of group `pgid` has exited
    (zombies may remain: a zombie has released its memory and files; whether
    anyone reaps it is not ours to wait for). Threads, not processes: a
    killed process's main thread is a zombie as soon as it exits, while its
    other threads may still be exiting, and the last one out releases the
    memory and closes the files. Raises if one still runs after `timeout` s."""
    deadline = time.time() + timeout
    while True:
        alive = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            fields = _stat_fields("/proc/%s/stat" % d)
            if fields is None or int(fields[2]) != pgid:
                continue
            try:
                tasks = os.listdir("/proc/%s/task" % d)
            except OSError:
                continue
            threads = [_stat_fields("/proc/%s/task/%s/stat" % (d, tid)) for tid in tasks]
            running = [f[0] for f in threads if f is not None and f[0] != "Z"]
            if running:
                alive.append("%s (%s)" % (d, "".join(running)))
        if not alive:
            return
        if time.time() > deadline:
            raise RuntimeError("process group %d still running %ds after SIGKILL: %s" % (pgid, timeout, alive))
        time.sleep(0.02)


def stop_group(proc, timeout=10):
    """Stops a process started with start_new_session=True and everything in
    its group (`timeout`, `ip netns exec`, the server): SIGTERM, then SIGKILL."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        proc.wait()


KEA_LOGS = ("kea-dhcp4.log", "kea-dhcp4.out", "kea-ctrl-agent.out", "ca.log")


def print_failure_logs(tmp, lqds=(), names=KEA_LOGS, tail=3000):
    """On a failing test: the tail of each log it wrote in `tmp`, then each
    lqd's output, so CI's log says what went wrong."""
    for name in names:
        p = os.path.join(tmp, name)
        if os.path.exists(p):
            print("---- " + name)
            print(open(p).read()[-tail:])
    for lqd in lqds:
        if lqd is not None:
            print("---- lqd " + lqd.prefix)
            print(lqd.output()[-tail:])


def teardown(procs=(), lqds=(), ns=None, tmp=None):
    """The `finally` of a test: stops its process groups, cleans up each lqd,
    deletes its namespace and temp directory."""
    for p in procs:
        stop_group(p)
    for lqd in lqds:
        if lqd is not None:
            lqd.cleanup()
    if ns is not None:
        ns.delete()
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


def http(method, port, path, body=None, user=None, password=None, timeout=10):
    """One HTTP request to 127.0.0.1:port; returns (status, body text), or
    (None, "") if nothing answers. `body` (if not None) is sent as JSON."""
    import base64
    import urllib.error
    import urllib.request
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method, data=data)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if user:
        req.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return None, ""


def fresh_leases(dst_dir, now=None):
    """Copies the sample Kea lease file with its far-future expiry times made
    'live': each active lease was renewed a third of its lifetime ago.
    Returns the path and the parsed rows (dicts) of the result."""
    now = int(now or time.time())
    src = os.path.join(ROOT, "docs", "samples", "kea-leases4.csv")
    out, rows = [], []
    with open(src) as f:
        header = f.readline().rstrip("\n")
        out.append(header)
        cols = header.split(",")
        for line in f:
            fields = line.rstrip("\n").split(",", len(cols) - 1)
            expire, valid = int(fields[4]), int(fields[3])
            if expire >= SAMPLE_EXPIRE_BASE and valid > 0:
                fields[4] = str(now + valid * 2 // 3 + (expire - SAMPLE_EXPIRE_BASE))
            out.append(",".join(fields))
            rows.append(dict(zip(cols, fields)))
    path = os.path.join(dst_dir, "kea-leases4.csv")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return path, rows


def rai_from_row(row):
    """The raw option 82 payload Kea stored for a lease row, or b''."""
    ctx = row.get("user_context", "").replace("&#x2c", ",")
    if not ctx:
        return b""
    hexstr = json.loads(ctx)["ISC"]["relay-agent-info"]
    return bytes.fromhex(hexstr[2:] if hexstr.startswith("0x") else hexstr)


class Netns:
    """A network namespace with a veth pair: `dp` for lqd, `relay` for the kernel."""

    CLONE_NEWNET = 0x40000000

    def __init__(self, prefix, relay_cidr, with_veth=True):
        self.name = "%s-%d" % (prefix, os.getpid())
        self.dp, self.relay = "lqd-a", "lqd-r"
        self.created = False
        self.relay_cidr = relay_cidr
        self.with_veth = with_veth  # False: an empty namespace (lqd brings a TAP)

    def create(self):
        if os.geteuid() != 0:
            skip("needs root (network namespaces, AF_PACKET)")
        r = run("ip", "netns", "add", self.name, check=False)
        if r.returncode != 0 and "exists" in r.stdout:
            # Left by a killed test that had this pid before us: it is dead
            # (pids are unique among the living), so the name is ours.
            run("ip", "netns", "del", self.name, check=False)
            r = run("ip", "netns", "add", self.name, check=False)
        if r.returncode != 0:
            skip("kernel/tools lack network namespaces: " + r.stdout.strip())
        self.created = True
        register_netns(self.name)
        atexit.register(self.delete)
        if not self.with_veth:
            run("ip", "-n", self.name, "link", "set", "lo", "up")
            return
        r = run("ip", "-n", self.name, "link", "add", self.dp, "type", "veth", "peer", "name",
                self.relay, check=False)
        if r.returncode != 0:
            self.delete()
            skip("kernel lacks veth: " + r.stdout.strip())
        for dev in ("lo", self.dp, self.relay):
            run("ip", "-n", self.name, "link", "set", dev, "up")
        run("ip", "-n", self.name, "addr", "add", self.relay_cidr, "dev", self.relay)
        run("ip", "netns", "exec", self.name, sys.executable,
            os.path.join(ROOT, "scripts", "lq_client.py"), "--tx-checksum-off", self.relay)

    def enter(self):
        """Moves this (single-threaded) process into the namespace, so its
        sockets are the relay's. `ip netns del` still works from inside."""
        libc = ctypes.CDLL(None, use_errno=True)
        with open("/var/run/netns/" + self.name) as f:
            if libc.setns(f.fileno(), self.CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns " + self.name)

    def delete(self):
        if self.created:
            run("ip", "netns", "del", self.name, check=False)
            self.created = False


class Lqd:
    """One lqd process with its own EAL file prefix and temp directory."""

    def __init__(self, name, eal_args, config, netns=None):
        self.prefix = "%s-%d" % (name, os.getpid())
        self.tmp = tempfile.mkdtemp(prefix="lqd-test-")
        self.netns = netns
        self.eal_args = eal_args
        self.config = config
        self.proc = None
        self.log_path = os.path.join(self.tmp, "lqd.log")
        atexit.register(self.cleanup)

    def start(self, timeout=30, during_startup=None):
        """Starts lqd and waits for its ready banner. `during_startup(self)`,
        if given, runs once lqd's EAL has created its runtime directory and
        before the banner (when lqd is still loading): main() has by then run
        everything it does before rte_eal_init."""
        cfg_path = os.path.join(self.tmp, "lqd.json")
        with open(cfg_path, "w") as f:
            json.dump(self.config, f, indent=1)
        cmd = ["timeout", "600", lqd_binary(), "--no-huge", "-m", "512", "--file-prefix", self.prefix,
               "--no-pci"] + self.eal_args + ["--", "--config", cfg_path]
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns] + cmd
        self.log = open(self.log_path, "w")
        # A runtime directory of this prefix can only be left by a killed
        # test that had our pid: remove it, so that its appearance below
        # means this lqd's EAL is up.
        shutil.rmtree("/var/run/dpdk/" + self.prefix, ignore_errors=True)
        # Own process group: cleanup kills `timeout`, `ip netns exec` and lqd together.
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + timeout
        runtime_dir = "/var/run/dpdk/" + self.prefix
        while time.time() < deadline:
            if during_startup and os.path.isdir(runtime_dir):
                during_startup(self)
                during_startup = None
            if "lqd: ready" in self.output():
                return
            if self.proc.poll() is not None:
                raise RuntimeError("lqd exited %d:\n%s" % (self.proc.returncode, self.output()))
            time.sleep(0.1)
        raise RuntimeError("lqd not ready after %ds:\n%s" % (timeout, self.output()))

    def output(self):
        """What lqd printed so far ("" before it was started)."""
        try:
            with open(self.log_path) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stats(self, command="/lqd/stats"):
        # DPDK telemetry serves at most 10 clients and closes a connection
        # over that at once; a CPU-starved lqd may not have reaped the
        # previous (already closed) ones yet. Retry briefly.
        deadline = time.time() + 10
        while True:
            try:
                return lqd_telemetry.query(self.prefix, command)[command]
            except ConnectionResetError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self, timeout=20):
        """SIGTERM, wait; returns (exit code, output)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # `timeout` forwards it to lqd
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                # Not only the `timeout` wrapper: lqd itself (its child), so
                # that a restart does not meet the old one's EAL files.
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                self.proc.wait()
                wait_group_gone(self.proc.pid)
        return (self.proc.returncode if self.proc else None), self.output()

    def pid(self):
        """The lqd process itself (under `ip netns exec` and `timeout`)."""
        exe = os.path.realpath(lqd_binary())
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                if os.getpgid(int(d)) == self.proc.pid and os.path.realpath("/proc/%s/exe" % d) == exe:
                    return int(d)
            except OSError:
                continue
        raise RuntimeError("lqd process not found")

    def signal(self, sig):
        """Sends `sig` to lqd itself (not to its `timeout` wrapper)."""
        os.kill(self.pid(), sig)

    def kill9(self, timeout=20):
        """kill -9 of lqd (a crash) and its `timeout` wrapper. Returns once
        lqd itself is gone, not only `timeout`: lqd is `timeout`'s child, so
        reaping `timeout` says nothing about it, and while the kernel is
        still tearing a killed lqd down (its 512 MB, then its files) it holds
        the EAL's locks under /var/run/dpdk/<prefix>. A restart with the same
        --file-prefix then fails ("Cannot allocate memzone list")."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        wait_group_gone(self.proc.pid, timeout)

    def cleanup(self):
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # also lqd if `timeout` died first
            except ProcessLookupError:
                pass
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)
        shutil.rmtree("/var/run/dpdk/" + self.prefix, ignore_errors=True)
