#!/usr/bin/env bash
# SC2317: cleanup runs from a trap.
# shellcheck disable=SC2317
# Connection flood benchmark of latchkeyd's connection caps (issue 13 item 3,
# docs/security/connections.md).
#
#   bench/connection_flood.sh [--latchkeyd PATH] [--per-client N]
#                             [--max-connections N] [--over N] [--probes N] [--keep]
#
# Starts latchkeyd on a fresh temporary data directory with
# --max-connections-per-client N (default 1000) and --max-connections M
# (default 3000), then (bench/connection_flood.py):
#   1. baseline: a probe client bound to 127.0.0.2 asks GET /healthz, once per
#      new connection and repeatedly over one kept-alive connection;
#   2. per-client flood: 127.0.0.1 holds N + over keep-alive connections (a
#      request on each every 5 s; refused ones reconnect after 100 ms); the
#      probe measures again: its new connections must still get 200;
#   3. global flood: 127.0.0.3, .4, ... add N + over each until M are open;
#      the probe's kept-alive connection must still get 200, its new
#      connections get 503 (the documented behaviour at the global cap);
#   4. prints the latencies (p50/p90/p99), the ratios to the baseline and the
#      server's connection metrics; exits 1 unless every status is as
#      documented and each probe p50 is within 2x its baseline.
# latchkeyd runs with --max-requests-per-connection 0 so that the probe's
# kept-alive connection lasts the whole run. Loopback only; needs python3
# and curl. Everything stops on exit (a trap).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LATCHKEYD="$ROOT/build/src/server/latchkeyd"
PER_CLIENT=1000 MAX_CONNECTIONS=3000 OVER=200 PROBES=400 KEEP=0

usage() { sed -n '/^# Connection flood/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --latchkeyd) LATCHKEYD=$2; shift ;;
    --per-client) PER_CLIENT=$2; shift ;;
    --max-connections) MAX_CONNECTIONS=$2; shift ;;
    --over) OVER=$2; shift ;;
    --probes) PROBES=$2; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "connection_flood.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for tool in python3 curl; do
  command -v "$tool" >/dev/null || { echo "connection_flood.sh: $tool not found" >&2; exit 1; }
done
[ -x "$LATCHKEYD" ] || { echo "connection_flood.sh: $LATCHKEYD not built: ninja -C build latchkeyd" >&2; exit 1; }

log() { printf '[flood %s] %s\n' "$(date +%T)" "$*" >&2; }

# The flooders hold thousands of sockets: take what the hard limit allows.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
need=$(( (MAX_CONNECTIONS / PER_CLIENT + 2) * (PER_CLIENT + OVER) + 256 ))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  echo "connection_flood.sh: ulimit -n $(ulimit -n) is below the $need descriptors this run needs" >&2
  exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-flood.XXXXXX")
LK_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$LK_PID" ]; then
    kill -TERM "$LK_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$LK_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$LK_PID" 2>/dev/null || true
    wait "$LK_PID" 2>/dev/null || true
  fi
  if ((KEEP)); then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$LATCHKEYD" --listen 127.0.0.1:0 --data "$WORK/data" --ready-file "$WORK/ready" \
  --bootstrap-file "$WORK/bootstrap.json" --access-log false \
  --max-connections "$MAX_CONNECTIONS" --max-connections-per-client "$PER_CLIENT" \
  --max-requests-per-connection 0 >"$WORK/latchkeyd.log" 2>&1 &
LK_PID=$!
for _ in $(seq 100); do [ -s "$WORK/ready" ] && break; sleep 0.1; done
[ -s "$WORK/ready" ] || { echo "connection_flood.sh: latchkeyd did not start:" >&2; cat "$WORK/latchkeyd.log" >&2; exit 1; }
URL=$(cat "$WORK/ready")
curl -sf --interface 127.0.0.2 -o /dev/null "$URL/healthz" ||
  { echo "connection_flood.sh: $URL/healthz does not answer from 127.0.0.2" >&2; exit 1; }
log "latchkeyd $URL (pid $LK_PID): max_connections $MAX_CONNECTIONS, per client $PER_CLIENT; flood $((PER_CLIENT + OVER)) per address, $PROBES probes per measure"
grep -E 'descriptor limit|connection limits' "$WORK/latchkeyd.log" >&2 || true

rc=0
python3 "$ROOT/bench/connection_flood.py" run --port "${URL##*:}" --per-client "$PER_CLIENT" \
  --max-connections "$MAX_CONNECTIONS" --over "$OVER" --probes "$PROBES" || rc=$?
grep -E 'refusing connections|accept failed' "$WORK/latchkeyd.log" | head -5 >&2 || true
exit "$rc"
