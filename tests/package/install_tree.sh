# Fixture package_tree: `cmake --install` into a temporary prefix, once;
# checks that everything is there and that nothing internal leaks out:
# only liblatchkey-client, and only latchkey::client symbols exported from it.
source "$(dirname "$0")/lib.sh"
prefix=$work/prefix
rm -rf "$prefix"
start=$(date +%s)
"${LATCHKEY_CMAKE:-cmake}" --install "$build_dir" --prefix "$prefix" >"$work/install.log" 2>&1 || {
  cat "$work/install.log" >&2
  fail "cmake --install failed"
}
say "cmake --install took $(($(date +%s) - start)) s"
cd "$prefix"
libdir=$(dirname "$(find . -name 'liblatchkey-client.so.0' | head -n1)")
[ -n "$libdir" ] && [ "$libdir" != . ] || fail "liblatchkey-client.so.0 is not installed"
for f in sbin/latchkeyd bin/latchkey etc/latchkey/latchkeyd.toml \
  lib/systemd/system/latchkeyd.service lib/systemd/system/latchkey-agent@.service \
  share/man/man8/latchkeyd.8.gz share/man/man1/latchkey.1.gz \
  share/bash-completion/completions/latchkey share/doc/latchkey/examples/latchkeyd.toml \
  include/latchkey/client/client.h "$libdir/liblatchkey-client.so" \
  "$libdir/cmake/latchkey/latchkeyConfig.cmake" "$libdir/cmake/latchkey/latchkeyTargets.cmake" \
  "$libdir/pkgconfig/latchkey-client.pc"; do
  [ -e "$f" ] || fail "$prefix/$f is not installed"
done

# Nothing but the SDK in the library directory: no internal static library.
extra=$(find "$libdir" -maxdepth 1 -type f ! -name 'liblatchkey-client.so.*' -printf '%f\n')
[ -z "$extra" ] || fail "unexpected files in $libdir: $extra"
static_libraries=$(find . -name '*.a')
[ -z "$static_libraries" ] || fail "a static library is installed: $static_libraries"
# Only the SDK's namespace is exported (cmake/latchkey-client.map).
leaked=$(nm -DC --defined-only "$libdir/liblatchkey-client.so.0" |
  grep -v -e ' latchkey::client::' -e 'for latchkey::client::' -e ' LATCHKEY_CLIENT_0$' || true)
[ -z "$leaked" ] || fail "liblatchkey-client exports more than latchkey::client: $leaked"
soname=$(readelf -d "$libdir/liblatchkey-client.so.0" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = liblatchkey-client.so.0 ] || fail "SONAME is '$soname'"

# Outside /usr, the units name the binaries of this prefix.
grep -qxF "ExecStart=$prefix/sbin/latchkeyd --config $prefix/etc/latchkey/latchkeyd.toml" \
  lib/systemd/system/latchkeyd.service || fail "latchkeyd.service: $(grep ExecStart lib/systemd/system/latchkeyd.service)"
grep -qxF "ExecStart=$prefix/bin/latchkey agent --config $prefix/etc/latchkey/agent/%i.toml" \
  lib/systemd/system/latchkey-agent@.service || fail "latchkey-agent@.service: wrong ExecStart"
# The man pages are real pages made from --help.
grep -q 'LATCHKEY_CONFIG' <<<"$(zcat share/man/man8/latchkeyd.8.gz)" || fail "latchkeyd.8 lacks --config"
grep -q 'authorize' <<<"$(zcat share/man/man1/latchkey.1.gz)" || fail "latchkey.1 lacks the commands"
say "install tree complete in $prefix"
