#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ykman's FIDO commands on the card through a reader ykman takes for an NFC reader (its name is
# not "Yubico YubiKey ..."): fido info, access change-pin (set, change, a wrong PIN counted),
# credentials list and delete (CredentialManagement over the discoverable credentials
# python-fido2 made), reset. The image follows each change.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import fido2.pcsc' 2>/dev/null ||
  skip "python3-fido2 is not installed (scripts/install-deps.sh installs it)"
command -v ykman >/dev/null || skip "ykman is not installed (scripts/install-deps.sh installs it)"

"$VTOKEN" init "$T/card" --profile fido >/dev/null
cat >"$T/client.sh" <<SH
source "\$VT_LIB"
R=\$VTOKEN_CARD0_READER
yk() { echo "\$ ykman fido \$*"; ykman --reader "\$R" fido "\$@" 2>&1; echo "rc=\$?"; }
/usr/bin/python3 "$VT_SRC/tests/integration/fido/webauthn.py" "\$R" \
  "$T/card/fido-attestation-ca.pem" >"$T/webauthn.log" 2>&1 || fail "python-fido2: \$(tail "$T/webauthn.log")"
yk info
yk access change-pin -n 123456
yk access change-pin -P 000000 -n 111111
yk access change-pin -P 123456 -n 654321
yk info
yk credentials list -P 654321
yk credentials delete -P 654321 -f user3
yk credentials list -P 654321
yk reset -f
yk info
SH
"$VTOKEN" run --card "$T/card" -- bash "$T/client.sh" >"$T/client.log" 2>&1 ||
  fail "the session failed: $(tail -n 30 "$T/client.log")"
sed 's/^/# /' "$T/client.log"
# the answers of each command, in order
step() { awk -v n="$1" '/^\$ ykman/{i++} i==n' "$T/client.log"; }
expect_match "$(step 1)" '^PIN is not set\.$' "fido info: no PIN on a new card"
expect_match "$(step 1)" '^rc=0$' "fido info succeeds"
expect_match "$(step 2)" '^rc=0$' "change-pin sets the first PIN"
expect_match "$(step 3)" '^rc=1$' "change-pin with a wrong PIN fails"
expect_match "$(step 4)" '^rc=0$' "change-pin with the right PIN"
expect_match "$(step 5)" '^PIN is set, with 8 attempt\(s\) remaining\.$' "fido info: PIN set, tries back to 8"
expect_match "$(step 6)" '^vtoken\.example 757365722d33 user3@vtoken\.example$' "credentials list: user3"
expect_match "$(step 6)" '^vtoken\.example 757365722d34 user4@vtoken\.example$' "credentials list: user4"
expect_match "$(step 7)" '^rc=0$' "credentials delete"
expect_no_match "$(step 8)" 'user3' "user3 is gone"
expect_match "$(step 8)" 'user4@vtoken\.example' "user4 stays"
expect_match "$(step 9)" '^rc=0$' "fido reset"
expect_match "$(step 10)" '^PIN is not set\.$' "fido info: no PIN after the reset"
expect_eq "$(show_json "$T/card" 'len(d["fido"]["credentials"])')" 0 "the image has no credential after the reset"
expect_eq "$(show_json "$T/card" 'd["fido"]["pin_set"]')" false "nor a PIN"
pass "ykman fido info, access change-pin, credentials list/delete and reset over an NFC-like reader"
