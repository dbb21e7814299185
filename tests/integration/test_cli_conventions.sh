#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The command-line conventions of the field's tools, for every command and every ctl verb:
# --help and -h answer on stdout with exit 0, an unknown option exits 64 (EX_USAGE) with a
# message, -V/--version on vtoken and vtokend, usage errors exit 64 and name the expected form,
# exclusive options are refused, short forms work, `vtoken wait` outside `vtoken run` points at
# it; and the bash completion that `cmake --install` puts where bash-completion looks loads and
# completes commands, verbs and options.
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
# ctl checks its words before it talks to a daemon: a usage error must say so without one
export VTOKEN_CONTROL=$T/no-daemon.sock

# expect_status STATUS WHAT -- COMMAND...: COMMAND exits STATUS; its output in $T/out, $T/err
expect_status() {
  local want=$1 what=$2 rc=0
  shift 3
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  [ "$rc" -eq "$want" ] || fail "$what: '$*' exited $rc, not $want (stdout: $(head -c 300 "$T/out"); stderr: $(head -c 300 "$T/err"))"
}

version=$(sed -n 's/^project(vtoken VERSION \([0-9.]*\).*/\1/p' "$VT_SRC/CMakeLists.txt")
for opt in -V --version; do
  expect_eq "$("$VTOKEN" $opt)" "vtoken $version" "vtoken $opt"
  expect_eq "$("$VTOKEND" $opt)" "vtokend $version" "vtokend $opt"
done

# ---- every command and verb: --help answers, a bad option is a usage error ----------------
commands=("$VTOKEN" "$VTOKEND")
for c in init show run wait ctl matrix; do commands+=("$VTOKEN $c"); done
for v in status insert remove reset trace fault touch; do commands+=("$VTOKEN ctl $v"); done
n=0
for c in "${commands[@]}"; do
  read -ra cmd <<<"$c"
  for h in --help -h; do
    expect_status 0 "help" -- "${cmd[@]}" $h
    grep -q '^Usage: ' "$T/out" || fail "'$c $h' prints no Usage line: $(head -c 300 "$T/out")"
    [ ! -s "$T/err" ] || fail "'$c $h' wrote to stderr: $(cat "$T/err")"
  done
  case $c in
    *" ctl "status) bad=(--no-such-option) ;;
    *" ctl "*) bad=(card0 --no-such-option) ;;
    *) bad=(--no-such-option) ;;
  esac
  expect_status 64 "bad option" -- "${cmd[@]}" "${bad[@]}"
  grep -q -- '--no-such-option' "$T/err" || fail "'$c ${bad[*]}' does not name the option: $(cat "$T/err")"
  [ ! -s "$T/out" ] || fail "'$c ${bad[*]}' wrote to stdout: $(cat "$T/out")"
  n=$((n + 1))
done
pass "--help and -h exit 0, a bad option exits 64, for $n commands and verbs"
expect_status 0 "help" -- "$VTOKEN" ctl remove --help
expect_match "$(cat "$T/out")" '^Usage: vtoken ctl .*remove CARD' "vtoken ctl remove --help describes remove"
expect_status 0 "help" -- "$VTOKEN" help wait
expect_match "$(cat "$T/out")" '^Usage: vtoken wait' "vtoken help COMMAND is COMMAND --help"
expect_status 0 "help" -- "$VTOKEN" ctl help fault
expect_match "$(cat "$T/out")" '--sticky' "vtoken ctl help VERB is VERB --help"

# ---- usage errors: 64, with the form expected --------------------------------------------
usage_error() { # WANT-IN-STDERR ARGS...
  local want=$1
  shift
  expect_status 64 "usage error" -- "$@"
  grep -qF -- "$want" "$T/err" || fail "'$*': '$(cat "$T/err")' does not say '$want'"
  echo "  $* -> $(head -n1 "$T/err")"
}
usage_error "SLOT:ALG" "$VTOKEN" init img --generate 9a
usage_error "SLOT:FILE" "$VTOKEN" init img --import key.pem
usage_error "KEY:CERT" "$VTOKEN" init img --ca ca.key
usage_error "SLOT:USAGES" "$VTOKEN" init img --eku codeSigning
usage_error "/CN=.../O=..." "$VTOKEN" init img --subject CN=x
usage_error "unknown profile 'yubikey' (piv, ecert, openpgp, " "$VTOKEN" init img --profile yubikey
usage_error "none or yubikey" "$VTOKEN" init img --compat yes
usage_error "6 to 8 characters" "$VTOKEN" init img --pin 123
usage_error "given twice" "$VTOKEN" init img --generate 9a:p256 --generate 9a:p384
usage_error "--pin-complexity needs --firmware 5.7.1" "$VTOKEN" init img --pin-complexity
usage_error "IMAGE is missing" "$VTOKEN" init
usage_error "IMAGE is missing" "$VTOKEN" show
usage_error "goes with --json" "$VTOKEN" init img --show-pin
usage_error "'\"' or a newline" "$VTOKEN" run --reader-name 'a"b' -- true
usage_error "no COMMAND" "$VTOKEN" run
usage_error "exclude each other" "$VTOKEN" wait --cards 3 --exactly 1
usage_error "exclude each other" "$VTOKEN" wait --exactly 1 --exactly 2
usage_error "expected seconds" "$VTOKEN" wait --timeout soon
usage_error "exclude each other" "$VTOKEN" ctl fault card0 sw 6982 --count 2 --sticky
usage_error "4 hex digits" "$VTOKEN" ctl fault card0 sw 69
usage_error "2 hex digits" "$VTOKEN" ctl fault card0 drop --p2 9
usage_error "unknown KIND 'boom'" "$VTOKEN" ctl fault card0 boom
# the daemon's own grammar (protocol/fault_spec.c) judges in the CLI: what the daemon would
# refuse never reaches it
usage_error "delay needs a unit: '2' is a bare number; write e.g. delay 2ms or delay 2s" "$VTOKEN" ctl fault card0 delay 2
usage_error "delay needs a time with its unit" "$VTOKEN" ctl fault card0 delay 2h
usage_error "delay needs a time with its unit" "$VTOKEN" ctl fault card0 delay 3601s
usage_error "unexpected 'extra'" "$VTOKEN" ctl fault card0 drop extra
usage_error "CARD is missing" "$VTOKEN" ctl remove
usage_error "on or off" "$VTOKEN" ctl trace card0
usage_error "unknown verb 'pull'" "$VTOKEN" ctl pull card0
usage_error "unknown command 'start'" "$VTOKEN" start
usage_error "unexpected argument" "$VTOKEND" extra
[ ! -e img ] || fail "a refused init made an image"
pass "usage errors exit 64 and name the expected form"

# every profile vtoken knows is named where the profiles are listed
profiles=$({ "$VTOKEN" run --fresh no-such-profile -- true 2>&1 || true; } | sed -n 's/.*(one of: \(.*\))$/\1/p' | tr -d ',')
[ "$(wc -w <<<"$profiles")" -ge 5 ] || fail "the profiles were not found in vtoken run's message: '$profiles'"
for p in $profiles; do
  grep -qF -- " $p" <<<"$("$VTOKEN" --help)" || fail "vtoken --help does not name the profile $p"
  for page in vtoken.1 vtokend.8; do
    grep -qF -- "$p" <<<"$(sed 's/\\-/-/g' "$VT_SRC/docs/man/$page")" || fail "$page does not name the profile $p"
  done
  grep -qF -- "\`$p\`" "$VT_SRC/README.md" || fail "README does not name the profile $p"
done
pass "vtoken --help, vtoken(1), vtokend(8) and README name every profile: $profiles"
# a well-formed request goes to the daemon: none here, so 69 (EX_UNAVAILABLE), not a usage error
expect_status 69 "no daemon" -- "$VTOKEN" ctl fault card0 sw 6982 --ins 87 --p2 9c --sticky
expect_status 69 "no daemon" -- "$VTOKEN" ctl status -j
# outside a run, with no service's socket: a hint where ctl looks and what to do
if [ ! -e /run/vtoken/control.sock ]; then
  expect_status 69 "no daemon" -- env -u VTOKEN_CONTROL "$VTOKEN" ctl status
  grep -q "not inside 'vtoken run' (\$VTOKEN_CONTROL is not set)" "$T/err" ||
    fail "vtoken ctl outside a run gives no hint: $(cat "$T/err")"
fi
pass "well-formed requests reach for the daemon (exit 69 without one)"

# ---- short forms ---------------------------------------------------------------------------
"$VTOKEN" init short -p ecert -g 9a:p256 -s /CN=Short/O=x -j >short.json || fail "init with short options"
"$VTOKEN" init short -f -g 9c:p256 -j >short2.json || fail "init -f"
expect_eq "$(jq -r '.profile + " " + ([.slots[].slot] | join(","))' short.json)" "ecert 9a" "init -p -g -s -j"
expect_eq "$(jq -r '.profile + " " + ([.slots[].slot] | join(","))' short2.json)" "piv 9c" "init -f replaces the image"
expect_eq "$("$VTOKEN" show short -j | jq -r .guid)" "$(jq -r .guid short2.json)" "show -j"

# ---- vtoken wait outside vtoken run --------------------------------------------------------
expect_status 1 "wait outside run" -- env -u VTOKEN_CARDS PCSCLITE_CSOCK_NAME="$T/no-pcscd" "$VTOKEN" wait --timeout 1
expect_match "$(cat "$T/err")" "not inside 'vtoken run'.*vtoken run \[--card IMAGE\] -- COMMAND" \
  "vtoken wait outside a run points at vtoken run"

# ---- bash completion, installed by cmake --install -----------------------------------------
: "${VT_BUILD:?set by ctest: the build directory}"
DESTDIR="$T/dest" cmake --install "$VT_BUILD" --prefix /usr >install.log 2>&1 || fail "cmake --install: $(cat install.log)"
dir=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null) || dir=/usr/share/bash-completion/completions
[ -n "$dir" ] || dir=/usr/share/bash-completion/completions
for c in vtoken vtokend; do
  [ -f "$T/dest$dir/$c" ] || fail "cmake --install put no $dir/$c: $(find "$T/dest" -path '*completion*')"
done
pass "cmake --install puts the completion in $dir"
completes() { # EXPECTED WORDS...: what bash completes for the command line WORDS (last: the word being typed)
  local want=$1
  shift
  got=$(bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    "_${COMP_WORDS[0]##*/}"; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$T/dest$dir/vtoken" "$@")
  expect_eq "$got" "$want" "completion of '$*'"
}
expect_eq "$(bash -c 'source "$1" && complete -p vtoken vtokend' _ "$T/dest$dir/vtoken")" \
  "complete -F _vtoken vtoken
complete -F _vtokend vtokend" "the completion file loads in bash (complete -p)"
completes "ctl help init matrix run show wait " "$VTOKEN" ""
completes "--help --version " "$VTOKEN" --
completes "ctl " "$VTOKEN" c
completes "fault " "$VTOKEN" ctl fa
# the fault kinds completed are those of the grammar's table (protocol/fault_spec.c), as
# `vtoken ctl fault --help` lists them, and clear
kinds=$( { "$VTOKEN" ctl fault --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'; echo clear; } | sort | tr '\n' ' ')
[ "$(wc -w <<<"$kinds")" -ge 5 ] || fail "the fault kinds were not found in ctl fault --help: '$kinds'"
completes "$kinds" "$VTOKEN" ctl fault card0 ""
completes "--count --ins --p1 --p2 --sticky " "$VTOKEN" ctl fault card0 sw 6982 --
# profiles, compat modes, firmware and timing personalities: completed from vtoken's own tables
# (vtoken init --list), which the refusals of a wrong name list too
for table in profiles:--profile compat:--compat firmware:--firmware timing:--timing; do
  want=$("$VTOKEN" init --list "${table%%:*}" | sort | tr '\n' ' ')
  completes "$want" "$VTOKEN" init img "${table#*:}" ""
done
completes "$("$VTOKEN" init --list profiles | sort | tr '\n' ' ')" "$VTOKEN" run --fresh ""
completes "$("$VTOKEN" init --list timing | sort | tr '\n' ' ')" "$VTOKEN" run --timing ""
expect_match "$("$VTOKEN" init --list profiles | tr '\n' ' ')" '^piv ecert openpgp ' "the profiles table"
expect_match "$("$VTOKEN" init --list compat | tr '\n' ' ')" '^none yubikey $' "the compat table"
expect_match "$("$VTOKEN" init --list firmware | tr '\n' ' ')" '5\.4\.3 5\.7\.1' "the firmware table"
expect_match "$("$VTOKEN" init --list timing | tr '\n' ' ')" '^instant yubikey5 $' "the timing table"
names=$("$VTOKEN" init --list profiles | sed 's/$/, /' | tr -d '\n' | sed -E 's/, $//; s/, ([^,]*)$/ or \1/')
expect_match "$("$VTOKEN" init img --profile nosuch 2>&1)" "\\($(sed 's/[+.]/\\&/g' <<<"$names")\\)" \
  "a wrong profile is refused with the table's names"
usage_error "--list profiles, compat, firmware or timing" "$VTOKEN" init --list colours
usage_error "unknown timing 'slow' (instant or yubikey5)" "$VTOKEN" init img --timing slow
usage_error "unknown --timing 'slow': expected instant or yubikey5" "$VTOKEN" run --timing slow -- true
completes "driver vpcd " "$VTOKEN" run --transport ""
# vtoken matrix's personalities, from its table (vtoken matrix --list)
completes "$("$VTOKEN" matrix --list | cut -d' ' -f1 | sort | tr '\n' ' ')" "$VTOKEN" matrix --personality ""
completes "yubikey-5.3.0 yubikey-5.4.3 yubikey-5.7.1 yubikey5 " "$VTOKEN" matrix -p yub
completes "--jobs --json --junit " "$VTOKEN" matrix --j
completes "--cards " "$VTOKEN" wait --c
completes "--show-pin " "$VTOKEN" show --json --sh
completes "p256 p384 " "$VTOKEN" init img --generate 9a : p
completes "--check-config --config " "$VTOKEND" --c
# through bash-completion's own loader, from the installed place
if [ -f /usr/share/bash-completion/bash_completion ]; then
  got=$(XDG_DATA_DIRS="$T/dest/usr/share" BASH_COMPLETION_USER_DIR="$T/none" bash -c '
    source /usr/share/bash-completion/bash_completion
    if declare -F _comp_load >/dev/null; then _comp_load vtoken; else __load_completion vtoken; fi
    complete -p vtoken')
  expect_eq "$got" "complete -F _vtoken vtoken" "bash-completion loads the installed file by itself"
fi
