#!/usr/bin/env bash
# scripts/run.sh --help and --version answer at once: they install and build
# nothing (issue 15). Every tool run.sh would use to install or build is
# replaced on PATH by one that records its call; none may be called.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
for tool in apt-get sudo dpkg-query npm cmake ninja c++ g++ gcc; do
  printf '#!/bin/sh\necho "%s $*" >> "%s/called"\nexit 1\n' "$tool" "$fake" >"$fake/$tool"
  chmod +x "$fake/$tool"
done
failures=0
check() {  # check NAME CONDITION...
  local name=$1
  shift
  if "$@"; then echo "ok: $name"; else echo "FAILED: $name"; failures=$((failures + 1)); fi
}

help=$(PATH="$fake:$PATH" bash "$root/scripts/run.sh" --help)
check "--help exits 0 and shows the usage" grep -q '^Usage: scripts/run.sh' <<<"$help"
check "--help names the reload signal" grep -q 'SIGHUP' <<<"$help"

expected=$(sed -n 's/^project(latchkey VERSION \([0-9][0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
version=$(PATH="$fake:$PATH" bash "$root/scripts/run.sh" --version)
check "--version prints the CMake project version ($expected)" \
  grep -Eq "^latchkey $expected( \(git [^)]+\))?$" <<<"$version"
short=$(PATH="$fake:$PATH" bash "$root/scripts/run.sh" -V)
check "-V is --version" test "$short" = "$version"

check "nothing was installed or built" test ! -e "$fake/called"
[ -e "$fake/called" ] && cat "$fake/called"

if ((failures)); then
  echo "$failures failed"
  exit 1
fi
echo "5 passed, 0 failed"
