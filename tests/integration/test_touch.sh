#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Touch policy: a signature with a key whose touch_policy is "always" waits in vtokend (the
# daemon keeps serving) until `vtoken ctl touch`, and fails with 69 82 when no touch comes
# within the card's touch-timeout; "cached" asks once per 15 seconds. A management key set with
# a touch policy (yubico-piv-tool set-mgm-key --touch-policy=always) wants a touch too.
source "$(dirname "$0")/lib.sh"

"$VTOKEN" init "$T/card" >/dev/null
# [slot 9c] touch_policy = always, [slot 9e] touch_policy = cached
python3 - "$T/card/card.ini" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r"(\[slot 9c\][^\[]*?touch_policy = )\w+", r"\1always", s)
s = re.sub(r"(\[slot 9e\][^\[]*?touch_policy = )\w+", r"\1cached", s)
open(p, "w").write(s)
PY
grep -A4 '^\[slot 9c\]' "$T/card/card.ini" | grep -q 'touch_policy = always' || fail "card.ini not edited"
echo "data to sign" >"$T/data"
export T
out=$("$VTOKEN" run --card "$T/card" --reader-name "Yubico YubiKey" --trace "$T/trace.txt" -- bash -c '
  set -u
  source "$VT_LIB"
  ms() { echo $(( $(date +%s%N) / 1000000 )); }

  echo "== touched"
  start=$(ms)
  card_sign --report --id 02 --mech ECDSA-SHA256 >"$T/sign1.out" &
  signer=$!
  wait_until 10 "the signature waits for a touch" -- card_status_is card0 waiting_for_touch true
  "$VTOKEN" ctl status
  # without a touch the signature does not finish: the signer has not exited 1 s later
  timeout 1 tail --pid=$signer -s 0.05 -f /dev/null || echo "still waiting after 1 s"
  "$VTOKEN" ctl status --json | grep -q "\"waiting_for_touch\":true" && echo "status --json: waiting"
  "$VTOKEN" ctl touch card0 && echo "touched after $(( $(ms) - start )) ms"
  wait $signer
  cat "$T/sign1.out"
  "$VTOKEN" ctl touch card0 2>&1 || echo "second touch refused"

  echo "== timeout"
  sed -i "/^\[card card0\]/a touch-timeout = 1" "$VTOKEN_RUN_DIR/vtokend.conf"
  kill -HUP "$(pidof vtokend)"
  wait_until 10 "SIGHUP set the touch timeout to 1 s" -- card_status_is card0 touch_timeout_ms 1000
  start=$(ms)
  card_sign --report --id 02 --mech ECDSA-SHA256
  echo "untouched sign took $(( $(ms) - start )) ms"

  echo "== cached"
  card_sign --report --id 04 --mech ECDSA-SHA256 >"$T/sign2.out" &
  signer=$!
  "$VTOKEN" ctl touch card0 --wait 10 && echo "cached key touched"
  wait $signer
  cat "$T/sign2.out"
  start=$(ms)
  card_sign --report --id 04 --mech ECDSA-SHA256
  echo "second cached sign took $(( $(ms) - start )) ms"

  echo "== management key"
  mgm=010203040506070801020304050607080102030405060708
  yubico-piv-tool -a set-mgm-key -n $mgm --touch-policy=always && echo "management key needs touch"
  yubico-piv-tool -a set-chuid >"$T/chuid.out" 2>&1 &
  tool=$!
  "$VTOKEN" ctl touch card0 --wait 10 && echo "management key touched"
  wait $tool && echo "set-chuid with touch rc=0"
  start=$(ms)
  yubico-piv-tool -a set-chuid 2>&1; echo "set-chuid without touch rc=$?"
  echo "untouched management key took $(( $(ms) - start )) ms"
  echo "== end"
' 2>&1) || fail "touch policy: $out"
echo "$out"
section() { sed -n "/^== $1\$/,/^== /p" <<<"$out"; }

expect_match "$(section touched)" 'card0: .*, waiting for touch$' "status shows the command waiting for touch"
expect_match "$(section touched)" 'still waiting after 1 s' "the signature waits for the touch"
expect_match "$(section touched)" 'status --json: waiting' "status --json shows it too"
expect_match "$(section touched)" 'touched after [0-9]+ ms' "vtoken ctl touch is accepted"
expect_match "$(section touched)" 'sign rc=0' "the touched signature succeeds"
expect_match "$(section touched)" 'no command is waiting for a touch' "a touch with nothing waiting is refused"

expect_match "$(section timeout)" 'sign rc=1' "without a touch the signature fails"
expect_match "$(section timeout)" 'error: PKCS11 function' "pkcs11-tool reports the failure"
took=$(section timeout | sed -n 's/^untouched sign took \([0-9]*\) ms$/\1/p')
[ "$took" -ge 1000 ] || fail "the untouched signature failed after $took ms, before the touch-timeout"
pass "the untouched signature failed after the touch-timeout ($took ms)"

expect_match "$(section cached)" 'cached key touched' "a cached-policy key asks for a touch first"
expect_eq "$(section cached | grep -c 'sign rc=0')" 2 "both cached-policy signatures succeed"
took=$(section cached | sed -n 's/^second cached sign took \([0-9]*\) ms$/\1/p')
[ "$took" -lt 1000 ] || fail "the second cached signature waited ($took ms)"
pass "within 15 s a cached-policy key needs no new touch ($took ms)"

expect_match "$(section 'management key')" 'management key touched' "authentication with a touch-policy management key waits for a touch"
expect_match "$(section 'management key')" 'set-chuid with touch rc=0' "and succeeds after it"
expect_match "$(section 'management key')" 'set-chuid without touch rc=1' "without a touch it fails"
took=$(section 'management key' | sed -n 's/^untouched management key took \([0-9]*\) ms$/\1/p')
[ "$took" -ge 1000 ] || fail "the untouched management-key authentication failed after $took ms"
pass "the untouched management-key authentication failed after the touch-timeout ($took ms)"

trace=$(cat "$T/trace.txt")
expect_match "$trace" 'GENERAL AUTHENTICATE 00 87 11 9C .* -> .*SW 90 00 .*\[touched after [0-9]+ ms\]$' \
  "the trace shows the touched signature"
expect_match "$trace" 'GENERAL AUTHENTICATE 00 87 11 9C .* -> SW 69 82 .*\[no touch within 1000 ms\]$' \
  "the trace shows the timeout answered with 69 82"
