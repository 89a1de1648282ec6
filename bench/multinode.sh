#!/usr/bin/env bash
# SC2317: cleanup runs from a trap.
# shellcheck disable=SC2317
# Three latchkeyd nodes on this machine against one PostgreSQL 15 (and one
# Redis 7 for the limits), next to one latchkeyd on its embedded SQLite.
#
#   bench/multinode.sh [--duration SECS] [--warmup SECS] [--users N]
#                      [--rounds N] [--latchkeyd PATH] [--keep] [--check]
#
# Everything runs on loopback in one invocation and stops by itself (about two
# minutes with the defaults; a watchdog aborts after 300 s, or
# $LATCHKEY_BENCH_WATCHDOG_SECS):
#   1. PostgreSQL 15 (initdb in a temporary directory, durable defaults:
#      fsync and synchronous_commit on; as `nobody` when run as root) and
#      redis-server (no persistence), each on a free port;
#   2. the reference: one latchkeyd on SQLite (--data), N service accounts
#      provisioned with bench/provision.py;
#   3. three latchkeyd with --store postgres://… --limits redis://… and one
#      --jwt-issuer (default threads, as the reference); node 1 bootstraps,
#      bench/provision.py creates N service accounts through it;
#   4. bearer verification: wrk -t2 -c32 GET /api/v1/account/me with one
#      opaque token, on the SQLite node and on node 1, three rounds, alternating which goes first
#      (the better run of each); then the SQLite node's durable issuance
#      (wrk -t2 -c48 over its N accounts) for reference, and it is stopped;
#   5. durable issuance: three wrk at once (-t1 -c16, one per node, each over
#      its third of the accounts): POST /api/v1/account/token; the sum;
#   6. revocation propagation: bench/revocation_propagation.py, N rounds of
#      issue on node 1, verify on nodes 2 and 3, revoke on node 1, poll 2 and 3
#      until 401; p50/p99 of the delay from the revoke's answer;
#   7. a table.
# Targets (issue 12): verification >= 0.9 x the SQLite figure; issuance
# >= 5,000/s durable; propagation p99 <= 100 ms. --check: exit 1 on a miss.
# wrk, the nodes, PostgreSQL and Redis share the cores; see docs/performance.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=10 WARMUP=2 USERS=300 ROUNDS=200 KEEP=0 CHECK=0
LATCHKEYD="$ROOT/build/src/server/latchkeyd"
PG_BIN=/usr/lib/postgresql/15/bin
VERIFY_RATIO_TARGET=0.9 ISSUE_RPS_TARGET=5000 PROPAGATION_P99_TARGET_MS=100
WATCHDOG_SECS=${LATCHKEY_BENCH_WATCHDOG_SECS:-300}

usage() { sed -n '/^# Three latchkeyd/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --users) USERS=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --latchkeyd) LATCHKEYD=$2; shift ;;
    --keep) KEEP=1 ;;
    --check) CHECK=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "multinode.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

for tool in wrk curl python3 redis-server redis-cli "$PG_BIN/initdb" "$PG_BIN/postgres" "$PG_BIN/pg_isready" "$PG_BIN/createdb"; do
  command -v "$tool" >/dev/null || { echo "multinode.sh: $tool not found: run scripts/install-deps.sh --tests" >&2; exit 1; }
done
[ -x "$LATCHKEYD" ] || { echo "multinode.sh: $LATCHKEYD not built: ninja -C build latchkeyd" >&2; exit 1; }

log() { printf '[multinode %s] %s\n' "$(date +%T)" "$*" >&2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-multinode.XXXXXX")
chmod 755 "$WORK"
PIDS=()
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if ((KEEP)); then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
(
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  sleep "$WATCHDOG_SECS" & sleeper=$!
  wait "$sleeper"
  echo "multinode.sh: watchdog: over ${WATCHDOG_SECS}s, aborting" >&2
  kill -TERM $$
) &
PIDS+=($!)

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"  # free_port

# ---------------------------------------------------------------- PostgreSQL, Redis
AS=()  # PostgreSQL refuses to run as root
[ "$(id -u)" -eq 0 ] && AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
PG_PORT=$(free_port multinode.sh)
mkdir -p "$WORK/pg"
[ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$WORK/pg"
"${AS[@]}" "$PG_BIN/initdb" -D "$WORK/pg/data" -U latchkey --auth=trust -E UTF8 >"$WORK/initdb.log" 2>&1 \
  || { cat "$WORK/initdb.log" >&2; exit 1; }
"${AS[@]}" "$PG_BIN/postgres" -D "$WORK/pg/data" -k "$WORK/pg" -p "$PG_PORT" \
  -c listen_addresses=127.0.0.1 -c max_connections=100 -c shared_buffers=128MB \
  >"$WORK/postgres.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.1; done
"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || { echo "multinode.sh: PostgreSQL did not start:" >&2; cat "$WORK/postgres.log" >&2; exit 1; }
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U latchkey latchkey
STORE="postgres://latchkey@127.0.0.1:$PG_PORT/latchkey"
REDIS_PORT=$(free_port multinode.sh)
mkdir -p "$WORK/redis"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK/redis" \
  >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
LIMITS="redis://127.0.0.1:$REDIS_PORT"
log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on $STORE (fsync on, synchronous_commit on); Redis $LIMITS"

# ---------------------------------------------------------------- latchkeyd
# start_node NAME ARGS...: sets URL_<NAME>, PID_<NAME>.
start_node() {
  local name=$1 dir="$WORK/$1"; shift
  mkdir -p "$dir"
  "$LATCHKEYD" --listen 127.0.0.1:0 --data "$dir/data" --ready-file "$dir/ready" \
    --bootstrap-file "$dir/bootstrap.json" "$@" >"$dir/latchkeyd.log" 2>&1 &
  PIDS+=($!)
  printf -v "PID_$name" '%s' "$!"
  for _ in $(seq 200); do [ -s "$dir/ready" ] && break; sleep 0.05; done
  [ -s "$dir/ready" ] || { echo "multinode.sh: latchkeyd $name did not start:" >&2; cat "$dir/latchkeyd.log" >&2; exit 1; }
  printf -v "URL_$name" '%s' "$(cat "$dir/ready")"
}

# run_wrk NAME URL [wrk args...]: warm-up, then the measured run; sets R_*.
run_wrk() {
  local name=$1 url=$2; shift 2
  local opts=() tail=()
  while (($#)) && [ "$1" != -- ]; do opts+=("$1"); shift; done
  tail=("$@")
  ((WARMUP > 0)) && { timeout $((WARMUP + 30)) wrk -t2 -c32 -d"${WARMUP}s" "${opts[@]}" "$url" "${tail[@]}" >/dev/null 2>&1 || true; }
  timeout $((DURATION + 30)) wrk -t2 -c32 -d"${DURATION}s" --latency "${opts[@]}" "$url" "${tail[@]}" >"$WORK/wrk-$name.txt" 2>&1
  parse_bench "$WORK/wrk-$name.txt"
}
parse_bench() {
  local line kv
  line=$(grep '^BENCH ' "$1") || { echo "multinode.sh: no summary in $1:" >&2; cat "$1" >&2; exit 1; }
  for kv in ${line#BENCH }; do printf -v "R_${kv%%=*}" '%s' "${kv#*=}"; done
}
ms() { awk -v u="$1" 'BEGIN{printf "%.2f", u / 1000}'; }

log "machine: $(nproc) cores, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load average $(cut -d' ' -f1-3 /proc/loadavg)"

# 2. the single-node SQLite reference
start_node sqlite
mkdir -p "$WORK/prov-sqlite"
log "provisioning $USERS service accounts on the SQLite node"
timeout 120 python3 "$ROOT/bench/provision.py" "$WORK/sqlite/bootstrap.json" "$USERS" "$WORK/prov-sqlite"

# 3. three nodes on PostgreSQL (the same I/O threads as the SQLite node: one per core)
NODE_ARGS=(--store "$STORE" --limits "$LIMITS" --jwt-issuer https://latchkey.bench.test)
start_node n1 "${NODE_ARGS[@]}"
start_node n2 "${NODE_ARGS[@]}"
start_node n3 "${NODE_ARGS[@]}"
[ -s "$WORK/n2/bootstrap.json" ] && { echo "multinode.sh: node 2 bootstrapped a second admin" >&2; exit 1; }
log "nodes: $URL_n1 $URL_n2 $URL_n3"
mkdir -p "$WORK/prov"
log "provisioning $USERS service accounts through node 1"
timeout 120 python3 "$ROOT/bench/provision.py" "$WORK/n1/bootstrap.json" "$USERS" "$WORK/prov"

# 4. verification: SQLite node and node 1, three rounds each, the one that
# goes first alternating (the machine's load moves, and the first run after
# provisioning runs beside its leftovers); the better run of each counts.
SQLITE_RPS=0 PG_RPS=0 SQLITE_ERR=0 PG_ERR=0
verify_sqlite() {
  run_wrk "me-sqlite-$1" "$URL_sqlite/api/v1/account/me" -H "Authorization: Bearer $(cat "$WORK/prov-sqlite/me.token")" \
    -s "$ROOT/bench/wrk/summary.lua"
  log "SQLite node GET /me: $(printf '%.0f' "$R_rps") req/s, p99 $(ms "$R_p99_us") ms"
  SQLITE_ERR=$((SQLITE_ERR + R_status_errors))
  awk -v a="$R_rps" -v b="$SQLITE_RPS" 'BEGIN{exit !(a > b)}' && SQLITE_RPS=$R_rps SQLITE_P99=$R_p99_us
  return 0
}
verify_pg() {
  run_wrk "me-pg-$1" "$URL_n1/api/v1/account/me" -H "Authorization: Bearer $(cat "$WORK/prov/me.token")" \
    -s "$ROOT/bench/wrk/summary.lua"
  log "node 1 (PostgreSQL) GET /me: $(printf '%.0f' "$R_rps") req/s, p99 $(ms "$R_p99_us") ms"
  PG_ERR=$((PG_ERR + R_status_errors))
  awk -v a="$R_rps" -v b="$PG_RPS" 'BEGIN{exit !(a > b)}' && PG_RPS=$R_rps PG_P99=$R_p99_us
  return 0
}
for round in 1 2 3; do
  if ((round % 2)); then verify_sqlite "$round"; verify_pg "$round"; else verify_pg "$round"; verify_sqlite "$round"; fi
done
VERIFY_RATIO=$(awk -v a="$PG_RPS" -v b="$SQLITE_RPS" 'BEGIN{printf "%.2f", a / b}')
log "verification: node 1 on PostgreSQL x$VERIFY_RATIO the SQLite node"

# The SQLite node's durable issuance, for reference (same wrk load in all: 48 connections)
timeout $((DURATION + 30)) wrk -t2 -c48 -d"${DURATION}s" --latency -s "$ROOT/bench/wrk/token.lua" "$URL_sqlite" -- "$WORK/prov-sqlite/credentials.txt" 2 >"$WORK/wrk-token-sqlite.txt" 2>&1
parse_bench "$WORK/wrk-token-sqlite.txt"
SQLITE_ISSUE_RPS=$R_rps SQLITE_ISSUE_P99=$R_p99_us
log "SQLite node POST /account/token: $(printf '%.0f' "$R_rps")/s, p99 $(ms "$R_p99_us") ms, errors $R_status_errors"
kill -TERM "$PID_sqlite"; wait "$PID_sqlite" 2>/dev/null || true

# 5. durable issuance on the three nodes at once, each over its third of the accounts
split -n l/3 -d "$WORK/prov/credentials.txt" "$WORK/prov/creds-"
k=0
WRK_PIDS=()
for n in n1 n2 n3; do
  url_var="URL_$n"
  ( ((WARMUP > 0)) && timeout $((WARMUP + 30)) wrk -t1 -c16 -d"${WARMUP}s" -s "$ROOT/bench/wrk/token.lua" "${!url_var}" -- "$WORK/prov/creds-0$k" 1 >/dev/null 2>&1
    timeout $((DURATION + 30)) wrk -t1 -c16 -d"${DURATION}s" --latency -s "$ROOT/bench/wrk/token.lua" "${!url_var}" -- "$WORK/prov/creds-0$k" 1 >"$WORK/wrk-token-$n.txt" 2>&1 ) &
  WRK_PIDS+=($!)
  k=$((k + 1))
done
for pid in "${WRK_PIDS[@]}"; do wait "$pid"; done
ISSUE_RPS=0 ISSUE_ERR=0 ISSUE_P99=0
for n in n1 n2 n3; do
  parse_bench "$WORK/wrk-token-$n.txt"
  ISSUE_RPS=$(awk -v a="$ISSUE_RPS" -v b="$R_rps" 'BEGIN{printf "%.1f", a + b}')
  ISSUE_ERR=$((ISSUE_ERR + R_status_errors + R_connect_errors + R_read_errors + R_timeouts))
  ((R_p99_us > ISSUE_P99)) && ISSUE_P99=$R_p99_us
  log "node $n POST /account/token: $(printf '%.0f' "$R_rps")/s, p99 $(ms "$R_p99_us") ms, errors $R_status_errors"
done

# 6. revocation propagation
PROP=$(timeout 120 python3 "$ROOT/bench/revocation_propagation.py" "$WORK/prov/credentials.txt" "$ROUNDS" \
  "$URL_n1" "$URL_n2" "$URL_n3")
for kv in ${PROP#PROPAGATION }; do printf -v "P_${kv%%=*}" '%s' "${kv#*=}"; done

for n in n1 n2 n3; do
  pid_var="PID_$n"
  kill -0 "${!pid_var}" 2>/dev/null || { echo "multinode.sh: node $n exited during the run" >&2; exit 1; }
done

# 7. the table
verdict() { awk -v ok="$1" 'BEGIN{print ok ? "met" : "MISSED"}'; }
V_VERIFY=$(verdict "$(awk -v r="$VERIFY_RATIO" -v t="$VERIFY_RATIO_TARGET" -v e=$((PG_ERR + SQLITE_ERR)) 'BEGIN{print (r >= t && e == 0)}')")
V_ISSUE=$(verdict "$(awk -v r="$ISSUE_RPS" -v t="$ISSUE_RPS_TARGET" -v e="$ISSUE_ERR" 'BEGIN{print (r >= t && e == 0)}')")
V_PROP=$(verdict "$(awk -v p="$P_p99_us" -v t="$PROPAGATION_P99_TARGET_MS" -v s="$P_stale_after_1s" 'BEGIN{print (p <= t * 1000 && s == 0)}')")
echo
echo "Machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC'); wrk ${DURATION}s after ${WARMUP}s warm-up; everything on loopback, sharing the cores."
echo
echo "| scenario | figure | p99 | target | result |"
echo "|---|--:|--:|---|---|"
printf '| GET /account/me, 1 node on SQLite (reference), wrk -t2 -c32, better of 3 | %.0f req/s | %s ms | | |\n' "$SQLITE_RPS" "$(ms "$SQLITE_P99")"
printf '| GET /account/me, node 1 of 3 on PostgreSQL, wrk -t2 -c32, better of 3 | %.0f req/s (x%s) | %s ms | >= %s x SQLite | %s |\n' "$PG_RPS" "$VERIFY_RATIO" "$(ms "$PG_P99")" "$VERIFY_RATIO_TARGET" "$V_VERIFY"
printf '| POST /account/token, 3 nodes, %s users, 3 x wrk -t1 -c16 | %.0f issuances/s (errors %s) | %s ms (worst node) | >= %s/s durable | %s |\n' "$USERS" "$ISSUE_RPS" "$ISSUE_ERR" "$(ms "$ISSUE_P99")" "$ISSUE_RPS_TARGET" "$V_ISSUE"
printf '| POST /account/token, 1 node on SQLite (reference), %s users, wrk -t2 -c48 | %.0f issuances/s | %s ms | | |\n' "$USERS" "$SQLITE_ISSUE_RPS" "$(ms "$SQLITE_ISSUE_P99")"
printf '| revocation on node 1 refused by nodes 2 and 3 | p50 %s ms (%s samples, %s not seen within 1 s) | %s ms (max %s ms) | p99 <= %s ms | %s |\n' "$(ms "$P_p50_us")" "$P_samples" "$P_stale_after_1s" "$(ms "$P_p99_us")" "$(ms "$P_max_us")" "$PROPAGATION_P99_TARGET_MS" "$V_PROP"

if ((CHECK)); then
  for v in "$V_VERIFY" "$V_ISSUE" "$V_PROP"; do [ "$v" = met ] || exit 1; done
fi
exit 0
