# bash completion for latchkey (installed as
# /usr/share/bash-completion/completions/latchkey).
# Commands and subcommands are listed here; tests/package/completion_test.sh
# fails when they differ from `latchkey --help` and `latchkey COMMAND --help`.
# Options are read from `latchkey [COMMAND [SUBCOMMAND]] --help` when asked
# for, so they are always those of the installed binary.

_latchkey_commands="token me users access-key audit keys scan applications permission-sets roles entitlements build-access permissions authorize agent events"

_latchkey_subcommands() {
  case "$1" in
    token) echo "revoke" ;;
    users) echo "create list get update disable enable api-access revoke-tokens invite dependents allow-origins" ;;
    access-key) echo "reset retire-previous" ;;
    audit) echo "list export" ;;
    keys) echo "create list deactivate reroll report usage rotation-report allow-origins" ;;
    applications) echo "create list get add-step" ;;
    permission-sets) echo "create set-step remove-step list get" ;;
    roles) echo "create list get delete add-module remove-module add-permission-set remove-permission-set grant revoke" ;;
    entitlements) echo "grant revoke" ;;
    build-access) echo "grant revoke" ;;
    events) echo "list redeliver test" ;;
  esac
}

_latchkey() {
  local cur prev words cword
  _init_completion || return

  # The command and subcommand typed so far (options and their values skipped).
  local i word command="" subcommand=""
  for ((i = 1; i < cword; i++)); do
    word=${words[i]}
    [[ $word == -* ]] && continue
    case "${words[i - 1]}" in
      --url | --client-id | --client-secret | --token | --token-cache | --cacert) continue ;;
    esac
    if [[ -z $command ]]; then
      command=$word
    elif [[ -z $subcommand ]]; then
      subcommand=$word
    fi
  done

  case "$prev" in
    --token-cache | --cacert | --config)
      _filedir
      return
      ;;
    --url | --client-id | --client-secret | --token)
      return
      ;;
  esac

  if [[ $cur == -* ]]; then
    local help_args=()
    [[ -n $command ]] && help_args+=("$command")
    [[ -n $subcommand ]] && help_args+=("$subcommand")
    local options
    options=$("${words[0]}" "${help_args[@]}" --help 2>/dev/null |
      sed -n 's/^ *\(-[a-zA-Z],\)\{0,1\}\(--[a-zA-Z0-9-]*\).*/\2/p')
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
    return
  fi

  if [[ -z $command ]]; then
    COMPREPLY=($(compgen -W "$_latchkey_commands" -- "$cur"))
  elif [[ -z $subcommand ]]; then
    local subs
    subs=$(_latchkey_subcommands "$command")
    if [[ -n $subs ]]; then
      COMPREPLY=($(compgen -W "$subs" -- "$cur"))
    elif [[ $command == scan ]]; then
      _filedir
    fi
  fi
}
complete -F _latchkey latchkey
