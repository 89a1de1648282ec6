# Shared by the package tests: messages, skipping, and a latchkeyd started
# from a given command line on a free loopback port.
set -euo pipefail

work=${LATCHKEY_PACKAGE_WORK:?run through ctest}
build_dir=${LATCHKEY_BUILD_DIR:?}
source_dir=${LATCHKEY_SOURCE_DIR:?}
# The fixtures start in parallel and in any order: each test makes the
# shared work directory itself rather than relying on another to have done it.
mkdir -p "$work"

say() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*"; }
fail() {
  say "FAIL: $*" >&2
  exit 1
}
# ctest reports exit status 77 as "skipped" (SKIP_RETURN_CODE).
skip() {
  say "SKIPPED: $*"
  exit 77
}

# start_latchkeyd STATE_DIR COMMAND... : starts COMMAND (a latchkeyd command
# line) with the environment overrides that make it use STATE_DIR and a free
# loopback port, waits until it is ready, and sets server_pid and server_url.
# The environment overrides the config file, so the command line itself is
# used unchanged (LATCHKEY_* variables, docs/configuration.md).
start_latchkeyd() {
  local state=$1
  shift
  rm -f "$state/ready"
  LATCHKEY_LISTEN=127.0.0.1:0 LATCHKEY_DATA="$state/data" \
    LATCHKEY_BOOTSTRAP_FILE="$state/data/bootstrap.json" LATCHKEY_READY_FILE="$state/ready" \
    "$@" >"$state/stdout" 2>"$state/stderr" &
  server_pid=$!
  local i
  for ((i = 0; i < 300; i++)); do  # the ready file appears within ~100 ms
    [ -s "$state/ready" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
      cat "$state/stderr" >&2
      fail "latchkeyd exited before it was ready: $*"
    fi
    sleep 0.05
  done
  [ -s "$state/ready" ] || fail "latchkeyd not ready after 15 s: $*"
  server_url=$(head -n1 "$state/ready")
}

# stop_latchkeyd: SIGTERM, and the exit status must be 0 (a clean drain).
stop_latchkeyd() {
  [ -n "${server_pid:-}" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  local status=0
  wait "$server_pid" || status=$?
  server_pid=
  [ "$status" -eq 0 ] || fail "latchkeyd exited with status $status after SIGTERM"
}

http_status() { curl -s -o /dev/null -w '%{http_code}' "$1"; }

json_field() {  # json_field FILE KEY
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}
