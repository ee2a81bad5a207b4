#!/usr/bin/env bash
# Runs every lqd test: installs dependencies, builds, then
#   1. the default build: unit, stress and integration suites
#   2. an ASan/UBSan build: unit, stress and integration suites (the
#      integration tests then run the instrumented lqd, lq-query, lq-storm)
#   3. a TSan build: unit, stress and integration suites
#   4. a clang libFuzzer build: seed corpora replayed, each target fuzzed
#      for LQD_FUZZ_SECONDS (default 20)
# Ends with one line "tests: N passed, N failed, N skipped".
# Usage: scripts/test.sh [--quick]   (--quick: default build only)
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1

scripts/install-deps.sh

JOBS=$(nproc)
status=0
summaries=()

# configure DIR [meson options...]: sets up or reconfigures a build dir.
configure() {
  local dir=$1; shift
  if [[ -f "$dir/build.ninja" ]]; then
    meson configure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
  ninja -C "$dir" -j"$JOBS" >/dev/null || { echo "build of $dir failed:"; ninja -C "$dir" -j1 | tail -40; exit 1; }
}

# run_suites DIR SUITE...: runs meson test, records the outcome.
run_suites() {
  local dir=$1; shift
  local args=()
  for s in "$@"; do args+=(--suite "$s"); done
  echo "== $dir: suites $*"
  if ! meson test -C "$dir" "${args[@]}" --print-errorlogs --num-processes 1; then
    status=1
  fi
  summaries+=("$dir/meson-logs/testlog.json")
}

configure build
run_suites build unit stress integration

if [[ $QUICK -eq 0 ]]; then
  # Sanitizers. b_lundef=false: meson's -Wl,--no-undefined clashes with them.
  configure build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
  # LQD_SANITIZED: the overload test checks every count but not its rate
  # ratios (instrumented programs slow down by different factors).
  LQD_SANITIZED=asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 run_suites build-asan unit stress integration
  configure build-tsan -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debugoptimized
  LQD_SANITIZED=tsan TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/sanitizers/tsan.supp" \
    run_suites build-tsan unit stress integration
  # libFuzzer targets (clang): replay the seed corpora, then fuzz each briefly.
  CC=clang CXX=clang++ configure build-fuzz -Dfuzzers=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debugoptimized
  run_suites build-fuzz fuzz
  for t in $(scripts/fuzz.sh --list); do
    if ! scripts/fuzz.sh "$t" "${LQD_FUZZ_SECONDS:-20}"; then status=1; fi
    if compgen -G "build-fuzz/crashes/$t/*" >/dev/null; then
      echo "fuzz: $t found crashes: $(ls build-fuzz/crashes/$t)"; status=1
    fi
  done
fi

py=0
python3 - "${summaries[@]}" <<'PY' || py=$?
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            r = json.loads(line).get("result")
            if r in ("OK", "EXPECTEDFAIL"): passed += 1
            elif r == "SKIP": skipped += 1
            else: failed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
exit $(( status | py ))
