#!/usr/bin/env bash
# Runs every lqd benchmark from a release build and writes the report.
#
#   scripts/bench.sh           full run: 3 repetitions, 10 k .. 10 M leases,
#                              profile of the engine; writes docs/performance.md
#                              and docs/img/*.png (several GB of RAM, ~10 min)
#   scripts/bench.sh --quick   1 repetition, no 10 M-lease cases, short
#                              min_time, no profile, no storm (< 5 min); writes
#                              the report into the run directory, not docs/
#
# Both modes also run bench/dataplane/lcore_loop_benchmark (the real lcore
# loop vs a MAC-swap forwarder, on a ring port: dataplane.json, and on a
# memif pair: dataplane_memif.json); full runs add
# scripts/storm_bench.sh (lq-storm against lqd and ISC dhcpd, storm.json;
# root, network namespaces).
#
# Steps: scripts/install-deps.sh; configure build-rel (--buildtype=release,
# plus -g so perf/callgrind can name source lines; -g does not change code);
# build the four benchmark binaries; run each with JSON output into
# build-rel/bench-results/<UTC timestamp>/; scripts/bench_report.py turns the
# JSON into tables, plots and a summary.
#
# Repetitions use --benchmark_display_aggregates_only (console shows
# mean/median/stddev) rather than --benchmark_report_aggregates_only, which
# would also drop the individual repetitions from the JSON file; the report
# needs them for its min..max spread.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "usage: scripts/bench.sh [--quick]" >&2; exit 2 ;;
  esac
done
COMMAND="scripts/bench.sh${1:+ $*}"

scripts/install-deps.sh

# LQD_BENCH_BUILD / LQD_BENCH_JOBS / LQD_BENCH_DEBUG=0: another build
# directory / fewer ninja jobs (a machine shared with other builds) / no -g.
BUILD=${LQD_BENCH_BUILD:-build-rel}
JOBS=${LQD_BENCH_JOBS:-$(nproc)}
TARGETS=(bench/dhcp/message_benchmark bench/lease-store/lease_store_benchmark
         bench/lease-store/rte_hash_baseline_benchmark bench/engine/query_engine_benchmark
         bench/dataplane/classify_benchmark bench/dataplane/lcore_loop_benchmark dataplane/lqd
         client/lq-storm client/lq-query
         bench/control/kea_ha_ingest_benchmark bench/control/lookup_under_churn_benchmark
         bench/control/startup_load_benchmark)
if [[ -f $BUILD/build.ninja ]]; then
  meson configure "$BUILD" --buildtype=release >/dev/null
else
  meson setup "$BUILD" --buildtype=release >/dev/null
fi
# Separately: given together with --buildtype, meson lets the buildtype's
# debug=false win. Stays buildtype=release (-O3, NDEBUG).
# LQD_BENCH_DEBUG=0 keeps debug=false (no -g: saves a full rebuild of a
# release build dir; perf annotate then shows no source lines).
if [[ ${LQD_BENCH_DEBUG:-1} != 0 ]]; then meson configure "$BUILD" -Ddebug=true >/dev/null; fi
echo "== building ${TARGETS[*]} in $BUILD"
ninja -C "$BUILD" -j"$JOBS" "${TARGETS[@]}" >/dev/null \
  || { ninja -C "$BUILD" -j1 "${TARGETS[@]}" | tail -40; exit 1; }

TS=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$BUILD/bench-results/$TS
mkdir -p "$OUT"

# python3 with matplotlib: the Debian package installs into /usr/bin/python3,
# which may not be the python3 first on PATH (pyenv and the like).
PY=python3
if ! "$PY" -c 'import matplotlib' 2>/dev/null && [[ -x /usr/bin/python3 ]]; then PY=/usr/bin/python3; fi

# Machine and run metadata, plus /proc/stat before and after (steal, idle).
cpu_line() { head -1 /proc/stat; }
STAT0=$(cpu_line)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(date +%s)

if [[ $QUICK -eq 1 ]]; then
  REP=(--benchmark_repetitions=1 --benchmark_min_time=0.05)
  NO10M_STORE=(--benchmark_filter=-/10000000)   # also drops BulkLoad/10000000
  NO10M_ENGINE=(--benchmark_filter=-leases:10000000/)
else
  REP=(--benchmark_repetitions=3 --benchmark_display_aggregates_only=true --benchmark_min_time=0.5)
  NO10M_STORE=()
  NO10M_ENGINE=()
fi

# run NAME BINARY [ARGS...]: JSON to $OUT/NAME.json, console to $OUT/NAME.log.
run() {
  local name=$1 bin=$2; shift 2
  local t0=$SECONDS
  printf '== %-10s %s ... ' "$name" "$(basename "$bin")"
  if ! "$BUILD/$bin" "${REP[@]}" "$@" --benchmark_out="$OUT/$name.json" \
      --benchmark_out_format=json >"$OUT/$name.log" 2>&1; then
    echo "FAILED"; tail -20 "$OUT/$name.log"; exit 1
  fi
  echo "$((SECONDS - t0)) s"
}

run message   bench/dhcp/message_benchmark
run store     bench/lease-store/lease_store_benchmark "${NO10M_STORE[@]}"
run rte_hash  bench/lease-store/rte_hash_baseline_benchmark "${NO10M_STORE[@]}"
run engine    bench/engine/query_engine_benchmark "${NO10M_ENGINE[@]}"
run classify  bench/dataplane/classify_benchmark

# The real lcore loop vs a MAC-swap forwarder, one process, generator on
# lcore 0 / CPU 0, loop under test on lcore 1 / CPU 1; the two modes
# alternate within the run (bench/dataplane/lcore_loop_benchmark.cc). Twice:
# on a ring port (dataplane.json: I/O next to free) and on a memif pair
# (dataplane_memif.json: every frame copied into and out of shared memory).
if [[ $QUICK -eq 1 ]]; then DP=(--packets 1000000 --warmup 200000 --reps 2)
else DP=(--packets 5000000 --warmup 500000 --reps 3); fi
for port in ring memif; do
  name=dataplane; [[ $port == ring ]] || name=dataplane_$port
  printf '== %-10s %s ... ' "$name" "lcore_loop_benchmark --port $port"
  t0=$SECONDS
  rc=0
  timeout 1200 "$BUILD/bench/dataplane/lcore_loop_benchmark" "${DP[@]}" --leases 1000000 --port "$port" \
    --lcores 0@0,1@1 --json "$OUT/$name.json" >"$OUT/$name.log" 2>&1 || rc=$?
  # exit 3: ran, but a rep lost frames (the report says so); anything else failed
  if [[ $rc -ne 0 && $rc -ne 3 ]]; then echo "FAILED (exit $rc)"; tail -20 "$OUT/$name.log"; exit 1; fi
  echo "$((SECONDS - t0)) s"; grep -E 'ratio|ceiling' "$OUT/$name.log" || true
done

# Control plane (bench/control): Kea HA lease4-update ingest over HTTP on
# loopback (memory / journal / journal+fsync; 1 and 4 connections, 1 and 32
# outstanding), FindByIp at 1 M leases while the replica applies 0, 10 k and
# 100 k updates/s, and lqd's start-up load from a snapshot and from a Kea CSV
# (10 M leases, 2.5 GB of files under $TMPDIR or /tmp, removed after; 1 M
# in quick runs), and from a followed Kea CSV (1 M). Plain tables in $OUT/<name>.log, which bench_report.py
# parses.
# The same memfile followed (FileFollower's first full read, the start-up
# of a site whose only feed is the followed file) runs at 1 M leases: it
# applies lease by lease through the replica, far slower than BulkLoad.
if [[ $QUICK -eq 1 ]]; then CTL=(--quick); LOAD=(--leases 1000000 --reps 1 --only snapshot,csv)
  FOLLOW=(--leases 1000000 --reps 1 --only follow)
else CTL=(); LOAD=(--leases 10000000 --reps 2 --only snapshot,csv)
  FOLLOW=(--leases 1000000 --reps 2 --only follow); fi
for b in kea_ha_ingest_benchmark lookup_under_churn_benchmark startup_load_benchmark; do
  printf '== %-10s %s ... ' control "$b"
  t0=$SECONDS
  args=("${CTL[@]}")
  if [[ $b == startup_load_benchmark ]]; then args=("${LOAD[@]}"); fi
  rc=0
  timeout 900 "$BUILD/bench/control/$b" "${args[@]}" >"$OUT/$b.log" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then echo "FAILED (exit $rc)"; tail -20 "$OUT/$b.log"; exit 1; fi
  if [[ $b == startup_load_benchmark ]]; then
    timeout 900 "$BUILD/bench/control/$b" "${FOLLOW[@]}" >>"$OUT/$b.log" 2>&1 || rc=$?
    if [[ $rc -ne 0 ]]; then echo "FAILED (exit $rc, followed)"; tail -20 "$OUT/$b.log"; exit 1; fi
  fi
  echo "$((SECONDS - t0)) s"
done

# Storm against a real peer (full runs only): lqd on af_packet vs ISC dhcpd,
# lq-storm from another network namespace (scripts/storm_bench.sh).
if [[ $QUICK -eq 0 ]]; then
  rc=0
  scripts/storm_bench.sh "$OUT" "$BUILD" || rc=$?
  if [[ $rc -eq 77 ]]; then echo "== storm     skipped (needs root, netns, dhcpd)"
  elif [[ $rc -ne 0 ]]; then echo "== storm     FAILED (exit $rc), see $OUT/storm/"; exit 1; fi
fi

STAT1=$(cpu_line)
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
T1=$(date +%s)

# Profile of the engine (full runs only): callgrind instruction counts per
# query at 10 k leases (everything cache-resident), and perf cpu-clock
# samples at 1 M leases (lookups miss the cache). bench_report.py reads them.
if [[ $QUICK -eq 0 ]]; then
  ENGINE=$BUILD/bench/engine/query_engine_benchmark
  mkdir -p "$OUT/profile"
  if command -v valgrind >/dev/null; then
    for r in 0 1 2; do
      printf '== profile   callgrind leases:10000/regime:%s ... ' "$r"
      valgrind --tool=callgrind --callgrind-out-file="$OUT/profile/callgrind.10k.$r.out" \
        '--toggle-collect=lqd::QueryEngine::Answer*' '--toggle-collect=lqd::dhcp::ParseMessage*' \
        "$ENGINE" --benchmark_filter="leases:10000/regime:$r\$" --benchmark_min_time=0.2 \
        >"$OUT/profile/callgrind.10k.$r.log" 2>&1 && echo ok || echo "failed (skipped)"
      callgrind_annotate "$OUT/profile/callgrind.10k.$r.out" >"$OUT/profile/callgrind.10k.$r.txt" 2>/dev/null || true
    done
  fi
  if command -v perf >/dev/null; then
    printf '== profile   perf cpu-clock leases:1000000 ... '
    if perf record -q -e cpu-clock -F 2999 -o "$OUT/profile/perf.1m.data" "$ENGINE" \
        --benchmark_filter='leases:1000000/' --benchmark_min_time=2 >"$OUT/profile/perf.1m.log" 2>&1; then
      perf report -i "$OUT/profile/perf.1m.data" --no-children --stdio --sort symbol \
        >"$OUT/profile/perf.1m.txt" 2>/dev/null || true
      for f in FindByIp FindByHwAddr FindByClientId; do
        perf annotate -i "$OUT/profile/perf.1m.data" --stdio -s "lqd::LeaseStore::$f" \
          >"$OUT/profile/perf.1m.annotate.$f.txt" 2>/dev/null || true
      done
      echo ok
    else
      echo "failed (skipped)"
    fi
  fi
fi

# The profile does not count in the load/steal figures of the benchmark run.
BUILDOPTS=$(meson introspect "$BUILD" --buildoptions | "$PY" -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(" ".join(f"{k}={o[k]}" for k in ("buildtype", "optimization", "debug", "b_ndebug")))')
"$PY" - "$OUT/meta.json" <<PY
import json, subprocess, sys
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""
def cpu(line):
    f = [int(x) for x in line.split()[1:]]
    return f
s0, s1 = cpu("""$STAT0"""), cpu("""$STAT1""")
d = [b - a for a, b in zip(s0, s1)]
tot = sum(d[:8]) or 1   # user nice system idle iowait irq softirq steal
lscpu = {}
for line in sh("LC_ALL=C lscpu").splitlines():
    k, _, v = line.partition(":")
    lscpu[k.strip()] = v.strip()
meta = {
    "run_id": "$TS",
    "results_dir": "$OUT",
    "quick": bool($QUICK),
    "command": "$COMMAND",
    "date_utc": sh("date -u -d @$T0 '+%Y-%m-%d %H:%M UTC'"),
    "duration_s": $T1 - $T0,
    "commit": sh("git rev-parse --short HEAD"),
    "dirty_files": [l for l in sh("git status --porcelain --untracked-files=no").splitlines()],
    "cpu_model": lscpu.get("Model name", "?"),
    "sockets": lscpu.get("Socket(s)", "?"),
    "cores_per_socket": lscpu.get("Core(s) per socket", "?"),
    "threads_per_core": lscpu.get("Thread(s) per core", "?"),
    "hypervisor": lscpu.get("Hypervisor vendor", ""),
    "l2": lscpu.get("L2 cache", "?"),
    "l3": lscpu.get("L3 cache", "?"),
    "nproc": sh("nproc"),
    "mem": sh("free -g | awk '/^Mem:/ {print \$2 \" GiB\"}'"),
    "kernel": sh("uname -r"),
    "compiler": sh("c++ --version | head -1"),
    "build": "$BUILDOPTS",
    "thp": sh("cat /sys/kernel/mm/transparent_hugepage/enabled"),
    "loadavg_start": "$LOAD0",
    "loadavg_end": "$LOAD1",
    "cpu_busy_pct": round(100.0 * (tot - d[3] - d[4]) / tot, 1),
    "cpu_steal_pct": round(100.0 * d[7] / tot, 1) if len(d) > 7 else None,
}
json.dump(meta, open(sys.argv[1], "w"), indent=2)
PY

if [[ $QUICK -eq 1 ]]; then
  MD=$OUT/performance.md; IMG=$OUT/img
else
  MD=docs/performance.md; IMG=docs/img
fi
echo "== report"
"$PY" scripts/bench_report.py --results "$OUT" --md "$MD" --img "$IMG"
