# SPDX-License-Identifier: Apache-2.0
# bash completion for vtoken and vtokend. Installed as .../bash-completion/completions/vtoken
# and .../vtokend, where bash-completion loads it on first use; `source` it to try it by hand.
# The options of each command come from its own --help, and the names of profiles, compat modes,
# firmware and timing personalities from its tables (vtoken init --list), as are vtoken matrix's
# card personalities (vtoken matrix --list), so they are never out of date.

# The long and short options the help text of "$@" (a command line) names.
_vtoken_options() {
  "$@" --help 2>/dev/null | grep -oE -- '(^|[[ ,|])--?[a-zA-Z][a-zA-Z0-9-]*' | grep -oE -- '--?[a-zA-Z0-9-]+' | sort -u
}

# The names of the cards a running vtokend serves (inside `vtoken run`: card0, card1).
_vtoken_cards() {
  "$1" ctl status --json 2>/dev/null | grep -oE '"name": *"[^"]*"' | sed -E 's/.*"([^"]*)"$/\1/'
}

_vtoken() {
  local prog=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local cmd='' cmd_at=0 i
  local slots='9a 9c 9d 9e 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f 90 91 92 93 94 95'
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      -*) ;;
      *) cmd=${COMP_WORDS[i]} cmd_at=$i && break ;;
    esac
  done
  if [ -z "$cmd" ]; then
    if [[ $cur == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W "-h --help -V --version" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "init show run wait ctl matrix help" -- "$cur")
    fi
    return 0
  fi
  # SLOT:VALUE options: bash splits the word at ':' (COMP_WORDBREAKS)
  if [ "$prev" = : ] && [ "$COMP_CWORD" -ge 3 ]; then
    case ${COMP_WORDS[COMP_CWORD - 3]} in
      -g | --generate)
        mapfile -t COMPREPLY < <(compgen -W "rsa1024 rsa2048 rsa3072 rsa4096 p256 p384 ed25519 x25519" -- "$cur")
        return 0 ;;
      -i | --import | --ca)
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return 0 ;;
      --eku)
        mapfile -t COMPREPLY < <(compgen -W "clientAuth serverAuth codeSigning emailProtection" -- "$cur")
        return 0 ;;
    esac
  fi
  case $cmd in
    help)
      mapfile -t COMPREPLY < <(compgen -W "init show run wait ctl matrix" -- "$cur")
      return 0 ;;
    init | show | wait | run | matrix)
      if [ "$cmd" = run ] || [ "$cmd" = matrix ]; then
        for ((i = cmd_at + 1; i < COMP_CWORD; i++)); do
          if [ "${COMP_WORDS[i]}" = -- ]; then # the COMMAND and its arguments
            if [ "$i" -eq $((COMP_CWORD - 1)) ]; then
              mapfile -t COMPREPLY < <(compgen -c -- "$cur")
            else
              mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            fi
            return 0
          fi
        done
      fi
      case $prev in
        -p | --profile | --fresh | --personality)
          if [ "$cmd" = matrix ]; then # vtoken matrix's card personalities, from its table
            mapfile -t COMPREPLY < <(compgen -W "$("$prog" matrix --list 2>/dev/null | cut -d' ' -f1)" -- "$cur")
          else
            mapfile -t COMPREPLY < <(compgen -W "$("$prog" init --list profiles 2>/dev/null)" -- "$cur")
          fi
          return 0 ;;
        --compat) mapfile -t COMPREPLY < <(compgen -W "$("$prog" init --list compat 2>/dev/null)" -- "$cur") && return 0 ;;
        --junit | --html) mapfile -t COMPREPLY < <(compgen -f -- "$cur") && return 0 ;;
        -j | --jobs) [ "$cmd" = matrix ] && return 0 ;; # init -j is --json
        --transport) mapfile -t COMPREPLY < <(compgen -W "vpcd driver" -- "$cur") && return 0 ;;
        --firmware) mapfile -t COMPREPLY < <(compgen -W "$("$prog" init --list firmware 2>/dev/null)" -- "$cur") && return 0 ;;
        --timing) mapfile -t COMPREPLY < <(compgen -W "$("$prog" init --list timing 2>/dev/null)" -- "$cur") && return 0 ;;
        -g | --generate | -i | --import | --eku)
          mapfile -t COMPREPLY < <(compgen -W "$slots" -- "$cur")
          return 0 ;;
        --card | -c) mapfile -t COMPREPLY < <(compgen -d -- "$cur") && return 0 ;;
        --ca | --trace | -t) [ "$cmd" != wait ] && mapfile -t COMPREPLY < <(compgen -f -- "$cur") && return 0 ;;
        --pin-from | --puk-from | --p12-pass-from)
          mapfile -t COMPREPLY < <(compgen -W "fd: file: env:" -- "$cur")
          return 0 ;;
      esac
      if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_vtoken_options "$prog" "$cmd")" -- "$cur")
      elif [ "$cmd" = init ] || [ "$cmd" = show ]; then
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
      fi
      return 0 ;;
    ctl) ;;
    *) return 0 ;;
  esac
  # ctl [-s PATH] VERB CARD ...
  local verb='' verb_at=0
  for ((i = cmd_at + 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      -s | --socket) i=$((i + 1)) ;;
      -*) ;;
      *) verb=${COMP_WORDS[i]} verb_at=$i && break ;;
    esac
  done
  if [ -z "$verb" ]; then
    case $prev in
      -s | --socket) mapfile -t COMPREPLY < <(compgen -f -- "$cur") && return 0 ;;
    esac
    if [[ $cur == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W "-s --socket -h --help" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "status insert remove reset trace fault touch help" -- "$cur")
    fi
    return 0
  fi
  local n=$((COMP_CWORD - verb_at)) words='--help'
  case $verb in
    help) words="status insert remove reset trace fault touch" ;;
    status) words="--json -j --help" ;;
    insert | remove | reset) [ "$n" -eq 1 ] && words="$(_vtoken_cards "$prog") --help" ;;
    trace)
      case $n in
        1) words="$(_vtoken_cards "$prog") --help" ;;
        2) words="on off" ;;
        *) if [ "${COMP_WORDS[verb_at + 2]}" = on ] && [[ $cur != -* ]] && [ "$n" -eq 3 ]; then
             mapfile -t COMPREPLY < <(compgen -f -- "$cur")
             return 0
           fi
           [ "${COMP_WORDS[verb_at + 2]}" = on ] && words="--json -j" ;;
      esac ;;
    fault)
      case $n in
        1) words="$(_vtoken_cards "$prog") --help" ;;
        2) words="sw delay drop write-fail clear" ;;
        *) case $prev in
             sw) words="6982 6983 6A80 6A82 6F00" ;;
             delay) words="500ms 2s" ;;
             --ins) words="87 20 24 CB DB 47" ;;
             --p2) words="$slots" ;;
             --count | --p1) words='' ;;
             *) [ "${COMP_WORDS[verb_at + 2]}" != clear ] && words="--count --sticky --ins --p1 --p2" ;;
           esac ;;
      esac ;;
    touch)
      case $n in
        1) words="$(_vtoken_cards "$prog") --help" ;;
        2) words="--wait" ;;
        *) words='' ;;
      esac ;;
  esac
  mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
  return 0
}

_vtokend() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  COMPREPLY=()
  case $prev in
    -c | --config) mapfile -t COMPREPLY < <(compgen -f -- "$cur") && return 0 ;;
  esac
  mapfile -t COMPREPLY < <(compgen -W "$(_vtoken_options "${COMP_WORDS[0]}")" -- "$cur")
  return 0
}

complete -F _vtoken vtoken
complete -F _vtokend vtokend
