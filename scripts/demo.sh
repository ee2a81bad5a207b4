#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# lqd in two minutes, no NIC and no hugepages needed (root required for the
# network namespace):
#
#   1. installs the Debian packages (scripts/install-deps.sh) and builds lqd;
#   2. creates a private network namespace with a veth pair: lqd drives one
#      end through DPDK's net_af_packet, the other end is a "relay" with
#      address 192.0.2.2 and a kernel UDP socket;
#   3. starts lqd (192.0.2.1) on the sample config and a fresh copy of the
#      sample Kea lease file, and sends leasequeries from the relay: by IP
#      (active / unassigned / unknown), by MAC and by client-id;
#   4. shows lqd's counters (DPDK telemetry, then the exit summary).
#
# Everything it starts is stopped on exit (also on Ctrl-C or an error).
# LQD_BUILD_DIR overrides the build directory (default: build).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${LQD_BUILD_DIR:-build}
[[ $BUILD = /* ]] || BUILD=$ROOT/$BUILD
NS=lqd-demo-$$
PREFIX=$NS                     # EAL --file-prefix: telemetry socket lives under it
SERVER=192.0.2.1
RELAY=192.0.2.2
TMP=$(mktemp -d /tmp/lqd-demo.XXXXXX)
LQD_PID=""

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cleanup() {
  set +e
  if [[ -n $LQD_PID ]] && kill -0 "$LQD_PID" 2>/dev/null; then
    kill -TERM "$LQD_PID"
    for _ in $(seq 50); do kill -0 "$LQD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$LQD_PID" 2>/dev/null
  fi
  ip netns del "$NS" 2>/dev/null
  rm -rf "$TMP" "/var/run/dpdk/$PREFIX"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ $(id -u) -ne 0 ]]; then
  echo "demo.sh: needs root (network namespaces, AF_PACKET)" >&2
  exit 1
fi

say "Dependencies"
"$ROOT/scripts/install-deps.sh"

say "Build ($BUILD)"
if [[ ! -f $BUILD/build.ninja ]]; then
  meson setup "$BUILD" "$ROOT" --buildtype=release >/dev/null
fi
ninja -C "$BUILD" dataplane/lqd | tail -1
LQD=$BUILD/dataplane/lqd

say "Sample data: $TMP"
# The sample lease file expires in 2035; make it look like a live server's:
# every active lease was renewed a third of its lifetime ago.
NOW=$(date +%s)
awk -F, -v OFS=, -v now="$NOW" '
  NR > 1 && $5 >= 2051222400 && $4 > 0 { $5 = now + int($4 * 2 / 3) + ($5 - 2051222400) }
  { print }' "$ROOT/docs/samples/kea-leases4.csv" > "$TMP/kea-leases4.csv"
cp "$ROOT/docs/samples/lqd-demo.json" "$TMP/lqd-demo.json"
"$LQD" --check-config "$TMP/lqd-demo.json"

say "Network namespace $NS: lqd-a (DPDK, $SERVER) <-> lqd-r (relay, $RELAY)"
ip netns add "$NS"
ip -n "$NS" link add lqd-a type veth peer name lqd-r
ip -n "$NS" link set lo up
ip -n "$NS" link set lqd-a up
ip -n "$NS" link set lqd-r up
ip -n "$NS" addr add "$RELAY/24" dev lqd-r
# veth hands AF_PACKET readers UDP checksums the kernel has not finished.
ip netns exec "$NS" python3 "$ROOT/scripts/lq_client.py" --tx-checksum-off lqd-r

say "Start lqd"
ip netns exec "$NS" timeout 600 "$LQD" --no-huge -m 512 --file-prefix "$PREFIX" --no-pci -l 0 \
  --vdev net_af_packet0,iface=lqd-a -- --config "$TMP/lqd-demo.json" > "$TMP/lqd.log" 2>&1 &
LQD_PID=$!
for _ in $(seq 100); do
  grep -q "lqd: ready" "$TMP/lqd.log" && break
  kill -0 "$LQD_PID" 2>/dev/null || { cat "$TMP/lqd.log"; echo "lqd exited" >&2; exit 1; }
  sleep 0.2
done
grep "lqd: " "$TMP/lqd.log" || { cat "$TMP/lqd.log"; exit 1; }

q() {
  echo
  echo "\$ lq_client.py $*"
  ip netns exec "$NS" python3 "$ROOT/scripts/lq_client.py" --server "$SERVER" --relay "$RELAY" "$@" \
    | sed 's/^/  /'
}
say "Leasequeries from the relay (kernel UDP socket, $RELAY:67 -> $SERVER:67)"
q --ip 198.51.100.10             # active
q --ip 198.51.100.61             # in our pool, lease expired: unassigned
q --ip 198.51.100.60             # released: unassigned
q --ip 10.9.9.9                  # not in any pool: unknown
q --mac 02:00:00:00:02:01        # a router with three addresses: option 92
q --client-id 01:02:00:00:00:01:02

say "The relay resolved lqd's MAC by ARP"
ip -n "$NS" neigh show dev lqd-r | sed 's/^/  /'

say "Counters (DPDK telemetry: /lqd/stats, non-zero)"
ip netns exec "$NS" python3 "$ROOT/scripts/lqd_telemetry.py" --file-prefix "$PREFIX" --nonzero /lqd/stats \
  | sed 's/^/  /' || echo "  (telemetry unavailable; see the exit summary below)"

say "Stop lqd (SIGTERM)"
kill -TERM "$LQD_PID"
wait "$LQD_PID" && echo "  lqd exited 0" || echo "  lqd exited $?"
LQD_PID=""
sed -n '/lqd: stopping/,$p' "$TMP/lqd.log" | sed 's/^/  /'
say "Done: namespace, lqd and temp files are removed on exit"
