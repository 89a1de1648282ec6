#!/usr/bin/env bash
# Configures and builds latchkey with Ninja (+ ccache when present).
#   scripts/build.sh [BUILD_DIR] [extra cmake args...]
# LATCHKEY_DEBUG_INFO=lines builds with line tables only (-g1): enough for
# sanitizer stack traces, a fifth of the disk of full debug info (CI uses it).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
shift || true
if [ "${LATCHKEY_DEBUG_INFO:-}" = lines ]; then
  set -- "$@" "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
fi
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
elif [ $# -gt 0 ]; then
  cmake -S . -B "$build_dir" "$@" >/dev/null
fi
ninja -C "$build_dir"
