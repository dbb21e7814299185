#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The PIV applet through the real OpenSC of the distribution (opensc-tool, pkcs11-tool,
# pkcs15-tool): identity, objects, signatures, decryption and key agreement, each result
# checked with openssl against the card's certificates.
source "$(dirname "$0")/lib.sh"

M=$OPENSC_MODULE
"$VTOKEN" init "$T/card" --generate 9a:rsa2048 --generate 9c:p256 --generate 9d:rsa2048 \
  --generate 9e:p384 --subject "/CN=vt-opensc-card/O=vtoken" >/dev/null
"$VTOKEN" init "$T/card2" >/dev/null
for s in 9a 9c 9d 9e; do openssl x509 -in "$T/card/$s.crt.pem" -pubkey -noout >"$T/$s.pub.pem"; done

# Host-side inputs: data, its SHA-256, ciphertexts for 9D, a peer key for ECDH with 9E.
printf 'vtoken signs this\n' >"$T/data"
openssl dgst -sha256 -binary "$T/data" >"$T/data.sha256"
printf 'secret message' >"$T/msg"
openssl pkeyutl -encrypt -pubin -inkey "$T/9d.pub.pem" -in "$T/msg" -out "$T/ct.pkcs1"
openssl pkeyutl -encrypt -pubin -inkey "$T/9d.pub.pem" -in "$T/msg" -out "$T/ct.oaep" \
  -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$T/peer.pem" 2>/dev/null
openssl pkey -in "$T/peer.pem" -pubout -outform DER -out "$T/peer.pub.der"
openssl pkeyutl -derive -inkey "$T/peer.pem" -peerkey "$T/9e.pub.pem" -out "$T/z.openssl"

cat >"$T/client.sh" <<SH
set -x
P11="pkcs11-tool --module $M"
opensc-tool -n >$T/name.txt
\$P11 -L >$T/list.txt
\$P11 -O --login --pin 123456 >$T/objects.txt
pkcs15-tool --read-certificate 01 >$T/cert01.pem
pkcs15-tool --read-certificate 02 >$T/cert02.pem
\$P11 --login --pin 123456 --sign --id 01 -m RSA-PKCS -i $T/data -o $T/sig.rsa-pkcs
\$P11 --login --pin 123456 --sign --id 01 -m SHA256-RSA-PKCS -i $T/data -o $T/sig.sha256-rsa
\$P11 --login --pin 123456 --sign --id 01 -m SHA256-RSA-PKCS-PSS -i $T/data -o $T/sig.pss
\$P11 --login --pin 123456 --sign --id 02 -m ECDSA --signature-format openssl -i $T/data.sha256 -o $T/sig.ecdsa
\$P11 --login --pin 123456 --sign --id 02 -m ECDSA-SHA256 --signature-format openssl -i $T/data -o $T/sig.ecdsa-sha256
\$P11 --login --pin 123456 --decrypt --id 03 -m RSA-PKCS -i $T/ct.pkcs1 -o $T/pt.pkcs1
\$P11 --login --pin 123456 --decrypt --id 03 -m RSA-PKCS-OAEP --hash-algorithm SHA256 --mgf MGF1-SHA256 -i $T/ct.oaep -o $T/pt.oaep
\$P11 --login --pin 123456 --derive --id 04 -m ECDH1-DERIVE -i $T/peer.pub.der -o $T/z.card
\$P11 --login --pin 123456 --test >$T/test.txt 2>&1
SH
"$VTOKEN" run --card "$T/card" --card "$T/card2" -- bash "$T/client.sh" >"$T/client.log" 2>&1 ||
  fail "a client command failed: $(tail -n 30 "$T/client.log")"

expect_match "$(cat "$T/name.txt")" '^Personal Identity Verification Card' "opensc-tool -n names a PIV card"
list=$(cat "$T/list.txt")
expect_match "$list" 'token label +: vt-opensc-card' "the token label is the certificate's CN"
guid=$(sed -n 's/^GUID: *//p' <<<"$("$VTOKEN" show "$T/card")" | tr 'A-F' 'a-f')
guid2=$(sed -n 's/^GUID: *//p' <<<"$("$VTOKEN" show "$T/card2")" | tr 'A-F' 'a-f')
expect_match "$list" "serial num +: ${guid: -16}" "the serial is the end of the card's GUID"
expect_match "$list" "serial num +: ${guid2: -16}" "a second card shows its own serial"
objs=$(cat "$T/objects.txt")
for id in 01 02 03 04; do
  for kind in 'Private Key Object' 'Public Key Object' 'Certificate Object'; do
    grep -A4 "^$kind" <<<"$objs" | grep -q "ID: *$id" || fail "pkcs11-tool -O lacks $kind $id"
  done
done
pass "pkcs11-tool -O lists certificate, public and private key of every filled slot"
expect_eq "$(openssl x509 -in "$T/cert01.pem" -outform DER | sha256sum)" \
  "$(openssl x509 -in "$T/card/9a.crt.pem" -outform DER | sha256sum)" "pkcs15-tool reads back the provisioned 9A certificate"
expect_eq "$(openssl x509 -in "$T/cert02.pem" -outform DER | sha256sum)" \
  "$(openssl x509 -in "$T/card/9c.crt.pem" -outform DER | sha256sum)" "pkcs15-tool reads back the provisioned 9C certificate"

v() { openssl "$@" >/dev/null 2>&1; }
v pkeyutl -verify -pubin -inkey "$T/9a.pub.pem" -in "$T/data" -sigfile "$T/sig.rsa-pkcs" ||
  fail "RSA-PKCS signature does not verify"
pass "RSA-PKCS signature verifies"
v dgst -sha256 -verify "$T/9a.pub.pem" -signature "$T/sig.sha256-rsa" "$T/data" || fail "SHA256-RSA-PKCS"
pass "SHA256-RSA-PKCS signature verifies"
v dgst -sha256 -verify "$T/9a.pub.pem" -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:auto \
  -signature "$T/sig.pss" "$T/data" || fail "SHA256-RSA-PKCS-PSS"
pass "SHA256-RSA-PKCS-PSS signature verifies"
v pkeyutl -verify -pubin -inkey "$T/9c.pub.pem" -in "$T/data.sha256" -sigfile "$T/sig.ecdsa" || fail "ECDSA"
pass "ECDSA signature (9C, PIN always) verifies"
v dgst -sha256 -verify "$T/9c.pub.pem" -signature "$T/sig.ecdsa-sha256" "$T/data" || fail "ECDSA-SHA256"
pass "ECDSA-SHA256 signature verifies"
expect_eq "$(cat "$T/pt.pkcs1")" "secret message" "RSA-PKCS decryption"
expect_eq "$(cat "$T/pt.oaep")" "secret message" "RSA-PKCS-OAEP decryption"
expect_eq "$(xxd -p "$T/z.card" | tr -d '\n')" "$(xxd -p "$T/z.openssl" | tr -d '\n')" "ECDH P-384 matches openssl"
expect_match "$(cat "$T/test.txt")" '^No errors' "pkcs11-tool --login --test passes"
