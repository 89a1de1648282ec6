#!/usr/bin/env bash
# Installs everything latchkey needs to build, run, test and benchmark, from
# Debian 12 packages only. Idempotent: packages already present are skipped,
# and apt-get update runs only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git curl ca-certificates
  libboost1.74-dev libssl-dev libsodium-dev libsqlite3-dev sqlite3
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libcurl4-openssl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libhiredis-dev
  clang-format wrk nginx-light haproxy caddy python3
)

# Interop tests (docs/interop.md): authlib and requests for the Python client,
# npm for newman. A Node.js that is already there (with its own npm) is kept.
packages+=(python3-authlib python3-requests)
# Packaging (docs/install.md): man pages from --help, the .deb checks, and
# the bash completion test.
packages+=(help2man lintian dpkg-dev file bash-completion)
# The PostgreSQL store (docs/postgresql.md): latchkeyd links libpq.
packages+=(libpq-dev)
# latchkeyd's allocator (docs/performance.md, "The allocator").
packages+=(libjemalloc-dev)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
for option in "$@"; do
  case "$option" in
    # The web console's browser tests (scripts/test.sh, which calls this with
    # --tests; tests/e2e, docs/console.md): Debian's chromium, driven by
    # playwright-core (which never downloads a browser), and a font so that
    # pages and screenshots render text the same everywhere. The server does
    # not need them, so scripts/run.sh does not install them.
    --tests) packages+=(chromium fonts-liberation)
      # The PostgreSQL store's tests start a real PostgreSQL 15 in a temporary
      # directory (tests/support/postgres_server.h), the Redis limits tests a
      # Redis 7 (tests/support/redis_server.h); latchkeyd itself only needs
      # libpq and libhiredis.
      packages+=(postgresql-15 redis-server) ;;
    # Fuzzing (scripts/fuzz.sh, which calls this with --fuzz): clang 14 and
    # its compiler-rt, which holds libFuzzer. Not needed by the regular build
    # and tests (they replay the corpora with GCC), so only on request.
    --fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;
    *) echo "install-deps: unknown option $option (--tests, --fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# apt's machine-readable progress (APT::Status-Fd lines such as
# "pmstatus:cmake:42.8:Installing cmake") as one updating line on a terminal,
# or one line per 10 % otherwise; everything else apt says on stdout is
# dropped (its errors go to stderr).
show_apt_progress() {
  local kind package percent message phase="" shown=-10 tty=0
  [ -t 1 ] && tty=1
  while IFS=: read -r kind package percent message; do
    case "$kind" in dlstatus) message="download: $message" ;; pmstatus) ;; *) continue ;; esac
    [ "$kind" = "$phase" ] || { phase=$kind; shown=-10; }
    percent=${percent%%.*}
    if ((tty)); then
      printf '\r\033[Kinstall-deps: %3s%% %s' "$percent" "$message"
    elif ((percent >= shown + 10)); then
      shown=$percent
      printf 'install-deps: %3s%% %s\n' "$percent" "$message"
    fi
  done
  ((tty)) && printf '\r\033[K'
  return 0
}

if ((${#missing[@]})); then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "install-deps: installing ${#missing[@]} packages (and what they depend on): ${missing[*]}"
  echo "install-deps: apt-get update"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    -o APT::Status-Fd=1 "${missing[@]}" | show_apt_progress
  echo "install-deps: done"
fi

# newman runs examples/postman (tests/integration/interop_test.cc); only when missing.
if ! command -v newman >/dev/null 2>&1; then
  npm_sudo=()
  [ "$(id -u)" -eq 0 ] || npm_sudo=(sudo)
  echo "install-deps: installing newman (npm install -g newman)"
  "${npm_sudo[@]}" npm install -g --no-audit --no-fund newman >/dev/null
fi
