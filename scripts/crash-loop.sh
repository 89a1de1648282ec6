#!/usr/bin/env bash
# Crash loop (docs/security/faults.md): CYCLES times, drive mixed write load
# against latchkeyd, kill -9 it at a random moment, restart it and check every
# acknowledged write. Exits non-zero on any lost or changed write.
#
#   scripts/crash-loop.sh CYCLES [BUILD_DIR | LATCHKEYD_BINARY] [-- crash_loop.py options]
#
# The binary: the second argument (a build directory or the latchkeyd file),
# else $LATCHKEYD, else build/src/server/latchkeyd.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ $# -lt 1 || ! "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 CYCLES [BUILD_DIR | LATCHKEYD_BINARY] [-- crash_loop.py options]" >&2
  exit 2
fi
cycles="$1"
shift
target="${LATCHKEYD:-$here/../build}"
if [[ $# -gt 0 && "$1" != "--" ]]; then
  target="$1"
  shift
fi
[[ "${1:-}" == "--" ]] && shift
if [[ -d "$target" ]]; then target="$target/src/server/latchkeyd"; fi
if [[ ! -x "$target" ]]; then
  echo "crash-loop: no latchkeyd binary at $target (build it: ninja -C build latchkeyd)" >&2
  exit 2
fi
exec /usr/bin/python3 "$here/crash_loop.py" "$cycles" --latchkeyd "$target" "$@"
