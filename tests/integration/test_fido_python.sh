#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# FIDO2 and U2F over PC/SC with python-fido2 (Debian's python3-fido2) through
# fido2.pcsc.CtapPcscDevice, against a relying party of its own (fido2.server.Fido2Server):
# registrations whose packed attestation verifies up to the image's attestation CA, ES256 and
# EdDSA assertions the server verifies, discoverable credentials, a credential bound to its
# relying party, U2F register and authenticate. The signature counter and the discoverable
# credentials are the image's after the run (and `vtoken show` lists them without secrets).
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import fido2.pcsc, fido2.server' 2>/dev/null ||
  skip "python3-fido2 is not installed (scripts/install-deps.sh installs it)"

"$VTOKEN" init "$T/card" --profile fido >/dev/null
expect_eq "$(sed -n 's/^counter = //p' "$T/card/fido.ini")" 0 "a new image's counter is 0"
export T
cat >"$T/client.sh" <<SH
/usr/bin/python3 "$VT_SRC/tests/integration/fido/webauthn.py" "\$VTOKEN_CARD0_READER" \
  "$T/card/fido-attestation-ca.pem"
SH
"$VTOKEN" run --card "$T/card" -- bash "$T/client.sh" >"$T/client.log" 2>&1 ||
  fail "python-fido2 against the card failed: $(tail -n 30 "$T/client.log")"
sed 's/^/# /' "$T/client.log"
log=$(cat "$T/client.log")
expect_match "$log" "^ok: ES256 registration: packed attestation verified" "ES256 registration attested"
expect_match "$log" "^ok: ES256 assertions verified" "ES256 assertions verified"
expect_match "$log" "^ok: EdDSA registration and assertion verified" "EdDSA"
expect_match "$log" "^ok: a credential id is bound to its relying party" "credential bound to its RP"
expect_match "$log" "^ok: discoverable credentials" "discoverable credentials"
expect_match "$log" "^ok: U2F register and authenticate verified" "U2F"
last=$(sed -n 's/^last counter //p' "$T/client.log")
expect_eq "$(sed -n 's/^counter = //p' "$T/card/fido.ini")" "$last" "the image keeps the last signature counter"
expect_eq "$(show_json "$T/card" 'len(d["fido"]["credentials"])')" 2 "vtoken show lists the 2 discoverable credentials"
expect_eq "$(show_json "$T/card" 'sorted(c["user_name"] for c in d["fido"]["credentials"])')" \
  "['user3@vtoken.example', 'user4@vtoken.example']" "with their users"
expect_no_match "$("$VTOKEN" show "$T/card" --json)" "$(sed -n 's/^secret = //p' "$T/card/fido.ini")" \
  "vtoken show does not show the image's secret"
pass "python-fido2 registers and authenticates through CtapPcscDevice; the image keeps counter and credentials"
