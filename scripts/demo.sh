#!/usr/bin/env bash
# `make demo`: verify a real Intel TDX quote with the teecloud CLI (the build is done by make).
# Usage: scripts/demo.sh [BUILD_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
BIN="$BUILD_DIR/bin/teecloud"
SHARED=${TEECLOUD_SHARED_DIR:-../shared}
VEC="$SHARED/vectors/tdx/t1-dcapqvl-v4"
AT=1751328000

if [ ! -x "$BIN" ]; then
  echo "demo: $BIN not found; run 'make demo' (it builds first)" >&2
  exit 2
fi
if [ ! -f "$VEC/quote.bin" ] || [ ! -f "$VEC/collateral.json" ]; then
  echo "demo: the shared test vectors are missing ($VEC)." >&2
  echo "demo: they live in ../shared/vectors next to this repository (or set TEECLOUD_SHARED_DIR);" >&2
  echo "demo: the demo verifies a real captured TDX quote from there and cannot run without it." >&2
  exit 1
fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
status=0

step "1. Verify a real Intel TDX quote (v4) against Intel collateral, at $(date -u -d @$AT +%FT%TZ)"
echo "\$ teecloud verify quote $VEC/quote.bin --collateral $VEC/collateral.json --at $AT"
"$BIN" verify quote "$VEC/quote.bin" --collateral "$VEC/collateral.json" --at "$AT" || status=$?

step "2. The same verification as JSON (for scripts and other programs)"
json=$("$BIN" verify quote "$VEC/quote.bin" --collateral "$VEC/collateral.json" --at "$AT" --json)
rc=$?
[ $rc -ne 0 ] && status=$rc
echo "$json" | head -n 9
echo "  ... (measurements, checks_passed, QE / TDX module status; full object with --json)"

step "3. Decoded quote (teecloud quote show), header and TD report summary"
"$BIN" quote show "$VEC/quote.bin" | head -n 24
echo "  ... (full output: teecloud quote show $VEC/quote.bin)"

step "4. A tampered copy (one REPORTDATA byte flipped) must fail"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$VEC/quote.bin" "$tmp/tampered.bin"
chmod u+w "$tmp/tampered.bin"
printf '\xff' | dd of="$tmp/tampered.bin" bs=1 seek=600 conv=notrunc status=none
"$BIN" verify quote "$tmp/tampered.bin" --collateral "$VEC/collateral.json" --at "$AT"
trc=$?
if [ $trc -eq 1 ]; then
  echo "  -> rejected as expected (exit 1)"
else
  echo "  -> UNEXPECTED exit $trc for a tampered quote"
  status=1
fi

echo
if [ $status -eq 0 ]; then
  echo "Demo OK: the genuine quote verifies (valid, TCB UpToDate), the tampered one is rejected."
else
  echo "Demo FAILED (exit $status)."
fi
exit $status
