# The three .deb files pass lintian without an error (E:). Warnings are
# printed; docs/install.md lists each with its reason.
source "$(dirname "$0")/lib.sh"
command -v lintian >/dev/null || skip "lintian is not installed (scripts/install-deps.sh installs it)"
shopt -s nullglob
debs=("$work/deb"/*.deb)
[ ${#debs[@]} -gt 0 ] || fail "no .deb in $work/deb (package.build_deb failed?)"
start=$(date +%s)
# --allow-root: CI runs as root. Overrides ship in the package
# (packaging/debian/*.lintian-overrides) and are honoured by default.
out=$(lintian --allow-root --no-tag-display-limit "${debs[@]}" 2>&1) || true
say "lintian took $(($(date +%s) - start)) s"
printf '%s\n' "$out"
if grep -q '^E:' <<<"$out"; then
  fail "lintian reports errors"
fi
say "no lintian error in ${#debs[@]} packages ($(grep -c '^W:' <<<"$out" || true) warnings)"
