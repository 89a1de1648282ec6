#!/usr/bin/env bash
# SC2154: the R_* variables are assigned with printf -v; SC2317: cleanup runs from a trap.
# shellcheck disable=SC2154,SC2317
# Load benchmark of latchkeyd, side by side with nginx, HAProxy and
# node-oidc-provider on the same machine.
#
#   bench/run.sh [--markdown] [--duration SECS] [--warmup SECS] [--users N]
#                [--latchkeyd PATH] [--threads N] [--keep] [--check]
#
# Everything runs on loopback in one invocation and stops by itself (about five
# minutes with the defaults; a watchdog aborts the run after 600 s, or
# $LATCHKEY_BENCH_WATCHDOG_SECS):
#   1. nginx (Debian nginx-light) with worker_processes 1 and 2, each answering
#      `return 200 '{"ok":true}'`: the reference is the faster of the two;
#   2. latchkeyd on a fresh temporary data directory (its defaults, access log
#      on and written to a file; default threads);
#   3. wrk -t2 -c32 --latency against nginx;
#   4. wrk -t2 -c32 --latency: GET /api/v1/account/me with one opaque bearer
#      token;
#   5. wrk -t2 -c32 --latency: POST /v1/authorize (one allowed decision, then
#      one denied), GET /api/v1/account/me with a JWT from an API key, and the
#      two key exchanges POST /v2/auth/token/access and POST /auth/login;
#   6. OAuth (docs/oauth.md): POST /oauth/introspect (one valid token) and
#      POST /oauth/token (client credentials), client_secret_basic, of
#      latchkeyd and of node-oidc-provider (bench/oidc, in-memory adapter; `npm
#      ci` there when node_modules is missing; skipped without node/npm);
#   7. gateway mode (issue 5): GET through latchkeyd's [[gateway_routes]] to
#      the 2-worker nginx, vs straight to it, vs through nginx proxy_pass (2
#      workers, upstream keepalive 32: the gateway's reference) and HAProxy
#      (nbthread 2, http-reuse always) to the same nginx; then all four again
#      paced at about half of the gateway's peak, for the p99 latency each adds;
#   8. wrk -t2 -c64 --latency: POST /api/v1/account/token, rotating the HTTP
#      Basic header over N service accounts provisioned through the admin API;
#   9. a table (--markdown: a markdown table ready to paste).
# wrk and the servers share the machine's cores; see bench/README.md.
# --threads N: latchkeyd --threads (default: its own, one per core).
# --check: exit 1 when a target is missed. --keep: keep the temporary directory
# (configs, logs, raw wrk output). Requires wrk, nginx, haproxy, curl, python3
# (scripts/install-deps.sh) and a built latchkeyd (ninja -C build latchkeyd);
# node >= 20 and npm for the node-oidc-provider rows.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MARKDOWN=0 DURATION=10 WARMUP=2 USERS=200 KEEP=0 CHECK=0 LK_THREADS=""
LATCHKEYD="$ROOT/build/src/server/latchkeyd"
WRK_THREADS=2 READ_CONNS=32 TOKEN_CONNS=64
# Targets (issue 10): /me (opaque token) >= 0.7 x the nginx reference with
# p99 < 5 ms; /me with a key JWT and /v1/authorize (allow) >= 0.65 x;
# >= 10,000 durable issuances/s over the N users; gateway >= 0.75 x nginx
# proxy_pass to the same upstream, and p99 added < 1 ms at half its peak;
# /oauth/introspect >= 10 x and /oauth/token >= 4 x node-oidc-provider.
ME_RATIO_TARGET=0.7 ME_P99_TARGET_MS=5 TOKEN_RPS_TARGET=10000
JWT_RATIO_TARGET=0.65 AUTHZ_RATIO_TARGET=0.65
GW_RATIO_TARGET=0.75 GW_ADDED_P99_TARGET_MS=1
INTROSPECT_X_OIDC_TARGET=10 OAUTH_TOKEN_X_OIDC_TARGET=4
WATCHDOG_SECS=${LATCHKEY_BENCH_WATCHDOG_SECS:-600}

usage() { sed -n '/^# Load benchmark/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --markdown) MARKDOWN=1 ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --users) USERS=$2; shift ;;
    --latchkeyd) LATCHKEYD=$2; shift ;;
    --threads) LK_THREADS=$2; shift ;;
    --keep) KEEP=1 ;;
    --check) CHECK=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

for tool in wrk nginx haproxy curl python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found: run scripts/install-deps.sh" >&2; exit 1; }
done
[ -x "$LATCHKEYD" ] || { echo "run.sh: $LATCHKEYD not built: ninja -C build latchkeyd" >&2; exit 1; }

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-bench.XXXXXX")
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

# The watchdog bounds the whole run; the trap above then stops every process.
(
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  sleep "$WATCHDOG_SECS" & sleeper=$!
  wait "$sleeper"
  echo "run.sh: watchdog: over ${WATCHDOG_SECS}s, aborting" >&2
  kill -TERM $$
) &
PIDS+=($!)

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"  # free_port

wait_http() {  # URL [extra curl args]: until it answers 200, for up to 10 s
  local url=$1; shift
  for _ in $(seq 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$@" "$url" || true)" = 200 ] && return 0
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------- nginx
declare -A NGINX_URL NGINX_PID
# start_nginx NAME WORKERS [UPSTREAM]: answers `return 200` itself, or with
# UPSTREAM (host:port) proxies everything there over a keep-alive pool.
start_nginx() {
  local name=$1 workers=$2 upstream=${3:-} dir="$WORK/nginx-$1" port user_line="" upstream_block="" location
  mkdir -p "$dir/logs"
  port=$(free_port run.sh)
  if [ -n "$upstream" ]; then
    # The pool keeps up to 32 idle connections per worker and, like the
    # servers' own keepalive_requests, never retires a busy one.
    upstream_block="upstream bench_upstream {
    server $upstream;
    keepalive 32;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
  }"
    location="proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";"
  else
    location="default_type application/json;
      return 200 '{\"ok\":true}';"
  fi
  # Run as the current user. As root, keep the workers as root too instead of
  # nginx's default "nobody" (the directive is ignored for other users).
  [ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);"
  cat >"$dir/nginx.conf" <<EOF
$user_line
worker_processes $workers;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;   # default 1000 would close wrk's connections
  client_body_temp_path $dir/client_body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  $upstream_block
  server {
    # reuseport: the kernel spreads wrk's 32 connections evenly over the
    # workers; without it one worker often takes most of them and the
    # 2-worker figure swings between the 1-worker figure and its best.
    listen 127.0.0.1:$port reuseport;
    location / {
      $location
    }
  }
}
EOF
  nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/logs/error.log" -g 'daemon off;' \
    >"$dir/logs/stdout.log" 2>&1 &
  NGINX_PID[$name]=$!
  PIDS+=($!)
  NGINX_URL[$name]="http://127.0.0.1:$port/"
  wait_http "${NGINX_URL[$name]}" || { echo "run.sh: nginx $name ($workers workers) did not start:" >&2; cat "$dir/logs/"* >&2; exit 1; }
}

# ---------------------------------------------------------------- HAProxy
# start_haproxy UPSTREAM (host:port): HAProxy in the foreground (one process,
# nbthread 2), reusing idle server connections for any client (http-reuse
# always), no logging.
start_haproxy() {
  local upstream=$1 dir="$WORK/haproxy" port
  mkdir -p "$dir"
  port=$(free_port run.sh)
  cat >"$dir/haproxy.cfg" <<EOF
global
  nbthread 2
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
frontend bench
  bind 127.0.0.1:$port
  default_backend upstream
backend upstream
  server nginx $upstream
EOF
  haproxy -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
  HAPROXY_PID=$!
  PIDS+=($!)
  HAPROXY_URL="http://127.0.0.1:$port/"
  wait_http "$HAPROXY_URL" || { echo "run.sh: haproxy did not start:" >&2; cat "$dir/haproxy.log" >&2; exit 1; }
}

# ---------------------------------------------------------------- node-oidc-provider
# start_oidc: bench/oidc/server.mjs with one client (random secret), after `npm
# ci` when its node_modules is missing. Sets OIDC_URL, OIDC_PID, OIDC_BASIC, or
# OIDC_SKIP (why the rows are skipped) when node/npm are missing or too old or
# npm ci fails; a provider that then does not start is an error.
OIDC_SKIP=""
start_oidc() {
  local dir="$WORK/oidc" oidc_dir="$ROOT/bench/oidc" port node_major client_id secret
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    OIDC_SKIP="node/npm not found (scripts/install-deps.sh installs them)"; return 0
  fi
  node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if ((node_major < 20)); then
    OIDC_SKIP="node $(node --version) is too old for oidc-provider 9 (needs >= 20)"; return 0
  fi
  if [ ! -d "$oidc_dir/node_modules/oidc-provider" ]; then
    log "npm ci in bench/oidc (oidc-provider, pinned by its package-lock.json; no install scripts)"
    (cd "$oidc_dir" && timeout 300 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >"$WORK/npm-ci.log" 2>&1 || {
      cat "$WORK/npm-ci.log" >&2
      OIDC_SKIP="npm ci failed in bench/oidc (offline?), see above"; return 0
    }
  fi
  mkdir -p "$dir"
  port=$(free_port run.sh)
  client_id="bench-client"
  secret=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  OIDC_BASIC=$(printf '%s:%s' "$client_id" "$secret" | base64 -w0)
  BENCH_OIDC_CLIENT_ID=$client_id BENCH_OIDC_CLIENT_SECRET=$secret NODE_ENV=production \
    node "$oidc_dir/server.mjs" "$port" "$dir/ready" >"$dir/oidc.log" 2>&1 &
  OIDC_PID=$!
  PIDS+=($!)
  for _ in $(seq 200); do [ -s "$dir/ready" ] && break; kill -0 "$OIDC_PID" 2>/dev/null || break; sleep 0.1; done
  [ -s "$dir/ready" ] || { echo "run.sh: node-oidc-provider did not start:" >&2; cat "$dir/oidc.log" >&2; exit 1; }
  OIDC_URL="http://127.0.0.1:$port"
  OIDC_VERSION=$(node -p 'require(process.argv[1]).version' "$oidc_dir/node_modules/oidc-provider/package.json")
}

# ---------------------------------------------------------------- CPU time
CLK_TCK=$(getconf CLK_TCK)
proc_ticks() {  # PID...: utime+stime of these processes (all their threads)
  local pid total=0 stat rest
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    rest=${stat##*) }           # fields from 3 on (the name may hold spaces)
    read -r -a f <<<"$rest"
    total=$((total + f[11] + f[12]))  # fields 14 and 15
  done
  echo "$total"
}
server_pids() {  # MASTER_PID: it and its children (nginx workers)
  echo "$1"
  ps -o pid= --ppid "$1" 2>/dev/null || true
}

# ---------------------------------------------------------------- wrk
# run_wrk NAME CONNS SERVER_PID URL [wrk args...]: a warm-up run, then the
# measured run. Sets R_<field> from the BENCH line, R_srv_cpu / R_wrk_cpu (%
# of one core over the run), R_errors (socket errors).
run_wrk() {
  local name=$1 conns=$2 spid=$3 url=$4; shift 4
  local out="$WORK/wrk-$name.txt" t0 t1 pids line kv
  # wrk wants the URL before the script's own arguments ("-- ARGS...")
  local opts=() tail=()
  while (($#)) && [ "$1" != -- ]; do opts+=("$1"); shift; done
  tail=("$@")
  set -- "${opts[@]}" "$url" "${tail[@]}"
  if ((WARMUP > 0)); then
    timeout $((WARMUP + 30)) wrk -t"$WRK_THREADS" -c"$conns" -d"${WARMUP}s" "$@" >"$WORK/wrk-$name-warmup.txt" 2>&1 || true
  fi
  pids=$(server_pids "$spid")
  # shellcheck disable=SC2086
  t0=$(proc_ticks $pids)
  local TIMEFORMAT='%U %S'
  { time timeout $((DURATION + 30)) wrk -t"$WRK_THREADS" -c"$conns" -d"${DURATION}s" --latency "$@" >"$out" 2>&1; } 2>"$WORK/time-$name.txt" \
    || { echo "run.sh: wrk failed for $name:" >&2; cat "$out" >&2; exit 1; }
  # shellcheck disable=SC2086
  t1=$(proc_ticks $pids)
  line=$(grep '^BENCH ' "$out") || { echo "run.sh: no summary from wrk for $name:" >&2; cat "$out" >&2; exit 1; }
  for kv in ${line#BENCH }; do printf -v "R_${kv%%=*}" '%s' "${kv#*=}"; done
  R_srv_cpu=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v us="$R_duration_us" 'BEGIN{printf "%.0f", d / hz / (us / 1e6) * 100}')
  R_wrk_cpu=$(awk -v us="$R_duration_us" '{printf "%.0f", ($1 + $2) / (us / 1e6) * 100}' "$WORK/time-$name.txt")
  R_errors=$((R_connect_errors + R_read_errors + R_write_errors + R_timeouts))
  log "$(printf '%-22s %10.0f req/s  p50 %6.2f ms  p99 %6.2f ms  status>=400 %s  socket errors %s  server CPU %s%%  wrk CPU %s%%' \
    "$name" "$R_rps" "$(ms "$R_p50_us")" "$(ms "$R_p99_us")" "$R_status_errors" "$R_errors" "$R_srv_cpu" "$R_wrk_cpu")"
}
ratio_verdict() {  # RATIO TARGET (uses R_status_errors, R_errors)
  awk -v r="$1" -v t="$2" -v e=$((R_status_errors + R_errors)) 'BEGIN{print (r >= t && e == 0) ? "met" : "MISSED"}'
}
ms() { awk -v u="$1" 'BEGIN{printf "%.2f", u / 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a / b}'; }  # A B: A / B
json_field() {  # NAME: that field of the JSON object on stdin ("" if absent or not JSON)
  python3 -c 'import json, sys
try: print(json.load(sys.stdin).get(sys.argv[1], ""))
except ValueError: print("")' "$1"
}

# Table rows: name|conns|rps|p50_us|p99_us|ratio|status_errors|socket_errors|srv_cpu|wrk_cpu|target|verdict
ROWS=()
NOTES=()  # printed under the table
add_row() {  # NAME CONNS RATIO TARGET VERDICT (uses R_*)
  ROWS+=("$1|$2|$R_rps|$R_p50_us|$R_p99_us|$3|$R_status_errors|$R_errors|$R_srv_cpu|$R_wrk_cpu|$4|$5")
}

# ---------------------------------------------------------------- run
CPU_MODEL=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
cpu_idle_percent() {  # over the next 2 s, from /proc/stat (idle + iowait)
  local a b c d e f g h t1 i1
  read -r _ a b c d e f g h _ </proc/stat; t1=$((a + b + c + d + e + f + g + h)); i1=$((d + e))
  sleep 2
  read -r _ a b c d e f g h _ </proc/stat
  echo $(((d + e - i1) * 100 / (a + b + c + d + e + f + g + h - t1)))
}
IDLE_PCT=$(cpu_idle_percent)
log "machine: $(nproc) cores, $CPU_MODEL; CPU idle ${IDLE_PCT}% over 2 s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
((IDLE_PCT >= 90)) || log "WARNING: the machine is busy (only ${IDLE_PCT}% idle before the run): figures will be low and noisy"
log "wrk -t$WRK_THREADS, ${DURATION}s per scenario after a ${WARMUP}s warm-up; work dir $WORK"
# Durable issuance is bounded by the disk's flush latency: measure it where the
# store lives (100 synchronous 4 KiB writes).
DATA_FS=$(findmnt -n -o FSTYPE -T "$WORK" 2>/dev/null || echo "?")
FSYNC_MS=$(dd if=/dev/zero of="$WORK/dsync-probe" bs=4k count=100 oflag=dsync 2>&1 \
  | awk '/copied/ { for (i = 1; i <= NF; i++) if ($i ~ /^s,?$/) { printf "%.2f", $(i-1) * 10; exit } }')
rm -f "$WORK/dsync-probe"
log "store filesystem: $DATA_FS; one synchronous 4 KiB write takes ${FSYNC_MS:-?} ms (dd oflag=dsync)"
[ "$DATA_FS" = tmpfs ] && log "WARNING: $WORK is on tmpfs: fsync is free and the issuance figure is not durable; set TMPDIR to a disk"

start_nginx 1 1
start_nginx 2 2
# The gateway's peers: nginx proxy_pass and HAProxy in front of the same
# 2-worker nginx as latchkeyd's gateway route.
GW_UPSTREAM=${NGINX_URL[2]#http://}
GW_UPSTREAM=${GW_UPSTREAM%/}
start_nginx proxy 2 "$GW_UPSTREAM"
start_haproxy "$GW_UPSTREAM"
start_oidc
[ -n "$OIDC_SKIP" ] && log "node-oidc-provider rows SKIPPED: $OIDC_SKIP"

mkdir -p "$WORK/latchkeyd"
# Gateway mode: one route to the 2-worker nginx, for any authenticated caller.
cat >"$WORK/latchkeyd/latchkeyd.toml" <<EOF
[[gateway_routes]]
method = "GET"
path = "/gw/ok"
upstream = "${NGINX_URL[2]%/}"
action = "authenticated"
EOF
"$LATCHKEYD" --config "$WORK/latchkeyd/latchkeyd.toml" --listen 127.0.0.1:0 --data "$WORK/latchkeyd/data" \
  --ready-file "$WORK/latchkeyd/ready" --bootstrap-file "$WORK/latchkeyd/bootstrap.json" \
  ${LK_THREADS:+--threads "$LK_THREADS"} >"$WORK/latchkeyd/latchkeyd.log" 2>&1 &
LK_PID=$!
PIDS+=("$LK_PID")
for _ in $(seq 100); do [ -s "$WORK/latchkeyd/ready" ] && break; sleep 0.1; done
[ -s "$WORK/latchkeyd/ready" ] || { echo "run.sh: latchkeyd did not start:" >&2; cat "$WORK/latchkeyd/latchkeyd.log" >&2; exit 1; }
LK_URL=$(cat "$WORK/latchkeyd/ready")
wait_http "$LK_URL/readyz" || { echo "run.sh: latchkeyd not ready" >&2; exit 1; }
log "latchkeyd $LK_URL (pid $LK_PID, $("$LATCHKEYD" --version 2>/dev/null | head -1), ${LK_THREADS:-default} I/O threads); nginx $(nginx -v 2>&1 | cut -d/ -f2); $(haproxy -v | head -1 | cut -d' ' -f1-3)${OIDC_SKIP:+; no node-oidc-provider}${OIDC_URL:+; node-oidc-provider $OIDC_VERSION on node $(node --version) $OIDC_URL}"

log "provisioning 1 + $USERS service accounts through the admin API"
timeout 120 python3 "$ROOT/bench/provision.py" "$WORK/latchkeyd/bootstrap.json" "$USERS" "$WORK"
ME_TOKEN=$(cat "$WORK/me.token")
THREADS_NOTE=${LK_THREADS:+ (--threads $LK_THREADS)}

# 3. the reference: nginx with 1 and 2 workers; the faster one is the reference.
run_wrk nginx-1-worker "$READ_CONNS" "${NGINX_PID[1]}" "${NGINX_URL[1]}" -s "$ROOT/bench/wrk/summary.lua"
add_row "nginx return 200, 1 worker" "$READ_CONNS" nginx "" ""
NGINX1_RPS=$R_rps
run_wrk nginx-2-workers "$READ_CONNS" "${NGINX_PID[2]}" "${NGINX_URL[2]}" -s "$ROOT/bench/wrk/summary.lua"
add_row "nginx return 200, 2 workers" "$READ_CONNS" nginx "" ""
NGINX2_RPS=$R_rps
if awk -v a="$NGINX1_RPS" -v b="$NGINX2_RPS" 'BEGIN{exit !(a > b)}'; then
  REF_RPS=$NGINX1_RPS REF_NAME="1 worker" REF_ROW=0
else
  REF_RPS=$NGINX2_RPS REF_NAME="2 workers" REF_ROW=1
fi
ROWS[REF_ROW]="${ROWS[REF_ROW]/, 1 worker|/, 1 worker (reference)|}"
ROWS[REF_ROW]="${ROWS[REF_ROW]/, 2 workers|/, 2 workers (reference)|}"
log "reference: nginx with $REF_NAME ($(printf '%.0f' "$REF_RPS") req/s)"

# 4. the hot path
run_wrk me "$READ_CONNS" "$LK_PID" "$LK_URL/api/v1/account/me" \
  -H "Authorization: Bearer $ME_TOKEN" -s "$ROOT/bench/wrk/summary.lua"
ME_RATIO=$(ratio "$R_rps" "$REF_RPS")
ME_OK=$(awk -v r="$ME_RATIO" -v rt="$ME_RATIO_TARGET" -v p="$R_p99_us" -v pt="$ME_P99_TARGET_MS" -v e=$((R_status_errors + R_errors)) \
  'BEGIN{print (r >= rt && p < pt * 1000 && e == 0) ? "met" : "MISSED"}')
add_row "latchkeyd GET /account/me, opaque token$THREADS_NOTE" "$READ_CONNS" "$ME_RATIO" ">= ${ME_RATIO_TARGET} x nginx, p99 < ${ME_P99_TARGET_MS} ms" "$ME_OK"

# 4b. the other hot paths (issues 3 and 4): a permission decision, and /me
# authenticated by an ES256 JWT from an API key; both served from memory.
# provision.py checked that authorize.json is allowed (200, "allow") and
# authorize-deny.json denied (403, "deny", module_missing).
run_wrk authorize "$READ_CONNS" "$LK_PID" "$LK_URL" \
  -s "$ROOT/bench/wrk/post_json.lua" -- /v1/authorize "$WORK/authorize.json" "$ME_TOKEN"
AUTHZ_RATIO=$(ratio "$R_rps" "$REF_RPS")
AUTHZ_OK=$(ratio_verdict "$AUTHZ_RATIO" "$AUTHZ_RATIO_TARGET")
add_row "latchkeyd POST /v1/authorize, allow$THREADS_NOTE" "$READ_CONNS" "$AUTHZ_RATIO" ">= ${AUTHZ_RATIO_TARGET} x nginx" "$AUTHZ_OK"
run_wrk authorize-deny "$READ_CONNS" "$LK_PID" "$LK_URL" \
  -s "$ROOT/bench/wrk/post_json.lua" -- /v1/authorize "$WORK/authorize-deny.json" "$ME_TOKEN"
add_row "latchkeyd POST /v1/authorize, deny (403)$THREADS_NOTE" "$READ_CONNS" nginx "" ""
((R_status_errors == R_requests)) || log "WARNING: the deny scenario had $((R_requests - R_status_errors)) answers below 400"
NOTES+=("POST /v1/authorize, deny: every answer is a 403 decision (module_missing), so its status>=400 count is all its requests.")

run_wrk me-jwt "$READ_CONNS" "$LK_PID" "$LK_URL/api/v1/account/me" \
  -H "Authorization: Bearer $(cat "$WORK/me.jwt")" -s "$ROOT/bench/wrk/summary.lua"
JWT_RATIO=$(ratio "$R_rps" "$REF_RPS")
JWT_OK=$(ratio_verdict "$JWT_RATIO" "$JWT_RATIO_TARGET")
add_row "latchkeyd GET /account/me with a key JWT$THREADS_NOTE" "$READ_CONNS" "$JWT_RATIO" ">= ${JWT_RATIO_TARGET} x nginx" "$JWT_OK"

# The two key exchanges (seeds 004, 003): an ES256 signature per token; the
# login also decides reuse in one durable store write.
run_wrk key-access "$READ_CONNS" "$LK_PID" "$LK_URL" \
  -s "$ROOT/bench/wrk/post_json.lua" -- /v2/auth/token/access "$WORK/key.json"
add_row "latchkeyd POST /v2/auth/token/access$THREADS_NOTE" "$READ_CONNS" "" "" ""
run_wrk key-login "$READ_CONNS" "$LK_PID" "$LK_URL" \
  -s "$ROOT/bench/wrk/post_json.lua" -- /auth/login "$WORK/login-key.json"
add_row "latchkeyd POST /auth/login, one session$THREADS_NOTE" "$READ_CONNS" "" "" ""

# 4c. OAuth (docs/oauth.md), side by side with node-oidc-provider: both
# authenticate the client with client_secret_basic on every request;
# introspection of one valid token of the client's own (latchkeyd: an ES256 JWT
# from its /oauth/token; the provider: an opaque token from its adapter), then
# the client credentials grant. Introspection runs first: the provider's
# in-memory adapter is an LRU of 1000 entries, which its token run floods.
printf 'grant_type=client_credentials' >"$WORK/oauth-token.form"
oauth_token() {  # URL BASIC: an access token from URL/oauth/token
  curl -s -X POST "$1/oauth/token" -H "Authorization: Basic $2" --data-binary @"$WORK/oauth-token.form" \
    -H 'Content-Type: application/x-www-form-urlencoded' | json_field access_token
}
check_active() {  # NAME URL BASIC FORM: the introspection answers active
  [ "$(curl -s -X POST "$2/oauth/introspect" -H "Authorization: Basic $3" --data-binary @"$4" \
    -H 'Content-Type: application/x-www-form-urlencoded' | json_field active)" = True ] \
    || { echo "run.sh: $1 does not introspect its own token as active" >&2; exit 1; }
}
ME_BASIC=$(cat "$WORK/me.basic")
LK_OAUTH_TOKEN=$(oauth_token "$LK_URL" "$ME_BASIC")
[ -n "$LK_OAUTH_TOKEN" ] || { echo "run.sh: latchkeyd /oauth/token gave no token" >&2; exit 1; }
printf 'token=%s' "$LK_OAUTH_TOKEN" >"$WORK/lk-introspect.form"
check_active latchkeyd "$LK_URL" "$ME_BASIC" "$WORK/lk-introspect.form"
INTRO_OK=skipped OTOKEN_OK=skipped
if [ -z "$OIDC_SKIP" ]; then
  OIDC_TOKEN=$(oauth_token "$OIDC_URL" "$OIDC_BASIC")
  [ -n "$OIDC_TOKEN" ] || { echo "run.sh: node-oidc-provider /oauth/token gave no token:" >&2; cat "$WORK/oidc/oidc.log" >&2; exit 1; }
  printf 'token=%s' "$OIDC_TOKEN" >"$WORK/oidc-introspect.form"
  check_active node-oidc-provider "$OIDC_URL" "$OIDC_BASIC" "$WORK/oidc-introspect.form"
  run_wrk oidc-introspect "$READ_CONNS" "$OIDC_PID" "$OIDC_URL" \
    -s "$ROOT/bench/wrk/post_form.lua" -- /oauth/introspect "$WORK/oidc-introspect.form" "Basic $OIDC_BASIC"
  add_row "node-oidc-provider POST /oauth/introspect" "$READ_CONNS" nginx "" ""
  OIDC_INTRO_RPS=$R_rps
fi
run_wrk introspect "$READ_CONNS" "$LK_PID" "$LK_URL" \
  -s "$ROOT/bench/wrk/post_form.lua" -- /oauth/introspect "$WORK/lk-introspect.form" "Basic $ME_BASIC"
if [ -z "$OIDC_SKIP" ]; then
  INTRO_RATIO=$(ratio "$R_rps" "$OIDC_INTRO_RPS")
  INTRO_OK=$(ratio_verdict "$INTRO_RATIO" "$INTROSPECT_X_OIDC_TARGET")
  add_row "latchkeyd POST /oauth/introspect (x oidc-provider)$THREADS_NOTE" "$READ_CONNS" "$INTRO_RATIO" ">= ${INTROSPECT_X_OIDC_TARGET} x oidc-provider" "$INTRO_OK"
else
  add_row "latchkeyd POST /oauth/introspect$THREADS_NOTE" "$READ_CONNS" nginx ">= ${INTROSPECT_X_OIDC_TARGET} x oidc-provider" "$INTRO_OK"
fi
if [ -z "$OIDC_SKIP" ]; then
  run_wrk oidc-token "$READ_CONNS" "$OIDC_PID" "$OIDC_URL" \
    -s "$ROOT/bench/wrk/post_form.lua" -- /oauth/token "$WORK/oauth-token.form" "Basic $OIDC_BASIC"
  add_row "node-oidc-provider POST /oauth/token" "$READ_CONNS" nginx "" ""
  OIDC_TOKEN_RPS=$R_rps
fi
run_wrk oauth-token "$READ_CONNS" "$LK_PID" "$LK_URL" \
  -s "$ROOT/bench/wrk/post_form.lua" -- /oauth/token "$WORK/oauth-token.form" "Basic $ME_BASIC"
if [ -z "$OIDC_SKIP" ]; then
  OTOKEN_RATIO=$(ratio "$R_rps" "$OIDC_TOKEN_RPS")
  OTOKEN_OK=$(ratio_verdict "$OTOKEN_RATIO" "$OAUTH_TOKEN_X_OIDC_TARGET")
  add_row "latchkeyd POST /oauth/token (x oidc-provider)$THREADS_NOTE" "$READ_CONNS" "$OTOKEN_RATIO" ">= ${OAUTH_TOKEN_X_OIDC_TARGET} x oidc-provider" "$OTOKEN_OK"
else
  add_row "latchkeyd POST /oauth/token$THREADS_NOTE" "$READ_CONNS" nginx ">= ${OAUTH_TOKEN_X_OIDC_TARGET} x oidc-provider" "$OTOKEN_OK"
  NOTES+=("node-oidc-provider rows skipped: $OIDC_SKIP.")
fi

# 4d. gateway mode (issue 5): through latchkeyd to nginx vs straight to the
# same nginx, and vs nginx proxy_pass and HAProxy in front of it (no auth),
# back to back with the same connections. nginx proxy_pass is the reference.
run_wrk gw-direct "$READ_CONNS" "${NGINX_PID[2]}" "${NGINX_URL[2]}gw/ok" -s "$ROOT/bench/wrk/summary.lua"
add_row "nginx direct (gateway's upstream, 2 workers)" "$READ_CONNS" nginx "" ""
GW_DIRECT_RPS=$R_rps
run_wrk nginx-proxy "$READ_CONNS" "${NGINX_PID[proxy]}" "${NGINX_URL[proxy]}gw/ok" -s "$ROOT/bench/wrk/summary.lua"
add_row "nginx proxy_pass -> nginx (2 workers)" "$READ_CONNS" nginx "" ""
GW_PROXY_RPS=$R_rps
run_wrk haproxy "$READ_CONNS" "$HAPROXY_PID" "${HAPROXY_URL}gw/ok" -s "$ROOT/bench/wrk/summary.lua"
add_row "HAProxy -> nginx (nbthread 2)" "$READ_CONNS" nginx "" ""
GW_HAPROXY_RPS=$R_rps
run_wrk gateway "$READ_CONNS" "$LK_PID" "$LK_URL/gw/ok" \
  -H "Authorization: Bearer $ME_TOKEN" -s "$ROOT/bench/wrk/summary.lua"
GW_PEAK_RPS=$R_rps
GW_RATIO=$(ratio "$R_rps" "$GW_PROXY_RPS")
GW_HAPROXY_RATIO=$(ratio "$R_rps" "$GW_HAPROXY_RPS")
GW_DIRECT_RATIO=$(ratio "$R_rps" "$GW_DIRECT_RPS")
GW_OK=$(ratio_verdict "$GW_RATIO" "$GW_RATIO_TARGET")
add_row "latchkeyd gateway -> nginx (x proxy_pass)$THREADS_NOTE" "$READ_CONNS" "$GW_RATIO" ">= ${GW_RATIO_TARGET} x nginx proxy_pass" "$GW_OK"
NOTES+=("latchkeyd gateway: $GW_RATIO x nginx proxy_pass, $GW_HAPROXY_RATIO x HAProxy, $GW_DIRECT_RATIO x nginx direct (the proxies authenticate nothing).")
log "gateway: $GW_RATIO x nginx proxy_pass, $GW_HAPROXY_RATIO x HAProxy, $GW_DIRECT_RATIO x nginx direct"
# Half of the gateway's peak: each connection waits so that conns x 1000 /
# delay is about peak / 2 (latency makes the real rate a little lower). The
# proxies run at the same pace, for the p99 latency each of them adds.
GW_DELAY_MS=$(awk -v p="$GW_PEAK_RPS" -v c="$READ_CONNS" 'BEGIN{d = int(c * 2000 / p + 0.5); print (d < 1) ? 1 : d}')
export LK_BENCH_WRK_DIR="$ROOT/bench/wrk"
run_wrk gw-direct-paced "$READ_CONNS" "${NGINX_PID[2]}" "${NGINX_URL[2]}gw/ok" -s "$ROOT/bench/wrk/paced.lua" -- "$GW_DELAY_MS"
add_row "nginx direct, paced (${GW_DELAY_MS} ms between requests)" "$READ_CONNS" "" "" ""
GW_DIRECT_P99=$R_p99_us
added_ms() { awk -v a="$R_p99_us" -v b="$GW_DIRECT_P99" 'BEGIN{printf "%.2f", (a - b) / 1000}'; }
run_wrk nginx-proxy-paced "$READ_CONNS" "${NGINX_PID[proxy]}" "${NGINX_URL[proxy]}gw/ok" -s "$ROOT/bench/wrk/paced.lua" -- "$GW_DELAY_MS"
add_row "nginx proxy_pass, paced (p99 added $(added_ms) ms)" "$READ_CONNS" "" "" ""
run_wrk haproxy-paced "$READ_CONNS" "$HAPROXY_PID" "${HAPROXY_URL}gw/ok" -s "$ROOT/bench/wrk/paced.lua" -- "$GW_DELAY_MS"
add_row "HAProxy, paced (p99 added $(added_ms) ms)" "$READ_CONNS" "" "" ""
run_wrk gateway-paced "$READ_CONNS" "$LK_PID" "$LK_URL/gw/ok" \
  -H "Authorization: Bearer $ME_TOKEN" -s "$ROOT/bench/wrk/paced.lua" -- "$GW_DELAY_MS"
GW_ADDED_MS=$(added_ms)
GW_P99_OK=$(awk -v d="$GW_ADDED_MS" -v t="$GW_ADDED_P99_TARGET_MS" -v e=$((R_status_errors + R_errors)) \
  'BEGIN{print (d < t && e == 0) ? "met" : "MISSED"}')
add_row "latchkeyd gateway, paced (p99 added ${GW_ADDED_MS} ms)" "$READ_CONNS" "" "p99 added < ${GW_ADDED_P99_TARGET_MS} ms at ~half peak" "$GW_P99_OK"

# 5. durable issuance across many users
run_wrk token "$TOKEN_CONNS" "$LK_PID" "$LK_URL" -s "$ROOT/bench/wrk/token.lua" -- "$WORK/credentials.txt" "$WRK_THREADS"
TOKEN_OK=$(awk -v r="$R_rps" -v t="$TOKEN_RPS_TARGET" -v e=$((R_status_errors + R_errors)) \
  'BEGIN{print (r >= t && e == 0) ? "met" : "MISSED"}')
add_row "latchkeyd POST /account/token, $USERS users$THREADS_NOTE" "$TOKEN_CONNS" "" ">= ${TOKEN_RPS_TARGET}/s durable, 0 errors" "$TOKEN_OK"

# Sanity after the load: latchkeyd still runs, issues a token to one of the
# rotated users, and accepts that token.
kill -0 "$LK_PID" 2>/dev/null || { echo "run.sh: latchkeyd exited during the run" >&2; exit 1; }
CHECK_TOKEN=$(curl -s -X POST "$LK_URL/api/v1/account/token" -H "Authorization: Basic $(head -1 "$WORK/credentials.txt")" \
  | grep -o '"access_token": *"[^"]*"' | sed 's/.*"\(lk_at_[^"]*\)"$/\1/') || true
wait_http "$LK_URL/api/v1/account/me" -H "Authorization: Bearer ${CHECK_TOKEN:-none}" \
  || { echo "run.sh: after the run, a freshly issued token was not accepted" >&2; exit 1; }

# ---------------------------------------------------------------- table
NOTES=("ratio: x the nginx return-200 reference, except where the scenario names its peer ((x proxy_pass), (x oidc-provider))." "${NOTES[@]}")
echo
if ((MARKDOWN)); then
  echo "Machine: $(nproc) cores, $CPU_MODEL; store on $DATA_FS (synchronous 4 KiB write: ${FSYNC_MS:-?} ms); $(date -u '+%Y-%m-%d %H:%M UTC'); wrk -t$WRK_THREADS -d${DURATION}s --latency, loopback; wrk shares the cores with the server."
  echo
  echo "| scenario | conns | req/s | p50 | p99 | ratio | status ≥400 | socket errors | server CPU | wrk CPU | target | result |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|"
  for row in "${ROWS[@]}"; do
    IFS='|' read -r n c r p50 p99 ratio se ne sc wc tg v <<<"$row"
    [ "$ratio" = nginx ] && ratio=$(ratio "$r" "$REF_RPS")
    printf '| %s | %s | %.0f | %s ms | %s ms | %s | %s | %s | %s%% | %s%% | %s | %s |\n' \
      "$n" "$c" "$r" "$(ms "$p50")" "$(ms "$p99")" "${ratio:-}" "$se" "$ne" "$sc" "$wc" "${tg:-}" "${v:-}"
  done
  echo
  for note in "${NOTES[@]}"; do echo "- $note"; done
else
  printf '%-52s %5s %9s %8s %8s %6s %7s %7s %6s %6s  %s\n' \
    scenario conns req/s p50_ms p99_ms ratio 'st>=400' sockerr srvCPU wrkCPU "target: result"
  for row in "${ROWS[@]}"; do
    IFS='|' read -r n c r p50 p99 ratio se ne sc wc tg v <<<"$row"
    [ "$ratio" = nginx ] && ratio=$(ratio "$r" "$REF_RPS")
    printf '%-52s %5s %9.0f %8s %8s %6s %7s %7s %5s%% %5s%%  %s\n' \
      "$n" "$c" "$r" "$(ms "$p50")" "$(ms "$p99")" "${ratio:--}" "$se" "$ne" "$sc" "$wc" "${tg:+$tg: $v}"
  done
  for note in "${NOTES[@]}"; do echo "- $note"; done
  echo "(server/wrk CPU: % of one core over the measured run; the machine has $(nproc) cores in all."
  echo " Store on $DATA_FS, synchronous 4 KiB write ${FSYNC_MS:-?} ms.)"
fi

# --check: every measured target; the oidc-provider ratios only when measured.
[ -n "$OIDC_SKIP" ] && log "WARNING: the /oauth targets were not checked: $OIDC_SKIP"
if ((CHECK)); then
  for verdict in "$ME_OK" "$JWT_OK" "$AUTHZ_OK" "$TOKEN_OK" "$GW_OK" "$GW_P99_OK" "$INTRO_OK" "$OTOKEN_OK"; do
    [[ "$verdict" == met || "$verdict" == skipped ]] || exit 1
  done
fi
exit 0
