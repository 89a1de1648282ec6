#!/usr/bin/env bash
# Timing of refused client authentications (issue 13): are an unknown client
# id, a wrong secret and a disabled user's right secret indistinguishable by
# response time? (docs/security/echo-and-timing.md)
#
#   bench/auth_timing.sh [--attempts N] [--warmup N] [--latchkeyd PATH] [--check] [--keep]
#
# Starts latchkeyd on loopback with a fresh temporary data directory and the
# credential-stuffing throttle raised out of the way (--auth-throttle-*-failures
# 1000000: the bench sends tens of thousands of failures from one address),
# then runs bench/auth_timing.py: N attempts (default 10000) of each case,
# interleaved, against POST /api/v1/account/token and POST /oauth/token, and
# prints the medians and their relative differences (target < 5 %).
# --check: exit 1 when the target is missed. --keep: keep the temporary directory.
# Requires python3 and a built latchkeyd (ninja -C build latchkeyd).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LATCHKEYD="$ROOT/build/src/server/latchkeyd"
KEEP=0
PY_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --attempts | --warmup) PY_ARGS+=("$1" "$2"); shift ;;
    --latchkeyd) LATCHKEYD=$2; shift ;;
    --check) PY_ARGS+=(--check) ;;
    --keep) KEEP=1 ;;
    *) echo "auth_timing.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$LATCHKEYD" ] || { echo "auth_timing.sh: $LATCHKEYD not built: ninja -C build latchkeyd" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-auth-timing.XXXXXX")
LK_PID=""
cleanup() {
  [ -n "$LK_PID" ] && kill "$LK_PID" 2>/dev/null && wait "$LK_PID" 2>/dev/null
  if [ "$KEEP" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

"$LATCHKEYD" --listen 127.0.0.1:0 --data "$WORK/data" --ready-file "$WORK/ready" \
  --bootstrap-file "$WORK/bootstrap.json" \
  --auth-throttle-client-failures 1000000 --auth-throttle-ip-failures 1000000 \
  >"$WORK/latchkeyd.log" 2>&1 &
LK_PID=$!
for _ in $(seq 100); do [ -s "$WORK/ready" ] && [ -s "$WORK/bootstrap.json" ] && break; sleep 0.1; done
[ -s "$WORK/ready" ] || { echo "auth_timing.sh: latchkeyd did not start:" >&2; cat "$WORK/latchkeyd.log" >&2; exit 1; }
URL=$(cat "$WORK/ready")
echo "latchkeyd $URL (pid $LK_PID, $("$LATCHKEYD" --version 2>/dev/null | head -1)); $(nproc) cores"
python3 "$ROOT/bench/auth_timing.py" "$URL" "$WORK/bootstrap.json" ${PY_ARGS[@]+"${PY_ARGS[@]}"}
