#!/usr/bin/env bash
# `make demo`: verify a real Intel TDX quote, then run a simulated CVM's agent and verify its
# quote (the build is done by make).
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

step "5. A simulated CVM: sim TEE, app manifest, and teecloud-agent serving the dstack API"
AGENT="$BUILD_DIR/bin/teecloud-agent"
cat > "$tmp/docker-compose.yml" <<'YAML'
services:
  web:
    image: teecloud/busybox:local
    command: ["httpd", "-f", "-p", "80"]
    ports: ["8080:80"]
YAML
"$BIN" sim init "$tmp/sim" >/dev/null || status=1
echo "\$ teecloud manifest --compose docker-compose.yml --name hello -o app.json"
"$BIN" manifest --compose "$tmp/docker-compose.yml" --name hello -o "$tmp/app.json" || status=1
sock="$tmp/dstack.sock"
"$AGENT" --tee sim --sim-dir "$tmp/sim" --manifest "$tmp/app.json" --socket "$sock" \
  --state-dir "$tmp/agent" --key-provider local 2>"$tmp/agent.log" &
agent_pid=$!
trap 'kill $agent_pid 2>/dev/null; wait $agent_pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
call() { curl -sS --max-time 10 --unix-socket "$sock" -H 'Content-Type: application/json' \
  -d "$2" "http://agent/$1"; }
if [ ! -S "$sock" ]; then
  echo "  -> the agent did not start:"; sed 's/^/     /' "$tmp/agent.log"; status=1
else
  call Info '{}' | python3 -c 'import json,sys; i=json.load(sys.stdin)
print("  app_id:      ", i["app_id"]); print("  instance_id: ", i["instance_id"])
print("  compose_hash:", i["compose_hash"])'
  nonce=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d " \n")
  echo "  POST /GetQuote {report_data: <fresh 32-byte nonce>}  (what an app or a verifier asks)"
  call GetQuote "{\"report_data\": \"$nonce\"}" | python3 -c 'import json,sys
q=json.load(sys.stdin); d=sys.argv[1]
open(d+"/sim-quote.hex","w").write(q["quote"]); open(d+"/events.json","w").write(q["event_log"])
print("  event log:", ", ".join(e["event"] for e in json.loads(q["event_log"]) if e["imr"]==3))' "$tmp"

  step "6. Verify the simulated CVM's quote with the same verifier, and replay its event log"
  echo "\$ teecloud verify quote sim-quote.hex --collateral sim/collateral.json --trust-root sim/root.pem --event-log events.json --require-event-log-match"
  "$BIN" verify quote "$tmp/sim-quote.hex" --collateral "$tmp/sim/collateral.json" \
    --trust-root "$tmp/sim/root.pem" --event-log "$tmp/events.json" --require-event-log-match \
    2>&1 | sed 's/^/  /'
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  echo "  Without --trust-root the sim quote is refused (it does not chain to Intel's root):"
  "$BIN" verify quote "$tmp/sim-quote.hex" --collateral "$tmp/sim/collateral.json" >/dev/null 2>&1
  [ $? -eq 1 ] && echo "  -> rejected as expected (exit 1)" || { echo "  -> UNEXPECTED"; status=1; }
fi

echo
if [ $status -eq 0 ]; then
  echo "Demo OK: the genuine quote verifies (valid, TCB UpToDate), the tampered one is rejected;"
  echo "the simulated CVM's agent answers the dstack API and its quote verifies as \"simulated\"."
else
  echo "Demo FAILED (exit $status)."
fi
exit $status
