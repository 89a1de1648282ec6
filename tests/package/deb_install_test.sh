# Installs the three .deb files with dpkg -i on this machine, runs the
# command line of the installed latchkeyd.service as its user, asks
# /healthz, stops it, purges the packages and checks what is left: nothing
# but the users latchkey and latchkey-agent (docs/install.md). Needs root and
# dpkg (CI runs as root on a disposable machine); skipped otherwise, and
# skipped when latchkey is already installed or /var/lib/latchkey exists (a
# purge would delete someone's data).
source "$(dirname "$0")/lib.sh"
command -v dpkg >/dev/null || skip "dpkg is not available"
[ "$(id -u)" -eq 0 ] || skip "needs root to run dpkg -i (CI runs the tests as root)"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not available"
if dpkg-query -W -f='${Status}' latchkey liblatchkey-client0 liblatchkey-client-dev 2>/dev/null |
  grep -q 'installed'; then
  skip "a latchkey package is already installed on this machine; not replacing it"
fi
[ ! -e /var/lib/latchkey ] || skip "/var/lib/latchkey exists; purging would delete it"

shopt -s nullglob
debs=("$work/deb"/*.deb)
[ ${#debs[@]} -eq 3 ] || fail "expected 3 .deb files in $work/deb (package.build_deb failed?)"
state=$(mktemp -d /tmp/latchkey-deb-test.XXXXXX)
installed=
libdir=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)
cleanup() {
  [ -n "${server_pid:-}" ] && kill -KILL "$server_pid" 2>/dev/null
  [ -n "$installed" ] && dpkg --purge latchkey liblatchkey-client-dev liblatchkey-client0 >/dev/null 2>&1
  rm -rf "$state"
}
trap cleanup EXIT
start=$(date +%s)

dpkg -i "${debs[@]}" >"$state/dpkg-install.log" 2>&1 || {
  cat "$state/dpkg-install.log" >&2
  fail "dpkg -i failed"
}
installed=1
for f in /usr/sbin/latchkeyd /usr/bin/latchkey /etc/latchkey/latchkeyd.toml \
  /lib/systemd/system/latchkeyd.service /lib/systemd/system/latchkey-agent@.service \
  /usr/share/man/man8/latchkeyd.8.gz /usr/share/man/man1/latchkey.1.gz \
  /usr/share/bash-completion/completions/latchkey /usr/share/doc/latchkey/copyright \
  /usr/include/latchkey/client/client.h "$libdir/cmake/latchkey/latchkeyConfig.cmake" \
  "$libdir/pkgconfig/latchkey-client.pc" "$libdir/liblatchkey-client.so.0"; do
  [ -e "$f" ] || fail "$f is not installed"
done
for user in latchkey latchkey-agent; do
  entry=$(getent passwd "$user") || fail "postinst did not create the user $user"
  [ "${entry##*:}" = /usr/sbin/nologin ] || fail "$user has a login shell: $entry"
  uid=$(cut -d: -f3 <<<"$entry")
  [ "$uid" -lt 1000 ] || fail "$user is not a system user: $entry"
done
# Stripped: the debug information is in the -dbgsym packages.
for bin in /usr/sbin/latchkeyd /usr/bin/latchkey; do
  if grep -q '\.debug_info' <<<"$(readelf -S "$bin")"; then fail "$bin is not stripped"; fi
done
/usr/sbin/latchkeyd --version | grep -q '^latchkeyd ' || fail "latchkeyd --version"
/usr/bin/latchkey --version | grep -q '^latchkey ' || fail "latchkey --version"

unit=/lib/systemd/system/latchkeyd.service
if command -v systemd-analyze >/dev/null; then
  # Checks the syntax and the binaries the units run. Lines about other
  # units (a container without a booted systemd has a few) do not count.
  # A template is verified through an instance of it.
  cp /lib/systemd/system/latchkey-agent@.service "$state/latchkey-agent@test.service"
  for u in "$unit" "$state/latchkey-agent@test.service"; do
    out=$(systemd-analyze verify "$u" 2>&1) || true
    # Lines about other units (a container without a booted systemd has a
    # few) do not count; the agent's config file need not exist.
    if grep -i latchkey <<<"$out" | grep -v 'agent/test\.toml' >&2; then
      fail "systemd-analyze verify $u reports the lines above"
    fi
  done
  say "systemd-analyze verify: no complaint about the units"
else
  say "systemd-analyze not available: units not verified"
fi

# The unit's own command line, as its user, with the unit's hardening that
# does not need systemd (no new privileges, no capability).
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[ -n "$exec_start" ] || fail "no ExecStart= in $unit"
read -r -a command_line <<<"$exec_start"
[ "${command_line[0]}" = /usr/sbin/latchkeyd ] || fail "$unit runs ${command_line[0]}, not /usr/sbin/latchkeyd"
unit_env=()
while IFS= read -r line; do unit_env+=("$line"); done < <(sed -n 's/^Environment=//p' "$unit")
grep -q '^User=latchkey$' "$unit" || fail "$unit does not run as User=latchkey"
chown latchkey:latchkey "$state"
chmod 0700 "$state"
say "starting: $exec_start"
start_latchkeyd "$state" env "${unit_env[@]}" \
  LATCHKEY_LISTEN=127.0.0.1:0 LATCHKEY_DATA="$state/data" \
  LATCHKEY_BOOTSTRAP_FILE="$state/data/bootstrap.json" LATCHKEY_READY_FILE="$state/ready" \
  setpriv --reuid=latchkey --regid=latchkey --init-groups --no-new-privs \
  --inh-caps=-all --bounding-set=-all -- "${command_line[@]}"
status=$(http_status "$server_url/healthz")
[ "$status" = 200 ] || fail "GET $server_url/healthz answered $status"
[ "$(stat -c '%U %a' "$state/data/bootstrap.json")" = "latchkey 600" ] ||
  fail "bootstrap.json is not latchkey's with mode 0600: $(stat -c '%U %a' "$state/data/bootstrap.json")"
# stdout carries the first-start credentials (the secret too, depending on
# the log format), which is why the unit sends it to /dev/null instead of
# the journal.
[ -s "$state/stdout" ] || fail "the first start printed nothing on stdout"
grep -qx 'StandardOutput=null' "$unit" || fail "$unit lets stdout (the admin secret) reach the journal"
# liblatchkey-client-dev as installed: find_package(latchkey) from /usr.
cmake=${LATCHKEY_CMAKE:-cmake}
"$cmake" -S "$source_dir/examples/sdk-consumer" -B "$state/consumer" -G Ninja \
  -DCMAKE_CXX_COMPILER="${LATCHKEY_CXX:-c++}" >"$state/consumer.log" 2>&1 &&
  "$cmake" --build "$state/consumer" >>"$state/consumer.log" 2>&1 || {
  cat "$state/consumer.log" >&2
  fail "examples/sdk-consumer does not build against the installed liblatchkey-client-dev"
}
out=$(LATCHKEY_URL=$server_url LATCHKEY_CLIENT_ID=$(json_field "$state/data/bootstrap.json" client_id) \
  LATCHKEY_CLIENT_SECRET=$(json_field "$state/data/bootstrap.json" client_secret) \
  "$state/consumer/sdk-consumer") || fail "sdk-consumer against the packaged SDK failed: $out"
grep -q '^me 200 ' <<<"$out" || fail "sdk-consumer against the packaged SDK: $out"
stop_latchkeyd
say "the unit's ExecStart answered GET /healthz 200 as user latchkey, the packaged SDK called it, it stopped cleanly"

# Purge: the files are gone, the data directory too; the users stay.
mkdir -p /var/lib/latchkey && touch /var/lib/latchkey/latchkey.db  # what StateDirectory= holds
dpkg --purge latchkey liblatchkey-client-dev liblatchkey-client0 >"$state/dpkg-purge.log" 2>&1 || {
  cat "$state/dpkg-purge.log" >&2
  fail "dpkg --purge failed"
}
installed=
for f in /usr/sbin/latchkeyd /usr/bin/latchkey /etc/latchkey /var/lib/latchkey \
  /lib/systemd/system/latchkeyd.service /lib/systemd/system/latchkey-agent@.service \
  /usr/share/man/man8/latchkeyd.8.gz /usr/share/bash-completion/completions/latchkey \
  /usr/share/doc/latchkey /usr/include/latchkey "$libdir/cmake/latchkey" \
  "$libdir/pkgconfig/latchkey-client.pc"; do
  [ ! -e "$f" ] || fail "$f is still there after dpkg --purge"
done
leftover=("$libdir"/liblatchkey-client.so*)  # nullglob: empty when none is left
[ ${#leftover[@]} -eq 0 ] || fail "still there after dpkg --purge: ${leftover[*]}"
getent passwd latchkey >/dev/null || fail "purge removed the user latchkey (documented: it stays)"
say "installed, ran and purged in $(($(date +%s) - start)) s"
