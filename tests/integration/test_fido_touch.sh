#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# User presence by touch: on an image with presence = touch, a MakeCredential through
# python-fido2 waits in vtokend until `vtoken ctl touch`, then answers. (The other FIDO tests run
# on images of the default, presence = auto, and are never touched.)
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import fido2.pcsc' 2>/dev/null ||
  skip "python3-fido2 is not installed (scripts/install-deps.sh installs it)"

"$VTOKEN" init "$T/card" --profile fido >/dev/null
expect_eq "$(sed -n 's/^presence = //p' "$T/card/fido.ini")" auto "presence is given at once by default"
sed -i 's/^presence = auto$/presence = touch/' "$T/card/fido.ini"
export T
cat >"$T/client.sh" <<SH
source "\$VT_LIB"
/usr/bin/python3 "$VT_SRC/tests/integration/fido/touch.py" "\$VTOKEN_CARD0_READER" >"\$T/made.txt" 2>&1 &
maker=\$!
wait_until 20 "the MakeCredential waits for a touch" -- card_status_is card0 waiting_for_touch true
timeout 1 tail --pid=\$maker -s 0.05 -f /dev/null && fail "the MakeCredential did not wait for the touch"
"\$VTOKEN" ctl touch card0 >"\$T/touch.txt" 2>&1 || fail "vtoken ctl touch: \$(cat "\$T/touch.txt")"
wait \$maker || fail "touch.py: \$(cat "\$T/made.txt")"
SH
"$VTOKEN" run --card "$T/card" -- bash "$T/client.sh" >"$T/client.log" 2>&1 ||
  fail "the session failed: $(tail -n 30 "$T/client.log")"
expect_eq "$(cat "$T/made.txt")" made "the touched MakeCredential answers"
expect_eq "$(sed -n 's/^counter = //p' "$T/card/fido.ini")" 1 "and counted"
pass "a FIDO card of presence = touch waits for vtoken ctl touch"
