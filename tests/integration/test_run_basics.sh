#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtoken run: the card is present for real PC/SC clients, COMMAND's exit status comes back,
# and nothing is left running afterwards.
source "$(dirname "$0")/lib.sh"

out=$("$VTOKEN" run --card "$T/card" -- sh -c 'pcsc_scan -r; opensc-tool -a')
expect_match "$out" '^0: Virtual PCD 00 00' "pcsc_scan lists the vpcd reader"
atr=$(tr -d ':' <<<"$out" | grep -Ei '^3b[0-9a-f]+$' | head -n1)
[ -n "$atr" ] || fail "opensc-tool -a printed no ATR: $out"
expect_no_match "$atr" '^3b80800101$' "the ATR is not the one OpenSC takes for a PIVKEY"
configured=$(show_json "$T/card" 'd["atr"]' | tr -d ' ')
expect_eq "${atr^^}" "$configured" "opensc-tool -a shows the ATR configured in the image"
expect_match "$(opensc-tool --help 2>&1 || true)" 'atr' "opensc-tool is the real one"

# pcsc_scan shows the same ATR as the card's image
scan=$("$VTOKEN" run --card "$T/card" -- timeout 5 pcsc_scan -c 2>&1 || true)
expect_match "$(tr -d ' ' <<<"$scan" | tr a-f A-F)" "ATR:${atr^^}" "pcsc_scan sees the card's ATR"

# COMMAND's status comes back, success or failure
set +e
"$VTOKEN" run --card "$T/card" -- sh -c 'exit 7'
rc=$?
"$VTOKEN" run --card "$T/card" -- sh -c 'kill -TERM $$'
rc_sig=$?
"$VTOKEN" run --card "$T/card" -- /nonexistent/command
rc_missing=$?
set -e
expect_eq "$rc" 7 "exit status of COMMAND"
expect_eq "$rc_sig" 143 "a COMMAND killed by SIGTERM gives 128+15"
expect_eq "$rc_missing" 127 "a COMMAND that cannot run gives 127"

# nothing survives: a background process started by COMMAND is gone afterwards
marker="vt-orphan-$$-$RANDOM"
"$VTOKEN" run --card "$T/card" -- sh -c "(exec -a $marker sleep 300) & echo started" # sleep: a process that must not survive, not a wait
if pgrep -f "$marker" >/dev/null; then fail "a process of COMMAND survived vtoken run"; fi
pass "no process of COMMAND left behind"
if pgrep -f "$T/" >/dev/null; then
  fail "pcscd or vtokend left behind: $(pgrep -af "$T/")"
fi
pass "no pcscd or vtokend left behind"
[ -z "$(ls -d "$T"/vtoken-run.* 2>/dev/null)" ] || fail "the private environment's directory was left behind"
pass "temporary directory removed"

# SIGTERM to vtoken run reaches COMMAND and tears everything down
mkfifo "$T/ready"
"$VTOKEN" run --card "$T/card" -- sh -c "trap 'exit 42' TERM; echo ready > $T/ready; sleep 300 & wait" & # sleep: keeps COMMAND running until SIGTERM, not a wait
runpid=$!
read -rt 30 line <"$T/ready" || fail "COMMAND did not start"
kill -TERM "$runpid"
set +e
wait "$runpid"
rc=$?
set -e
expect_eq "$rc" 42 "SIGTERM is forwarded to COMMAND and its status returned"

# two cards: two readers with a card each
out=$("$VTOKEN" run --card "$T/a" --card "$T/b" -- sh -c 'vtoken_cards=$VTOKEN_CARDS; opensc-tool -l; echo "cards=$vtoken_cards"')
expect_match "$out" 'Yes +Virtual PCD 00 00' "first card present"
expect_match "$out" "Yes +$(reader_name 1)" "second card present"
expect_match "$out" 'cards=2' "VTOKEN_CARDS tells COMMAND how many cards"

# the default transport is vtoken's driver (vpcd only when asked for)
expect_match "$("$VTOKEN_BIN" run -- "$VTOKEN_BIN" ctl status)" 'card0: driver /' \
  "the default transport is vtoken's driver"

# a third card is refused with a clear message (vpcd's two slots; the driver's limit of 16 is
# tested in test_driver_cards)
set +e
err=$("$VTOKEN_BIN" run --transport vpcd --card a --card b --card c -- true 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "three cards accepted"
expect_match "$err" 'at most 2 cards' "a third card is refused"

# --reader-name sets the PC/SC reader name
out=$("$VTOKEN" run --card "$T/card" --reader-name "Yubico YubiKey OTP+FIDO+CCID" -- opensc-tool -l)
expect_match "$out" 'Yubico YubiKey OTP\+FIDO\+CCID 00 00' "--reader-name names the reader"

# paths vtokend.conf cannot hold are refused before anything starts, with the reason
set +e
err=$("$VTOKEN" run --card "$T/a;b" -- true 2>&1)
rc=$?
set -e
expect_eq "$rc" 64 "an image path with ';' is a usage error"
expect_match "$err" "contains a newline, ';' or '#'" "and the message says why"
long="$T/$(printf 'd%.0s' $(seq 120))"
mkdir -p "$long"
set +e
err=$(TMPDIR="$long" "$VTOKEN" run --card "$T/card" -- true 2>&1)
rc=$?
set -e
expect_eq "$rc" 125 "a TMPDIR too long for the control socket fails"
expect_match "$err" 'too long for a socket path; set a shorter TMPDIR' "and says what to do"
