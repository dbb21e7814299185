#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The OpenPGP card through OpenSC's openpgp driver: opensc-tool -n names it, openpgp-tool reads
# its identity, pkcs11-tool lists its tokens and keys, signs with the signature key and
# decrypts with the decryption key (keys GnuPG generated on the card; each result checked
# with openssl against the public key the card gives).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pgp/gpg.sh"
command -v scdaemon >/dev/null || [ -x /usr/lib/gnupg/scdaemon ] ||
  skip "GnuPG's scdaemon is not installed (scripts/install-deps.sh installs it)"

"$VTOKEN" init "$T/card" --profile openpgp >/dev/null
serial=$(show_json "$T/card" 'd["openpgp"]["serial"]')
export T VT_LIB
printf 'vtoken signs this\n' >"$T/data"

cat >"$T/client.sh" <<'SH'
set -x
source "$VT_LIB"
source "$(dirname "$VT_LIB")/pgp/gpg.sh"
gpg_home "$T/gnupg"
card_edit admin generate n 0 "Jane Doe" jane@example.org "" quit >"$T/generate.txt" ||
  fail "gpg --card-edit generate: $(tail -n 20 "$T/generate.txt")"
gpgconf --kill all
P11="pkcs11-tool --module $OPENSC_MODULE"
SIG=(--token-label "OpenPGP card (User PIN (sig))")
USER=(--token-label "OpenPGP card (User PIN)")
opensc-tool -n >"$T/name.txt"
openpgp-tool -C >"$T/openpgp-tool.txt" 2>&1
$P11 -L >"$T/list.txt"
$P11 "${USER[@]}" -O --login --pin 123456 >"$T/objects.txt"
$P11 "${SIG[@]}" -O --login --pin 123456 >>"$T/objects.txt"
$P11 "${SIG[@]}" --read-object --type pubkey --id 01 -o "$T/sig.der"
$P11 "${SIG[@]}" --login --pin 123456 --sign --id 01 -m SHA256-RSA-PKCS -i "$T/data" -o "$T/sig"
$P11 "${USER[@]}" --read-object --type pubkey --id 02 -o "$T/dec.der"
openssl pkeyutl -encrypt -pubin -keyform DER -inkey "$T/dec.der" -in "$T/data" -out "$T/ct"
$P11 "${USER[@]}" --login --pin 123456 --decrypt --id 02 -m RSA-PKCS -i "$T/ct" -o "$T/pt"
SH
"$VTOKEN" run --card "$T/card" -- bash "$T/client.sh" >"$T/client.log" 2>&1 ||
  fail "a client command failed: $(tail -n 30 "$T/client.log")"

expect_match "$(cat "$T/name.txt")" '^OpenPGP card v3\.4' "opensc-tool -n names an OpenPGP card 3.4"
tool=$(cat "$T/openpgp-tool.txt")
expect_match "$tool" "AID: +$(sed 's/../&:/g; s/:$//' <<<"$serial" | tr 'A-F' 'a-f')" \
  "openpgp-tool reads the card's AID"
expect_match "$tool" 'Version: +3\.4' "openpgp-tool reads version 3.4"
list=$(cat "$T/list.txt")
expect_match "$list" 'token label +: OpenPGP card \(User PIN\)' "pkcs11-tool -L lists the user PIN token"
expect_match "$list" 'token label +: OpenPGP card \(User PIN \(sig\)\)' "and the signature PIN token"
expect_match "$list" "serial num +: $(tr 'A-F' 'a-f' <<<"${serial:16:12}")" "the token serial is the card's"
objs=$(cat "$T/objects.txt")
for label in 'Signature key' 'Encryption key' 'Authentication key'; do
  for kind in 'Private Key Object' 'Public Key Object'; do
    grep -A1 "^$kind" <<<"$objs" | grep -q "label: *$label" || fail "pkcs11-tool -O lacks the $kind of the $label"
  done
done
pass "pkcs11-tool -O lists the private and public key of each of the three keys"
openssl dgst -sha256 -verify <(openssl pkey -pubin -inform DER -in "$T/sig.der") \
  -signature "$T/sig" "$T/data" >/dev/null || fail "the card's signature does not verify"
pass "a signature through opensc-pkcs11 verifies with the card's public key"
expect_eq "$(cat "$T/pt")" "vtoken signs this" "opensc-pkcs11 decrypts with the card's decryption key"

# Two fresh cards of the profile (copies of one cached template) are two cards: their own
# OpenPGP serial, as OpenSC reads it.
serials=$("$VTOKEN" run --fresh openpgp --fresh openpgp -- \
  sh -c 'echo "$VTOKEN_CARD0_TOKEN_SERIAL $VTOKEN_CARD1_TOKEN_SERIAL"') || fail "two fresh OpenPGP cards"
read -r s0 s1 <<<"$serials"
expect_match "$s0" '^fffe[0-9a-f]{8}$' "a fresh OpenPGP card has a serial"
[ "$s0" != "$s1" ] || fail "two fresh OpenPGP cards share the serial $s0"
pass "two fresh OpenPGP cards have serials of their own ($s0, $s1)"
