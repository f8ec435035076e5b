#!/usr/bin/env bash
# A private Docker daemon for development and tests (the container backend of teecloud-node).
#
#   scripts/dockerd.sh start|stop|status [--dir DIR]
#
# DIR (default $TEECLOUD_DOCKER_DIR or /var/lib/teecloud/dockerd) holds everything the daemon
# owns: data/ (data-root), exec/ (exec-root, its containerd), docker.sock, dockerd.pid,
# dockerd.log. Point clients at it with DOCKER_HOST=unix://DIR/docker.sock.
#
# The daemon uses no default bridge (--bridge=none: the host's docker0, if any, belongs to the
# system daemon); teecloud creates one user-defined network per app. It keeps iptables on, so
# containers of one app reach each other across the host's FORWARD policy; published ports on
# loopback go through docker-proxy.
#
# start is idempotent (a running daemon is left alone) and waits at most
# $TEECLOUD_DOCKERD_TIMEOUT seconds (default 60) for /_ping. stop sends SIGTERM to the pid in the
# pidfile (the daemon stops its containers), waits, then SIGKILLs the daemon's process group.
# Exit codes: 0 ok; 1 failure; 3 (status) not running.
set -euo pipefail

usage() { echo "usage: $0 start|stop|status [--dir DIR]" >&2; exit 2; }
[ $# -ge 1 ] || usage
cmd=$1; shift
DIR=${TEECLOUD_DOCKER_DIR:-/var/lib/teecloud/dockerd}
while [ $# -gt 0 ]; do
  case $1 in
    --dir) [ $# -ge 2 ] || usage; DIR=$2; shift 2 ;;
    --dir=*) DIR=${1#--dir=}; shift ;;
    *) usage ;;
  esac
done
case $DIR in /*) ;; *) DIR=$(pwd)/$DIR ;; esac
SOCK=$DIR/docker.sock
PIDFILE=$DIR/dockerd.pid
LOG=$DIR/dockerd.log
TIMEOUT=${TEECLOUD_DOCKERD_TIMEOUT:-60}

# The pid from the pidfile when that process is alive and is a dockerd.
daemon_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  grep -q dockerd "/proc/$pid/comm" 2>/dev/null || return 1
  echo "$pid"
}

ping_ok() {
  [ -S "$SOCK" ] || return 1
  [ "$(curl -s --max-time 2 --unix-socket "$SOCK" http://docker/_ping 2>/dev/null)" = "OK" ]
}

case $cmd in
  start)
    if pid=$(daemon_pid) && ping_ok; then
      echo "dockerd: already running (pid $pid, unix://$SOCK)"
      exit 0
    fi
    launch() {
      mkdir -p "$DIR/data" "$DIR/exec"
      chmod 0711 "$DIR"
      rm -f "$SOCK" "$PIDFILE"
      # setsid: the daemon and its containerd form their own process group (stop's fallback).
      setsid dockerd --data-root "$DIR/data" --exec-root "$DIR/exec" -H "unix://$SOCK" \
        --pidfile "$PIDFILE" --bridge=none --shutdown-timeout 5 \
        </dev/null >>"$LOG" 2>&1 &
      pid=$!
    }
    launched=0
    if ! pid=$(daemon_pid); then
      command -v dockerd >/dev/null || {
        echo "dockerd: dockerd not found: install docker.io (scripts/deps.sh)" >&2; exit 1; }
      [ "$(id -u)" -eq 0 ] || { echo "dockerd: must run as root" >&2; exit 1; }
      launch
      launched=1
    fi
    deadline=$((SECONDS + TIMEOUT))
    retries=3
    until ping_ok; do
      if ! kill -0 "$pid" 2>/dev/null; then
        # Daemons share the host's iptables: one starting while another creates its chains can
        # fail with "Chain already exists". That is a race, not a fault: start again.
        if [ $launched -eq 1 ] && [ $retries -gt 0 ] && tail -n 5 "$LOG" | grep -q "Chain already exists"; then
          retries=$((retries - 1))
          sleep 1
          launch
          continue
        fi
        echo "dockerd: exited during start-up; last lines of $LOG:" >&2
        tail -n 20 "$LOG" >&2 || true
        exit 1
      fi
      if [ $SECONDS -ge $deadline ]; then
        echo "dockerd: not answering /_ping on $SOCK after ${TIMEOUT}s; see $LOG" >&2
        exit 1
      fi
      sleep 0.2
    done
    echo "dockerd: running (pid $pid, unix://$SOCK)"
    ;;
  stop)
    if ! pid=$(daemon_pid); then
      echo "dockerd: not running ($DIR)"
      rm -f "$PIDFILE"
      exit 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "dockerd: did not stop in 30s; killing its process group" >&2
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDFILE"
    echo "dockerd: stopped"
    ;;
  status)
    if pid=$(daemon_pid) && ping_ok; then
      echo "dockerd: running (pid $pid, unix://$SOCK)"
    else
      echo "dockerd: not running ($DIR)"
      exit 3
    fi
    ;;
  *) usage ;;
esac
