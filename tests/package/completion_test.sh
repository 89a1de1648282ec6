# packaging/completions/latchkey.bash lists the commands and subcommands of
# `latchkey --help` and `latchkey COMMAND --help`, no more, no fewer; and,
# where bash-completion is installed, completes a command for real.
source "$(dirname "$0")/lib.sh"
cli=${LATCHKEY_CLI:?}
completion=$source_dir/packaging/completions/latchkey.bash

subcommands_of() {  # the "Subcommands:" section of `latchkey ARGS --help`
  "$cli" "$@" --help | awk '/^Subcommands:/ { s = 1; next } /^[^ ]/ { s = 0 } s && NF { print $1 }' | sort
}
# shellcheck source=/dev/null
source "$completion"
listed() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort; }

problems=0
expected=$(subcommands_of)
[ -n "$expected" ] || fail "latchkey --help lists no subcommand"
if ! diff <(listed "$_latchkey_commands") <(printf '%s\n' "$expected") >"$work/completion.diff"; then
  say "commands differ (< completion, > latchkey --help):"
  cat "$work/completion.diff"
  problems=1
fi
for command in $expected; do
  if ! diff <(listed "$(_latchkey_subcommands "$command")") <(subcommands_of "$command") \
    >"$work/completion.diff"; then
    say "subcommands of '$command' differ (< completion, > latchkey $command --help):"
    cat "$work/completion.diff"
    problems=1
  fi
done
[ "$problems" -eq 0 ] || fail "update packaging/completions/latchkey.bash"
say "completion lists the $(wc -w <<<"$expected") commands of latchkey --help and their subcommands"

if [ -f /usr/share/bash-completion/bash_completion ]; then
  # shellcheck source=/dev/null
  source /usr/share/bash-completion/bash_completion
  source "$completion"
  complete_line() {  # complete_line WORD... : COMPREPLY for the last word
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    COMP_WORDS[0]=$cli
    _latchkey
    printf '%s\n' "${COMPREPLY[@]}"
  }
  [ "$(complete_line latchkey acc)" = access-key ] || fail "'latchkey acc<TAB>' gave: $(complete_line latchkey acc)"
  [ "$(complete_line latchkey roles add-p)" = add-permission-set ] ||
    fail "'latchkey roles add-p<TAB>' gave: $(complete_line latchkey roles add-p)"
  # Captured first: `grep -q` may exit before the producer has written
  # everything, and under pipefail its SIGPIPE failed the test now and then.
  options=$(complete_line latchkey --cli)
  grep -qx -- --client-id <<<"$options" || fail "'latchkey --cli<TAB>' gave: $options"
  say "bash-completion completes commands, subcommands and options"
else
  say "bash-completion is not installed: the completion was not exercised"
fi
