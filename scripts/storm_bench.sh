#!/usr/bin/env bash
# Leasequery storm against lqd and against ISC dhcpd 4.4, side by side.
#
#   scripts/storm_bench.sh OUT_DIR [BUILD_DIR]     (root; called by scripts/bench.sh, full mode)
#
# Two network namespaces joined by one veth pair, created here and deleted on
# exit (also on failure or a signal):
#
#   lqsb-srv-<pid>  server end, pinned to CPU 1:
#                     (a) lqd, net_af_packet on the veth (--no-huge, -l 0-1:
#                         loop on lcore 1, control thread on lcore 0)
#                     (b) dhcpd -4 -f (allow leasequery), 192.0.2.1/24 on the veth
#   lqsb-cli-<pid>  192.0.2.2/24 + concentrators 192.0.2.10..13, lq-storm on CPU 0
#
# dhcpd only answers queries that come from another host, hence the second
# namespace. Both servers get the same lease population (lq-storm's generated
# /16, every address active, as a Kea CSV for lqd and as dhcpd.leases for
# dhcpd) and the same lq-storm runs:
#   closed  --mode closed --window 64, capped by --duration and --max-queries
#   burst   --mode open at a high rate, 100,000 queries (timeout 2 s)
# Query mix: ip=80,mac=10,cid=10. Results: OUT_DIR/storm.json (one object with
# every lq-storm --json report) and OUT_DIR/storm/*.log.
#
# Bounded: every process runs under `timeout`, in its own process group that
# the EXIT trap kills; traffic only ever goes to 192.0.2.1 inside the
# namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:?usage: scripts/storm_bench.sh OUT_DIR [BUILD_DIR]}
BUILD=${2:-build-rel}
LQD=${LQD_BIN:-$BUILD/dataplane/lqd}
STORM=${LQ_STORM:-$BUILD/client/lq-storm}
LQQ=${LQ_QUERY:-$BUILD/client/lq-query}
DHCPD=/usr/sbin/dhcpd
POP=${STORM_POPULATION:-10.20.0.0/16}
MIX="ip=80,mac=10,cid=10"
WINDOW=64
CLOSED_MAX=${STORM_CLOSED_MAX:-1000000}
CLOSED_S=${STORM_CLOSED_S:-10}
BURST_N=100000
BURST_RATE=${STORM_BURST_RATE:-200000}

[[ $(id -u) -eq 0 ]] || { echo "storm_bench: needs root (netns)" >&2; exit 77; }
for b in "$LQD" "$STORM" "$LQQ" "$DHCPD"; do
  [[ -x $b ]] || { echo "storm_bench: missing $b" >&2; exit 77; }
done

PID=$$
SRV=lqsb-srv-$PID CLI=lqsb-cli-$PID
IF_S=lqsbs$PID IF_C=lqsbc$PID
SERVER=192.0.2.1 RELAY=192.0.2.2 GIADDR=192.0.2.10
mkdir -p "$OUT/storm"
LOG=$OUT/storm
TMP=$(mktemp -d /tmp/lqsb.XXXXXX)
PGIDS=()
NSES=()

cleanup() {
  local rc=$?
  for pg in "${PGIDS[@]}"; do kill -TERM -- "-$pg" 2>/dev/null || true; done
  sleep 0.5
  for pg in "${PGIDS[@]}"; do kill -KILL -- "-$pg" 2>/dev/null || true; done
  for ns in "${NSES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$TMP" "/var/run/dpdk/lqsb-$PID"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# start NAME CMD...: in its own process group (setsid), output to $LOG/NAME.log.
start() {
  local name=$1; shift
  setsid "$@" >"$LOG/$name.log" 2>&1 </dev/null &
  PGIDS+=($!)
  LAST_PID=$!
}
stop_last() {
  kill -TERM -- "-$LAST_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$LAST_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$LAST_PID" 2>/dev/null || true
  wait "$LAST_PID" 2>/dev/null || true
}

# ---- population: the same leases for both servers
"$STORM" --population "$POP" --active-fraction 1 --write-leases "$TMP/leases.csv" >"$LOG/population.log" 2>&1
python3 - "$TMP/leases.csv" "$TMP/dhcpd.leases" "$TMP/dhcpd.conf" "$POP" <<'PY'
import csv, ipaddress, sys, time
src, leases, conf, pop = sys.argv[1:]
net = ipaddress.ip_network(pop)
def t(x):
    tm = time.gmtime(x)
    return "%d %s" % ((tm.tm_wday + 1) % 7, time.strftime("%Y/%m/%d %H:%M:%S", tm))
now = int(time.time())
n = 0
with open(src) as f, open(leases, "w") as o:
    o.write("authoring-byte-order little-endian;\n")
    for r in csv.DictReader(f):
        exp = int(r["expire"]); valid = int(r["valid_lifetime"])
        cltt = min(now - 60, exp - valid)
        uid = "".join("\\%03o" % int(b, 16) for b in r["client_id"].split(":")) if r["client_id"] else ""
        o.write("lease %s {\n  starts %s;\n  ends %s;\n  cltt %s;\n  binding state active;\n"
                "  next binding state free;\n  hardware ethernet %s;\n%s}\n"
                % (r["address"], t(cltt), t(exp), t(cltt), r["hwaddr"], '  uid "%s";\n' % uid if uid else ""))
        n += 1
hosts = list(net.hosts())
with open(conf, "w") as o:
    o.write("authoritative;\ndefault-lease-time 3600;\nmax-lease-time 86400;\nddns-update-style none;\n"
            "allow leasequery;\nsubnet 192.0.2.0 netmask 255.255.255.0 { }\n"
            "subnet %s netmask %s {\n  range %s %s;\n}\n" % (net.network_address, net.netmask, hosts[0], hosts[-1]))
print(n)
PY
NLEASES=$(($(wc -l <"$TMP/leases.csv") - 1))
echo "== storm     population $POP: $NLEASES active leases, mix $MIX"

# ---- namespaces
ip netns add "$SRV"; NSES+=("$SRV")
ip netns add "$CLI"; NSES+=("$CLI")
ip link add "$IF_S" type veth peer name "$IF_C"
ip link set "$IF_S" netns "$SRV"
ip link set "$IF_C" netns "$CLI"
ip -n "$CLI" addr add "$RELAY/24" dev "$IF_C"
for i in 0 1 2 3; do ip -n "$CLI" addr add "192.0.2.$((10 + i))/24" dev "$IF_C"; done
for pair in "$SRV $IF_S" "$CLI $IF_C"; do
  set -- $pair
  ip -n "$1" link set lo up
  ip -n "$1" link set "$2" up
done
# Kernel sockets on a veth leave UDP checksums to an offload that never
# happens; lqd reads the frames raw (af_packet) and checks them.
ip netns exec "$CLI" python3 scripts/lq_client.py --tx-checksum-off "$IF_C"

# storm NAME ARGS...: one lq-storm run on CPU 0 in the client namespace.
storm() {
  local name=$1; shift
  printf '== storm     %-14s ' "$name"
  timeout 120 taskset -c 0 ip netns exec "$CLI" "$STORM" --server "$SERVER" --giaddr-base "$GIADDR" \
    --concentrators 4 --leases "$TMP/leases.csv" --mix "$MIX" --timeout 2 --json "$@" \
    >"$LOG/$name.json" 2>"$LOG/$name.log" || true
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("answered %d/%d in %.1f s = %.0f/s, lost %d, p50 %d us, p99 %d us" % (r["answered"], r["sent"], r["elapsed_s"], r["answered_rate"], r["lost"], r["latency_us"]["p50"], r["latency_us"]["p99"]))' "$LOG/$name.json" \
    || { echo "no report"; tail -5 "$LOG/$name.log"; }
}
runs() {
  local who=$1
  storm "$who-closed" --mode closed --window "$WINDOW" --max-queries "$CLOSED_MAX" --duration "$CLOSED_S"
  sleep 3   # stragglers of the closed run time out before the burst
  storm "$who-burst" --mode open --rate "$BURST_RATE" --max-queries "$BURST_N" --duration 15
}
probe() {  # one by-IP query must come back ACTIVE
  local ip
  ip=$(sed -n 2p "$TMP/leases.csv" | cut -d, -f1)
  timeout 10 ip netns exec "$CLI" "$LQQ" --server "$SERVER" --giaddr "$RELAY" --ip "$ip" --timeout 1 \
    --retries 0 >/dev/null 2>&1
}

# ---- (a) lqd
cat >"$TMP/lqd.json" <<EOF
{"ports": [{"device": "net_af_packet0,iface=$IF_S", "addresses": ["$SERVER"]}],
 "authoritative-ranges": ["$POP"], "leases": "$TMP/leases.csv"}
EOF
start lqd ip netns exec "$SRV" timeout 300 "$LQD" --no-huge -m 512 --file-prefix "lqsb-$PID" --no-pci \
  --lcores 0@1,1@1 -- --config "$TMP/lqd.json"
for _ in $(seq 300); do grep -q "lqd: ready" "$LOG/lqd.log" && break; kill -0 "$LAST_PID" 2>/dev/null || break; sleep 0.1; done
grep -q "lqd: ready" "$LOG/lqd.log" || { echo "storm_bench: lqd did not start"; tail -20 "$LOG/lqd.log"; exit 1; }
probe || { echo "storm_bench: lqd does not answer"; tail -20 "$LOG/lqd.log"; exit 1; }
runs lqd
stop_last
ip -n "$SRV" -s -j link show "$IF_S" >"$LOG/veth-after-lqd.json"

# ---- (b) dhcpd on the same veth end, now with the address in the kernel
ip -n "$SRV" addr add "$SERVER/24" dev "$IF_S"
ip -n "$CLI" neigh flush dev "$IF_C"
touch "$TMP/dhcpd.leases~"
T0=$(date +%s.%N)
start dhcpd ip netns exec "$SRV" timeout 600 taskset -c 1 "$DHCPD" -4 -f -cf "$TMP/dhcpd.conf" \
  -lf "$TMP/dhcpd.leases" -pf "$TMP/dhcpd.pid" "$IF_S"
ok=0
for _ in $(seq 120); do
  kill -0 "$LAST_PID" 2>/dev/null || break
  if probe; then ok=1; break; fi
done
[[ $ok -eq 1 ]] || { echo "storm_bench: dhcpd does not answer"; tail -20 "$LOG/dhcpd.log"; exit 1; }
DHCPD_START=$(python3 -c "import time; print(round(time.time() - $T0, 1))")
echo "== storm     dhcpd answering after ${DHCPD_START} s (loads $NLEASES leases)"
runs dhcpd
stop_last
ip -n "$SRV" -s -j link show "$IF_S" >"$LOG/veth-after-dhcpd.json"

python3 - "$OUT/storm.json" "$LOG" <<PY
import json, os, sys
out, log = sys.argv[1:]
def rd(n):
    try:
        return json.load(open(os.path.join(log, n + ".json")))
    except Exception:
        return None
def counters():
    # lqd prints its counters when it stops; every frame that reached it.
    c, on = {}, False
    for line in open(os.path.join(log, "lqd.log"), errors="replace"):
        if "counters:" in line:
            on = True
            continue
        p = line.split()
        if on and len(p) == 2 and p[1].isdigit():
            c[p[0]] = int(p[1])
    return c
def veth():
    # The server end's kernel counters, per phase (lqd first, then dhcpd).
    out, prev = {}, None
    for who in ("lqd", "dhcpd"):
        try:
            s = json.load(open(os.path.join(log, "veth-after-%s.json" % who)))[0]["stats64"]["rx"]
        except Exception:
            return out
        out[who] = {k: s[k] - (prev[k] if prev else 0) for k in ("packets", "dropped")}
        prev = s
    return out
res = {
    "population": "$POP", "leases": $NLEASES, "mix": "$MIX", "window": $WINDOW,
    "closed_max_queries": $CLOSED_MAX, "closed_duration_s": $CLOSED_S,
    "burst_queries": $BURST_N, "burst_rate": $BURST_RATE, "timeout_s": 2, "concentrators": 4,
    "dhcpd_version": os.popen("$DHCPD --version 2>&1").read().strip(),
    "dhcpd_start_s": $DHCPD_START,
    "pinning": "server on CPU 1 (lqd: --lcores 0@1,1@1, loop on lcore 1), lq-storm on CPU 0",
    "lqd_device": "net_af_packet on a veth (kernel path), --no-huge",
    "lqd": {"closed": rd("lqd-closed"), "burst": rd("lqd-burst"), "counters": counters()},
    "server_veth_rx": veth(),
    "dhcpd": {"closed": rd("dhcpd-closed"), "burst": rd("dhcpd-burst")},
}
json.dump(res, open(out, "w"), indent=1)
PY
echo "== storm     wrote $OUT/storm.json"
