#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ykman's FIDO commands on the card through a reader ykman takes for an NFC reader (its name is
# not "Yubico YubiKey ..."): fido info, access change-pin (set, change, a wrong PIN counted),
# credentials list and delete (CredentialManagement over the discoverable credentials
# python-fido2 made), reset: accepted soon after the card is put back into its reader (`vtoken
# ctl remove` and `insert`, as ykman asks of an NFC key), refused 10 s after, as a key refuses
# it 10 s after power-up. The image follows each change.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import fido2.pcsc' 2>/dev/null ||
  skip "python3-fido2 is not installed (scripts/install-deps.sh installs it)"
command -v ykman >/dev/null || skip "ykman is not installed (scripts/install-deps.sh installs it)"

"$VTOKEN" init "$T/card" --profile fido >/dev/null
cat >"$T/client.sh" <<SH
source "\$VT_LIB"
R=\$VTOKEN_CARD0_READER
ms() { echo \$(( \${EPOCHREALTIME/[.,]/} / 1000 )); }
past() { [ "\$(ms)" -ge "\$1" ]; }
yk() { echo "\$ ykman fido \$*"; ykman --reader "\$R" fido "\$@" 2>&1; echo "rc=\$?"; }
/usr/bin/python3 "$VT_SRC/tests/integration/fido/webauthn.py" "\$R" \
  "$T/card/fido-attestation-ca.pem" >"$T/webauthn.log" 2>&1 || fail "python-fido2: \$(tail "$T/webauthn.log")"
yk info
yk access change-pin -n 123456
yk access change-pin -P 000000 -n 111111
yk access change-pin -P 123456 -n 654321
yk info
yk credentials list -P 654321
# ykman 4 deletes what a query matches (user3); ykman 5 a credential by its id's prefix, which
# its list shows (the id's first bytes and ...)
q=user3
if [ "\$(ykman --version | grep -oE '[0-9]+' | head -n1)" -ge 5 ]; then
  q=\$(ykman --reader "\$R" fido credentials list -P 654321 | awk '/user3@/ {sub(/\\.\\.\\.\$/, "", \$1); print \$1}')
fi
yk credentials delete -P 654321 -f "\$q"
yk credentials list -P 654321
"\$VTOKEN" ctl remove card0 && "\$VTOKEN" wait --exactly 0 --timeout 10 >/dev/null || fail "remove"
"\$VTOKEN" ctl insert card0 && "\$VTOKEN" wait --exactly 1 --timeout 10 >/dev/null || fail "insert"
inserted=\$(ms)
yk reset -f
yk info
yk access change-pin -n 123456
# the window itself is what is tested: the time it closes is the condition waited for
wait_until 20 "10 s passed since the card was inserted" -- past \$((inserted + 10500))
yk reset -f
yk info
SH
"$VTOKEN" run --card "$T/card" -- bash "$T/client.sh" >"$T/client.log" 2>&1 ||
  fail "the session failed: $(tail -n 30 "$T/client.log")"
sed 's/^/# /' "$T/client.log"
# the answers of each command, in order
step() { awk -v n="$1" '/^\$ ykman/{i++} i==n' "$T/client.log"; }
# ykman 4 and ykman 5 say it in their own words
no_pin='^(PIN is not set\.|PIN:[[:space:]]+Not set)$'
expect_match "$(step 1)" "$no_pin" "fido info: no PIN on a new card"
expect_match "$(step 1)" '^rc=0$' "fido info succeeds"
expect_match "$(step 2)" '^rc=0$' "change-pin sets the first PIN"
expect_match "$(step 3)" '^rc=1$' "change-pin with a wrong PIN fails"
expect_match "$(step 4)" '^rc=0$' "change-pin with the right PIN"
expect_match "$(step 5)" '^(PIN is set, with 8 attempt\(s\) remaining\.|PIN:[[:space:]]+8 attempt\(s\) remaining)$' \
  "fido info: PIN set, tries back to 8"
for n in 3 4; do
  expect_match "$(step 6)" "^(vtoken\\.example 757365722d3$n user$n@vtoken\\.example|[0-9a-f]+\\.\\.\\.[[:space:]]+vtoken\\.example[[:space:]]+user$n@vtoken\\.example[[:space:]]+User $n[[:space:]]*)\$" \
    "credentials list: user$n"
done
expect_match "$(step 7)" '^rc=0$' "credentials delete"
expect_no_match "$(step 8)" 'user3' "user3 is gone"
expect_match "$(step 8)" 'user4@vtoken\.example' "user4 stays"
expect_match "$(step 9)" '^rc=0$' "fido reset"
expect_match "$(step 10)" "$no_pin" "fido info: no PIN after the reset"
expect_match "$(step 11)" '^rc=0$' "a PIN set again"
expect_match "$(step 12)" '^rc=1$' "fido reset 10 s after insertion fails"
expect_match "$(step 12)" 'within [0-9]+ seconds' "as ykman says of a key past its reset window"
expect_match "$(step 13)" '^(PIN is set, with 8 attempt\(s\) remaining\.|PIN:[[:space:]]+8 attempt\(s\) remaining)$' \
  "the PIN is still set"
expect_eq "$(show_json "$T/card" 'len(d["fido"]["credentials"])')" 0 "the image has no credential after the reset"
expect_eq "$(show_json "$T/card" 'd["fido"]["pin_set"]')" true "and the PIN set after it stays"
pass "ykman fido info, access change-pin, credentials list/delete and reset (in its window) over an NFC-like reader"
