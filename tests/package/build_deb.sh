# Fixture package_deb: `cpack -G DEB` once; lintian_test.sh and
# deb_install_test.sh read the packages from $work/deb.
source "$(dirname "$0")/lib.sh"
rm -rf "$work/deb"
mkdir -p "$work/deb"
start=$(date +%s)
"${LATCHKEY_CPACK:-cpack}" -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/deb" \
  >"$work/deb/cpack.log" 2>&1 || {
  cat "$work/deb/cpack.log" >&2
  fail "cpack -G DEB failed"
}
say "cpack took $(($(date +%s) - start)) s"
shopt -s nullglob
debs=("$work/deb"/*.deb)
ddebs=("$work/deb"/*.ddeb)
[ ${#debs[@]} -eq 3 ] || fail "expected 3 .deb files, found: ${debs[*]}"
[ ${#ddebs[@]} -ge 2 ] || fail "expected -dbgsym .ddeb files, found: ${ddebs[*]}"
for f in "${debs[@]}" "${ddebs[@]}"; do
  say "$(basename "$f"): $(stat -c %s "$f") bytes"
done
