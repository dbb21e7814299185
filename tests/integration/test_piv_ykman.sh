#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Tools that only trust YubiKeys, against a card in YubiKey compatibility mode (vtoken init
# --compat yubikey: a YubiKey 5 NFC's ATR, firmware 5.4.3 by default, the management AID): ykman
# (Debian's yubikey-manager) reads it as a YubiKey; OpenSC types it as a YubiKey by its ATR and still
# signs through PKCS#11; OpenSC's piv-tool authenticates with the management key
# (PIV_EXT_AUTH_KEY) and generates a key. The reader is named like a YubiKey 5's so that ykman's
# reader-name filter and its interface guess match. A card without compat, in the second reader,
# is not taken for a YubiKey.
source "$(dirname "$0")/lib.sh"

M=$OPENSC_MODULE
"$VTOKEN" init "$T/card" --compat yubikey >/dev/null
"$VTOKEN" init "$T/plain" --generate 9a:p256 >/dev/null
printf '%s' 010203040506070801020304050607080102030405060708 >"$T/mgm.hex"
echo "signed through a YubiKey-typed card" >"$T/data"
serial=$(sed -n 's/^serial = //p' "$T/card/card.ini")

cat >"$T/client.sh" <<SH
ykman --reader "CCID 00 00" piv info; echo "ykman-rc=\$?"
ykman --reader "CCID 00 00" info; echo "ykman-info-rc=\$?"
ykman list --serials
echo "== opensc-tool 0"; opensc-tool -r 0 -n
OPENSC_DEBUG=9 opensc-tool -r 0 -n 2>&1 | grep -E 'Yubico card->type|card info name' | sed 's/^.*\] //;s/^/card0: /'
echo "== opensc-tool 1"; opensc-tool -r 1 -n
OPENSC_DEBUG=9 opensc-tool -r 1 -n 2>&1 | grep -E 'Yubico card->type|card info name' | sed 's/^.*\] //;s/^/card1: /'
pkcs11-tool --module $M --slot-index 0 --login --pin 123456 --sign --id 01 -m SHA256-RSA-PKCS \
  -i $T/data -o $T/sig.bin && echo opensc-sign-ok
pkcs11-tool --module $M --slot-index 0 --read-object --type pubkey --id 01 -o $T/pub.der && echo opensc-pub-ok
PIV_EXT_AUTH_KEY=$T/mgm.hex piv-tool -r 0 -A M:9B:03 -G 9E:07 -o $T/pt.pub; echo "piv-tool-rc=\$?"
SH
"$VTOKEN" run --reader-name "Yubico YubiKey OTP+FIDO+CCID" --card "$T/card" --card "$T/plain" -- \
  bash "$T/client.sh" >"$T/client.log" 2>&1 || true
log=$(cat "$T/client.log")
echo "$log" | sed 's/^/# /'

expect_match "$log" '^ykman-rc=0$' "ykman piv info succeeds"
expect_match "$log" 'PIV version:[[:space:]]+5\.4\.3' "ykman shows the PIV version"
expect_match "$log" 'PIN tries remaining:[[:space:]]+3' "ykman shows the PIN tries (GET METADATA)"
expect_match "$log" 'CHUID:[[:space:]]+3019d4e739' "ykman shows the CHUID"
expect_match "$log" 'Subject DN:[[:space:]]+O=vtoken,CN=vtoken PIV Authentication' "ykman shows the 9A certificate"
expect_match "$log" '^ykman-info-rc=0$' "ykman info succeeds"
expect_match "$log" 'Device type:[[:space:]]+YubiKey 5' "ykman info takes the card for a YubiKey 5"
expect_match "$log" "Serial number:[[:space:]]+$serial\$" "ykman info shows the image's serial"
expect_match "$log" 'Firmware version:[[:space:]]+5\.4\.3' "ykman info shows the image's version"
expect_match "$log" "^$serial\$" "ykman list --serials lists the card"

# OpenSC names every PIV card by its driver ("Personal Identity Verification Card"), a real
# YubiKey too; the card type it chose is the type number in the card info line, which OpenSC
# 0.23 (Debian 12) and 0.26 (Debian 13) both log: the YubiKey type (14004,
# SC_CARD_TYPE_PIV_II_YUBIKEY4, which makes it read the version with GET VERSION) for the compat
# card, a generic PIV type (14000 or 14001) for the other. The log's other lines differ.
expect_match "$log" "^card0: .*sc_connect_card: card info name:'Personal Identity Verification Card', type:14004," \
  "opensc-tool -n: the PIV driver claims the compat card with the YubiKey type"
expect_match "$log" "^card1: .*sc_connect_card: card info name:'Personal Identity Verification Card', type:1400[01]," \
  "the card without compat is a generic PIV card to OpenSC, no YubiKey"
expect_match "$log" '^opensc-sign-ok$' "pkcs11-tool signs with the compat card"
expect_match "$log" '^opensc-pub-ok$' "pkcs11-tool reads the public key"
openssl dgst -sha256 -verify <(openssl pkey -pubin -inform DER -in "$T/pub.der") -signature "$T/sig.bin" "$T/data" >/dev/null ||
  fail "the signature made through the YubiKey-typed card does not verify"
pass "openssl verifies the signature made through OpenSC with the compat card"

# Debian 12's piv-tool (OpenSC 0.23 on OpenSSL 3) cannot turn the answer into an OpenSSL key
# ("gen_key unable to gen RSA", also against a real card) and exits 255 (0.26: 1); the card side
# is checked instead: only after the management key authenticated does the card generate, and
# 9E then holds a fresh RSA-2048 key.
show=$("$VTOKEN" show "$T/card")
expect_match "$(grep -A1 '^Slot 9e' <<<"$show")" 'Key: +rsa2048, generated' \
  "piv-tool authenticated with 9B: 9E now holds a generated RSA-2048 key"
expect_match "$show" '^Compatibility: +yubikey' "vtoken show says the card is in YubiKey compatibility mode"
