#!/usr/bin/env bash
# Fuzzes one libFuzzer target for a while, or all of them briefly.
#   scripts/fuzz.sh TARGET SECONDS     e.g. scripts/fuzz.sh frame_fuzz 1800
#   scripts/fuzz.sh --all SECONDS      every target, SECONDS each
#   scripts/fuzz.sh --list
# Targets: message_fuzz relay_agent_info_fuzz frame_fuzz config_fuzz kea_feeds_fuzz
#          dhcpd_leases_fuzz
# Builds build-fuzz (clang, ASan+UBSan, coverage-instrumented libraries).
# New inputs go to build-fuzz/corpus/TARGET (the checked-in seeds are read,
# never written); crashes to build-fuzz/crashes/TARGET: turn each into a
# regression test.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A SEEDS=(
  [message_fuzz]=tests/dhcp/corpus/message
  [relay_agent_info_fuzz]=tests/dhcp/corpus/relay_agent_info
  [frame_fuzz]=tests/dataplane/corpus/frame
  [config_fuzz]=tests/dataplane/corpus/config
  [kea_feeds_fuzz]=tests/control/corpus/kea_feeds
  [dhcpd_leases_fuzz]=tests/control/corpus/dhcpd_leases
)
declare -A DIRS=(
  [message_fuzz]=dhcp [relay_agent_info_fuzz]=dhcp [frame_fuzz]=dataplane
  [config_fuzz]=dataplane [kea_feeds_fuzz]=control [dhcpd_leases_fuzz]=control
)

if [[ "${1:-}" == "--list" ]]; then printf '%s\n' "${!SEEDS[@]}" | sort; exit 0; fi
if [[ $# -ne 2 ]]; then sed -n '2,11p' "$0"; exit 64; fi
TARGET=$1 SECONDS_EACH=$2

scripts/install-deps.sh >/dev/null
if [[ ! -f build-fuzz/build.ninja ]]; then
  CC=clang CXX=clang++ meson setup build-fuzz -Dfuzzers=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C build-fuzz >/dev/null

targets=("$TARGET")
[[ "$TARGET" == "--all" ]] && mapfile -t targets < <(printf '%s\n' "${!SEEDS[@]}" | sort)
for t in "${targets[@]}"; do
  [[ -n "${SEEDS[$t]:-}" ]] || { echo "fuzz.sh: unknown target '$t' (see --list)"; exit 64; }
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/crashes/$t"
  echo "== $t for ${SECONDS_EACH}s"
  log="build-fuzz/crashes/$t.log"
  rc=0
  "build-fuzz/tests/${DIRS[$t]}/$t" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
    -artifact_prefix="build-fuzz/crashes/$t/" "build-fuzz/corpus/$t" "${SEEDS[$t]}" >"$log" 2>&1 || rc=$?
  grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::new_units_added|==[0-9]+==ERROR|SUMMARY)' "$log" | tail -6 || true
  if [[ $rc -ne 0 ]]; then
    echo "fuzz.sh: $t FAILED (exit $rc); see $log and build-fuzz/crashes/$t/"
    status=1
  fi
done
exit "${status:-0}"

