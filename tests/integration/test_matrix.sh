#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtoken matrix: COMMAND once per card personality, each in a `vtoken run` of its own with a
# fresh card of that personality (checked by the card PC/SC shows and the image's profile,
# firmware and compat), up to --jobs at a time (two runs that wait for each other pass with
# --jobs 2; --jobs 1 never overlaps two); the table, the failed ones' output, the exit status;
# --json, and --junit validated by xmllint against tests/data/junit.xsd; the personalities
# named from the profile and firmware tables; bad input refused with the reason; a SIGTERM
# ends every run and leaves nothing behind.
source "$(dirname "$0")/lib.sh"
M=$VTOKEN_BIN # matrix runs `vtoken run` itself: the binary, not lib.sh's wrapper
command -v jq >/dev/null || skip "jq is not installed"
command -v xmllint >/dev/null || skip "xmllint (libxml2-utils) is not installed"
command -v opensc-tool >/dev/null || skip "opensc-tool is not installed"

# --- the personalities: each profile, and a YubiKey 5 at each firmware personality
list=$("$M" matrix --list)
echo "$list"
names=$(awk '{print $1}' <<<"$list")
want=$( ("$M" init --list profiles; "$M" init --list firmware | sed 's/^/yubikey-/') | tr ' ' '\n' | grep .)
expect_eq "$names" "$want" "the personalities are the profiles and a YubiKey 5 at each firmware, from their tables"
for p in piv ecert openpgp piv+openpgp oath fido yubikey5 yubikey-5.4.3 yubikey-5.7.1; do
  grep -qx -- "$p" <<<"$names" || fail "$p is not a personality"
done
pass "the issue's personalities are there"
expect_match "$list" '^yubikey-5\.7\.1 +PIV \+ OpenPGP \+ OATH \+ FIDO;.*firmware 5\.7\.1 \(Ed25519' "--list says what makes each different"
expect_match "$list" '^ecert +PIV; a random 8-character strong PIN in an envelope, 15 tries' "--list shows the e-Cert policy"
json_names=$("$M" matrix --list --json | jq -r '.[].name')
expect_eq "$json_names" "$names" "--list --json lists the same names"
expect_eq "$("$M" matrix --list --json | jq -r '.[] | select(.name=="yubikey-5.7.1") | "\(.profile) \(.firmware) \(.compat)"')" \
  "yubikey5 5.7.1 yubikey" "--list --json maps a personality onto profile, firmware and compat"

# --- bad input
refused() { # refused REGEX WHAT -- ARGS...: exit 64 and REGEX on stderr
  local re=$1 what=$2 out rc=0
  shift 3
  out=$("$M" matrix "$@" 2>&1 >/dev/null) || rc=$?
  expect_eq "$rc" 64 "$what: usage error"
  expect_match "$out" "$re" "$what: says why"
}
refused "unknown personality 'yubikey-4' \\(one of: piv, ecert,.*yubikey-5\\.7\\.1;" "an unknown personality names the known ones" -- -p yubikey-4 -- true
refused "--jobs wants a number of runs at a time from 1 to 256, not '0'" "--jobs 0" -- --jobs 0 -- true
refused "--jobs wants .* not 'two'" "--jobs two" -- -j two -- true
refused "no '--' before COMMAND" "a missing --" -- -p piv true
refused "no '--' before COMMAND" "no COMMAND at all" -- -p piv
refused "no COMMAND after '--'" "-- with nothing after it" -- -p piv --
refused "unexpected 'true' \\(COMMAND goes after '--'" "a word before --" -- true -- true
refused "--list takes no other option" "--list with a COMMAND" -- --list -- true
man=$(MANWIDTH=200 man -l "$VT_SRC/docs/man/vtoken.1" 2>/dev/null)
expect_match "$man" 'vtoken matrix \[-p\|--personality NAME\]' "vtoken(1): the synopsis"
expect_match "$man" 'VTOKEN_PERSONALITY, VTOKEN_TIMING' "vtoken(1): the variables"
for p in $names; do grep -qF -- "$p" <<<"$man" || fail "vtoken(1) does not name the personality $p"; done
pass "vtoken(1) names every personality"
help=$("$M" matrix --help)
expect_match "$help" 'VTOKEN_PERSONALITY' "--help names VTOKEN_PERSONALITY"
expect_match "$("$M" --help)" 'matrix \[--personality NAME\]' "vtoken --help names the verb"

# --- a matrix of three: the card each run gets, a failure, its output
cat >"$T/check.sh" <<'EOF'
#!/bin/sh
# prints what card this run has; fails on openpgp, with output a report must escape
set -e
show=$("$VTOKEN_BIN" show "$VTOKEN_CARD0_IMAGE" --json)
atr=$(opensc-tool -r "$VTOKEN_CARD0_READER" -a | tail -n1)
echo "personality=$VTOKEN_PERSONALITY image=$VTOKEN_CARD0_IMAGE"
echo "$show" | jq -r '"profile=\(.profile) version=\(.version) compat=\(.compat) serial=\(.serial)"'
hex() { tr -d ' :\n' | tr a-f A-F; }
[ "$(echo "$atr" | hex)" = "$(echo "$show" | jq -r .atr | hex)" ] && echo "pcsc-atr=image-atr"
"$VTOKEN_BIN" show "$VTOKEN_CARD0_IMAGE" --json | jq -e '.pin.tries_left == .pin.max_tries or .pin == null' >/dev/null && echo fresh-pin
if [ "$VTOKEN_PERSONALITY" = openpgp ]; then
  printf 'bad bytes: \377\376 ctl: \001\033[31m markup: <b id="injected">&amp;</b> ]]> "q" end\n'
  exit 3
fi
EOF
chmod 755 "$T/check.sh"
export VTOKEN_BIN
set +e
out=$("$M" matrix -p piv -p openpgp -p yubikey-5.7.1 --jobs 2 --junit "$T/report.xml" -- "$T/check.sh" 2>&1)
rc=$?
set -e
echo "$out"
expect_eq "$rc" 1 "a failed personality makes the matrix fail"
expect_match "$out" '^PERSONALITY +STATUS +TIME$' "a table"
expect_match "$out" '^piv +passed +[0-9]+\.[0-9]{2} s$' "piv passed, with its time"
expect_match "$out" '^yubikey-5\.7\.1 +passed +[0-9]+\.[0-9]{2} s$' "yubikey-5.7.1 passed"
expect_match "$out" '^openpgp +failed \(3\) +[0-9]+\.[0-9]{2} s$' "openpgp failed with COMMAND's status"
expect_match "$out" '^--- openpgp: failed \(3\); the end of its output:$' "the failed one's output follows"
expect_match "$out" 'personality=openpgp' "its output's tail is shown"
expect_no_match "$out" 'personality=piv' "a passed one's output is not"
expect_match "$out" '^2 passed, 1 failed, in [0-9.]+ s with 2 jobs$' "a summary"

# the same matrix as JSON: each run's card is its personality's, fresh, in PC/SC
set +e
js=$("$M" matrix -p piv -p openpgp -p yubikey-5.7.1 -p yubikey-5.4.3 --json -- "$T/check.sh")
rc=$?
set -e
expect_eq "$rc" 1 "--json: the same exit status"
echo "$js" | jq . >/dev/null || fail "--json is not JSON: $js"
expect_eq "$(jq -r '"\(.passed) \(.failed) \(.results | length)"' <<<"$js")" "3 1 4" "--json counts"
row() { jq -r --arg n "$1" ".results[] | select(.name==\$n) | $2" <<<"$js"; }
expect_eq "$(row openpgp '"\(.status) \(.passed) \(.ran)"')" "3 false true" "--json: openpgp's status"
expect_eq "$(jq -r '.command | join(" ")' <<<"$js")" "$T/check.sh" "--json: the command"
for p in piv openpgp yubikey-5.7.1 yubikey-5.4.3; do
  o=$(row "$p" .output)
  expect_match "$o" "^personality=$p " "$p: COMMAND sees VTOKEN_PERSONALITY"
  expect_match "$o" '^pcsc-atr=image-atr$' "$p: PC/SC shows the run's card"
  expect_match "$o" '^fresh-pin$' "$p: its card is fresh"
done
expect_match "$(row piv .output)" '^profile=piv version=5\.4\.3 compat=none ' "piv: a piv card"
expect_match "$(row openpgp .output)" '^profile=openpgp ' "openpgp: an OpenPGP card"
expect_match "$(row yubikey-5.7.1 .output)" '^profile=yubikey5 version=5\.7\.1 compat=yubikey ' "yubikey-5.7.1: a YubiKey 5 at 5.7.1"
expect_match "$(row yubikey-5.4.3 .output)" '^profile=yubikey5 version=5\.4\.3 compat=yubikey ' "yubikey-5.4.3: a YubiKey 5 at 5.4.3"
serials=$(jq -r '.results[].output' <<<"$js" | sed -n 's/.* serial=//p' | sort -u | wc -l)
expect_eq "$serials" 4 "every run has a card of its own"
expect_match "$(row openpgp .output)" $'bad bytes: \xef\xbf\xbd\xef\xbf\xbd ctl: \xef\xbf\xbd\xef\xbf\xbd\\[31m markup: <b id="injected">' \
  "--json: bytes that are no text become U+FFFD, the rest is kept"
if LC_ALL=C grep -q $'[\xfe\xff\x01\x1b]' <<<"$js"; then fail "--json holds the raw bytes of the output"; fi
pass "--json holds text, not the output's raw bytes"

# JUnit: valid against the schema, one failure where it was
xmllint --noout --schema "$VT_SRC/tests/data/junit.xsd" "$T/report.xml" || fail "the JUnit report does not validate"
pass "--junit validates against the JUnit schema"
xp() { xmllint --xpath "$1" "$T/report.xml"; }
expect_eq "$(xp 'string(/testsuites/testsuite/@tests)') $(xp 'string(/testsuites/testsuite/@failures)')" "3 1" "--junit counts"
expect_eq "$(xp 'string(//testcase[failure]/@name)')" openpgp "--junit: the failure is openpgp's"
expect_eq "$(xp 'string(//testcase[@name="openpgp"]/failure/@message)')" "exit status 3" "--junit: its message"
expect_match "$(xp 'string(//testcase[@name="openpgp"]/system-out)')" 'markup: <b id="injected">&amp;</b> \]\]> "q" end' "--junit: the output, escaped, reads back as written"
expect_eq "$(xp 'count(//testcase[@name="piv"]/failure)')" 0 "--junit: piv passed"
# the schema is no rubber stamp: a report with a failure outside a testcase is refused
sed 's|<testsuite |<testsuite bogus="1" |' "$T/report.xml" >"$T/bad.xml"
if xmllint --noout --schema "$VT_SRC/tests/data/junit.xsd" "$T/bad.xml" 2>/dev/null; then
  fail "the schema accepts an attribute JUnit has not"
fi
pass "the schema refuses what is not JUnit"

# --- parallel runs: two that wait for each other pass with --jobs 2
cat >"$T/meet.sh" <<'EOF'
#!/bin/bash
# each run says it started and waits (10 s at most) for the other: only runs at the same time meet
source "$VT_LIB"
touch "$MEET/$VTOKEN_PERSONALITY"
other=piv; [ "$VTOKEN_PERSONALITY" = piv ] && other=oath
wait_until 10 "the $other run started" -- test -e "$MEET/$other"
echo "met $other"
EOF
chmod 755 "$T/meet.sh"
mkdir "$T/meet"
out=$(MEET=$T/meet "$M" matrix -p piv -p oath -j 2 -- "$T/meet.sh") || fail "two runs with --jobs 2 did not meet: $out"
pass "--jobs 2 runs two at the same time"
# --jobs 1: never two at once (each run logs its start and end under a lock)
cat >"$T/log.sh" <<'EOF'
#!/bin/sh
echo "start $VTOKEN_PERSONALITY" >>"$LOG"
pkcs11-tool --module "$VTOKEN_PKCS11_MODULE" -L >/dev/null 2>&1 || true
echo "end $VTOKEN_PERSONALITY" >>"$LOG"
EOF
chmod 755 "$T/log.sh"
LOG=$T/log "$M" matrix -p piv -p ecert -p oath -j 1 -- "$T/log.sh" >/dev/null || fail "the --jobs 1 matrix failed"
expect_eq "$(sed 's/ .*//' "$T/log" | tr '\n' ' ')" "start end start end start end " "--jobs 1 runs one at a time"

# --- a SIGTERM ends every run, the matrix says so and leaves nothing behind
mkdir "$T/stop"
cat >"$T/hang.sh" <<'EOF'
#!/bin/sh
touch "$STOP/$VTOKEN_PERSONALITY"
exec sleep 300 # stands for a test that hangs; the SIGTERM ends it
EOF
chmod 755 "$T/hang.sh"
STOP=$T/stop "$M" matrix -p piv -p fido -p oath -j 2 --json -- "$T/hang.sh" >"$T/stop.json" 2>&1 &
mpid=$!
both() { [ -e "$T/stop/piv" ] && [ -e "$T/stop/fido" ]; }
wait_until 60 "two runs started" -- both
kill -TERM "$mpid"
rc=0
wait "$mpid" || rc=$?
expect_eq "$rc" 143 "a SIGTERM ends the matrix with 128+15"
expect_eq "$(jq -r '[.results[] | .ran] | join(" ")' "$T/stop.json")" "true true false" "the runs going end, the rest is not run"
gone() { ! pgrep -f "$T/hang.sh" >/dev/null && ! pgrep -f "$T/vtoken-matrix" >/dev/null; }
wait_until 10 "the runs' processes are gone" -- gone
pass "no run's process outlives the matrix"
[ -z "$(ls -d "$T"/vtoken-matrix.* 2>/dev/null)" ] || fail "the matrix left its directory behind"
pass "the matrix removes its directory"

# --- --timing NAME goes to each run's vtoken run --timing (timing personalities): an axis
export VTOKEN_BIN
js=$("$M" matrix -p piv --timing instant --timing yubikey5 --jobs 1 --json -- \
  sh -c 'echo "timing=$VTOKEN_TIMING card=$("$VTOKEN_BIN" ctl status --json | jq -r ".cards[0].timing")"') ||
  fail "a matrix with --timing instant and yubikey5 failed: $js"
expect_eq "$(jq -r '[.results[].name] | join(",")' <<<"$js")" "piv timing=instant,piv timing=yubikey5" \
  "--timing names the rows, one per timing"
expect_match "$(jq -r '.results[0].output' <<<"$js")" '^timing=instant card=instant$' "COMMAND sees VTOKEN_TIMING"
expect_match "$(jq -r '.results[1].output' <<<"$js")" '^timing=yubikey5 card=yubikey5$' \
  "the run's card takes the timing's time (vtoken ctl status)"
