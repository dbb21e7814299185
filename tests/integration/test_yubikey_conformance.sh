#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Conformance with a YubiKey 5, as Yubico's own tools see it: ykman (Debian 12's), yubico-piv-tool
# 2.2 and ykcs11 against `--compat yubikey` cards, every outcome checked by what the card does
# afterwards (the PIN it takes, the key a signature verifies with, the certificate it returns),
# not by the tools' words. Card 0 has the default firmware, 5.4.3 (3DES default management key);
# card 1 answers as 5.7.1 (AES-192 default management key, which yubico-piv-tool 2.2 cannot use,
# as against a real 5.7 key). What Debian 12's tools do not reach (MOVE/DELETE KEY, GET METADATA
# 6A88, PIN complexity, Ed25519) is covered APDU by APDU in tests/unit/test_piv_fidelity.c.
source "$(dirname "$0")/lib.sh"

DEFAULT_MGM=010203040506070801020304050607080102030405060708
NEW_MGM=0F0E0D0C0B0A09080706050403020100F0E0D0C0B0A09080
AES_MGM=00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF
YKCS11=$(dpkg -L ykcs11 2>/dev/null | grep '/libykcs11.so$' | head -n1)
[ -n "$YKCS11" ] || fail "ykcs11 is not installed (scripts/install-deps.sh)"
"$VTOKEN" init "$T/card" --compat yubikey >/dev/null
"$VTOKEN" init "$T/card57" --compat yubikey --firmware 5.7.1 >/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/import.pem" 2>/dev/null
openssl pkey -in "$T/import.pem" -pubout -out "$T/import.pub.pem"
openssl req -x509 -new -key "$T/import.pem" -subj "/CN=other" -days 30 -out "$T/other.crt" 2>/dev/null
echo "signed by a key on the card" >"$T/data"
printf 'not a certificate at all' >"$T/junk.bin"
openssl x509 -in "$T/other.crt" -outform DER | gzip -c >"$T/other.der.gz"

R1=$(reader_name 1 CCID) # the second card's reader, as ykman and yubico-piv-tool match it
cat >"$T/client.sh" <<SH
K="ykman --reader 'CCID 00 00'"
K1="ykman --reader '$R1'"
Y="yubico-piv-tool -r 'CCID 00 00'"
Y1="yubico-piv-tool -r '$R1'"
step() { echo "== \$*"; }
ok() { echo "\$1-ok"; }
step info; eval "\$K piv info" && ok info
# PIN and PUK
step change-pin; eval "\$K piv access change-pin -P 123456 -n 654321" && ok change-pin
step new-pin; eval "\$Y -a verify-pin -P 654321" && ok new-pin
step old-pin; eval "\$Y -a verify-pin -P 123456" 2>&1 || echo old-pin-refused
step change-puk; eval "\$K piv access change-puk -p 12345678 -n 87654321" && ok change-puk
for i in 1 2 3; do eval "\$Y -a verify-pin -P 000000" >/dev/null 2>&1; done
step blocked; eval "\$Y -a verify-pin -P 654321" 2>&1 || echo blocked-refused
step unblock; eval "\$K piv access unblock-pin -p 87654321 -n 123456" && ok unblock
step unblocked; eval "\$Y -a verify-pin -P 123456" && ok unblocked
# libykpiv (2.7) logs out by selecting the management application and PIV again; 2.2 does not
# yet, so the APDUs go through the stack as it sends them: verified, then 63C3 after the SELECTs
step deauth; opensc-tool -r 0 -s "00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00" \
  -s "00 20 00 80 08 31 32 33 34 35 36 FF FF" -s "00 20 00 80" \
  -s "00 A4 04 00 08 A0 00 00 05 27 47 11 17" -s "00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00" \
  -s "00 20 00 80" 2>&1 | grep -o 'SW1=0x.., SW2=0x..'
step set-retries; eval "\$K piv access set-retries 5 4 -P 123456 -m $DEFAULT_MGM -f" && ok set-retries
step retries-status; eval "\$Y -a status"
# keys of every algorithm 5.4 has, with policies; export and attest
for a in RSA1024 RSA2048 ECCP256 ECCP384; do
  step "generate-\$a"
  eval "\$K piv keys generate -m $DEFAULT_MGM -a \$a --pin-policy ONCE --touch-policy NEVER 9a $T/gen-\$a.pem" && ok "generate-\$a"
done
step generate-9c; eval "\$K piv keys generate -m $DEFAULT_MGM -a ECCP256 --pin-policy ALWAYS 9c $T/gen-9c.pem" && ok generate-9c
step export; eval "\$K piv keys export 9c $T/export-9c.pem" && ok export
step attest; eval "\$K piv keys attest 9c $T/attest-9c.pem" && ok attest
step read-f9; eval "\$Y -a read-certificate -s f9 -o $T/f9.pem" && ok read-f9
step import; eval "\$K piv keys import -m $DEFAULT_MGM --pin-policy NEVER 9d $T/import.pem" && ok import
step export-9d; eval "\$K piv keys export 9d $T/export-9d.pem" && ok export-9d
# certificates
step cert-generate; eval "\$K piv certificates generate -m $DEFAULT_MGM -P 123456 -s CN=conformance 9c $T/gen-9c.pem" && ok cert-generate
step cert-export; eval "\$K piv certificates export 9c $T/cert-9c.pem" && ok cert-export
step cert-request; eval "\$K piv certificates request -P 123456 -s CN=request 9a $T/gen-ECCP384.pem $T/req.csr" && ok cert-request
step cert-verify-mismatch; eval "\$K piv certificates import -m $DEFAULT_MGM -P 123456 --verify 9a $T/other.crt" 2>&1; echo "mismatch-rc=\$?"
step cert-verify-match; eval "\$K piv certificates import -m $DEFAULT_MGM -P 123456 --verify 9c $T/cert-9c.pem" && ok cert-verify-match
step cert-delete; eval "\$K piv certificates delete -m $DEFAULT_MGM 9c" && ok cert-delete
step cert-gone; eval "\$K piv certificates export 9c $T/gone.pem" 2>&1 || echo cert-gone-refused
# objects
step chuid; eval "\$K piv objects generate -m $DEFAULT_MGM chuid" && ok chuid
step ccc; eval "\$K piv objects generate -m $DEFAULT_MGM ccc" && ok ccc
step export-chuid; eval "\$K piv objects export chuid $T/chuid.bin" && ok export-chuid
step object-import; eval "\$K piv objects import -m $DEFAULT_MGM 0x5fc10d $T/data" && ok object-import
step object-export; eval "\$K piv objects export 0x5fc10d $T/obj.bin" && ok object-export
# certificate objects hold whatever is written: text, and a compressed certificate (CertInfo 01)
step junk-write; eval "\$Y -a write-object --id 0x5fc105 -f binary -i $T/junk.bin" && ok junk-write
step junk-read; eval "\$Y -a read-object --id 0x5fc105 -f binary -o $T/junk.back" && ok junk-read
step gz-import; eval "\$Y -a import-certificate -s 9e -K GZIP -i $T/other.der.gz" && ok gz-import
step gz-read; eval "\$Y -a read-object --id 0x5fc101 -f binary -o $T/gz.back" && ok gz-read
# ykcs11, Yubico's PKCS#11 module: a login and a signature with the key in 9C (PIN always)
step ykcs11-list; pkcs11-tool --module $YKCS11 --list-objects --login --pin 123456 2>&1
step ykcs11-sign
pkcs11-tool --module $YKCS11 --slot-index 0 --login --pin 123456 --sign --id 02 -m ECDSA-SHA256 \
  --signature-format openssl -i $T/data -o $T/ykcs11.sig && ok ykcs11-sign
# the management key, protected by the PIN: ykman finds it, yubico-piv-tool's default is refused
step protect; eval "\$K piv access change-management-key -m $DEFAULT_MGM -P 123456 --protect -f" && ok protect
step protected-use; eval "\$K piv keys generate -P 123456 -a ECCP256 9e $T/gen-9e.pem" && ok protected-use
step default-refused; eval "\$Y -a generate -s 9e -A ECCP256 -o $T/nope.pem" 2>&1 || echo default-refused
# reset: ykman blocks PIN and PUK itself
step reset; eval "\$K piv reset -f" && ok reset
step after-reset-pin; eval "\$Y -a verify-pin -P 123456" && ok after-reset-pin
step after-reset-mgm; eval "\$Y -a generate -s 9a -A ECCP256 -o $T/after.pem" && ok after-reset-mgm
step after-reset-info; eval "\$K piv info"
step verify-empty; eval "\$K piv certificates import -m $DEFAULT_MGM -P 123456 --verify 9d $T/other.crt" 2>&1; echo "empty-rc=\$?"
# 5.7.1: AES-192 by default; ykman authenticates with it, yubico-piv-tool 2.2 (3DES) cannot,
# 2.3 and later can
step info57; eval "\$K1 piv info" && ok info57
step ykpiv57; eval "\$Y1 -a generate -s 9a -A ECCP256 -o $T/nope57.pem" 2>&1 || echo ykpiv57-refused
step mgm57; eval "\$K1 piv access change-management-key -m $DEFAULT_MGM -a AES256 -n $AES_MGM -f" && ok mgm57
step mgm57-use; eval "\$K1 piv keys generate -m $AES_MGM -a ECCP256 9a $T/gen57.pem" && ok mgm57-use
SH
"$VTOKEN" run --reader-name "Yubico YubiKey OTP+FIDO+CCID" --card "$T/card" --card "$T/card57" -- \
  bash "$T/client.sh" >"$T/client.log" 2>&1 || true
log=$(cat "$T/client.log")
echo "$log" | sed 's/^/# /'
section() { awk -v s="== $1" '$0 == s { on = 1; next } /^== / { on = 0 } on' "$T/client.log"; }

# certificates made by vtoken init fit their slot's purpose, or the one asked for
"$VTOKEN" init "$T/plain" >/dev/null
"$VTOKEN" init "$T/usage" --eku 9c:codeSigning >/dev/null
purpose() { openssl verify -partial_chain -purpose "$1" -CAfile "$2" "$2" >/dev/null 2>&1; }
purpose sslclient "$T/plain/9a.crt.pem" && purpose sslclient "$T/plain/9e.crt.pem" ||
  fail "9A and 9E certificates are not for client authentication"
purpose smimesign "$T/plain/9c.crt.pem" && ! purpose sslclient "$T/plain/9c.crt.pem" ||
  fail "the 9C certificate is not for signatures (mail) alone"
openssl x509 -in "$T/plain/9d.crt.pem" -noout -ext keyUsage | grep -q "Key Encipherment" ||
  fail "the 9D certificate does not allow key encipherment"
openssl x509 -in "$T/usage/9c.crt.pem" -noout -ext extendedKeyUsage | grep -q "Code Signing" ||
  fail "--eku 9c:codeSigning"
openssl x509 -in "$T/usage/9c.crt.pem" -noout -ext keyUsage | grep -q "Digital Signature" ||
  fail "a code-signing certificate without digitalSignature"
pass "init's certificates: 9A/9E client authentication, 9C signatures, 9D encipherment; --eku 9c:codeSigning"

expect_match "$log" '^info-ok$' "ykman piv info"
expect_match "$(section info)" 'PIN tries remaining:[[:space:]]+3' "piv info reads the PIN tries (GET METADATA)"
for w in change-pin new-pin change-puk unblock unblocked set-retries; do
  expect_match "$log" "^$w-ok\$" "ykman and yubico-piv-tool: $w"
done
expect_match "$log" '^old-pin-refused$' "the old PIN no longer opens the card"
expect_match "$log" '^blocked-refused$' "three wrong PINs block it"
expect_eq "$(section deauth | tr '\n' ' ')" \
  "SW1=0x90, SW2=0x00 SW1=0x90, SW2=0x00 SW1=0x90, SW2=0x00 SW1=0x90, SW2=0x00 SW1=0x90, SW2=0x00 SW1=0x63, SW2=0xC3 " \
  "selecting the management application and PIV again clears the verified PIN (63C3)"
expect_match "$(section retries-status)" 'PIN tries left:[[:space:]]+5' "set-retries: 5 PIN tries"

for a in RSA1024 RSA2048 ECCP256 ECCP384 9c; do
  expect_match "$log" "^generate-$a-ok\$" "ykman piv keys generate $a"
done
cmp -s <(openssl pkey -pubin -in "$T/gen-9c.pem" -outform DER) <(openssl pkey -pubin -in "$T/export-9c.pem" -outform DER) ||
  fail "keys export returns another public key than generate"
pass "keys export returns the generated public key"
openssl verify -partial_chain -CAfile "$T/f9.pem" "$T/attest-9c.pem" >/dev/null || fail "the attestation does not chain to F9"
cmp -s <(openssl x509 -in "$T/attest-9c.pem" -pubkey -noout | openssl pkey -pubin -outform DER) \
  <(openssl pkey -pubin -in "$T/gen-9c.pem" -outform DER) || fail "the attestation certifies another key"
pass "keys attest: a certificate for the 9C key, issued by F9"
cmp -s <(openssl pkey -pubin -in "$T/export-9d.pem" -outform DER) <(openssl pkey -pubin -in "$T/import.pub.pem" -outform DER) ||
  fail "the imported key is not the one in 9D"
pass "keys import: 9D holds the imported key"

expect_match "$log" '^cert-generate-ok$' "certificates generate (signed on the card, PIN always)"
cmp -s <(openssl x509 -in "$T/cert-9c.pem" -pubkey -noout | openssl pkey -pubin -outform DER) \
  <(openssl pkey -pubin -in "$T/gen-9c.pem" -outform DER) || fail "the generated certificate is for another key"
openssl x509 -in "$T/cert-9c.pem" -noout -subject | grep -q "CN *= *conformance" || fail "certificate subject"
openssl verify -CAfile "$T/cert-9c.pem" "$T/cert-9c.pem" >/dev/null || fail "the self-signed certificate's signature"
pass "certificates export: the self-signed certificate the card signed, for the 9C key"
openssl req -in "$T/req.csr" -verify -noout 2>/dev/null || fail "the CSR's signature does not verify"
pass "certificates request: a CSR signed by the 9A key"
expect_match "$(section cert-verify-mismatch)" 'mismatch-rc=[1-9]' "import --verify refuses a certificate of another key"
expect_no_match "$(section cert-verify-mismatch)" 'Traceback|Error: .*6[Aa]8[06]' \
  "import --verify fails cleanly (6A80 for another algorithm, as a YubiKey)"
expect_match "$log" '^cert-verify-match-ok$' "import --verify takes the matching certificate"
expect_match "$log" '^cert-delete-ok$' "certificates delete"
expect_match "$log" '^cert-gone-refused$' "a deleted certificate is gone"

for w in chuid ccc export-chuid object-import object-export; do
  expect_match "$log" "^$w-ok\$" "ykman piv objects: $w"
done
cmp -s "$T/data" "$T/obj.bin" || fail "the object read back differs from the one written"
pass "an object reads back as written"

for w in junk-write junk-read gz-import gz-read; do expect_match "$log" "^$w-ok\$" "yubico-piv-tool: $w"; done
cmp -s "$T/junk.bin" "$T/junk.back" || fail "a certificate object written with text reads back otherwise"
pass "a certificate object holds text, as on a YubiKey"
python3 - "$T/gz.back" "$T/other.der.gz" <<'PY' || fail "the compressed certificate does not read back as written"
import sys
back, gz = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
assert gz in back and b"\x71\x01\x01" in back, back.hex()
PY
pass "a compressed certificate (CertInfo 01) reads back as written"

expect_match "$log" '^ykcs11-sign-ok$' "ykcs11 logs in and signs with 9C"
openssl dgst -sha256 -verify "$T/gen-9c.pem" -signature "$T/ykcs11.sig" "$T/data" >/dev/null ||
  fail "the ykcs11 signature does not verify with the 9C key"
pass "the ykcs11 signature verifies with the 9C public key"

expect_match "$log" '^protect-ok$' "change-management-key --protect"
expect_match "$log" '^protected-use-ok$' "ykman uses the PIN-protected management key"
expect_match "$log" '^default-refused$' "the default management key no longer works"
expect_match "$log" '^reset-ok$' "ykman piv reset (blocks PIN and PUK itself, then resets)"
expect_match "$log" '^after-reset-pin-ok$' "after reset the PIN is 123456"
expect_match "$log" '^after-reset-mgm-ok$' "after reset a 5.4.3 card's management key is the 3DES default"
expect_match "$(section after-reset-info)" 'PIN tries remaining:[[:space:]]+3' "after reset 3 PIN tries"
expect_match "$(section verify-empty)" 'empty-rc=[1-9]' "import --verify into an empty slot is refused"
expect_no_match "$(section verify-empty)" 'Traceback|Error: .*6[Aa]8[26]' "... cleanly (6A80 for no key, as a YubiKey)"

expect_match "$log" '^info57-ok$' "ykman piv info on a 5.7.1 card"
expect_match "$(section info57)" 'PIV version:[[:space:]]+5\.7\.1' "the 5.7.1 card says 5.7.1"
# yubico-piv-tool knows AES management keys from 2.3 on (Debian 13 has 2.7; Debian 12 2.2)
ykpiv_version=$(yubico-piv-tool --version | awk '{print $2}')
if dpkg --compare-versions "$ykpiv_version" lt 2.3; then
  expect_match "$log" '^ykpiv57-refused$' \
    "yubico-piv-tool $ykpiv_version (3DES only) cannot authenticate to 5.7.1's AES-192 default"
else
  expect_no_match "$log" '^ykpiv57-refused$' \
    "yubico-piv-tool $ykpiv_version authenticates with 5.7.1's AES-192 default"
  [ -s "$T/nope57.pem" ] || fail "yubico-piv-tool $ykpiv_version wrote no public key for 5.7.1's 9A"
  pass "... and generates a key with it"
fi
expect_match "$log" '^mgm57-ok$' "ykman authenticates with 5.7.1's AES-192 default and sets an AES-256 key"
expect_match "$log" '^mgm57-use-ok$' "the new AES-256 management key works"
show=$("$VTOKEN" show "$T/card57" --json)
[ "$(jq -r .management_key.alg <<<"$show")" = aes256 ] || fail "card57's management key is $(jq -r .management_key.alg <<<"$show")"
pass "the 5.7.1 image now holds the AES-256 management key"

# An image made before vtoken chose a firmware (card.ini `version = 5.7.1`, a 3DES management
# key) loads and behaves as it did: after ykman's reset the management key is still the 3DES
# default that yubico-piv-tool 2.2 uses, and card.ini keeps `version`.
"$VTOKEN" init "$T/legacy" --compat yubikey >/dev/null
sed -i 's/^firmware = .*/version = 5.7.1/' "$T/legacy/card.ini"
[ "$(show_json "$T/legacy" 'd["firmware"]') $(show_json "$T/legacy" 'd["version"]')" = "false 5.7.1" ] ||
  fail "an image with version = 5.7.1 does not load as one made before firmware was chosen"
"$VTOKEN" run --reader-name "Yubico YubiKey OTP+FIDO+CCID" --card "$T/legacy" -- bash -c "
  ykman --reader '00 00' piv reset -f && echo legacy-reset-ok
  yubico-piv-tool -r '00 00' -a generate -s 9a -A ECCP256 -o $T/legacy.pub && echo legacy-3des-ok" \
  >"$T/legacy.log" 2>&1 || true
sed 's/^/# /' "$T/legacy.log"
expect_match "$(cat "$T/legacy.log")" '^legacy-reset-ok$' "ykman resets an image made before"
expect_match "$(cat "$T/legacy.log")" '^legacy-3des-ok$' "... whose default management key stays 3DES"
grep -qx "version = 5.7.1" "$T/legacy/card.ini" && ! grep -q "^firmware" "$T/legacy/card.ini" ||
  fail "card.ini of an image made before changed its version key"
pass "card.ini keeps version = 5.7.1 after the card wrote it"
