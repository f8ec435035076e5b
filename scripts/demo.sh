#!/usr/bin/env bash
# `make demo`: verify a real Intel TDX quote, then start the local dev cloud (a private dockerd
# and teecloud-node), deploy examples/hello into a simulated CVM with a sealed secret, request it
# and verify it (the build is done by make). `make demo-down` (scripts/demo.sh down) removes the
# app, the node, the engine and their files.
# Usage: scripts/demo.sh [BUILD_DIR] | scripts/demo.sh down [BUILD_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "down" ]; then
  BUILD_DIR=${2:-build}
  DEMO_DIR=${TEECLOUD_DEMO_DIR:-/var/lib/teecloud/demo}
  export TEECLOUD_NODE="http://127.0.0.1:${TEECLOUD_DEMO_NODE_PORT:-7310}"
  if [ -f "$DEMO_DIR/node.pid" ] && kill -0 "$(cat "$DEMO_DIR/node.pid")" 2>/dev/null; then
    "$BUILD_DIR/bin/teecloud" rm hello --purge 2>&1 | sed 's/^/  /'
    pid=$(cat "$DEMO_DIR/node.pid")
    kill "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    echo "  teecloud-node stopped"
  fi
  # Agents of CVMs left behind (the node does not stop them on exit: they outlive node restarts).
  pkill -f -- "--socket $DEMO_DIR/node/cvms/" 2>/dev/null && sleep 1
  if [ -d "$DEMO_DIR/dockerd" ]; then bash scripts/dockerd.sh stop --dir "$DEMO_DIR/dockerd" | sed 's/^/  /'; fi
  # FUSE mounts of volumes whose agent was killed, then the files.
  grep -o " $DEMO_DIR/[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do
    fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
  done
  rm -rf "$DEMO_DIR"
  echo "demo-down: removed the demo app, node, engine and $DEMO_DIR"
  exit 0
fi
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

# ---------------------------------------------------------------------------------------------
# The local dev cloud: a private container engine and teecloud-node, left running for the user
# (scripts/demo.sh down, i.e. `make demo-down`, removes everything again).
DEMO_DIR=${TEECLOUD_DEMO_DIR:-/var/lib/teecloud/demo}
NODE_PORT=${TEECLOUD_DEMO_NODE_PORT:-7310}
HTTP_PORT=${TEECLOUD_DEMO_HTTP_PORT:-18080}
NODE_BIN="$BUILD_DIR/bin/teecloud-node"
export TEECLOUD_NODE="http://127.0.0.1:$NODE_PORT"
sock="$DEMO_DIR/dockerd/docker.sock"

step "5. Start the local dev cloud: a private container engine and teecloud-node"
if [ "$(id -u)" -ne 0 ]; then
  echo "  the dev cloud runs a container engine and FUSE mounts: run the demo as root" >&2
  status=1
fi
if [ $status -eq 0 ]; then
  mkdir -p "$DEMO_DIR"
  bash scripts/dockerd.sh start --dir "$DEMO_DIR/dockerd" | sed 's/^/  /' || status=1
fi
if [ $status -eq 0 ]; then
  bash examples/images/build.sh --host "unix://$sock" | sed 's/^/  /' || status=1
fi
node_up() { curl -sf --max-time 2 "$TEECLOUD_NODE/healthz" >/dev/null 2>&1; }
if [ $status -eq 0 ]; then
  if [ -f "$DEMO_DIR/node.pid" ] && kill -0 "$(cat "$DEMO_DIR/node.pid")" 2>/dev/null && node_up; then
    echo "  teecloud-node: already running (pid $(cat "$DEMO_DIR/node.pid"), $TEECLOUD_NODE)"
  elif node_up; then
    echo "  port $NODE_PORT already serves another teecloud-node; stop it or set TEECLOUD_DEMO_NODE_PORT" >&2
    status=1
  else
    setsid "$NODE_BIN" --data-dir "$DEMO_DIR/node" --listen "127.0.0.1:$NODE_PORT" \
      --engine-socket "$sock" >>"$DEMO_DIR/node.log" 2>&1 < /dev/null &
    echo $! > "$DEMO_DIR/node.pid"
    for _ in $(seq 100); do node_up && break; sleep 0.1; done
    if node_up; then
      echo "  teecloud-node: started (pid $(cat "$DEMO_DIR/node.pid"), $TEECLOUD_NODE, log $DEMO_DIR/node.log)"
    else
      echo "  teecloud-node did not start:"; tail -n 20 "$DEMO_DIR/node.log" | sed 's/^/    /'
      status=1
    fi
  fi
fi

if [ $status -eq 0 ]; then
  step "6. Deploy examples/hello: an unmodified docker-compose.yml, with a sealed secret"
  # A fresh start each time (the demo's own app only).
  "$BIN" rm hello --purge >/dev/null 2>&1 || true
  echo "\$ teecloud deploy -f examples/hello/docker-compose.yml --name hello --env-file examples/hello/demo.env --port $HTTP_PORT:8080"
  "$BIN" deploy -f examples/hello/docker-compose.yml --name hello \
    --env-file examples/hello/demo.env --port "$HTTP_PORT:8080" 2>&1 | sed 's/^/  /'
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi

if [ $status -eq 0 ]; then
  step "7. Request it over HTTP"
  page=""; boots=""; seen=""
  for _ in $(seq 50); do
    page=$(curl -sf --max-time 2 "http://127.0.0.1:$HTTP_PORT/") && \
      seen=$(curl -sf --max-time 2 "http://127.0.0.1:$HTTP_PORT/data/api_key.sha256") && break
    sleep 0.2
  done
  boots=$(curl -sf --max-time 2 "http://127.0.0.1:$HTTP_PORT/data/boots")
  echo "\$ curl http://127.0.0.1:$HTTP_PORT/"
  echo "$page" | head -n 5 | sed 's/^/  /'
  echo "  /data/boots (the store service's count, on the encrypted volume): ${boots:-<none>}"
  want=$(grep '^API_KEY=' examples/hello/demo.env | cut -d= -f2- | tr -d '\n' | sha256sum | cut -d' ' -f1)
  if [ -n "$page" ] && [ -n "$seen" ] && [ "$seen" = "$want" ]; then
    echo "  SHA-256 of API_KEY as the app sees it: $seen (matches demo.env)"
  else
    echo "  -> the app did not answer as expected (page: ${page:+ok}, secret hash: ${seen:-none})"
    status=1
  fi
  cvm_id=$("$BIN" ls --json | python3 -c 'import json,sys
print(next((c["id"] for c in json.load(sys.stdin) if c["name"]=="hello"), ""))')
  if [ -n "$cvm_id" ] && grep -rqa "demo-secret-5f1c0de" "$DEMO_DIR/node/cvms/$cvm_id/state" "$DEMO_DIR/node/cvms/$cvm_id/env.sealed" "$DEMO_DIR/node/state.db"; then
    echo "  -> the secret was found in plain text on the host"; status=1
  else
    echo "  the secret is nowhere on the host disk in plain text (sealed env, state, volume store checked)"
  fi
fi

if [ $status -eq 0 ]; then
  step "8. Verify it: a fresh quote with a random nonce, the verifier, the event log replay"
  echo "\$ teecloud verify hello"
  "$BIN" verify hello 2>&1 | sed 's/^/  /'
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi

if [ $status -eq 0 ]; then
  step "9. Report"
  "$BIN" ls | sed 's/^/  /'
  echo "  logs:   teecloud logs hello -f        (TEECLOUD_NODE=$TEECLOUD_NODE)"
  echo "  app:    http://127.0.0.1:$HTTP_PORT/"
  echo "  remove: make demo-down"
fi

echo
if [ $status -eq 0 ]; then
  echo "Demo OK: the genuine TDX quote verifies and the tampered one is rejected; examples/hello runs"
  echo "in a simulated CVM with an encrypted volume and a sealed secret, and verifies as \"simulated\"."
else
  echo "Demo FAILED (exit $status)."
fi
exit $status
