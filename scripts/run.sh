#!/usr/bin/env bash
# The first command of the README: install dependencies, build, and start
# latchkeyd on the embedded SQLite store. On the first start it bootstraps the
# admin user and prints the URL and a one-time admin credential.
#   scripts/run.sh [latchkeyd flags...]   (default: --listen 127.0.0.1:8080 --data ./latchkey-data)
#   scripts/run.sh --help | --version     (answers at once: installs and builds nothing)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build_dir=build
latchkeyd=$build_dir/src/server/latchkeyd

# Measured (issue 15, from Ninja's logs on a 2-core machine): a compile step
# costs about 7 core-seconds on average without a warm ccache; latchkeyd and
# the CLI are ~165 steps, so ~10 minutes on 2 cores.
core_seconds_per_step=7

say() { printf 'run.sh: %s\n' "$*"; }

version() {
  local v describe=""
  v=$(sed -n 's/^project(latchkey VERSION \([0-9][0-9.]*\).*/\1/p' CMakeLists.txt | head -n 1)
  if command -v git >/dev/null 2>&1; then
    describe=$(git -C "$root" describe --tags --always --dirty 2>/dev/null || true)
  fi
  echo "latchkey ${v:-unknown}${describe:+ (git $describe)}"
}

usage() {
  cat <<USAGE
Usage: scripts/run.sh [latchkeyd flags...]
       scripts/run.sh --help | --version

Installs the Debian 12 packages latchkey needs (scripts/install-deps.sh; as
root or with sudo), builds it in ./$build_dir (scripts/build.sh: CMake, Ninja,
ccache) and starts latchkeyd in the foreground. Without flags:
  --listen \${LATCHKEY_LISTEN:-127.0.0.1:8080} --data \${LATCHKEY_DATA:-./latchkey-data}
Any flags replace those defaults and go to latchkeyd unchanged.

It builds latchkeyd and the latchkey CLI only (scripts/test.sh builds the
tests): the first build is ~165 steps, about 10 minutes on 2 cores (less with
more cores or a warm ccache); later runs rebuild only what changed, in seconds.
It prints what it installs, Ninja's [done/total] progress and an estimate. The first
start creates the admin user and prints its credentials once. The data
directory holds the private signing keys: it is created mode 0700 and
./latchkey-data is git-ignored.

While it runs: Ctrl-C (SIGINT) or SIGTERM drains and stops it; SIGHUP
(kill -HUP PID) reloads the configuration file (docs/operations.md).
USAGE
  if [ -x "$latchkeyd" ]; then
    echo
    echo "latchkeyd's flags (from $latchkeyd):"
    "$latchkeyd" --help || true
  else
    echo
    echo "latchkeyd's flags: docs/configuration.md (or after the first build: scripts/run.sh --help)."
  fi
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  -V | --version) version; exit 0 ;;
esac

started=$SECONDS
say "1/3 dependencies (scripts/install-deps.sh): packages already installed are skipped"
bash scripts/install-deps.sh

say "2/3 build in ./$build_dir"
if [ ! -f "$build_dir/build.ninja" ]; then
  say "configuring with CMake (Ninja, RelWithDebInfo)"
  mkdir -p "$build_dir"
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build_dir/configure.log" 2>&1 ||
    { cat "$build_dir/configure.log"; exit 1; }
fi
# Let CMake regenerate first if it must, then ask Ninja what is left: a dry
# run prints one [n/N] line per step. It runs on a copy of the manifest,
# since a dry run over build.ninja itself stops at CMake's glob re-check.
ninja -C "$build_dir" build.ninja >/dev/null
cp "$build_dir/build.ninja" "$build_dir/.run-estimate.ninja"
remaining=$(ninja -C "$build_dir" -f .run-estimate.ninja -n latchkeyd latchkey 2>/dev/null |
  grep -c '^\[' || true)
rm -f "$build_dir/.run-estimate.ninja"
if [ "${remaining:-0}" -eq 0 ]; then
  say "build is up to date"
else
  cores=$(nproc 2>/dev/null || echo 1)
  seconds=$((remaining * core_seconds_per_step / cores))
  if [ "$seconds" -lt 60 ]; then estimate="under a minute"; else estimate="about $(((seconds + 59) / 60)) min"; fi
  say "$remaining build steps to run: $estimate on $cores cores at most" \
    "(less with a warm ccache; later runs take seconds)"
fi
build_started=$SECONDS
# Ninja shows its own [done/total] progress: one updating line on a
# terminal, one line per step otherwise.
NINJA_STATUS=${NINJA_STATUS:-"[%f/%t %p %es] "} ninja -C "$build_dir" latchkeyd latchkey
say "build done in $((SECONDS - build_started)) s (everything: $((SECONDS - started)) s)"

if [ $# -eq 0 ]; then
  set -- --listen "${LATCHKEY_LISTEN:-127.0.0.1:8080}" --data "${LATCHKEY_DATA:-./latchkey-data}"
fi
say "3/3 starting: $latchkeyd $*  (Ctrl-C stops it; kill -HUP reloads the config)"
exec "./$latchkeyd" "$@"
