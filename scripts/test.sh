#!/usr/bin/env bash
# The second command of the README: install dependencies, build, and run
# every test (unit and integration; integration tests start real latchkeyd
# processes on loopback).
#   scripts/test.sh              regular build in ./build
#   scripts/test.sh --sanitize   ASan + UBSan build in ./build-asan
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --tests

build_dir=build
cmake_args=()
if [ "${1:-}" = "--sanitize" ]; then
  build_dir=build-asan
  cmake_args=(-DLATCHKEY_SANITIZE=ON -DLATCHKEY_BUILD_BENCH=OFF)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
bash scripts/build.sh "$build_dir" "${cmake_args[@]}"
cd "$build_dir"
ctest --output-on-failure --timeout 300 -j2
