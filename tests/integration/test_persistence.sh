#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Everything the card changes survives vtokend restarts (issue 4): three `vtoken run`s on the
# same image, each with its own pcscd and vtokend, so each starts from what is on disk.
#   run 1: yubico-piv-tool generates keys in 9D (RSA-2048) and 82 (P-256), openssl certifies
#          them and they are imported; printed information (5FC109) is written with
#          write-object; the management key and the PIN are changed.
#   run 2: the same public keys and certificates are read back, pkcs11-tool signs with both
#          keys and openssl verifies with the public keys of run 1; the old management key is
#          refused and the new one accepted; the object reads back the same; the old PIN is
#          refused and the new one accepted; then three wrong PINs block it.
#   run 3: the PIN is still blocked, the right one too is refused.
# The image does not exist before run 1: vtokend creates it from the piv profile, attestation
# key and CA included, and in run 2 yubico-piv-tool -a attest certifies the key generated in
# run 1 with a chain to that CA.
# (test_ecert_password.sh and test_ecert_lock.sh check the same for a changed and a blocked
# PIN through OpenSC on the ecert profile.)
source "$(dirname "$0")/lib.sh"

M=$OPENSC_MODULE
DEFAULT_MGM=010203040506070801020304050607080102030405060708
NEW_MGM=0F0E0D0C0B0A09080706050403020100F0E0D0C0B0A09080
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ca.key" 2>/dev/null
openssl req -x509 -new -key "$T/ca.key" -subj "/CN=persistence test CA" -days 30 -out "$T/ca.crt" 2>/dev/null
head -c 40 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/printed.hex"
echo "signed after a restart" >"$T/data"

run() { # NAME: runs $T/NAME.sh against the card, output in $T/NAME.log
  "$VTOKEN" run --reader-name "Yubico YubiKey" --card "$T/card" -- bash "$T/$1.sh" >"$T/$1.log" 2>&1 || true
  sed 's/^/# /' "$T/$1.log"
}

cat >"$T/run1.sh" <<SH
Y="yubico-piv-tool -r Yubico"
# A certificate for a key whose private half is on the card: PUBKEY CN OUT. Its key usage
# allows signatures, which makes OpenSC offer signing with a key-management slot's key.
certify() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -subj "/CN=\$2" -out $T/req.csr 2>/dev/null
  printf 'keyUsage = critical, digitalSignature, keyEncipherment, keyAgreement\n' >$T/ext.cnf
  openssl x509 -req -in $T/req.csr -CA $T/ca.crt -CAkey $T/ca.key -CAcreateserial \
    -force_pubkey "\$1" -days 30 -extfile $T/ext.cnf -out "\$3" 2>/dev/null
}
\$Y -a generate -s 9d -A RSA2048 -o $T/gen-9d.pem && echo gen-9d-ok
\$Y -a generate -s 82 -A ECCP256 -o $T/gen-82.pem && echo gen-82-ok
certify $T/gen-9d.pem persist-9d $T/crt-9d.pem
certify $T/gen-82.pem persist-82 $T/crt-82.pem
\$Y -a import-certificate -s 9d -i $T/crt-9d.pem && echo import-9d-ok
\$Y -a import-certificate -s 82 -i $T/crt-82.pem && echo import-82-ok
\$Y -a write-object --id 0x5fc109 -f hex -i $T/printed.hex && echo write-object-ok
\$Y -a set-mgm-key -n $NEW_MGM && echo set-mgm-ok
\$Y -a change-pin -P 123456 -N 654321 && echo change-pin-ok
SH

cat >"$T/run2.sh" <<SH
Y="yubico-piv-tool -r Yubico"
P11="pkcs11-tool --module $M"
\$Y -a read-certificate -s 9d -o $T/read-9d.pem && echo read-9d-ok
\$Y -a read-certificate -s 82 -o $T/read-82.pem && echo read-82-ok
\$Y -a attest -s 9d -o $T/attest-9d.pem && echo attest-9d-ok
\$P11 --login --pin 654321 --sign --id 03 -m SHA256-RSA-PKCS -i $T/data -o $T/sig-9d.bin && echo sign-9d-ok
\$P11 --login --pin 654321 --sign --id 05 -m ECDSA-SHA256 --signature-format openssl -i $T/data \
  -o $T/sig-82.bin && echo sign-82-ok
echo "== old management key"; \$Y --key=$DEFAULT_MGM -a set-mgm-key -n $NEW_MGM 2>&1 || echo old-mgm-refused
echo "== new management key"; \$Y --key=$NEW_MGM -a set-mgm-key -n $NEW_MGM && echo new-mgm-ok
\$Y -a verify-pin -P 654321 -a read-object --id 0x5fc109 -f hex -o $T/printed-back.hex && echo read-object-ok
\$Y -a verify-pin -P 123456 >/dev/null 2>&1 || echo old-pin-refused
\$Y -a verify-pin -P 654321 && echo new-pin-ok
for i in 1 2 3; do \$Y -a verify-pin -P 000000 >/dev/null 2>&1; done
"$VTOKEN" show "$T/card" | grep '^PIN:'
SH

cat >"$T/run3.sh" <<SH
yubico-piv-tool -r Yubico -a verify-pin -P 654321 2>&1 && echo blocked-pin-accepted
"$VTOKEN" show "$T/card" | grep '^PIN:'
SH

run run1
log=$(cat "$T/run1.log")
for w in gen-9d gen-82 import-9d import-82 write-object set-mgm change-pin; do
  expect_match "$log" "^$w-ok\$" "run 1: $w"
done
[ -e "$T/card/f9.key.pem" ] && [ -e "$T/card/attestation-ca.crt.pem" ] ||
  fail "the image vtokend created has no attestation key or CA"
pass "vtokend created the missing image with an attestation key and CA"
pub9d=$(openssl pkey -pubin -in "$T/gen-9d.pem")
pub82=$(openssl pkey -pubin -in "$T/gen-82.pem")

run run2
log=$(cat "$T/run2.log")
for w in read-9d read-82 attest-9d sign-9d sign-82 new-mgm read-object new-pin; do
  expect_match "$log" "^$w-ok\$" "after a restart: $w"
done
for s in 9d 82; do
  expect_eq "$(openssl x509 -in "$T/read-$s.pem" -outform DER | sha256sum)" \
    "$(openssl x509 -in "$T/crt-$s.pem" -outform DER | sha256sum)" "after a restart: the certificate of $s is the one imported"
done
expect_eq "$(openssl x509 -in "$T/read-9d.pem" -noout -pubkey)" "$pub9d" "after a restart: 9D's public key is the generated one"
expect_eq "$(openssl x509 -in "$T/read-82.pem" -noout -pubkey)" "$pub82" "after a restart: 82's public key is the generated one"
openssl dgst -sha256 -verify "$T/gen-9d.pem" -signature "$T/sig-9d.bin" "$T/data" >/dev/null ||
  fail "the 9D signature after a restart does not verify with the key generated before it"
pass "after a restart: pkcs11-tool signs with the generated 9D key, openssl verifies"
openssl dgst -sha256 -verify "$T/gen-82.pem" -signature "$T/sig-82.bin" "$T/data" >/dev/null ||
  fail "the 82 signature after a restart does not verify with the key generated before it"
pass "after a restart: pkcs11-tool signs with the generated 82 key, openssl verifies"
out=$(openssl verify -CAfile "$T/card/attestation-ca.crt.pem" -untrusted "$T/card/f9.crt.pem" "$T/attest-9d.pem" 2>&1) ||
  fail "the attestation of 9D does not chain to the image's attestation CA: $out"
expect_eq "$(openssl x509 -in "$T/attest-9d.pem" -noout -pubkey)" "$pub9d" \
  "after a restart: ATTEST certifies the key generated before it, chained to the image's attestation CA"
expect_match "$log" '^old-mgm-refused$' "after a restart: the old management key is refused"
expect_eq "$(tr -d ' \n' <"$T/printed-back.hex" | tr 'A-F' 'a-f')" "$(cat "$T/printed.hex")" \
  "after a restart: printed information (5FC109) reads back as written"
expect_match "$log" '^old-pin-refused$' "after a restart: the old PIN is refused"
expect_match "$log" '^PIN: +0 of 3 tries left \(blocked\)' "three wrong PINs block it"

run run3
log=$(cat "$T/run3.log")
expect_no_match "$log" 'blocked-pin-accepted' "after a restart: the blocked PIN stays blocked"
expect_match "$log" '^PIN: +0 of 3 tries left \(blocked\)' "after a restart: still 0 tries on disk"
expect_match "$("$VTOKEN" show "$T/card")" 'Management key: 3des$' "the management key is no longer the default"
