#!/usr/bin/env bash
# Runs every test suite. Called by `make test` after deps and build.
#   1. C++: unit tests, golden vectors, fuzz-corpus replay, CLI end to end (CTest).
#   2. Contracts: forge tests, offline (solc-js).
# Ends with one line "tests: N passed, N failed" over both.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
if [ ! -d ../shared/vectors ] && [ -z "${TEECLOUD_SHARED_DIR:-}" ]; then
  echo "note: ../shared/vectors not found: vector tests will be skipped (CI always has it)"
fi
log=$(mktemp "${TMPDIR:-/tmp}/teecloud-test.XXXXXX")
trap 'rm -f "$log"' EXIT

ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" --timeout 300 2>&1 | tee "$log"
ctest_rc=${PIPESTATUS[0]}
# "100% tests passed, 0 tests failed out of 250"
total=$(sed -nE 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\2/p' "$log" | tail -1)
cfail=$(sed -nE 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\1/p' "$log" | tail -1)
: "${total:=0}" "${cfail:=1}"

bash scripts/contracts-test.sh 2>&1 | tee "$log"
forge_rc=${PIPESTATUS[0]}
fpass=$(sed -nE 's/^contracts: ([0-9]+) passed, ([0-9]+) failed.*/\1/p' "$log" | tail -1)
ffail=$(sed -nE 's/^contracts: ([0-9]+) passed, ([0-9]+) failed.*/\2/p' "$log" | tail -1)
: "${fpass:=0}" "${ffail:=1}"

echo
echo "tests: $((total - cfail + fpass)) passed, $((cfail + ffail)) failed"
[ "$ctest_rc" -eq 0 ] && [ "$forge_rc" -eq 0 ]
