#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hmac-secret through python-fido2 (Debian's python3-fido2) over PC/SC: the same secret on every
# assertion for one salt, a different one per salt, two salts at once, under PIN/UV auth
# protocols 1 and 2, another secret once the user is verified (fido/hmac_secret.py says each).
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import fido2.pcsc' 2>/dev/null ||
  skip "python3-fido2 is not installed (scripts/install-deps.sh installs it)"

"$VTOKEN" init "$T/card" --profile fido >/dev/null
cat >"$T/client.sh" <<SH
/usr/bin/python3 "$VT_SRC/tests/integration/fido/hmac_secret.py" "\$VTOKEN_CARD0_READER"
SH
"$VTOKEN" run --card "$T/card" -- bash "$T/client.sh" >"$T/client.log" 2>&1 ||
  fail "hmac-secret through python-fido2 failed: $(tail -n 30 "$T/client.log")"
sed 's/^/# /' "$T/client.log"
log=$(cat "$T/client.log")
for what in "getInfo lists hmac-secret" "MakeCredential with hmac-secret" \
  "one salt: the same 32-byte secret on every assertion, under PIN/UV protocols 1 and 2" \
  "another salt: another secret" "two salts: both secrets" \
  "a credential made without hmac-secret answers no secret" "a wrong saltAuth is refused" \
  "user verified: another secret" "discoverable credentials: a secret each"; do
  expect_match "$log" "^ok: $what" "$what"
done
pass "hmac-secret through python-fido2: one secret per salt and credential, protocols 1 and 2"
