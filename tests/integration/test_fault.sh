#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fault injection through `vtoken ctl fault`, one kind after the other, with what OpenSC's
# pkcs11-tool reports for each (the examples of README and vtoken(1)): a status word on every
# signature until cleared (--sticky), on one key's only (--p2), or once, a delay (the daemon keeps serving meanwhile), a
# connection dropped mid-command (the card comes back by itself), a failed image write (65 81,
# nothing half-written). `fault CARD clear` disarms.
source "$(dirname "$0")/lib.sh"

echo "data to sign" >"$T/data"
export T
out=$("$VTOKEN" run --card "$T/card" --trace "$T/trace.txt" -- bash -c '
  set -u
  source "$VT_LIB"
  ms() { echo $(( $(date +%s%N) / 1000000 )); }

  echo "== sw"
  # the README'"'"'s example: OpenSC verifies the PIN again and retries a signature refused with
  # 69 82, so only a sticky fault makes every signature fail
  "$VTOKEN" ctl fault card0 sw 6982 --ins 87 --sticky
  "$VTOKEN" ctl status
  card_sign --report
  card_sign --report
  "$VTOKEN" ctl fault card0 clear && "$VTOKEN" ctl status
  card_sign --report

  echo "== one key"
  "$VTOKEN" ctl fault card0 sw 6a80 --ins 87 --p2 9c --sticky
  card_sign --report --id 02 --mech ECDSA-SHA256
  card_sign --report --id 01
  "$VTOKEN" ctl fault card0 clear
  card_sign --report --id 02 --mech ECDSA-SHA256

  echo "== once"
  # without --sticky the fault is spent on the first GENERAL AUTHENTICATE, and OpenSC retries
  "$VTOKEN" ctl fault card0 sw 6982 --ins 87
  card_sign --report
  "$VTOKEN" ctl status

  echo "== delay"
  "$VTOKEN" ctl fault card0 delay 2s --ins 87
  start=$(ms)
  card_sign --report >"$T/delayed.out" &
  signer=$!
  wait_until 10 "the signature is held in the card (the delay fault spent)" -- card_status_is card0 faults "[]"
  s=$(ms); "$VTOKEN" ctl status >/dev/null; echo "status during the delay took $(( $(ms) - s )) ms"
  wait $signer
  cat "$T/delayed.out"
  echo "delayed sign took $(( $(ms) - start )) ms"

  echo "== drop"
  daemon=$(pidof vtokend)
  "$VTOKEN" ctl fault card0 drop --ins 87
  card_sign --report
  # back means back for PC/SC: pcscd may still show the card from before the drop for a poll
  # (400 ms) and then report it removed and inserted, so wait until a signature goes through
  "$VTOKEN" wait --timeout 10 &&
    wait_until 10 "a signature works again after the drop" -- card_sign && echo "card back"
  card_sign --report
  [ "$daemon" = "$(pidof vtokend)" ] && echo "same vtokend"

  echo "== write-fail"
  img=$T/card
  before=$(cat "$img"/state "$img"/card.ini | sha256sum)
  "$VTOKEN" ctl fault card0 write-fail --ins 24
  pkcs11-tool --module "$OPENSC_MODULE" --login --pin 123456 --change-pin --new-pin 86427531 2>&1
  echo "change-pin rc=$?"
  after=$(cat "$img"/state "$img"/card.ini | sha256sum)
  [ "$before" = "$after" ] && echo "image unchanged"
  ls -A "$img" | grep -q "\.tmp" && echo "temporary file left" || echo "no temporary file"
  "$VTOKEN" ctl fault card0 write-fail
  card_sign --report
  "$VTOKEN" ctl status
  echo "-- after"
  card_sign --report --pin 123456
  card_sign --report --pin 86427531
' 2>&1) || fail "fault injection: $out"
echo "$out"
section() { sed -n "/^== $1\$/,/^== /p" <<<"$out"; }

expect_match "$(section sw)" 'card0: fault armed: sw 6982 \(sticky, INS 87 only\)' "a sticky status-word fault is armed"
expect_match "$(section sw)" 'faults sw 6982 \(sticky, INS 87 only\)' "status lists the armed fault"
expect_match "$(section sw)" 'error: PKCS11 function C_SignFinal failed: rv = CKR_USER_NOT_LOGGED_IN' \
  "pkcs11-tool reports CKR_USER_NOT_LOGGED_IN for 69 82 on the signature"
expect_match "$(section sw)" 'faults none' "fault clear disarms"
expect_eq "$(section sw | grep -c 'sign rc=')" 3 "three signatures in the sw section"
expect_match "$(section sw | grep 'sign rc=' | tr '\n' ' ')" '^sign rc=1 sign rc=1 sign rc=0 $' \
  "every signature fails while the sticky fault is armed, and works after clear"

expect_match "$(section 'one key')" 'card0: fault armed: sw 6A80 \(sticky, INS 87 P2 9C only\)' \
  "a fault of one key's GENERAL AUTHENTICATE is armed"
expect_match "$(section 'one key' | grep 'sign rc=' | tr '\n' ' ')" '^sign rc=1 sign rc=0 sign rc=0 $' \
  "key 9c's signature fails, 9a's works, and 9c's works again after clear"

expect_match "$(section once | grep 'sign rc=')" '^sign rc=0$' \
  "a fault spent once: OpenSC verifies the PIN again and the retried signature works"
expect_match "$(section once)" 'faults none' "the one-time fault is spent"

expect_match "$(section delay)" 'sign rc=0' "a delayed signature still succeeds"
took=$(section delay | sed -n 's/^delayed sign took \([0-9]*\) ms$/\1/p')
[ "$took" -ge 2000 ] || fail "the delayed signature took only $took ms"
pass "the signature is answered after the delay ($took ms)"
status_ms=$(section delay | sed -n 's/^status during the delay took \([0-9]*\) ms$/\1/p')
# under ThreadSanitizer the instrumented `vtoken ctl` alone takes most of a second to start; a
# daemon blocked by the delay would still take its 2000 ms
limit=500
grep -qxF "VT_TSAN:BOOL=ON" "$VT_BUILD/CMakeCache.txt" 2>/dev/null && limit=1500
[ "$status_ms" -lt "$limit" ] || fail "the daemon was blocked during the delay ($status_ms ms for status)"
pass "the daemon keeps serving during a delay ($status_ms ms for status)"

# vpcd's slot answers a transmit whose connection dropped with an error; vtoken's driver says
# what happened: the card went (and came back)
dropped=CKR_GENERAL_ERROR
[ "$VT_TRANSPORT" = driver ] && dropped=CKR_DEVICE_REMOVED
# When the card is back before OpenSC gives up (under ThreadSanitizer, or on a loaded machine:
# CI runs Debian 13 beside these tests), OpenSC reconnects, signs again on the card the drop
# reset, and reports the PIN no longer verified, as with a real card pulled and put back at
# once. Either way the signature fails and the card comes back (checked below).
dropped="($dropped|CKR_USER_NOT_LOGGED_IN)"
expect_match "$(section drop)" "error: PKCS11 function C_SignFinal failed: rv = $dropped" \
  "pkcs11-tool reports $dropped when the connection drops mid-signature"
expect_match "$(section drop)" 'card back' "the card reconnects by itself after the drop"
expect_match "$(section drop | grep 'sign rc=' | tr '\n' ' ')" '^sign rc=1 sign rc=0 $' \
  "the signature fails with the drop and works after the card is back"
expect_match "$(section drop)" 'same vtokend' "vtokend kept running"

expect_match "$(section write-fail)" 'error: PKCS11 function C_SetPIN failed: rv = CKR_DEVICE_ERROR' \
  "pkcs11-tool reports CKR_DEVICE_ERROR when the PIN change cannot be written"
expect_match "$(section write-fail)" 'image unchanged' "nothing of the image was written"
expect_match "$(section write-fail)" 'no temporary file' "no temporary file was left behind"
expect_match "$(section write-fail)" 'error: PKCS11 function C_Login failed: rv = CKR_DEVICE_ERROR' \
  "pkcs11-tool reports CKR_DEVICE_ERROR when the login cannot spend a try"
expect_match "$(section write-fail)" 'PIN tries left 3/3' "no PIN try was spent"
after=$(sed -n '/^-- after$/,$p' <<<"$out")
expect_match "$(grep 'sign rc=' <<<"$after" | tr '\n' ' ')" '^sign rc=0 sign rc=1 $' \
  "afterwards the old PIN still works and the new one was never set"

trace=$(cat "$T/trace.txt")
expect_match "$trace" 'GENERAL AUTHENTICATE .* -> SW 69 82 .*\[fault: sw 6982\]$' "the trace shows the status-word fault"
expect_match "$trace" 'GENERAL AUTHENTICATE 00 87 11 9C .* -> SW 6A 80 .*\[fault: sw 6A80\]$' "the trace shows the fault of key 9c"
expect_match "$trace" 'GENERAL AUTHENTICATE .* -> .*SW 90 00 \(2[0-4][0-9]{2}\.[0-9]{3} ms\) \[fault: delay 2000 ms\]$' \
  "the trace shows the delay and its duration"
expect_match "$trace" 'GENERAL AUTHENTICATE .* -> \(no answer\) .*\[fault: drop\]$' "the trace shows the dropped command"
expect_match "$trace" 'CHANGE REFERENCE DATA 00 24 00 80 10 <redacted 16 bytes> -> SW 65 81 .*\[fault: write-fail\]$' \
  "the trace shows the failed write"
