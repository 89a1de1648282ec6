#!/usr/bin/env bash
# Runs one libFuzzer target (docs/security/fuzzing.md).
#   scripts/fuzz.sh TARGET SECONDS [extra libFuzzer flags...]
#   scripts/fuzz.sh --list
# Configures and builds ./build-fuzz with clang (LATCHKEY_FUZZ=ON: libFuzzer,
# ASan and UBSan), then fuzzes TARGET for SECONDS starting from its committed
# corpus fuzz/corpus/TARGET. New inputs go to build-fuzz/corpus-new/TARGET,
# never into the committed corpus (set FUZZ_MERGE=1 to merge new coverage
# into it after the run). A crash leaves build-fuzz/crash-* and exits non-zero.
# Prints the total executions and executions per second.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=$(sed -n 's/^latchkey_fuzz_target(\([a-z_0-9]*\).*/\1/p' fuzz/CMakeLists.txt)
if [ "${1:-}" = "--list" ]; then
  echo "$targets"
  exit 0
fi
if [ $# -lt 2 ]; then
  echo "usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]   (targets: $(echo $targets))" >&2
  exit 2
fi
target=$1
seconds=$2
shift 2
if ! grep -qx "$target" <<<"$targets"; then
  echo "fuzz.sh: unknown target '$target' (one of: $(echo $targets))" >&2
  exit 2
fi

bash scripts/install-deps.sh --fuzz
cxx=${FUZZ_CXX:-$(command -v clang++-14 || command -v clang++)}
build_dir=build-fuzz
if [ ! -f "$build_dir/build.ninja" ]; then
  # -O1: the usual trade-off for fuzzing (fast enough, and sanitizer reports
  # keep their line numbers). Only fuzz targets are built, not the suite.
  CXX=$cxx cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Fuzz \
    -DCMAKE_CXX_FLAGS="-O1 -g" -DLATCHKEY_FUZZ=ON -DLATCHKEY_BUILD_TESTS=OFF \
    -DLATCHKEY_BUILD_BENCH=OFF >/dev/null
fi
ninja -C "$build_dir" "${target}_fuzz" fuzz_corpus_well_formed

new_dir=$build_dir/corpus-new/$target
mkdir -p "$new_dir"
log=$build_dir/fuzz-$target.log
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
"$build_dir/fuzz/${target}_fuzz" -max_total_time="$seconds" -print_final_stats=1 \
  -artifact_prefix="$build_dir/" -max_len=${FUZZ_MAX_LEN:-4096} "$@" \
  "$new_dir" "fuzz/corpus/$target" "$build_dir/fuzz/corpus-well-formed/$target" \
  "$build_dir/fuzz/corpus-wrong-checksum/$target" 2>&1 |
  tee "$log" || status=$?

if [ "${FUZZ_MERGE:-0}" = 1 ] && [ $status -eq 0 ]; then
  "$build_dir/fuzz/${target}_fuzz" -merge=1 "fuzz/corpus/$target" "$new_dir" >/dev/null 2>&1
fi

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
echo "fuzz.sh: target=$target seconds=${secs:-$seconds} total_execs=${runs:-?} execs_per_sec=${rate:-?} exit=$status"
exit $status
