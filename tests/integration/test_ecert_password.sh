#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# e-Cert guide, section 4 (更改電子證書 Token 密碼, change the token password): first use with the
# password from the PIN envelope (香港郵政電子證書密碼信封); a new password that misses the strong
# policy is refused by the card and the client says so; after a change the old password fails and
# the new one works, also after the token is restarted (each `vtoken run` is a fresh pcscd,
# vtokend and card power-up on the same image).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ecert/common.sh"

img="$T/ecert"
"$VTOKEN" init "$img" --profile ecert >"$T/init.out"

# The PIN envelope: beside the image, readable by its owner only, same PIN as printed by init.
envelope="$img.pin-envelope.txt"
[ -f "$envelope" ] || fail "no PIN envelope at $envelope"
expect_eq "$(stat -c %a "$envelope")" 600 "the PIN envelope is private (0600)"
pin0=$(envelope_pin "$img")
expect_eq "$(sed -n 's/^Initial PIN: //p' "$T/init.out")" "$pin0" "vtoken init prints the envelope's PIN once"
expect_match "$pin0" '^.{8}$' "the initial PIN has 8 characters"
for class in '[A-Z]' '[a-z]' '[0-9]' '[^A-Za-z0-9]'; do
  expect_match "$pin0" "$class" "the initial PIN meets the strong policy ($class)"
done
"$VTOKEN" init "$T/other" --profile ecert >/dev/null
[ "$(sed -n 's/^Initial PIN: //p' "$T/other.pin-envelope.txt")" != "$pin0" ] ||
  fail "two e-Cert images got the same initial PIN"
pass "each e-Cert image gets its own random initial PIN"

new='Hk#2026p'
openssl x509 -in "$img/9a.crt.pem" -pubkey -noout >"$T/9a.pub"
openssl x509 -in "$img/9c.crt.pem" -pubkey -noout >"$T/9c.pub"
echo "e-Cert test document $RANDOM" >"$T/data"

# The scripts below run inside `vtoken run` with their output in $T/client.log: card_sign (lib.sh)
# is a PKCS#11 login and a signature on the token, as an application does.
cat >"$T/lib-in.sh" <<'EOF'
source "$VT_LIB"
# change OLD NEW: pkcs11-tool --change-pin; prints the client's own message
change11() {
  pkcs11-tool --module "$OPENSC_MODULE" --change-pin --pin "$1" --new-pin "$2" 2>&1
}
# yubico-piv-tool sends any characters (OpenSC's PIV driver only lets a PIN change to digits)
changeyk() {
  yubico-piv-tool -r "Virtual PCD" -a change-pin -P "$1" -N "$2" 2>&1
}
EOF

cat >"$T/first-use.sh" <<'EOF'
set -u
source "$T/lib-in.sh"
pin0=$1 new=$2
card_sign --pin "$pin0" --id 01 --out "$T/sig-9a" || { echo "first use: envelope PIN did not sign with 9A"; exit 1; }
card_sign --pin "$pin0" --id 02 --out "$T/sig-9c" || { echo "first use: envelope PIN did not sign with 9C"; exit 1; }
# policy violations, each of which OpenSC passes on to the card
change11 "$pin0" 12345678 >"$T/refuse-digits"; echo "rc=$?" >>"$T/refuse-digits"
change11 "$pin0" 1234567 >"$T/refuse-short"; echo "rc=$?" >>"$T/refuse-short"
pkcs15-tool --change-pin --pin "$pin0" --new-pin 87654321 >"$T/refuse-pkcs15" 2>&1; echo "rc=$?" >>"$T/refuse-pkcs15"
for bad in abcdefgh ABCDEFG1 Abcdefg1 'abc$efg1' 'Ab1!' 'Ab1!Ab1!9'; do
  { echo "== $bad"; changeyk "$pin0" "$bad"; echo "rc=$?"; } >>"$T/refuse-yk"
done
card_sign --pin "$pin0" --id 01 --out "$T/sig-still" || { echo "a refused change altered the PIN"; exit 1; }
# the change itself: 目前的權杖密碼 (current), 新權杖密碼 (new)
changeyk "$pin0" "$new" >"$T/change.out"; echo "rc=$?" >>"$T/change.out"
if card_sign --pin "$pin0" --id 01 --out "$T/sig-old"; then echo "the old PIN still works after the change"; exit 1; fi
card_sign --pin "$new" --id 01 --out "$T/sig-new" || { echo "the new PIN does not work after the change"; exit 1; }
exit 0
EOF
export T
"$VTOKEN" run --card "$img" -- bash "$T/first-use.sh" "$pin0" "$new" >>"$T/client.log" 2>&1 ||
  fail "first use: $(cat "$T/client.log")"

openssl dgst -sha256 -verify "$T/9a.pub" -signature "$T/sig-9a" "$T/data" >/dev/null ||
  fail "the 9A signature made with the envelope PIN does not verify"
openssl dgst -sha256 -verify "$T/9c.pub" -signature "$T/sig-9c" "$T/data" >/dev/null ||
  fail "the 9C signature made with the envelope PIN does not verify"
pass "first use: the envelope PIN logs in and both e-Cert keys sign"

expect_match "$(cat "$T/refuse-digits")" 'C_SetPIN failed: rv = CKR_(DATA_INVALID|PIN_INVALID|PIN_LEN_RANGE)' \
  "pkcs11-tool says a digits-only new PIN is refused"
expect_match "$(cat "$T/refuse-digits")" 'rc=[1-9]' "pkcs11-tool fails on a digits-only new PIN"
expect_match "$(cat "$T/refuse-short")" 'C_SetPIN failed: rv = CKR_(DATA_INVALID|PIN_INVALID|PIN_LEN_RANGE)' \
  "pkcs11-tool says a 7-character new PIN is refused"
expect_match "$(cat "$T/refuse-pkcs15")" 'PIN code change failed' "pkcs15-tool --change-pin says the PIN was refused"
n_refused=$(grep -c '^rc=[1-9]' "$T/refuse-yk" || true)
expect_eq "$n_refused" 6 "yubico-piv-tool: every policy-violating new PIN is refused"
expect_match "$(cat "$T/change.out")" 'Successfully changed the pin code' "a strong new PIN is accepted (變更權杖密碼)"
pass "after the change the old PIN fails and the new one works"

# The card counts the one failed try, and the successful login resets the counter.
expect_match "$("$VTOKEN" show "$img")" 'PIN: +15 of 15 tries left' "a correct PIN resets the try counter"

# Restart: a new vtoken run on the same image, then a third one.
cat >"$T/after-restart.sh" <<'EOF'
set -u
source "$T/lib-in.sh"
pin0=$1 new=$2 tag=$3
if card_sign --pin "$pin0" --id 01 --out "$T/sig-old-$tag"; then echo "$tag: the old PIN works again"; exit 1; fi
card_sign --pin "$new" --id 01 --out "$T/sig-new-$tag" || { echo "$tag: the new PIN does not work"; exit 1; }
card_sign --pin "$new" --id 02 --out "$T/sig-new9c-$tag" || { echo "$tag: the new PIN does not sign with 9C"; exit 1; }
exit 0
EOF
for tag in restart1 restart2; do
  "$VTOKEN" run --card "$img" -- bash "$T/after-restart.sh" "$pin0" "$new" "$tag" >>"$T/client.log" 2>&1 ||
    fail "$tag: $(cat "$T/client.log")"
  openssl dgst -sha256 -verify "$T/9c.pub" -signature "$T/sig-new9c-$tag" "$T/data" >/dev/null ||
    fail "$tag: the 9C signature with the new PIN does not verify"
  pass "$tag: the old PIN fails, the new PIN signs"
done
expect_match "$("$VTOKEN" show "$img")" 'PIN: +15 of 15 tries left' "tries are back to 15 after a correct PIN"
expect_eq "$(grep -c 'C_Login failed: rv = CKR_PIN_INCORRECT' "$T/client.log")" 3 \
  "each use of the old PIN failed as an incorrect PIN"
[ "$(sed -n 's/^Initial PIN: //p' "$envelope")" = "$pin0" ] || fail "the envelope changed"
if grep -rqF -- "$new" "$img"; then fail "the new PIN is stored in clear in the image"; fi
pass "the new PIN is not stored in clear in the image"
