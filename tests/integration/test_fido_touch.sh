#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# User presence by touch, the NFC way, through python-fido2: on an image with presence = touch,
# a MakeCredential is answered with keepalives (9100) while python-fido2 polls with
# NFCCTAP_GETRESPONSE, until `vtoken ctl touch`; untouched, it fails with the CTAP error a key
# gives (USER_ACTION_TIMEOUT, 0x2F) after the card's touch-timeout, not with a transport error.
# U2F REGISTER answers 6985 until a touch, which the next REGISTER does not get again. (The
# other FIDO tests run on images of the default, presence = auto, and are never touched.)
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import fido2.pcsc' 2>/dev/null ||
  skip "python3-fido2 is not installed (scripts/install-deps.sh installs it)"

"$VTOKEN" init "$T/card" --profile fido >/dev/null
expect_eq "$(sed -n 's/^presence = //p' "$T/card/fido.ini")" auto "presence is given at once by default"
sed -i 's/^presence = auto$/presence = touch/' "$T/card/fido.ini"
export T
cat >"$T/client.sh" <<SH
source "\$VT_LIB"
ms() { echo \$(( \${EPOCHREALTIME/[.,]/} / 1000 )); }
touch_py() { /usr/bin/python3 "$VT_SRC/tests/integration/fido/touch.py" "\$VTOKEN_CARD0_READER" "\$@"; }
touch_py make >"\$T/made.txt" 2>&1 &
maker=\$!
wait_until 20 "the MakeCredential waits for a touch" -- card_status_is card0 waiting_for_touch true
timeout 1 tail --pid=\$maker -s 0.05 -f /dev/null && fail "the MakeCredential did not wait for the touch"
"\$VTOKEN" ctl touch card0 >"\$T/touch.txt" 2>&1 || fail "vtoken ctl touch: \$(cat "\$T/touch.txt")"
wait \$maker || fail "touch.py make: \$(cat "\$T/made.txt")"

touch_py u2f >"\$T/u2f.txt" 2>&1 &
u2f=\$!
wait_until 20 "U2F REGISTER is refused for want of a touch" -- grep -q "^u2f refused 6985" "\$T/u2f.txt"
card_status_is card0 waiting_for_touch true || fail "the status does not say the card waits for a touch"
"\$VTOKEN" ctl touch card0 >"\$T/touch.txt" 2>&1 || fail "vtoken ctl touch (U2F): \$(cat "\$T/touch.txt")"
wait \$u2f || fail "touch.py u2f: \$(cat "\$T/u2f.txt")"

sed -i "/^\[card card0\]/a touch-timeout = 1" "\$VTOKEN_RUN_DIR/vtokend.conf"
kill -HUP "\$(pidof vtokend)"
wait_until 10 "SIGHUP set the touch timeout to 1 s" -- card_status_is card0 touch_timeout_ms 1000
start=\$(ms)
touch_py make >"\$T/untouched.txt" 2>&1 || fail "touch.py make (untouched): \$(cat "\$T/untouched.txt")"
echo "untouched: \$(( \$(ms) - start )) ms" >"\$T/took.txt"
SH
"$VTOKEN" run --card "$T/card" -- bash "$T/client.sh" >"$T/client.log" 2>&1 ||
  fail "the session failed: $(tail -n 30 "$T/client.log")"
expect_eq "$(cat "$T/made.txt")" "keepalive: up needed
made" "the MakeCredential got keepalives, then the touched answer"
expect_eq "$(cat "$T/u2f.txt")" "u2f refused 6985
u2f registered
u2f refused again 6985" "U2F: 6985 untouched, registered once touched, the touch taken"
expect_eq "$(cat "$T/untouched.txt")" "keepalive: up needed
refused 0x2F" "untouched: USER_ACTION_TIMEOUT after keepalives"
took=$(sed -n 's/^untouched: \([0-9]*\) ms$/\1/p' "$T/took.txt")
[ "$took" -ge 1000 ] || fail "the untouched MakeCredential failed after $took ms, before the touch-timeout"
expect_eq "$(sed -n 's/^counter = //p' "$T/card/fido.ini")" 1 "only the touched MakeCredential counted (U2F REGISTER counts nothing)"
pass "presence = touch: keepalives until vtoken ctl touch, USER_ACTION_TIMEOUT untouched, U2F 6985 until touched"
