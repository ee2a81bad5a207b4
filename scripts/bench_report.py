#!/usr/bin/env python3
"""Turns one scripts/bench.sh run into docs/performance.md, plots and a summary.

Usage: bench_report.py --results build-rel/bench-results/<id> --md docs/performance.md
                       --img docs/img

Reads <results>/{message,store,rte_hash,engine,classify}.json (Google benchmark JSON
with per-repetition entries), <results>/meta.json (machine, commit, load) and,
if present, <results>/profile/ (callgrind and perf output). Every number in
the report comes from those files; the prose only interprets them.

Conventions: rates are Google benchmark's items_per_second, which it computes
from the benchmark thread's CPU time (BulkLoad: wall time), so they are
per-core figures. Each figure is the median over the repetitions, with the
spread as min..max. ns/op = 1e9 / rate.
"""
import argparse
import json
import math
import os
import re
import statistics
import sys

GOAL_ENGINE_QPS = 10e6         # queries/s at 10 M leases
GOAL_BYTES_PER_LEASE = 200
GOAL_LEASES = 10_000_000
GOAL_DP_RATIO = 0.5            # lqd lcore loop / MAC-swap ceiling, same harness
GOAL_STORM_RATIO = 100         # lqd / dhcpd answered queries per second
FRAME_BYTES = 342               # leasequery frame, dpdk-anchors.md section 3.1
LINE_RATES = [("10 GbE", 3.42), ("25 GbE", 8.54), ("100 GbE", 34.15)]  # Mpps, same source
REGIMES = {0: "by-ip", 1: "by-mac", 2: "by-client-id"}
SIZES = [10_000, 100_000, 1_000_000, 10_000_000]


# ---------------------------------------------------------------- loading

class Stat:
    """One benchmark's repetitions."""

    def __init__(self, reps):
        self.reps = reps
        self.n = len(reps)
        rates = [r["items_per_second"] for r in reps]
        self.rate = statistics.median(rates)
        self.rate_min, self.rate_max = min(rates), max(rates)
        # Wall-clock rate: same items over real time instead of CPU time.
        wall = [r["items_per_second"] * r["cpu_time"] / r["real_time"] for r in reps if r["real_time"] > 0]
        self.wall_rate = statistics.median(wall) if wall else float("nan")
        self.counters = {}
        for k in ("bytes_per_lease", "index_bytes_per_key", "MiB"):
            vals = [r[k] for r in reps if k in r]
            if vals:
                self.counters[k] = (statistics.median(vals), min(vals), max(vals))
        unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[reps[0].get("time_unit", "ns")]
        real = [r["real_time"] * unit for r in reps]
        self.real_s = (statistics.median(real), min(real), max(real))

    # per item
    @property
    def ns(self):
        return 1e9 / self.rate

    @property
    def ns_min(self):
        return 1e9 / self.rate_max

    @property
    def ns_max(self):
        return 1e9 / self.rate_min

    @property
    def wall_ns(self):
        return 1e9 / self.wall_rate


class Results:
    def __init__(self, d):
        self.dir = d
        self.meta = json.load(open(os.path.join(d, "meta.json")))
        self.files = {}
        self.context = {}
        self.errors = []
        for name in ("message", "store", "rte_hash", "engine", "classify"):
            p = os.path.join(d, name + ".json")
            if not os.path.exists(p):
                continue
            j = json.load(open(p))
            self.context[name] = j.get("context", {})
            runs = {}
            for b in j.get("benchmarks", []):
                if b.get("run_type") != "iteration":
                    continue
                key = b.get("run_name", b["name"])
                if b.get("error_occurred"):
                    self.errors.append(f"{name}: {key}: {b.get('error_message')}")
                    continue
                if "items_per_second" not in b:
                    continue
                runs.setdefault(key, []).append(b)
            self.files[name] = {k: Stat(v) for k, v in runs.items()}
        # Non-Google-benchmark results: the lcore loop vs MAC-swap harness
        # (bench/dataplane/lcore_loop_benchmark --json) and the storm against
        # dhcpd (scripts/storm_bench.sh).
        self.dataplane = self._json("dataplane.json")
        self.dataplane_memif = self._json("dataplane_memif.json")
        self.storm = self._json("storm.json")

    def _json(self, name):
        p = os.path.join(self.dir, name)
        if not os.path.exists(p):
            return None
        try:
            return json.load(open(p))
        except ValueError as e:
            self.errors.append(f"{name}: {e}")
            return None

    def get(self, f, name):
        return self.files.get(f, {}).get(name)

    @property
    def mhz(self):
        for c in self.context.values():
            if c.get("mhz_per_cpu"):
                return float(c["mhz_per_cpu"])
        return float("nan")

    @property
    def reps(self):
        ns = [s.n for f in self.files.values() for s in f.values()]
        return max(ns) if ns else 0


# ---------------------------------------------------------------- formatting

def human(n):
    return {10_000: "10 k", 100_000: "100 k", 1_000_000: "1 M", 10_000_000: "10 M"}.get(n, str(n))


def f3(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def mops(s):
    """'6.75 (6.60..6.90)' in M items/s."""
    if s is None:
        return "n/a"
    if s.n == 1:
        return f3(s.rate / 1e6)
    return f"{f3(s.rate / 1e6)} ({f3(s.rate_min / 1e6)}..{f3(s.rate_max / 1e6)})"


def nsop(s):
    if s is None:
        return "n/a"
    if s.n == 1:
        return f3(s.ns)
    return f"{f3(s.ns)} ({f3(s.ns_min)}..{f3(s.ns_max)})"


def cycles(r, s):
    return "n/a" if s is None else f"{s.ns * r.mhz / 1e3:.0f}"


def ratio(a, b):
    """Median ratio of rates a/b and its widest range from the repetitions."""
    if a is None or b is None:
        return None
    return (a.rate / b.rate, a.rate_min / b.rate_max, a.rate_max / b.rate_min)


def fratio(t, n=1):
    if t is None:
        return "n/a"
    if n == 1:
        return f"{t[0]:.2f}x"
    return f"{t[0]:.2f}x ({t[1]:.2f}..{t[2]:.2f})"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


# ---------------------------------------------------------------- profile

def parse_callgrind(prof_dir, regime):
    txt = os.path.join(prof_dir, f"callgrind.10k.{regime}.txt")
    raw = os.path.join(prof_dir, f"callgrind.10k.{regime}.out")
    if not (os.path.exists(txt) and os.path.exists(raw)):
        return None
    # Number of queries = calls to QueryEngine::Answer.
    names, queries = {}, 0
    lines = open(raw, errors="replace").read().split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line)
        if m and m.group(2):
            names[m.group(1)] = m.group(2)
        if line.startswith("cfn=") and i + 1 < len(lines) and lines[i + 1].startswith("calls="):
            if "QueryEngine::Answer" in names.get(m.group(1), ""):
                queries += int(lines[i + 1].split()[0][6:])
    if not queries:
        return None
    funcs, by_file, total, in_table = {}, {}, 0, False
    for line in open(txt, errors="replace"):
        if "file:function" in line:
            in_table = True
            continue
        if not in_table:
            continue
        m = re.match(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*?)\s*$", line)
        if not m:
            if line.startswith("-----") and funcs:
                break
            continue
        ir = int(m.group(1).replace(",", ""))
        rest = re.sub(r"\s+\[[^\]]*\]$", "", m.group(2))
        rest = rest.replace("(anonymous namespace)", "{anon}")
        src = rest.split(":", 1)[0] if ":" in rest else ""
        fn = rest.split(":", 1)[1] if ":" in rest else rest
        fn = fn.split("(", 1)[0]
        funcs[fn] = funcs.get(fn, 0) + ir
        by_file[(src, fn)] = by_file.get((src, fn), 0) + ir
        total += ir
    # Parts by the source file the instructions come from (code inlined
    # from dhcp/message_builder.h into Answer is reply building), then, for
    # library headers (<bitset>, memcpy), by the function they ran in.
    cats = {}
    for (src, fn), ir in by_file.items():
        if "message_builder" in src or "MessageBuilder" in fn or fn.startswith("__mem"):
            c = "build reply (dhcp/message_builder.*)"
        elif "dhcp/message." in src or "relay_agent_info" in src or "ParseMessage" in fn or \
                "ParsedMessage" in fn or "RelayAgentInfo" in fn:
            c = "parse + option lookup (dhcp/message.*)"
        elif "lease_store" in src or "LeaseStore" in fn or "Hash" in fn or "Table" in fn:
            c = "store lookup (lease-store/lease_store.cc)"
        elif "QueryEngine" in fn or "{anon}" in fn:
            c = "engine rules (engine/query_engine.cc)"
        else:
            c = "other"
        cats[c] = cats.get(c, 0) + ir
    return {"queries": queries, "total": total, "funcs": funcs, "cats": cats}


def parse_perf(prof_dir):
    p = os.path.join(prof_dir, "perf.1m.txt")
    if not os.path.exists(p):
        return None
    syms = []
    for line in open(p, errors="replace"):
        m = re.match(r"^\s+([\d.]+)%\s+\[(.)\]\s+(.*?)\s*$", line)
        if m:
            syms.append((float(m.group(1)), m.group(2), re.split(r"\s{2,}", m.group(3).strip())[0]))
    return syms or None


def parse_annotate(prof_dir, fn):
    """Top two sampled instructions of a function: (pct, previous instruction, source line)."""
    p = os.path.join(prof_dir, f"perf.1m.annotate.{fn}.txt")
    if not os.path.exists(p):
        return None
    hits, src, prev = [], "", ""
    for line in open(p, errors="replace"):
        mi = re.match(r"^\s+([\d.]+)\s+:\s+[0-9a-f]+:\s+(.*?)\s*$", line)
        ms = re.match(r"^\s+:\s+\d+\s+(.*?)\s*$", line)
        if mi:
            hits.append((float(mi.group(1)), prev, src))
            prev = re.sub(r"\s+", " ", mi.group(2))
        elif ms:
            t = ms.group(1)
            if t.startswith(("Disassembly", "Percent")):
                continue
            if not (t.endswith(":") and "(" in t):  # not a function marker
                src = t
    hits.sort(reverse=True)
    return hits[:2] if hits else None


# ---------------------------------------------------------------- plots

def plot(r, img_dir):
    """Writes lookup_rate.png and engine_rate.png; returns the file names written."""
    os.makedirs(img_dir, exist_ok=True)
    lookup_series = [
        ("store FindByIp (single)", "store", "BM_FindByIp/{}", "o-"),
        ("store FindByIpBatch (32)", "store", "BM_FindByIpBatch/{}", "o--"),
        ("rte_hash lookup (single)", "rte_hash", "BM_RteHashLookup/{}", "s-"),
        ("rte_hash lookup_bulk (32)", "rte_hash", "BM_RteHashLookupBulk/{}", "s--"),
        ("store FindByHwAddr", "store", "BM_FindByHwAddr/{}", "^:"),
        ("store FindByClientId", "store", "BM_FindByClientId/{}", "v:"),
    ]
    engine_series = [(REGIMES[k], "engine", "BM_EngineEndToEnd/leases:{}/regime:" + str(k), "o-")
                     for k in REGIMES]

    def points(f, pat):
        out = []
        for n in SIZES:
            s = r.get(f, pat.format(n))
            if s:
                out.append((n, s.rate / 1e6, s.rate_min / 1e6, s.rate_max / 1e6))
        return out

    title = f"{r.meta['cpu_model']}, {r.meta['nproc']} vCPU (shared); run {r.meta['run_id']}"
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        plt = None
    written = []
    if plt is not None:
        for fname, series, ylabel, head, goal, logy in (
                ("lookup_rate.png", lookup_series, "M lookups/s per core (log)", "Lease lookups vs lease count",
                 None, True),
                ("engine_rate.png", engine_series, "M queries/s per core",
                 "Engine end to end (parse + answer + build) vs lease count", GOAL_ENGINE_QPS / 1e6, False)):
            fig, ax = plt.subplots(figsize=(8, 5))
            for label, f, pat, style in series:
                pts = points(f, pat)
                if not pts:
                    continue
                xs = [p[0] for p in pts]
                ys = [p[1] for p in pts]
                err = [[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]]
                ax.errorbar(xs, ys, yerr=err, fmt=style, capsize=3, label=label)
            if goal:
                ax.axhline(goal, color="red", ls="--", lw=1, label=f"goal {goal:g} M/s at 10 M leases")
                for name, mpps in LINE_RATES[:2]:
                    ax.axhline(mpps, color="grey", ls=":", lw=1)
                    ax.annotate(f"{name} line rate, {FRAME_BYTES}-B frames ({mpps} Mpps)", (SIZES[0], mpps),
                                textcoords="offset points", xytext=(2, 2), fontsize=7, color="grey")
            ax.set_xscale("log")
            ax.set_xlabel("leases in the store (log)")
            ax.set_ylabel(ylabel + " (median; bars: min..max)")
            if logy:
                ax.set_yscale("log")
                from matplotlib.ticker import ScalarFormatter
                ax.yaxis.set_major_formatter(ScalarFormatter())
            else:
                ax.set_ylim(bottom=0)
            ax.set_title(head + "\n" + title, fontsize=9)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
            fig.tight_layout()
            fig.savefig(os.path.join(img_dir, fname), dpi=110)
            plt.close(fig)
            written.append(fname)
        return written
    # gnuplot fallback
    import shutil
    import subprocess
    if not shutil.which("gnuplot"):
        print("bench_report: neither matplotlib nor gnuplot: no plots", file=sys.stderr)
        return written
    for fname, series, ylabel in (("lookup_rate.png", lookup_series, "M lookups/s per core"),
                                  ("engine_rate.png", engine_series, "M queries/s per core")):
        cmds, plots = [], []
        for i, (label, f, pat, _) in enumerate(series):
            pts = points(f, pat)
            if not pts:
                continue
            dat = os.path.join(img_dir, f".{fname}.{i}.dat")
            with open(dat, "w") as fh:
                for p in pts:
                    fh.write(f"{p[0]} {p[1]} {p[2]} {p[3]}\n")
            plots.append(f"'{dat}' using 1:2:3:4 with yerrorlines title '{label}'")
        cmds = ["set terminal pngcairo size 880,550", f"set output '{os.path.join(img_dir, fname)}'",
                "set logscale x", "set xlabel 'leases (log)'", f"set ylabel '{ylabel}'", "set yrange [0:*]",
                f"set title '{title}'", "plot " + ", ".join(plots)]
        subprocess.run(["gnuplot"], input="\n".join(cmds), text=True, check=False)
        written.append(fname)
    return written



# ---------------------------------------------------------------- dataplane and storm

def _med(xs):
    return (statistics.median(xs), min(xs), max(xs)) if xs else None


def _fr(t, scale=1.0, fmt="{:.2f}"):
    if t is None:
        return "n/a"
    a, lo, hi = (x * scale for x in t)
    return fmt.format(a) if lo == hi else f"{fmt.format(a)} ({fmt.format(lo)}..{fmt.format(hi)})"


# lcore_loop_benchmark's floor modes: (mode name, key in dp_summary).
FLOOR_MODES = (("read-floor", "read_floor"), ("cksum-floor", "cksum_floor"))
FLOOR_WORK = {"read_floor": "read every line of the frame",
              "cksum_floor": "verify the query's IPv4/UDP checksums, sum a same-size reply"}


def dp_summary(d):
    """Medians over reps of the lcore loop harness, and the per-rep ratios."""
    if not d or not d.get("runs"):
        return None
    by = {}
    for run in d["runs"]:
        by.setdefault(run["mode"], {})[run["rep"]] = run
    lqd, ms = by.get("lqd", {}), by.get("macswap", {})
    reps = sorted(set(lqd) & set(ms))
    if not reps:
        return None
    g = lambda runs, k: _med([runs[i][k] for i in reps])
    out = {"reps": len(reps),
           "ratio": _med([lqd[i]["rate"] / ms[i]["rate"] for i in reps if ms[i]["rate"]]),
           "busy_ratio": _med([ms[i]["cyc_per_pkt_busy"] / lqd[i]["cyc_per_pkt_busy"] for i in reps
                               if lqd[i].get("cyc_per_pkt_busy")])}
    # The two floors, when the harness ran them: macswap / read-floor bounds
    # any leasequery loop on that port, macswap / cksum-floor one with lqd's
    # checksum code (lcore_loop_benchmark.cc says why).
    floors = [(name, key, by[name]) for name, key in FLOOR_MODES
              if by.get(name) and all(i in by[name] for i in reps)]
    out["floors"] = [(name, key) for name, key, _ in floors]
    for name, key, runs in floors:
        out[key + "_ceiling"] = _med([ms[i]["cyc_per_pkt_busy"] / runs[i]["cyc_per_pkt_busy"] for i in reps
                                      if runs[i].get("cyc_per_pkt_busy")])
    for name, runs in [("lqd", lqd), ("macswap", ms)] + [(key, runs) for _, key, runs in floors]:
        out[name] = g(runs, "rate")
        out[name + "_cyc"] = g(runs, "cyc_per_pkt_wall")
        out[name + "_cyc_cpu"] = g(runs, "cyc_per_pkt_cpu")
        out[name + "_busy"] = g(runs, "cyc_per_pkt_busy")
        out[name + "_util"] = _med([runs[i]["loop_cpu_s"] / runs[i]["wall_s"] for i in reps if runs[i]["wall_s"]])
        out[name + "_empty"] = _med([runs[i]["empty_polls"] / runs[i]["polls"] for i in reps if runs[i]["polls"]])
        out[name + "_idle"] = _med([runs[i]["idle_cycles"] / (runs[i]["idle_cycles"] + runs[i]["busy_cycles"])
                                    for i in reps if runs[i]["idle_cycles"] + runs[i]["busy_cycles"]])
        out[name + "_ring"] = g(runs, "rx_ring_mean")
        out[name + "_gen"] = _med([runs[i]["gen_cpu_s"] / runs[i]["wall_s"] for i in reps if runs[i]["wall_s"]])
        out[name + "_loss"] = all(runs[i]["zero_loss"] for i in reps)
        out[name + "_sent"] = sum(runs[i]["sent"] for i in reps)
        out[name + "_recv"] = sum(runs[i]["received"] for i in reps)
    # lqd-limited (the same loop, 1 pps per requester: every frame but one a
    # second dropped at admission), when the harness ran it.
    lim = by.get("lqd-limited", {})
    lreps = [i for i in reps if i in lim]
    out["limited_busy"] = _med([lim[i]["cyc_per_pkt_busy"] for i in lreps]) if lreps else None
    out["limited_ratio"] = _med([lim[i]["cyc_per_pkt_busy"] / lqd[i]["cyc_per_pkt_busy"] for i in lreps
                                 if lqd[i].get("cyc_per_pkt_busy")]) if lreps else None
    out["limited_loss"] = all(lim[i]["zero_loss"] for i in lreps)
    return out


def dp_table(d, dp, w, port):
    """The lqd / MAC-swap table and ratio line of one lcore_loop_benchmark run."""
    rows = []
    labels = [("lqd", "lqd `LcoreMain`"), ("macswap", "MAC-swap (I/O ceiling)")]
    labels += [(key, f"{name}: MAC-swap + " + FLOOR_WORK[key]) for name, key in dp["floors"]]
    for name, label in labels:
        ring = _fr(dp[name + "_ring"], 1, "{:.0f}") if d.get("port", "ring") == "ring" else "n/a"
        rows.append([label, _fr(dp[name], 1e-6), _fr(dp[name + "_cyc"], 1, "{:.0f}"),
                     f"**{_fr(dp[name + '_busy'], 1, '{:.0f}')}**", _fr(dp[name + "_util"], 100, "{:.0f} %"),
                     _fr(dp[name + "_idle"], 100, "{:.0f} %"), ring,
                     ("yes" if dp[name + "_loss"] else "**no**") + f" ({dp[name + '_recv']:,} of {dp[name + '_sent']:,})"])
    w(table([f"loop on lcore 1, {port}", "M replies/s (wall)", "wall cycles / reply", "on-CPU cycles / frame",
             "loop thread on CPU", "of which idle polling", f"RX ring fill seen by generator (of {d['window']})",
             "zero loss (back / sent)"], rows))
    w("")
    okb = dp["busy_ratio"] and dp["busy_ratio"][0] >= GOAL_DP_RATIO
    w(f"**{port}: lqd / MAC-swap {_fr(dp['busy_ratio'], 1, '{:.3f}')} by on-CPU cost per frame, "
      f"{_fr(dp['ratio'], 1, '{:.3f}')} by wall rate** (per-rep ratios, median (min..max)); goal >= {GOAL_DP_RATIO}: "
      + ("**met**." if okb else "**missed**."))
    w("")
    if dp["floors"]:
        parts = [f"MAC-swap / {name} {_fr(dp[key + '_ceiling'], 1, '{:.3f}')}" for name, key in dp["floors"]]
        w(f"Ceilings on this port, same reps: {'; '.join(parts)}. A floor parses, looks up and builds "
          "nothing. Every answer must read its whole query, so no leasequery loop keeps more of MAC-swap's "
          "rate than the read floor does. The checksum floor does the checksum work as lqd does it (ring and "
          "memif ports offer no checksum offload: verify the query's sums, then sum the whole reply); it "
          "bounds a loop with lqd's checksum code, and one that sums the reply while writing it could do "
          "better. The floors are measured exactly as lqd is, so whatever the harness adds to a loop's "
          "cycles (the busy accounting, cache lines the generator's core writes) weighs on them as on lqd.")
        w("")


def dataplane_section(r, w):
    d = r.dataplane
    dp = dp_summary(d)
    if not dp:
        return
    hz = d["tsc_hz"]
    w("## Dataplane, one process: the real lcore loop vs a MAC-swap forwarder")
    w("")
    w("`bench/dataplane/lcore_loop_benchmark.cc`: one ring port (`rte_eth_from_rings`, one RX and one TX "
      f"`rte_ring` of {d['ring_size']}) set up by lqd's own `CreateMbufPool`/`SetupPort`. A generator on "
      f"lcore 0 copies pre-built {d['frame_bytes']}-byte leasequery frames ({d['templates']:,} distinct by-IP "
      f"queries for random active leases of a `BulkLoad`-ed store of {d['leases']:,} realistic leases, "
      f"PRL 51, 58, 59, 61, 82, 91; valid IP/UDP checksums) into recycled mbufs, at most {d['window']} in flight, "
      "and drains the replies from the TX ring. On lcore 1 (`--lcores " + d["lcores"] + "`) runs either "
      "**lqd**: the unchanged `LcoreMain` with a real `LcoreConf`/`Shared` (ready, rate limit off as in the "
      "default config; classify, ACL, parse, `QueryEngine::Answer`, reply frame, TX buffer), or **MAC-swap**: "
      "rx burst, swap the Ethernet addresses, tx burst (testpmd's macswap). Same generator code, port, pool, "
      f"window and frames in both modes; they alternate within the run, {dp['reps']} rep(s) of "
      f"{d['packets']:,} replies each after {d['warmup']:,} warm-up.")
    w("")
    w("Two measures, because both cores are shared with other engineers' builds: *wall* is replies per "
      "second of wall time (what the pair of threads achieved, including time either was descheduled); "
      "*on-CPU cycles / frame* comes from an ethdev RX callback on the loop's queue (no change to `LcoreMain`): "
      "TSC time from a non-empty poll to the next poll is work on that burst, time after an empty poll is "
      "idle polling, gaps over 200 us are time off the CPU; busy cycles / frames received is the loop's own "
      f"cost per frame ({hz / 1e6:.0f} MHz TSC), independent of the generator's pace. Its ratio, "
      "MAC-swap cycles / lqd cycles, is the rate ratio the two loops would have, each fed without limit on a "
      "core of its own.")
    w("")
    dp_table(d, dp, w, "ring port")
    if dp.get("limited_busy"):
        w(f"A query from a relay over its rate limit (mode **lqd-limited**: the same loop with "
          f"`per-requester-pps` 1, every frame but one a second dropped at admission, before the query is "
          f"copied, parsed or looked up) costs {_fr(dp['limited_busy'], 1, '{:.0f}')} on-CPU cycles, "
          f"{_fr(dp['limited_ratio'], 1, '{:.3f}')} of an answered one in the same reps"
          + ("" if dp["limited_loss"] else " (**counts did not add up in some rep**)")
          + ": what a flooding relay costs the lcore once its bucket is empty.")
        w("")
    notes = []
    # The engine as the loop runs it: 32-query bursts with the lease-store
    # prefetch (BM_EngineEndToEnd answers one query at a time and pays every
    # miss in full, which the loop does not).
    e = r.get("engine", f"BM_EngineBurst/leases:{d['leases']}/regime:0/store_prefetch:1")
    if e and r.mhz == r.mhz and dp["lqd_busy"]:
        ecyc = e.ns * hz / 1e9
        notes.append(f"Where lqd's cycles go: the engine alone (parse + answer + build, in bursts of 32 with the "
                     f"lease prefetch, `BM_EngineBurst` at {human(d['leases'])} leases by IP, same run) costs "
                     f"{e.ns:.0f} ns = {ecyc:.0f} TSC cycles per query; the loop "
                     f"costs {dp['lqd_busy'][0]:.0f} on-CPU cycles per frame, so RX/TX, classify, ACL, the query "
                     f"copy, reply framing and checksums, and the misses on frames written by the other core add "
                     f"about {dp['lqd_busy'][0] - ecyc:.0f} (difference of two measurements). MAC-swap's "
                     f"{dp['macswap_busy'][0]:.0f} cycles per frame is the whole I/O path on a ring port, which "
                     "reads only the first line of each frame: the ratio there is set by lqd's per-query work, "
                     "not by packet I/O. The memif run below gives the I/O path a cost of its own.")
    if dp["macswap_idle"] and dp["macswap_idle"][0] > 0.3:
        notes.append(f"MAC-swap spends {100 * dp['macswap_idle'][0]:.0f} % of its on-CPU time polling an empty ring: "
                     "its wall rate is the generator's pace (copying a frame into an mbuf, on a shared core), not "
                     "the forwarder's, so the wall ratio overstates lqd's share of the I/O ceiling.")
    if dp["lqd_idle"]:
        notes.append(f"lqd spends {100 * dp['lqd_idle'][0]:.0f} % of its on-CPU time polling an empty ring: the "
                     "intervals when its core ran but the generator's did not. The generator's view of the RX ring "
                     f"({dp['lqd_ring'][0]:.0f} of {d['window']} on average) is biased the other way: it keeps "
                     "sampling while the loop is descheduled.")
    notes.append(f"The loop thread was on its CPU {100 * dp['lqd_util'][0]:.0f} % of the lqd runs' wall time "
                 "(thread CPU time / wall time; the rest went to other processes): wall rates on this machine are "
                 "far below what one dedicated core does; the on-CPU figures are the ones to scale.")
    for n in notes:
        w("- " + n)
    w("")
    memif_subsection(r, w)
    checksum_subsection(r, w)


def memif_subsection(r, w):
    d = r.dataplane_memif
    dp = dp_summary(d)
    if not dp:
        return
    w("### The same run on a memif pair")
    w("")
    w("`lcore_loop_benchmark --port memif`: the port is the client end of a `net_memif` pair in the same "
      "process (copy mode, one socket); the generator sends and receives on the server end with "
      "`rte_eth_tx_burst`/`rte_eth_rx_burst`. Every frame is copied into shared memory and out again on each "
      "side, so packet I/O costs per frame something closer to what a NIC PMD's descriptor and buffer handling "
      "costs than two `rte_ring`s do. Everything else (store, frames, window, modes, reps, on-CPU "
      "accounting) is as above.")
    w("")
    dp_table(d, dp, w, "memif")
    notes = []
    if dp.get("limited_busy"):
        notes.append(f"lqd-limited costs {_fr(dp['limited_busy'], 1, '{:.0f}')} on-CPU cycles per frame here, "
                     f"{_fr(dp['limited_ratio'], 1, '{:.3f}')} of an answer: it receives (one copy out of shared "
                     "memory) and drops, with no transmit.")
    if dp["lqd_busy"] and dp["macswap_busy"]:
        own = dp["lqd_busy"][0] - dp["macswap_busy"][0]
        notes.append(f"lqd's own work on this port, its cycles minus MAC-swap's: about {own:.0f} per frame "
                     f"(difference of two measurements). The goal needs it at or below the I/O path's "
                     f"{dp['macswap_busy'][0]:.0f}.")
    if dp["macswap_idle"] and dp["macswap_idle"][0] > 0.3:
        notes.append(f"MAC-swap polls an empty queue {100 * dp['macswap_idle'][0]:.0f} % of its on-CPU time: "
                     "its wall rate is the generator's pace (which copies too on this port), so again the wall "
                     "ratio overstates lqd's share.")
    for n in notes:
        w("- " + n)
    w("")


def checksum_subsection(r, w):
    """bench/dataplane/classify_benchmark: the checksum work of one answer, no I/O."""
    rows = []
    for name, what in (("BM_ClassifyLeaseQuery/varied:{}", "`ClassifyFrame` on a 342-byte leasequery: "
                        "headers, IPv4 and UDP sums verified"),
                       ("BM_ReplyChecksums/varied:{}", "the reply's sums: UDP over 308 bytes, IPv4 header"),
                       ("BM_ChecksumPartial/len:308/varied:{}", "`ChecksumPartial` + `ChecksumFinish`, 308 bytes")):
        same, varied = r.get("classify", name.format(0)), r.get("classify", name.format(1))
        if same is None or varied is None:
            continue
        rows.append([what, f"{nsop(same)} / {cycles(r, same)}", f"{nsop(varied)} / {cycles(r, varied)}"])
    if not rows:
        return
    w("### The checksum work of one answer, without I/O")
    w("")
    w("`bench/dataplane/classify_benchmark.cc` (no EAL): the sums lqd computes in software on ports without "
      "checksum offload (ring, memif, af_packet), on one frame again and again (*same*) and on 4,096 frames "
      "of random payload, cycled (*varied*: what a stream of distinct queries looks like). ns / TSC cycles "
      "per call.")
    w("")
    w(table(["work", "same frame", "4,096 frames"], rows))
    w("")
    w("Verifying the query and summing the reply together cost what the first two rows add up to. The "
      "cksum-floor rows above add the same calls to a MAC-swap loop on a real port, where the frames arrive "
      "from another core or a PMD's copy.")
    w("")


def storm_summary(s):
    if not s:
        return None
    L, D = s.get("lqd") or {}, s.get("dhcpd") or {}
    out = {}
    lc, dc, lb, db = L.get("closed"), D.get("closed"), L.get("burst"), D.get("burst")
    if lc and dc and dc.get("answered_rate"):
        out["closed_ratio"] = lc["answered_rate"] / dc["answered_rate"]
    if lb and db:
        out["burst_ratio"] = lb["answered_rate"] / db["answered_rate"] if db.get("answered_rate") else None
        out["lqd_burst_lost"] = lb["lost"]
        out["dhcpd_burst_lossfrac"] = db["lost"] / db["sent"] if db["sent"] else 0
        out["lqd_burst_loss"] = f"{lb['lost']:,} ({100 * lb['loss']:.2f} %)"
        out["dhcpd_burst_loss"] = f"{db['lost']:,} ({100 * db['loss']:.2f} %)"
    return out


def storm_section(r, w):
    s = r.storm
    st = storm_summary(s)
    if not st:
        return
    w("## Storm against a real peer: lqd vs ISC dhcpd")
    w("")
    w(f"`scripts/storm_bench.sh`: two network namespaces joined by a veth pair; the server end runs (a) lqd on "
      f"{s['lqd_device']}, then (b) `{s['dhcpd_version']}` with `allow leasequery;` on the same veth end; "
      f"lq-storm runs in the other namespace as {s['concentrators']} relays (giaddrs). {s['pinning']}. Both "
      f"servers hold the same {s['leases']:,} active leases ({s['population']}; Kea CSV for lqd, dhcpd.leases "
      f"for dhcpd, which took {s['dhcpd_start_s']} s to start answering). Query mix `{s['mix']}`, timeout "
      f"{s['timeout_s']} s, no retries. *closed*: {s['window']} queries in flight, at most "
      f"{s['closed_max_queries']:,} queries or {s['closed_duration_s']} s; *burst*: {s['burst_queries']:,} "
      f"queries open loop at {s['burst_rate']:,}/s requested.")
    w("")
    rows = []
    for who in ("lqd", "dhcpd"):
        for run in ("closed", "burst"):
            x = (s.get(who) or {}).get(run)
            if not x:
                rows.append([who, run] + ["n/a"] * 7)
                continue
            lat = x["latency_us"]
            rows.append([who, run, f"{x['sent']:,}", f"{x['offered_rate']:,.0f}", f"{x['answered']:,}",
                         f"**{x['answered_rate']:,.0f}**", f"{x['lost']:,} ({100 * x['loss']:.2f} %)",
                         f"{lat['p50']:,}", f"{lat['p99']:,}"])
    w(table(["server", "run", "sent", "sent / elapsed", "answered", "answered /s", "lost", "p50 us", "p99 us"], rows))
    w("")
    w("Rates are lq-storm's: over its whole elapsed time, which for the burst includes the wait for the last "
      f"answers (timeout {s['timeout_s']} s), so the burst rows understate the rate the queries were sent at.")
    w("")
    c = (s.get("lqd") or {}).get("counters") or {}
    if c:
        sent = sum(((s.get("lqd") or {}).get(k) or {}).get("sent", 0) for k in ("closed", "burst"))
        v = (s.get("server_veth_rx") or {}).get("lqd") or {}
        lost_in_ring = v.get('packets', 0) - c.get('rx_frames', 0) if v else 0
        w(f"lqd's own counters over both runs (printed at exit): {c.get('rx_frames', 0):,} frames received "
          f"(of {sent:,} queries sent, plus ARP), {c.get('replies', 0):,} replies, {c.get('tx_frames', 0):,} frames "
          f"sent, {c.get('tx_full_drops', 0):,} TX-full drops"
          + (f"; the server veth counted {v.get('packets', 0):,} frames in and dropped {v.get('dropped', 0):,}"
             + (f", so {lost_in_ring:,} frames were lost between the veth and lqd, in the `net_af_packet` "
                "socket's RX ring (framecnt frames per queue; lqd's default 4096) while it was full"
                if lost_in_ring > 0 else ", and lqd received every frame the veth took in")
             if v else "")
          + (f". Every leasequery that reached lqd was answered ({c.get('leasequeries', 0):,})"
             if c.get('leasequeries', 0) == c.get('replies', 0) else
             f". lqd answered {c.get('replies', 0):,} of the {c.get('leasequeries', 0):,} leasequeries it received")
          + (": the burst loss is the kernel path's, not lqd's." if lost_in_ring > 0 else "."))
        w("")
    parts = []
    if st.get("closed_ratio"):
        parts.append(f"closed loop **{st['closed_ratio']:.1f}x**")
    if st.get("burst_ratio"):
        parts.append(f"burst **{st['burst_ratio']:.1f}x**")
    w(f"lqd / dhcpd answered queries per second: {', '.join(parts) or 'n/a'} (goal {GOAL_STORM_RATIO}x). "
      f"Burst loss: lqd {st.get('lqd_burst_loss', 'n/a')}, dhcpd {st.get('dhcpd_burst_loss', 'n/a')}.")
    w("")
    w("Limits of this comparison: lqd's side here is the kernel's veth + `net_af_packet` path (a copy and "
      "a syscall per burst on each side, softirq work on the shared CPUs), and one lq-storm thread on one "
      "CPU with kernel UDP sockets generates every query and receives every reply; in closed loop its "
      "window and its own per-query cost bound the rate it can measure. So the lqd figures are a floor set "
      "by this rig, not lqd's rate on a NIC (see the one-process table above); dhcpd's figures are its own.")
    w("")

# ---------------------------------------------------------------- report

def burst_section(r, w):
    """BM_EngineBurst: 32-query bursts as the lcore loop runs them, without
    and with the lease-store prefetch stages, side by side in one run."""
    B = lambda n, k, p: r.get("engine", f"BM_EngineBurst/leases:{n}/regime:{k}/store_prefetch:{p}")
    rows = []
    for n in SIZES:
        for k in REGIMES:
            off, on = B(n, k, 0), B(n, k, 1)
            if off and on:
                rows.append([human(n), REGIMES[k], mops(off), mops(on), fratio(ratio(on, off), r.reps)])
    if not rows:
        return
    w("### Bursts with lease prefetch (what the lcore loop does)")
    w("")
    w("`BM_EngineBurst`: the same queries in bursts of 32, as `dataplane/lcore_loop.cc` handles an RX "
      "burst; query bytes prefetched 4 ahead in both columns. *With prefetch* first runs "
      "`QueryEngine::Prefetch(kSlot)` for the 32 queries (hash, prefetch the index slot), then "
      "`Prefetch(kEntry)` (probe the now-cached slot, prefetch the record's two lines), then parses and "
      "answers each: the dependent misses of the burst overlap instead of queueing one after another. "
      "By-client-id queries get no hint (the selector is in option 61, which the hint does not parse), "
      "so that row is the control.")
    w("")
    w(table(["leases", "regime", "M queries/s, no prefetch", "M queries/s, with prefetch", "speed-up"], rows))
    w("")
    t = {n: r.get("engine", f"BM_EngineBurst/leases:1000000/regime:0/store_prefetch:1/real_time/threads:{n}")
         for n in (1, 2)}
    if t[1] and t[2]:
        m = r.meta
        w("### Scaling with cores (as far as this machine allows)")
        w("")
        w("The same burst path by IP at 1 M leases in 1 and 2 threads (each a registered store reader, as "
          "lcores are) on one store; wall-clock time, so the rate is the aggregate of the threads. The "
          f"machine has {m['nproc']} vCPUs shared with other work (all CPUs {m['cpu_busy_pct']} % busy "
          f"during the run, load {m['loadavg_start']} -> {m['loadavg_end']}): a second thread only adds "
          "what the other work leaves of the second vCPU, so this bounds scaling from below; a dataplane "
          "scaling run (generator plus several worker lcores) needs more cores than this VM has.")
        w("")
        w(table(["threads", "aggregate M queries/s", "per thread", "vs 1 thread"],
                [[str(n), mops(t[n]), f"{t[n].rate / n / 1e6:.2f}", fratio(ratio(t[n], t[1]), r.reps)]
                 for n in (1, 2)]))
        w("")


CHURN_ROW = re.compile(r"^(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)%\s+(\d+)\s+([\d.]+)%\s*$")
INGEST_ROW = re.compile(r"^(handler-only|memory|journal\+fsync|journal)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)\s*$")


def read_log(r, name):
    path = os.path.join(r.dir, name)
    return open(path).read().splitlines() if os.path.exists(path) else []


LOAD_ROW = re.compile(r"^\| (snapshot|kea csv|kea csv, followed) \| (\d+) \| (\d+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| (\d+) \|$")


def ingest_best(ingest):
    """Best updates/s per mode over HTTP (any window), and with window 1
    (Kea's own pattern) as (rate, connections)."""
    best, kea = {}, {}
    for mode, conns, win, rate, *_ in ingest:
        if mode == "handler-only":  # no HTTP: not what the goal measures
            continue
        best[mode] = max(best.get(mode, 0), int(rate))
        if win == "1" and int(rate) > kea.get(mode, (0, 0))[0]:
            kea[mode] = (int(rate), int(conns))
    return best, kea


def control_goal_rows(r):
    """Rows of the Goals table for the control-plane benchmarks (from their logs)."""
    rows = []
    load = [m.groups() for m in map(LOAD_ROW.match, read_log(r, "startup_load_benchmark.log"))
            if m and m.group(1) != "kea csv, followed"]  # the goal is the start-up load itself
    if load:
        n = max(int(x[2]) for x in load)
        parts, ok = [], n >= 10_000_000
        for src in ("snapshot", "kea csv"):
            walls = sorted(float(x[5]) for x in load if x[0] == src)
            if walls:
                parts.append(f"{src} {walls[0]:.1f}..{walls[-1]:.1f} s")
                ok = ok and walls[-1] < 10
        rows.append([f"start-up load of {human(n)} leases (snapshot or Kea CSV, `ControlPlane::Start`, wall time)",
                     "< 10 s for 10 M", ", ".join(parts),
                     "met" if ok else ("not run at 10 M" if n < 10_000_000 else "**missed**")])
    ingest = [m.groups() for m in map(INGEST_ROW.match, read_log(r, "kea_ha_ingest_benchmark.log")) if m]
    if ingest:
        best, kea = ingest_best(ingest)
        top = max(best.values())
        kea_top = max(kea.values()) if kea else (0, 0)
        rows.append(["Kea HA lease4-update ingest over HTTP (loopback, one server thread)", ">= 100,000 /s",
                     f"{top:,}/s pipelined (best mode); {kea_top[0]:,}/s with one request in flight per connection "
                     f"({kea_top[1]} connections, Kea's pattern)",
                     ("met" if top >= 100_000 else "**missed**") +
                     ("" if kea_top[0] >= 100_000 else " pipelined; **missed** in Kea's pattern")])
    churn = [m.groups() for m in map(CHURN_ROW.match, read_log(r, "lookup_under_churn_benchmark.log")) if m]
    if churn:
        top = max(churn, key=lambda x: int(x[0]))
        rows.append([f"lookups while the writer applies {int(top[0]):,} updates/s", "within 10 % of idle",
                     f"{float(top[5]):.1f} % per CPU-second, {float(top[3]):.1f} % by wall clock",
                     "met" if float(top[5]) >= 90 else "**missed**"])
    return rows


def startup_load_section(r, w):
    """bench/control/startup_load_benchmark.cc: lqd's start-up load from a
    snapshot and from a Kea CSV, wall and CPU seconds per rep."""
    lines = read_log(r, "startup_load_benchmark.log")
    rows = [m.groups() for m in map(LOAD_ROW.match, lines) if m]
    if not rows:
        return
    w("## Control plane: start-up load")
    w("")
    head = next((x for x in lines if x.startswith("startup_load_benchmark: ")), ": ?")
    w(f"`bench/control/startup_load_benchmark.cc` ({head.split(': ', 1)[-1]}), the calls lqd makes at "
      "start, files in the page cache (a warm restart). *snapshot*: `ControlPlane::Start` on a state "
      "directory holding a `snapshot.lqs` (checksums, decode, `LeaseStore::BulkLoad`). *kea csv*: "
      "`LoadKeaCsvLeases` on a Kea 2.2 `kea-leases4.csv` with client-id and option 82, then "
      "`ControlPlane::Start` (`BulkLoad`)."
      + (" *kea csv, followed*: the same file as the only lease source, a `followers` entry: "
         "`ControlPlane::Start` runs the `FileFollower`'s first full read (parse, keep the last row per "
         "address, apply each through the replica), after which lqd answers; its own run, at the lease "
         "count in its rows." if any(x[0] == "kea csv, followed" for x in rows) else "")
      + " *CPU s* is the whole process, all threads.")
    w("")
    w(table(["source", "rep", "leases", "read+parse+fold s", "ControlPlane::Start s", "total s (wall)", "CPU s",
             "leases/s (wall)"],
            [[src, rep, f"{int(n):,}", rd, st, tot, cpu, f"{int(rate):,}"]
             for src, rep, n, rd, st, tot, cpu, rate in rows]))
    w("")
    loads = [x for x in rows if x[0] != "kea csv, followed"]
    n = max((int(x[2]) for x in loads), default=0)
    verdicts = []
    for src in ("snapshot", "kea csv"):
        mine = [x for x in rows if x[0] == src]
        if not mine:
            continue
        walls = sorted(float(x[5]) for x in mine)
        cpus = sorted(float(x[6]) for x in mine)
        ok = n >= 10_000_000 and walls[-1] < 10  # every rep, as the Goals row judges it
        verdicts.append(f"{src} {walls[0]:.1f}..{walls[-1]:.1f} s wall, {cpus[0]:.1f}..{cpus[-1]:.1f} CPU s "
                        f"({'met' if ok else ('not run at 10 M' if n < 10_000_000 else '**missed**')})")
    if verdicts:
        w(f"Goal (issue: bulk load of 10 million leases, CSV or snapshot, in under 10 seconds): at {n:,} leases "
          + "; ".join(verdicts) + ".")
        w("")
    fol = [x for x in rows if x[0] == "kea csv, followed"]
    if fol:
        walls = sorted(float(x[5]) for x in fol)
        w(f"Followed instead of loaded, {int(fol[0][2]):,} leases take {walls[0]:.2f}..{walls[-1]:.2f} s "
          "(no goal set): the follower applies lease by lease, so a site whose only feed is a followed file "
          "of that size waits this long before lqd answers.")
        w("")


def control_section(r, w):
    """The control-plane benchmarks print plain tables; they are parsed from
    their logs here (bench/control/*.cc document the columns)."""
    startup_load_section(r, w)
    churn = [m.groups() for m in map(CHURN_ROW.match, read_log(r, "lookup_under_churn_benchmark.log")) if m]
    ingest = [m.groups() for m in map(INGEST_ROW.match, read_log(r, "kea_ha_ingest_benchmark.log")) if m]
    if not churn and not ingest:
        return
    w("## Control plane: lookups under churn, Kea HA ingest")
    w("")
    if churn:
        head = read_log(r, "lookup_under_churn_benchmark.log")[0]
        w(f"`bench/control/lookup_under_churn_benchmark.cc` ({head.split(': ', 1)[-1]}). One reader "
          "thread shaped like an lcore (`FindByIp` bursts of 32, QSBR quiescent after each) while the "
          "writer applies paced Kea-like updates through `Replica::Apply`. *lookups/cpu-s* divides by the "
          "reader thread's own CPU time, which the other work on this shared machine does not distort.")
        w("")
        rows = [[f"{int(u):,}", f"{int(a):,}", f"{int(l):,}", f"{v} %", f"{int(c):,}", f"{vc} %"]
                for u, a, l, v, c, vc in churn]
        w(table(["updates/s asked", "updates/s achieved", "lookups/s (wall)", "vs idle", "lookups/cpu-s",
                 "vs idle"], rows))
        w("")
        top = max(churn, key=lambda x: int(x[0]))
        wall, cpu = float(top[3]), float(top[5])
        verdict = "met" if cpu >= 90 else "**missed**"
        w(f"Goal (issue: lookup rate within 10 % of idle while the writer applies 100,000 updates/s): at "
          f"{int(top[0]):,} updates/s asked ({int(top[1]):,} achieved) the reader keeps {cpu:.1f} % of its idle "
          f"rate per CPU-second ({verdict}) and {wall:.1f} % by wall clock (reader and writer share the "
          "2 vCPUs with other work, so the wall figure includes time the reader was descheduled).")
        w("")
    if ingest:
        head = read_log(r, "kea_ha_ingest_benchmark.log")[0]
        w(f"`bench/control/kea_ha_ingest_benchmark.cc` ({head.split(': ', 1)[-1]}): real HTTP/1.1 "
          "`lease4-update` commands (Kea 2.2's exact JSON) over loopback keep-alive connections to lqd's "
          "ingest endpoint; *window* is the number of requests a connection keeps outstanding "
          "(pipelined). *handler-only* is the command parser and replica without HTTP; *memory* has no "
          "state directory; *journal* appends to the journal and never fsyncs (what "
          "`journal-fsync: interval` does between its periodic fsyncs); *journal+fsync* is "
          "`journal-fsync: always`, the default.")
        w("")
        rows = [[mode, conns, win, f"{int(rate):,}", p50, p99, fs, cpu, failed]
                for mode, conns, win, rate, p50, p99, fs, cpu, failed in ingest]
        w(table(["mode", "conns", "window", "updates/s", "p50 us", "p99 us", "fsyncs/s", "server CPU us/update",
                 "failed"], rows))
        w("")
        best, kea = ingest_best(ingest)
        w("Goal (issue: at least 100,000 Kea HA updates/s over HTTP): best per mode " +
          ", ".join(f"{m} {v:,}/s ({'met' if v >= 100_000 else 'missed'})" for m, v in best.items()) +
          ". With one request in flight per connection, as Kea's HA client sends them (one connection, or "
          "one per `http-client-threads`): " +
          ", ".join(f"{m} {v:,}/s with {c} connections ({'met' if v >= 100_000 else 'missed'})"
                    for m, (v, c) in kea.items()) +
          ". With `journal-fsync: always` every acknowledgement waits for an fsync (group-committed per "
          "poll), so the rate is bounded by fsyncs/s times the updates each fsync covers; "
          "`journal-fsync: interval` acknowledges before the fsync (see docs/configuration.md).")
        w("")


def build(r, md_path, img_dir, images):
    m = r.meta
    E = lambda n, k: r.get("engine", f"BM_EngineEndToEnd/leases:{n}/regime:{k}")
    S = lambda name, n: r.get("store", f"BM_{name}/{n}")
    H = lambda name, n: r.get("rte_hash", f"BM_{name}/{n}")
    reps = r.reps
    img_rel = os.path.relpath(img_dir, os.path.dirname(os.path.abspath(md_path)) or ".")
    big = max([n for n in SIZES if E(n, 0)] or [0])
    summary = []
    L = []
    w = L.append

    w("# lqd performance")
    w("")
    w(f"Generated by `scripts/bench_report.py` from benchmark run `{m['run_id']}` "
      f"(`{m['command']}`). Every number below is read from that run's JSON; do not edit by "
      "hand, rerun `scripts/bench.sh` instead.")
    w("")
    w("## The run")
    w("")
    dirty = m.get("dirty_files") or []
    commit = f"`{m['commit']}`" + (f" plus {len(dirty)} uncommitted tracked file(s) in the work tree "
                                   f"({', '.join(x.split()[-1] for x in dirty[:12])}{', ...' if len(dirty) > 12 else ''})"
                                   if dirty else "")
    w(table(["", ""], [
        ["date", m["date_utc"]],
        ["commit", commit],
        ["command", f"`{m['command']}`" + (" (quick: 1 repetition, no 10 M cases)" if m["quick"] else "")],
        ["run", f"`{m['results_dir']}` (JSON per binary, console logs, meta.json, profile/), {m['duration_s']} s of benchmarks"],
        ["repetitions", f"{reps} per benchmark; figures are the median, spread in parentheses is min..max"],
        ["machine", f"{m['cpu_model']} ({m['hypervisor'] or 'bare metal'} guest), {m['sockets']} socket x "
                    f"{m['cores_per_socket']} cores x {m['threads_per_core']} thread, `nproc` = {m['nproc']}, "
                    f"L2 {m['l2']}, L3 {m['l3']}, {m['mem']} RAM; TSC {r.mhz:.0f} MHz"],
        ["software", f"Linux {m['kernel']}; {m['compiler']}; meson {m.get('build', 'buildtype=release')} "
                     f"(-march=x86-64-v2); transparent hugepages: {m.get('thp', '?')}"],
        ["load", f"load average {m['loadavg_start']} at start, {m['loadavg_end']} at end; all CPUs "
                 f"{m['cpu_busy_pct']} % busy during the run (this run alone can keep one of {m['nproc']} busy), "
                 f"steal {m['cpu_steal_pct']} %"],
    ]))
    w("")
    w("How to read: rates are Google benchmark's `items_per_second`, computed from the benchmark thread's "
      "CPU time, so they are **per core**; the machine is a 2-vCPU VM shared with other engineers' builds "
      "and tests, so wall-clock rates (the *wall* columns) are lower and absolute numbers drift from run to "
      "run. Ratios between benchmarks of the same run are the reliable part. Cycles are ns x the nominal "
      f"TSC clock ({r.mhz / 1e3:.2f} GHz); the VM exposes no PMU counters (`perf stat -e cycles` is not "
      "supported), so cache misses are inferred from timings, not counted.")
    w("")
    if r.errors:
        w("**Benchmarks that reported errors:** " + "; ".join(r.errors))
        w("")

    # ---- goals
    w("## Goals")
    w("")
    rows = []
    eng_big = {k: E(big, k) for k in REGIMES} if big else {}
    if eng_big and all(eng_big.values()):
        worst = min(eng_big.values(), key=lambda s: s.rate)
        best = max(eng_big.values(), key=lambda s: s.rate)
        met = worst.rate >= GOAL_ENGINE_QPS
        lc = math.ceil(GOAL_ENGINE_QPS / worst.rate)
        rows.append([f"engine end to end at {human(GOAL_LEASES)} leases, one core",
                     f"{GOAL_ENGINE_QPS / 1e6:g} M queries/s",
                     " / ".join(f"{REGIMES[k]} {mops(s)}" for k, s in eng_big.items()) +
                     ("" if big == GOAL_LEASES else f" (at {human(big)}: no 10 M case in this run)"),
                     ("met" if met else f"**missed**: {100 * worst.rate / GOAL_ENGINE_QPS:.0f}..{100 * best.rate / GOAL_ENGINE_QPS:.0f} % of "
                      f"the goal per core; {lc} lcores would reach it at this per-query cost (derived, "
                      "assumes linear scaling)")])
        summary.append(f"engine @{human(big)} leases, Mqps/core: " +
                       ", ".join(f"{REGIMES[k]} {mops(s)}" for k, s in eng_big.items()) +
                       f" -> goal 10 M/s {'met' if met else f'MISSED ({100 * worst.rate / GOAL_ENGINE_QPS:.0f}-{100 * best.rate / GOAL_ENGINE_QPS:.0f} %); >= {lc} lcores needed (derived)'}")
    bpl_n = max([n for n in SIZES if S("FindByIp", n) and "bytes_per_lease" in S("FindByIp", n).counters] or [0])
    if bpl_n:
        bpl = S("FindByIp", bpl_n).counters["bytes_per_lease"][0]
        ok = bpl < GOAL_BYTES_PER_LEASE
        rows.append([f"memory per lease at {human(bpl_n)} (records + 3 indexes + groups, `LeaseStore::Stats`)",
                     f"< {GOAL_BYTES_PER_LEASE} B", f"{bpl:.1f} B", "met" if ok else "**missed**"])
        summary.append(f"bytes/lease @{human(bpl_n)}: {bpl:.1f} (goal < {GOAL_BYTES_PER_LEASE}: {'met' if ok else 'MISSED'})")
    bl = [(n, S("BulkLoad", f"{n}/iterations:1/real_time")) for n in (1_000_000, 10_000_000)]
    bl = [(n, s) for n, s in bl if s]

    def mib_of(n):
        s = S("BulkLoad", f"{n}/iterations:1/real_time")
        return s.counters["MiB"][0] if s and "MiB" in s.counters else None
    if bl:
        n, s = bl[-1]
        rows.append([f"bulk load of {human(n)} realistic leases (`BulkLoad`, TBB on {m['nproc']} cores, wall time)",
                     "(none set)", f"{s.real_s[0]:.2f} s" + (f" ({s.real_s[1]:.2f}..{s.real_s[2]:.2f})" if s.n > 1 else ""),
                     f"{n / s.real_s[0] / 1e6:.2f} M leases/s"])
        summary.append(f"bulk load {human(n)}: {s.real_s[0]:.2f} s" +
                       (f" ({s.real_s[1]:.2f}..{s.real_s[2]:.2f})" if s.n > 1 else ""))
    for port, d in (("ring", r.dataplane), ("memif", r.dataplane_memif)):
        dp = dp_summary(d)
        if not dp:
            continue
        bm = dp["busy_ratio"][0] >= GOAL_DP_RATIO
        rows.append([f"dataplane: real lcore loop / MAC-swap ceiling, same {port} port and run (1 lcore)",
                     f">= {GOAL_DP_RATIO}",
                     f"{_fr(dp['busy_ratio'], 1, '{:.3f}')} by on-CPU cycles per frame "
                     f"({dp['lqd_busy'][0]:.0f} vs {dp['macswap_busy'][0]:.0f}); {_fr(dp['ratio'], 1, '{:.3f}')} by wall rate",
                     "met" if bm else f"**missed**: lqd's loop keeps {100 * dp['busy_ratio'][0]:.1f} % of the {port}-port "
                     "I/O ceiling; lqd's per-query work dominates"
                     + (f"; MAC-swap plus lqd's checksum work alone keeps {100 * dp['cksum_floor_ceiling'][0]:.1f} %"
                        if dp.get("cksum_floor_ceiling") else "")])
        summary.append(f"dataplane ({port}) lqd/macswap: on-CPU {_fr(dp['busy_ratio'], 1, '{:.3f}')} "
                       f"({dp['lqd_busy'][0]:.0f} vs {dp['macswap_busy'][0]:.0f} cyc/frame), wall {_fr(dp['ratio'], 1, '{:.3f}')} "
                       f"(lqd {dp['lqd'][0] / 1e6:.3f} Mreplies/s wall) -> goal >= {GOAL_DP_RATIO} {'met' if bm else 'MISSED'}")
    st = storm_summary(r.storm)
    if st and st.get("closed_ratio"):
        rows.append(["storm: lqd / ISC dhcpd answered queries/s (lq-storm, closed loop, kernel veth path)",
                     f">= {GOAL_STORM_RATIO}x", f"{st['closed_ratio']:.1f}x",
                     "met" if st["closed_ratio"] >= GOAL_STORM_RATIO else "**missed**"])
        summary.append(f"storm lqd/dhcpd answered rate: closed {st['closed_ratio']:.1f}x"
                       + (f", burst {st['burst_ratio']:.1f}x" if st.get("burst_ratio") else "")
                       + f"; burst loss lqd {st['lqd_burst_loss']}, dhcpd {st['dhcpd_burst_loss']}")
    if st and st.get("burst_ratio") is not None:
        rows.append([f"storm: {r.storm['burst_queries']:,}-query burst (open loop), loss",
                     "lqd 0 where dhcpd mostly drops", f"lqd {st['lqd_burst_loss']}, dhcpd {st['dhcpd_burst_loss']}",
                     "met" if st["lqd_burst_lost"] == 0 and st["dhcpd_burst_lossfrac"] > 0.5 else
                     ("lqd lossless, dhcpd did not drop most" if st["lqd_burst_lost"] == 0 else "**missed**")])
    rows += control_goal_rows(r)
    w(table(["goal", "target", "measured", "status"], rows))
    w("")

    # ---- lookups
    w("## Lookups: lease store vs DPDK rte_hash")
    w("")
    w("`bench/lease-store/lease_store_benchmark.cc` against `rte_hash_baseline_benchmark.cc`: the same "
      "keys (n leases at 10.0.0.0 + i), the same fixed pseudo-random query order (all hits, "
      "`bench_keys.h`), and every lookup reads one field of the record. rte_hash is DPDK 22.11's "
      "`RW_CONCURRENCY_LF | EXT_TABLE` table with 4-byte keys and a pointer to a 112-byte malloc'd "
      "record; the store is `LeaseStore::FindByIp` / `FindByIpBatch` (32 keys, prefetching in groups of "
      "16) over realistic 99-byte records. Ratio = store rate / rte_hash rate (> 1: the store is faster); "
      "its range pairs the extreme repetitions. M lookups/s per core, ns per lookup, cycles at the TSC clock.")
    w("")
    rows = []
    for n in SIZES:
        a, b, c, d = S("FindByIp", n), H("RteHashLookup", n), S("FindByIpBatch", n), H("RteHashLookupBulk", n)
        if not any((a, b, c, d)):
            continue
        rows.append([human(n), mops(a), f"{nsop(a)} / {cycles(r, a)}", mops(b), f"{nsop(b)} / {cycles(r, b)}",
                     f"**{fratio(ratio(a, b), reps)}**", mops(c), f"{nsop(c)} / {cycles(r, c)}", mops(d),
                     f"{nsop(d)} / {cycles(r, d)}", f"**{fratio(ratio(c, d), reps)}**"])
    w(table(["leases", "store single M/s", "ns / cyc", "rte_hash single M/s", "ns / cyc", "single ratio",
             "store batch-32 M/s", "ns / cyc", "rte_hash bulk-32 M/s", "ns / cyc", "batch ratio"], rows))
    w("")
    parts = []
    for n in (1_000_000, 10_000_000):
        a, b, c, d = S("FindByIp", n), H("RteHashLookup", n), S("FindByIpBatch", n), H("RteHashLookupBulk", n)
        if a and b:
            parts.append(f"{human(n)}: single {fratio(ratio(a, b), reps)}, batch/bulk {fratio(ratio(c, d), reps)}")
    if parts:
        summary.append("store FindByIp / rte_hash: " + "; ".join(parts))
    if "lookup_rate.png" in images:
        w(f"![lookup rate vs lease count]({img_rel}/lookup_rate.png)")
        w("")
    a1, a10 = S("FindByIp", 1_000_000), S("FindByIp", 10_000_000)
    h1, h10 = H("RteHashLookup", 1_000_000), H("RteHashLookup", 10_000_000)
    if a1 and a10 and h1 and h10:
        hb1, hb10 = H("RteHashLookupBulk", 1_000_000), H("RteHashLookupBulk", 10_000_000)
        cyc = lambda x: x.ns * r.mhz / 1e3
        w(f"Going from 1 M to 10 M leases costs the store {a10.ns / a1.ns:.2f}x per single lookup and rte_hash "
          f"{h10.ns / h1.ns:.2f}x. For reference, `shared/reference/dpdk-anchors.md` section 2.2 measured "
          "rte_hash (same flags, 4-byte keys, a different shared 2-vCPU VM: Intel, 2.6 GHz TSC) at 205 cycles "
          "single / 80 bulk-32 on a 1 M-slot table and 536 / 245 on 8 M slots (7.5 M keys), 2.6-3x more for the "
          f"larger table. This run's rte_hash costs {cyc(h1):.0f} / {cyc(hb1):.0f} cycles at 1 M and "
          f"{cyc(h10):.0f} / {cyc(hb10):.0f} at 10 M (TSC cycles; its table is sized n x 1.25 rounded up to a "
          "power of two, i.e. 2 M and 16 M slots): the absolute figures on this busy VM are far off the "
          "reference's, which is why this page compares ratios within one run.")
        w("")
    rows = []
    for name, what in (("FindByHwAddr", "by MAC (group view, reads m[0])"),
                       ("FindByClientId", "by client-id (7 bytes, group view)")):
        for n in SIZES:
            s = S(name, n)
            if s:
                rows.append([f"`{name}`", what, human(n), mops(s), nsop(s), cycles(r, s), f3(s.wall_ns)])
    s = r.get("store", "BM_IsAuthoritative/4096")
    if s:
        rows.append(["`IsAuthoritative`", "IP in one of 4096 ranges", "-", mops(s), nsop(s), cycles(r, s), f3(s.wall_ns)])
    if rows:
        w("Other store lookups (no rte_hash counterpart):")
        w("")
        w(table(["call", "key", "leases", "M/s per core", "ns", "cycles", "wall ns"], rows))
        w("")

    # ---- engine
    w("## Engine end to end")
    w("")
    w("`bench/engine/query_engine_benchmark.cc`: one core runs `dhcp::ParseMessage` on the query bytes, "
      "`QueryEngine::Answer` (RFC 4388 rules, one store lookup, DHCPLEASEACTIVE built into a 1500-byte "
      "buffer) and a QSBR quiescent state every 32 queries. The queries are 65,536 pre-built "
      "leasequeries for random leases, cycled; option 55 asks for 51, 58, 59, 61, 82, 91. No packet I/O: "
      "RX/TX, mbufs and the Ethernet/IP/UDP headers cost extra on a real lcore.")
    w("")
    rows = []
    for n in SIZES:
        for k in REGIMES:
            s = E(n, k)
            if s:
                rows.append([human(n), REGIMES[k], mops(s), nsop(s), cycles(r, s), f3(s.wall_ns),
                             f"{100 * s.rate / GOAL_ENGINE_QPS:.0f} %"])
    w(table(["leases", "regime", "M queries/s per core", "ns / query", "cycles", "wall ns", "of 10 M/s goal"], rows))
    w("")
    if "engine_rate.png" in images:
        w(f"![engine rate per regime vs lease count]({img_rel}/engine_rate.png)")
        w("")
    burst_section(r, w)

    dataplane_section(r, w)
    storm_section(r, w)
    control_section(r, w)

    # ---- line rate
    if eng_big and all(eng_big.values()):
        w("## Line-rate context (derived)")
        w("")
        burst = {k: r.get("engine", f"BM_EngineBurst/leases:{big}/regime:{k}/store_prefetch:1") for k in REGIMES}
        lr = {k: burst[k] or eng_big[k] for k in REGIMES}
        w(f"A {FRAME_BYTES}-byte leasequery frame (300-byte BOOTP payload; 366 bytes on the wire with FCS, "
          "preamble and gap) arrives at most at the rates below (`shared/reference/dpdk-anchors.md` "
          f"section 3.1). Lcores needed = rate / measured per-core engine rate at {human(big)} leases "
          + ("(the burst path with lease prefetch, `BM_EngineBurst`, as the lcore loop runs it), "
             if all(burst.values()) else "") +
          "rounded up. **Derived, not measured**: it assumes lcores scale linearly (readers share nothing "
          "writable but their own QSBR line; not testable on 2 vCPUs) and it leaves out packet I/O, so it "
          "is a lower bound.")
        w("")
        rows = []
        lc_sum = []
        for name, mpps in LINE_RATES:
            cells = [name, f"{mpps} Mpps", f"{1e3 / mpps:.0f} ns"]
            for k in REGIMES:
                cells.append(str(math.ceil(mpps * 1e6 / lr[k].rate)))
            rows.append(cells)
            lc_sum.append(f"{name} {mpps} Mpps -> " + "/".join(str(math.ceil(mpps * 1e6 / lr[k].rate)) for k in REGIMES))
        w(table(["link", "frames/s", "time per frame"] + [f"lcores, {REGIMES[k]}" for k in REGIMES], rows))
        w("")
        summary.append(f"line rate ({FRAME_BYTES}-B frames), lcores by-ip/by-mac/by-cid (derived): " + "; ".join(lc_sum))

    # ---- memory / bulk load
    w("## Memory and bulk load")
    w("")
    rows = []
    for n in SIZES:
        s = S("FindByIp", n)
        h = H("RteHashLookup", n)
        if s and "bytes_per_lease" in s.counters:
            rows.append([human(n), f"{s.counters['bytes_per_lease'][0]:.1f}",
                         f"{h.counters['index_bytes_per_key'][0]:.1f}" if h and "index_bytes_per_key" in h.counters else "n/a"])
    w(table(["leases", "store: B per lease, all (records + 3 indexes + groups)",
             "rte_hash: B per key, one IP index only (record not included)"], rows))
    w("")
    w(f"Goal: < {GOAL_BYTES_PER_LEASE} B per lease. The store's record is also its key store; rte_hash "
      "needs its own key store plus the 112-byte record (not counted in its column) and one table per key kind.")
    w("")
    rows = []
    for n, s in bl:
        rows.append([human(n), f"{s.real_s[0]:.2f}" + (f" ({s.real_s[1]:.2f}..{s.real_s[2]:.2f})" if s.n > 1 else ""),
                     f"{n / s.real_s[0] / 1e6:.2f}",
                     f"{s.counters['MiB'][0]:.0f}" if "MiB" in s.counters else "n/a"])
    if rows:
        w("`LeaseStore::BulkLoad` into an empty store (wall time; TBB on all cores; lease generation not timed):")
        w("")
        w(table(["leases", "seconds", "M leases/s", "MiB (records + indexes)"], rows))
        w("")

    # ---- codec
    rows = []
    for name, what in (("BM_ParseLeaseQueryByIp", "parse a leasequery by IP"),
                       ("BM_ParseLeaseQueryWithRai", "parse + option 82 + relay port"),
                       ("BM_BuildLeaseActive", "build a full DHCPLEASEACTIVE")):
        s = r.get("message", name)
        if s:
            rows.append([f"`{name}`", what, mops(s), nsop(s), cycles(r, s)])
    if rows:
        w("## Codec")
        w("")
        w(table(["benchmark", "what", "M/s per core", "ns", "cycles"], rows))
        w("")

    # ---- misses
    w("## Where goals are missed, and why")
    w("")
    if eng_big and all(eng_big.values()):
        worst = min(eng_big.values(), key=lambda s: s.rate)
        small = {k: E(10_000, k) for k in REGIMES}
        if worst.rate < GOAL_ENGINE_QPS:
            w(f"- **Engine: {f3(worst.rate / 1e6)}..{f3(max(s.rate for s in eng_big.values()) / 1e6)} M queries/s per "
              f"core at {human(big)} leases against 10 M/s.** One query costs {f3(min(s.ns for s in eng_big.values()))}.."
              f"{f3(max(s.ns for s in eng_big.values()))} ns; 10 M/s on one core would allow 100 ns "
              f"({100 * r.mhz / 1e3:.0f} cycles at {r.mhz / 1e3:.2f} GHz).")
            if all(small.values()):
                fl = min(s.ns for s in small.values())
                w(f"  - Even at 10 k leases, where everything is cache-resident, a query costs "
                  f"{f3(fl)}..{f3(max(s.ns for s in small.values()))} ns: that is the instruction cost of parse + "
                  "rules + reply build (see Hot spots), a ceiling of "
                  f"{f3(1e3 / fl)} M queries/s per core before any cache miss.")
                w(f"  - From 10 k to {human(big)} leases the cost grows by "
                  + ", ".join(f"{REGIMES[k]} {f3(eng_big[k].ns - small[k].ns)} ns" for k in REGIMES)
                  + ": the store lookup's cache and TLB misses. At this size the store "
                  + (f"({mib_of(big):.0f} MiB of records and indexes) " if mib_of(big) else "")
                  + f"dwarfs the {m['l3']} L3; a lookup is a dependent chain of "
                  "two misses, the index slot and then the record it points to (lease-store/lease_store.h "
                  "section 1), and a MAC or client-id lookup confirms against the record the same way.")
            a, c = S("FindByIp", big), S("FindByIpBatch", big)
            cg0 = parse_callgrind(os.path.join(r.dir, "profile"), 0)
            if a and small.get(0) and eng_big[0].ns - small[0].ns > a.ns:
                w(f"  - By IP the engine pays {f3(eng_big[0].ns - small[0].ns)} ns more per query at {human(big)} "
                  f"than at 10 k, while the `FindByIp` micro-benchmark costs {f3(a.ns)} ns per lookup at "
                  f"{human(big)}. The micro-benchmark's lookups are independent, so the out-of-order core overlaps "
                  "the misses of consecutive lookups; in the engine each lookup sits among "
                  + (f"~{cg0['total'] / cg0['queries']:.0f} instructions (callgrind, below) "
                     if cg0 else "the parse/rules/build instructions ")
                  + "of one query, more than the reorder window holds, so the misses are paid one after "
                  "the other (likely explanation; the VM gives no PMU counters to confirm it).")
            if a and c:
                w(f"  - `QueryEngine::Answer` (engine/query_engine.cc) looks up one query at a time. Where lookups "
                  f"do overlap, {human(big)} leases cost {nsop(a)} ns per single `FindByIp` and {nsop(c)} ns per "
                  "lookup in `FindByIpBatch` (hash and prefetch 16 at a time).")
                bo = r.get("engine", f"BM_EngineBurst/leases:{big}/regime:0/store_prefetch:0")
                bp = r.get("engine", f"BM_EngineBurst/leases:{big}/regime:0/store_prefetch:1")
                if bo and bp:
                    w(f"  - What was done: `QueryEngine::Prefetch` (index slots of a whole burst, then their "
                      "records) before answering, which the lcore loop now runs on every RX burst: at "
                      f"{human(big)} leases by IP {mops(bo)} -> {mops(bp)} M queries/s per core "
                      f"({fratio(ratio(bp, bo), r.reps)}, `BM_EngineBurst`, same run). What remains is compute "
                      "(parse, rules, option-by-option building; see Hot spots).")
            fl = min(s.ns for s in small.values()) if all(small.values()) else None
            w(f"  - The machine: a shared {m['nproc']}-vCPU KVM guest at a nominal {r.mhz / 1e3:.2f} GHz, "
              f"other engineers' builds running (load {m['loadavg_start']} -> {m['loadavg_end']}), records in "
              "tbbmalloc memory that is not madvised for huge pages, only the index tables are "
              "(lease-store/lease_store.h section 6; the reference measured ~20 % from 2 MB hugepages on rte_hash, dpdk-anchors "
              "section 2.2). A dedicated, faster core would do better"
              + (f", but even scaled to 3 GHz the 10 k floor is ~{f3(fl * r.mhz / 3000)} ns per query, "
                 "well above the 100 ns that 10 M/s per core allows: one core cannot reach the goal with "
                 "today's per-query instruction count; several lcores can (see Line-rate context)."
                 if fl else "."))
        else:
            w("- Engine goal met in this run.")
    else:
        w("- No 10 M-lease engine figures in this run (quick mode); run the full `scripts/bench.sh`.")
    if bpl_n:
        bpl = S("FindByIp", bpl_n).counters["bytes_per_lease"][0]
        w(f"- Memory per lease: {bpl:.1f} B at {human(bpl_n)}, " +
          ("within the 200 B goal." if bpl < GOAL_BYTES_PER_LEASE else "**over the 200 B goal.**"))
    w("")

    # ---- hot spots
    prof = os.path.join(r.dir, "profile")
    cg = {k: parse_callgrind(prof, k) for k in REGIMES} if os.path.isdir(prof) else {}
    perf = parse_perf(prof) if os.path.isdir(prof) else None
    if any(cg.values()) or perf:
        w("## Hot spots (profile of the engine benchmark, same build)")
        w("")
        if any(cg.values()):
            w("**Instructions per query at 10 k leases** (`valgrind --tool=callgrind`, collecting only inside "
              "`dhcp::ParseMessage` and `QueryEngine::Answer`; exclusive instructions per query, by the "
              "source file they come from: `MessageBuilder`'s inline `Add*()` count as reply building "
              "wherever they were inlined). At 10 k leases nothing misses the cache, so this is the "
              "instruction floor:")
            w("")
            cats = sorted({c for v in cg.values() if v for c in v["cats"]})
            rows = []
            for c in cats:
                rows.append([c] + [f"{v['cats'].get(c, 0) / v['queries']:.0f} ({100 * v['cats'].get(c, 0) / v['total']:.0f} %)"
                                   if v else "n/a" for v in cg.values()])
            rows.append(["**total**"] + [f"**{v['total'] / v['queries']:.0f}**" if v else "n/a" for v in cg.values()])
            w(table(["part"] + [REGIMES[k] for k in REGIMES], rows))
            w("")
            v = cg[0] or next(x for x in cg.values() if x)
            top = sorted(v["funcs"].items(), key=lambda kv: -kv[1])[:10]
            w(f"Top functions, {REGIMES[0] if cg[0] else 'first profiled regime'} (instructions per query, exclusive; inlined code counted in the function it ran in):")
            w("")
            w(table(["function", "instr / query", "share"],
                    [[f"`{fn}`", f"{ir / v['queries']:.0f}", f"{100 * ir / v['total']:.0f} %"] for fn, ir in top]))
            w("")
        if perf:
            top = [p for p in perf if p[0] >= 0.5][:12]
            look = sum(p[0] for p in perf if "LeaseStore::Find" in p[2])
            w(f"**Where the time goes at 1 M leases** (`perf record -e cpu-clock`, software clock since the VM has no "
              f"PMU; all three regimes in one recording, store build included): the three `LeaseStore::Find*` "
              f"functions take **{look:.0f} %** of the samples.")
            w("")
            w(table(["samples", "symbol"], [[f"{p[0]:.1f} %", f"`{p[2][:90]}`"] for p in top]))
            w("")
            ann_rows = []
            for fn in ("FindByIp", "FindByHwAddr", "FindByClientId"):
                a = parse_annotate(prof, fn)
                if a:
                    for pct, prev, src in a:
                        ann_rows.append([f"`LeaseStore::{fn}`", f"{pct:.0f} %", f"`{prev}`",
                                         f"`{src[:70]}`" if src else "n/a (build without -g)"])
            if ann_rows:
                w("Inside each lookup (`perf annotate`; a sample lands on the instruction *after* the load it "
                  "waits for, so the load is shown):")
                w("")
                w(table(["function", "share of its samples", "instruction before the sample (the load)", "source line at the sample"], ann_rows))
                w("")
        w("Reading: at 10 k leases the cost is spread over parsing, the rules in `QueryEngine::Answer` and "
          "option-by-option reply building (`MessageBuilder`'s `Add*()` are inline, each with its own bounds "
          "check; `SetHeader` and `Finish` zero-fill the 236-byte header and pad to 300 bytes) with no single "
          "dominant function; `ParsedMessage::Find` answers an absent code from a presence mask and scans the "
          "handful of parsed options for a present one. At 1 M leases and beyond the store lookups dominate, "
          "and their samples sit on the index-slot load and the first read of the record (the confirm in "
          "`Match`): two dependent cache misses per query, which `BM_EngineEndToEnd` (one query at a time) "
          "pays in full and the burst path (`BM_EngineBurst` with prefetch, the lcore loop) overlaps. Files: engine/query_engine.cc (`QueryEngine::Answer`), dhcp/message.cc "
          "(`ParseMessage`, `ParsedMessage::Find`), dhcp/message_builder.h, lease-store/lease_store.cc "
          "(`Index::Find`, `IpTraits::Match`).")
        w("")
        w("Profile commands (run by `scripts/bench.sh`, outputs in the run's `profile/`):")
        w("")
        w("```sh")
        w("valgrind --tool=callgrind '--toggle-collect=lqd::QueryEngine::Answer*' '--toggle-collect=lqd::dhcp::ParseMessage*' \\")
        w("  build-rel/bench/engine/query_engine_benchmark --benchmark_filter='leases:10000/regime:0$' --benchmark_min_time=0.2")
        w("perf record -e cpu-clock -F 2999 build-rel/bench/engine/query_engine_benchmark \\")
        w("  --benchmark_filter='leases:1000000/' --benchmark_min_time=2")
        w("perf annotate --stdio -s lqd::LeaseStore::FindByIp")
        w("```")
        w("")

    # ---- drift between full runs kept in the same results directory
    parent = os.path.dirname(os.path.abspath(r.dir))
    others = []
    for d in sorted(os.listdir(parent)):
        p = os.path.join(parent, d)
        try:
            mm = json.load(open(os.path.join(p, "meta.json")))
        except (OSError, ValueError):
            continue
        if mm.get("quick") or not os.path.exists(os.path.join(p, "engine.json")):
            continue
        try:
            o = r if os.path.abspath(p) == os.path.abspath(r.dir) else Results(p)
        except Exception:
            continue
        e = [o.get("engine", f"BM_EngineEndToEnd/leases:10000000/regime:{k}") for k in REGIMES]
        a, b = o.get("store", "BM_FindByIp/10000000"), o.get("rte_hash", "BM_RteHashLookup/10000000")
        c, dd = o.get("store", "BM_FindByIpBatch/10000000"), o.get("rte_hash", "BM_RteHashLookupBulk/10000000")
        if not all(e) or not a:
            continue
        others.append([f"`{mm['run_id']}`" + (" (this page)" if o is r else ""), f"`{mm['commit']}`",
                       mm["loadavg_start"].split()[0]] + [f3(x.rate / 1e6) for x in e] +
                      [f3(a.ns), fratio(ratio(a, b)), fratio(ratio(c, dd))])
    if len(others) > 1:
        w("## Drift between full runs")
        w("")
        w("Medians of the other full runs found next to this one (same machine, minutes to hours apart, "
          "different background load; a run made from a dirty work tree may also differ in benchmark code, "
          "see its meta.json). The spread between runs is the honest error bar for absolute figures.")
        w("")
        w(table(["run", "commit", "load at start", "engine 10 M by-ip Mq/s", "by-mac", "by-client-id",
                 "FindByIp 10 M ns", "store/rte_hash single 10 M", "batch/bulk 10 M"], others))
        w("")

    w("## Reproduce")
    w("")
    w("```sh")
    w("scripts/bench.sh           # full: 3 repetitions, 10 k..10 M leases, profile; rewrites this file and docs/img/")
    w("scripts/bench.sh --quick   # < 5 min: 1 repetition, no 10 M cases; report goes to the run directory")
    w("```")
    w("")
    w("Side-by-side measurements of individual changes (old build against new build, same files, same "
      "session) are kept by hand in `docs/performance-history.md`; a regeneration of this page does not touch them.")
    w("")
    w("The 10 M-lease cases need several GiB of RAM and ~15 s per store build. Raw results: "
      "`<build>/bench-results/<run>/{message,store,rte_hash,engine,classify,dataplane,dataplane_memif,storm}.json`. "
      "`LQD_BENCH_BUILD=dir LQD_BENCH_JOBS=1 scripts/bench.sh` uses another build directory and fewer jobs.")
    w("")
    os.makedirs(os.path.dirname(os.path.abspath(md_path)), exist_ok=True)
    with open(md_path, "w") as f:
        f.write("\n".join(L))
    return summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--img", required=True)
    a = ap.parse_args()
    r = Results(a.results)
    if not r.files:
        sys.exit(f"bench_report: no benchmark JSON in {a.results}")
    images = plot(r, a.img)
    summary = build(r, a.md, a.img, images)
    m = r.meta
    print(f"bench: run {m['run_id']} ({'quick' if m['quick'] else 'full'}, {r.reps} rep), commit {m['commit']}"
          f"{' +dirty' if m.get('dirty_files') else ''}, {m['cpu_model']} x{m['nproc']}, "
          f"load {m['loadavg_start'].split()[0]} -> {m['loadavg_end'].split()[0]}, busy {m['cpu_busy_pct']} %")
    for s in summary:
        print("  " + s)
    if r.errors:
        print("  ERRORS: " + "; ".join(r.errors))
    print("  wrote " + ", ".join([a.md] + [os.path.join(a.img, i) for i in images]))
    return 1 if r.errors else 0


if __name__ == "__main__":
    sys.exit(main())
