#!/usr/bin/env bash
# Builds and tests teecloud's Solidity contracts (contracts/) with forge, fully offline.
# forge compiles with solc-js through contracts/solc-wrapper (see contracts/README.md).
# Extra arguments go to `forge test` (e.g. --match-test test_freeze -vvv).
# Exits non-zero if compilation or any test fails; prints forge's summary and a closing line
# "contracts: N passed, N failed, N skipped".
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# The npm launcher (.bin/forge, a node shim) does not pass forge's exit code on (it exits 0 even
# when tests fail), so run the platform binary it wraps; the summary check below is a backstop.
forge="$root/tools/node_modules/.bin/forge"
for native in "$root"/tools/node_modules/@foundry-rs/forge-*/bin/forge; do
  if [ -x "$native" ] && "$native" --version >/dev/null 2>&1; then forge="$native"; break; fi
done
if [ ! -x "$forge" ] || [ ! -d "$root/tools/node_modules/solc" ] \
  || [ ! -d "$root/tools/node_modules/@openzeppelin/contracts" ]; then
  echo "contracts-test: forge, solc or @openzeppelin/contracts missing under tools/node_modules;" \
    "run scripts/deps.sh first" >&2
  exit 1
fi
command -v node >/dev/null || { echo "contracts-test: node is required (solc-js)" >&2; exit 1; }

cd "$root/contracts"
export FOUNDRY_OFFLINE=true
log="$(mktemp "${TMPDIR:-/tmp}/contracts-test.XXXXXX")"
trap 'rm -f "$log"' EXIT

start=$(date +%s)
set +e
"$forge" test "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - start ))

# forge's closing line: "Ran 4 test suites in 1.2s (...): 83 tests passed, 0 failed, 0 skipped (83 total tests)"
summary="$(grep -E '^Ran [0-9]+ test suites? ' "$log" | tail -n 1 || true)"
passed=$(sed -nE 's/.* ([0-9]+) tests? passed, ([0-9]+) failed, ([0-9]+) skipped.*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.* ([0-9]+) tests? passed, ([0-9]+) failed, ([0-9]+) skipped.*/\2/p' <<<"$summary")
skipped=$(sed -nE 's/.* ([0-9]+) tests? passed, ([0-9]+) failed, ([0-9]+) skipped.*/\3/p' <<<"$summary")

echo
echo "contracts-test: forge test exited $rc after ${elapsed}s"
if [ -z "$passed" ]; then
  echo "contracts-test: no test summary (compilation failed?)" >&2
  [ "$rc" -ne 0 ] || rc=1
  echo "contracts: 0 passed, 1 failed"
  exit "$rc"
fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
  echo "contracts-test: no test ran" >&2
  [ "$rc" -ne 0 ] || rc=1
fi
if [ "$failed" -ne 0 ] && [ "$rc" -eq 0 ]; then rc=1; fi
echo "contracts: $passed passed, $failed failed, $skipped skipped"
exit "$rc"
