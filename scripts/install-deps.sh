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
  clang-format wrk nginx-light haproxy python3
)

# Interop tests (docs/interop.md): authlib and requests for the Python client,
# npm for newman. A Node.js that is already there (with its own npm) is kept.
packages+=(python3-authlib python3-requests)
# Packaging (docs/install.md): man pages from --help, the .deb checks, and
# the bash completion test.
packages+=(help2man lintian dpkg-dev file bash-completion)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

# Fuzzing (scripts/fuzz.sh, which calls this with --fuzz): clang 14 and its
# compiler-rt, which holds libFuzzer. Not needed by the regular build and
# tests (they replay the corpora with GCC), so only on request.
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "install-deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# newman runs examples/postman (tests/integration/interop_test.cc); only when missing.
if ! command -v newman >/dev/null 2>&1; then
  npm_sudo=()
  [ "$(id -u)" -eq 0 ] || npm_sudo=(sudo)
  echo "install-deps: installing newman (npm install -g newman)"
  "${npm_sudo[@]}" npm install -g --no-audit --no-fund newman >/dev/null
fi
