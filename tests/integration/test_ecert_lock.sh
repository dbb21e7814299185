#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# e-Cert guide, 注意 (notes): 15 wrong passwords lock the token; the count and the lock survive
# restarts (each `vtoken run` powers a fresh card up from the same image); the PUK unblocks it
# with a new password (pkcs15-tool --unblock-pin); and when the PUK is lost too, the holder's way
# out — revoke and re-apply for a new e-Cert — is, for a virtual token, issuing a new one with
# `vtoken init --profile ecert --force`.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ecert/common.sh"

img="$T/ecert"
"$VTOKEN" init "$img" --profile ecert >/dev/null
pin0=$(envelope_pin "$img")
new='Unbl0ck!'
puk=12345678
export T
echo "e-Cert test document" >"$T/data"

cat >"$T/lib-in.sh" <<'EOF'
source "$VT_LIB"
# login PIN: one PKCS#11 login; prints the CKR_ code of a failure, nothing on success
login() {
  pkcs11-tool --module "$OPENSC_MODULE" --login --pin "$1" --show-info 2>&1 | grep -o 'CKR_[A-Z_]*' || true
}
flags() { pkcs11-tool --module "$OPENSC_MODULE" --list-token-slots | sed -n 's/^ *token flags *: //p'; }
EOF

# Run 1: 14 wrong passwords, each refused as incorrect; the token warns of the final try.
cat >"$T/run1.sh" <<'EOF'
source "$T/lib-in.sh"
for i in $(seq 14); do login 'Wr0ng#pw'; done >"$T/run1.codes"
flags >"$T/run1.flags"
EOF
"$VTOKEN" run --card "$img" -- bash "$T/run1.sh" || fail "run 1 failed"
expect_eq "$(sort "$T/run1.codes" | uniq -c | tr -s ' ')" " 14 CKR_PIN_INCORRECT" "14 wrong passwords are each refused as incorrect"
expect_match "$(cat "$T/run1.flags")" 'final user PIN try' "after 14 wrong passwords pkcs11-tool shows the final try"
expect_eq "$(tries "$img" pin)" "1/15/false" "vtoken show: 1 of 15 tries left"

# Run 2 (a restart): the count was kept; the 15th wrong password locks the token.
cat >"$T/run2.sh" <<'EOF'
source "$T/lib-in.sh"
login 'Wr0ng#pw' >"$T/run2.15th"
login "$1" >"$T/run2.right"
flags >"$T/run2.flags"
EOF
"$VTOKEN" run --card "$img" -- bash "$T/run2.sh" "$pin0" || fail "run 2 failed"
expect_eq "$(cat "$T/run2.15th")" CKR_PIN_INCORRECT "the 15th wrong password, after a restart, is refused"
expect_eq "$(cat "$T/run2.right")" CKR_PIN_LOCKED "after 15 wrong passwords even the right one is refused: locked"
expect_match "$(cat "$T/run2.flags")" 'user PIN locked' "pkcs11-tool shows the token locked"
expect_eq "$(tries "$img" pin)" "0/15/true" "vtoken show: blocked"

# Run 3 (a restart): still locked; no key can be used; a wrong PUK is refused and counted;
# the PUK unblocks with a new strong password (the card enforces its policy here too).
cat >"$T/run3.sh" <<'EOF'
source "$T/lib-in.sh"
login "$1" >"$T/run3.right"
if card_sign --pin "$1" --out "$T/run3.sig" >/dev/null 2>&1; then echo "signed with a locked token"; exit 1; fi
pkcs15-tool --unblock-pin --puk 87654321 --new-pin "$2" >"$T/run3.wrongpuk" 2>&1
pkcs15-tool --unblock-pin --puk "$3" --new-pin 12345678 >"$T/run3.weak" 2>&1
pkcs15-tool --unblock-pin --puk "$3" --new-pin "$2" >"$T/run3.unblock" 2>&1 || { cat "$T/run3.unblock"; exit 1; }
login "$1" >"$T/run3.old"
card_sign --pin "$2" --out "$T/run3.new.sig" >/dev/null 2>&1 || { echo "the new password does not sign after unblocking"; exit 1; }
EOF
"$VTOKEN" run --card "$img" -- bash "$T/run3.sh" "$pin0" "$new" "$puk" || fail "run 3 failed"
expect_eq "$(cat "$T/run3.right")" CKR_PIN_LOCKED "the lock survives a restart"
expect_match "$(cat "$T/run3.wrongpuk")" 'PUK code incorrect; tries left: 2' "a wrong PUK is refused and counted"
expect_match "$(cat "$T/run3.weak")" 'failed' "unblocking to a password that misses the policy is refused"
expect_no_match "$(cat "$T/run3.unblock")" 'failed|error' "pkcs15-tool --unblock-pin with the PUK"
expect_eq "$(cat "$T/run3.old")" CKR_PIN_INCORRECT "after unblocking the envelope password is no longer valid"
openssl x509 -in "$img/9a.crt.pem" -pubkey -noout >"$T/9a.pub"
openssl dgst -sha256 -verify "$T/9a.pub" -signature "$T/run3.new.sig" "$T/data" >/dev/null ||
  fail "the signature after unblocking does not verify"
pass "after unblocking the new password signs with the e-Cert key"
expect_eq "$(tries "$img" pin)" "15/15/false" "vtoken show: 15 tries again after a correct password"
expect_eq "$(tries "$img" puk)" "3/3/false" "a correct PUK resets the PUK's tries"

# Run 4 (a restart): the new password still works.
"$VTOKEN" run --card "$img" -- bash -c 'source "$T/lib-in.sh"; card_sign --pin "$1" --out "$T/run4.sig" >/dev/null 2>&1' x "$new" ||
  fail "the new password does not work after a restart"
pass "the unblocked token works after a restart"

# Lose everything: 3 wrong PUKs block the PUK, 15 wrong passwords lock the token again.
cat >"$T/run5.sh" <<'EOF'
source "$T/lib-in.sh"
for i in 1 2 3 4; do pkcs15-tool --unblock-pin --puk 87654321 --new-pin "$1" 2>&1 | tail -n1; done >"$T/run5.puk"
for i in $(seq 15); do login 'Wr0ng#pw'; done >"$T/run5.codes"
login "$1" >"$T/run5.right"
pkcs15-tool --unblock-pin --puk "$2" --new-pin "$1" >"$T/run5.unblock" 2>&1
login "$1" >"$T/run5.after"
EOF
"$VTOKEN" run --card "$img" -- bash "$T/run5.sh" "$new" "$puk" || fail "run 5 failed"
expect_match "$(cat "$T/run5.puk")" 'tries left: 0' "3 wrong PUKs use up the PUK"
expect_match "$(cat "$T/run5.puk")" 'blocked' "a 4th PUK attempt is refused: blocked"
expect_eq "$(sort "$T/run5.codes" | uniq -c | tr -s ' ')" " 15 CKR_PIN_INCORRECT" "15 more wrong passwords"
expect_eq "$(cat "$T/run5.right")" CKR_PIN_LOCKED "locked again"
expect_match "$(cat "$T/run5.unblock")" 'blocked' "even the right PUK no longer unblocks"
expect_eq "$(cat "$T/run5.after")" CKR_PIN_LOCKED "still locked"
expect_eq "$(tries "$img" pin)/$(tries "$img" puk)" "0/15/true/0/3/true" "vtoken show: PIN and PUK blocked"

# The guide's advice: revoke the e-Cert and apply for a new one. The virtual equivalent is a new
# token: new keys, a newly issued certificate, a new PIN envelope.
old_serial=$(openssl x509 -in "$img/9a.crt.pem" -noout -serial)
old_pub=$(openssl x509 -in "$img/9a.crt.pem" -noout -pubkey)
"$VTOKEN" init "$img" --profile ecert --force >/dev/null || fail "vtoken init --force"
pin1=$(envelope_pin "$img")
[ -n "$pin1" ] && [ "$pin1" != "$pin0" ] || fail "the re-issued token has no new envelope PIN"
pass "a re-issued token comes with a new PIN envelope"
[ "$(openssl x509 -in "$img/9a.crt.pem" -noout -serial)" != "$old_serial" ] || fail "same certificate after re-issue"
[ "$(openssl x509 -in "$img/9a.crt.pem" -noout -pubkey)" != "$old_pub" ] || fail "same key after re-issue"
pass "a re-issued token has a new key and certificate"
expect_eq "$(tries "$img" pin)/$(tries "$img" puk)" "15/15/false/3/3/false" "a re-issued token has its full tries"
"$VTOKEN" run --card "$img" -- bash -c 'source "$T/lib-in.sh"; card_sign --pin "$1" --out "$T/run6.sig" >/dev/null 2>&1' x "$pin1" ||
  fail "the re-issued token does not sign with its envelope PIN"
openssl x509 -in "$img/9a.crt.pem" -pubkey -noout >"$T/9a.pub"
openssl dgst -sha256 -verify "$T/9a.pub" -signature "$T/run6.sig" "$T/data" >/dev/null ||
  fail "the re-issued token's signature does not verify"
pass "the re-issued token works with its envelope PIN"
