# examples/sdk-consumer, configured with find_package(latchkey) against the
# install tree of the package_tree fixture, built, and run against a real
# latchkeyd (the installed one): GET /healthz and the seed 000 token flow.
# The same main.cc is also built with pkg-config (latchkey-client.pc).
source "$(dirname "$0")/lib.sh"
prefix=$work/prefix
[ -x "$prefix/sbin/latchkeyd" ] || fail "no install tree in $prefix (package.install_tree failed?)"
state=$work/sdk-consumer
rm -rf "$state"
mkdir -p "$state"
cleanup() { [ -n "${server_pid:-}" ] && kill -KILL "$server_pid" 2>/dev/null; true; }
trap cleanup EXIT
start=$(date +%s)

cmake=${LATCHKEY_CMAKE:-cmake}
"$cmake" -S "$source_dir/examples/sdk-consumer" -B "$state/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="${LATCHKEY_CXX:-c++}" \
  -DCMAKE_BUILD_TYPE=Release >"$state/configure.log" 2>&1 || {
  cat "$state/configure.log" >&2
  fail "configuring examples/sdk-consumer with find_package(latchkey) failed"
}
"$cmake" --build "$state/build" >"$state/build.log" 2>&1 || {
  cat "$state/build.log" >&2
  fail "building examples/sdk-consumer failed"
}
# The pkg-config route to the same library.
pc_dir=$(dirname "$(find "$prefix" -name latchkey-client.pc | head -n1)")
flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs latchkey-client) ||
  fail "pkg-config latchkey-client failed"
"${LATCHKEY_CXX:-c++}" -std=c++23 -O1 "$source_dir/examples/sdk-consumer/main.cc" $flags \
  -o "$state/sdk-consumer-pc" 2>"$state/pc-build.log" || {
  cat "$state/pc-build.log" >&2
  fail "building main.cc with pkg-config flags ($flags) failed"
}
say "built with find_package and with pkg-config in $(($(date +%s) - start)) s"

start_latchkeyd "$state" "$prefix/sbin/latchkeyd" --config "$prefix/etc/latchkey/latchkeyd.toml"
client_id=$(json_field "$state/data/bootstrap.json" client_id)
client_secret=$(json_field "$state/data/bootstrap.json" client_secret)

out=$(LATCHKEY_URL=$server_url LATCHKEY_CLIENT_ID=$client_id LATCHKEY_CLIENT_SECRET=$client_secret \
  "$state/build/sdk-consumer") || fail "sdk-consumer failed: $out"
grep -qx 'healthz 200' <<<"$out" || fail "sdk-consumer: no 'healthz 200' in: $out"
grep -q '^me 200 .*"admin"' <<<"$out" || fail "sdk-consumer: /api/v1/account/me did not answer the admin: $out"
! grep -q "$client_secret" <<<"$out" || fail "sdk-consumer printed the secret"
out=$(LATCHKEY_URL=$server_url LD_LIBRARY_PATH=$(dirname "$pc_dir") "$state/sdk-consumer-pc") ||
  fail "sdk-consumer (pkg-config build) failed: $out"
grep -qx 'healthz 200' <<<"$out" || fail "sdk-consumer (pkg-config build): $out"
stop_latchkeyd
say "sdk-consumer called latchkeyd through the installed SDK (find_package and pkg-config)"
