#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The FIDO PIN through python-fido2's ClientPin over PC/SC: set (PIN/UV auth protocol 2),
# changed (protocol 1), a wrong PIN costs a retry, 3 wrong PINs block until power off, a
# registration and an assertion with the PIN are user-verified (the relying party checks), and
# a registration without it is refused. The image keeps the retries the card spent.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import fido2.pcsc, fido2.ctap2.pin' 2>/dev/null ||
  skip "python3-fido2 is not installed (scripts/install-deps.sh installs it)"

"$VTOKEN" init "$T/card" --profile fido >/dev/null
cat >"$T/client.sh" <<SH
/usr/bin/python3 "$VT_SRC/tests/integration/fido/pin.py" "\$VTOKEN_CARD0_READER"
SH
"$VTOKEN" run --card "$T/card" -- bash "$T/client.sh" >"$T/client.log" 2>&1 ||
  fail "ClientPIN through python-fido2 failed: $(tail -n 30 "$T/client.log")"
sed 's/^/# /' "$T/client.log"
log=$(cat "$T/client.log")
expect_match "$log" "^ok: PIN set with protocol 2" "PIN set"
expect_match "$log" "^ok: a wrong PIN costs a retry" "a wrong PIN is counted"
expect_match "$log" "^ok: PIN changed with protocol 1" "PIN changed"
expect_match "$log" "^ok: registration and assertion with the PIN: user verified" "UV with the PIN"
expect_match "$log" "^ok: MakeCredential without the PIN refused" "no registration without the PIN"
expect_match "$log" "^ok: 3 wrong PINs block until power off" "blocked after 3 per power cycle"
expect_eq "$(sed -n 's/^pin_tries = //p' "$T/card/fido.ini")" 5 "the image keeps the 5 retries left"
expect_eq "$(show_json "$T/card" 'd["fido"]["pin_set"]')" true "vtoken show: a PIN is set"
pass "ClientPIN over PC/SC: set, change, retries, blocking, user verification"
