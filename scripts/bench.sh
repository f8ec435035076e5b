#!/usr/bin/env bash
# Quote-verification benchmark (`make bench`): teecloud vs OpenSSL ECDSA vs dcap-qvl (wasm),
# measured in one run on one core on tdx/t1-dcapqvl-v4 at 1751328000.
# Usage: scripts/bench.sh [BUILD_DIR] [extra `teecloud bench verify` flags, e.g. --seconds 5 --json]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
shift || true
BIN="$BUILD_DIR/bin/teecloud"
SHARED=${TEECLOUD_SHARED_DIR:-../shared}
VEC="$SHARED/vectors/tdx/t1-dcapqvl-v4"

if [ ! -x "$BIN" ]; then
  echo "bench: $BIN not found; build first (make build)" >&2
  exit 2
fi
if [ ! -f "$VEC/quote.bin" ]; then
  echo "bench: $VEC not found: the benchmark needs ../shared/vectors (or TEECLOUD_SHARED_DIR)" >&2
  exit 2
fi
if ! command -v node >/dev/null 2>&1; then
  echo "note: node not found: the dcap-qvl peer is skipped" >&2
fi

echo "== teecloud bench verify on tdx/t1-dcapqvl-v4 (at 1751328000, one core)"
exec "$BIN" bench verify --quote "$VEC/quote.bin" --collateral "$VEC/collateral.json" \
  --at 1751328000 --peer-script bench/dcap_qvl_peer.mjs "$@"
