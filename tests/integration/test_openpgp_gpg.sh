#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# An OpenPGP card through the real GnuPG of the distribution (scdaemon over PC/SC): gpg
# --card-status shows version 3.4, the card's serial, key attributes and retry counters; gpg
# --card-edit sets the cardholder's name and URL and generates the three keys on the card; a
# signature made by the card verifies, a message encrypted to the card's key decrypts. The
# card's image holds what GnuPG did.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pgp/gpg.sh"
command -v scdaemon >/dev/null || [ -x /usr/lib/gnupg/scdaemon ] ||
  skip "GnuPG's scdaemon is not installed (scripts/install-deps.sh installs it)"

"$VTOKEN" init "$T/card" --profile openpgp >/dev/null
serial=$(show_json "$T/card" 'd["openpgp"]["serial"]')

# vtokend.conf may name the OpenPGP profiles for a card whose image it creates.
printf '[card pgp]\nimage = %s/new\nvpcd = 127.0.0.1:35999\nprofile = piv+openpgp\n' "$T" >"$T/vtokend.conf"
"$VTOKEND" --config "$T/vtokend.conf" --check-config >"$T/check.txt" 2>&1 ||
  fail "vtokend refuses profile = piv+openpgp: $(cat "$T/check.txt")"
pass "vtokend.conf takes profile = piv+openpgp"

# The README's example (section "OpenPGP cards") as written, /tmp being the test's directory.
mkdir "$T/bin" "$T/readme"
ln -s "$VTOKEN" "$T/bin/vtoken"
sed -n '/^### OpenPGP cards/,/^### [^O]/p' "$VT_SRC/README.md" |
  awk '/^```sh$/ {on = 1; next} /^```$/ {on = 0} on' | sed "s#/tmp/#$T/readme/#g" >"$T/readme.sh"
grep -q 'gpg --card-status' "$T/readme.sh" || fail "the README's example was not found"
(PATH="$T/bin:$PATH" bash -euxo pipefail "$T/readme.sh") >"$T/plain.txt" 2>&1 ||
  fail "the README's example failed: $(tail -n 20 "$T/plain.txt")"
expect_match "$(cat "$T/plain.txt")" "Version \.+: 3\.4" "the README's gpg --card-status shows version 3.4"
export T VT_LIB

cat >"$T/client.sh" <<'SH'
source "$VT_LIB"
source "$(dirname "$VT_LIB")/pgp/gpg.sh"
gpg_home "$T/gnupg"
gpg --card-status >"$T/status-before.txt" 2>&1 || fail "gpg --card-status: $(cat "$T/status-before.txt")"
card_edit admin name Doe Jane url https://example.org/jane.asc quit >"$T/edit.txt" ||
  fail "gpg --card-edit name/url: $(tail -n 20 "$T/edit.txt")"
card_edit admin generate n 0 "Jane Doe" jane@example.org "" quit >"$T/generate.txt" ||
  fail "gpg --card-edit generate: $(tail -n 20 "$T/generate.txt")"
gpg --card-status >"$T/status-after.txt" 2>&1
gpg -K >"$T/secret.txt" 2>&1
printf 'vtoken signs this\n' >"$T/data"
gpg --batch --yes -u jane@example.org --sign -o "$T/data.gpg" "$T/data" 2>"$T/sign.log" ||
  fail "gpg --sign: $(cat "$T/sign.log")"
gpg --verify "$T/data.gpg" >"$T/verify.txt" 2>&1 || fail "gpg --verify: $(cat "$T/verify.txt")"
gpg --batch --yes --trust-model always -r jane@example.org -e -o "$T/msg.gpg" "$T/data" ||
  fail "gpg --encrypt failed"
gpg --batch --yes -d -o "$T/msg.out" "$T/msg.gpg" 2>"$T/decrypt.log" ||
  fail "gpg --decrypt: $(cat "$T/decrypt.log")"
gpg --card-status >"$T/status-end.txt" 2>&1
gpgconf --kill all
SH
"$VTOKEN" run --trace "$T/trace.txt" --card "$T/card" -- bash "$T/client.sh" >"$T/client.log" 2>&1 ||
  fail "the GnuPG session failed: $(tail -n 30 "$T/client.log")"

before=$(cat "$T/status-before.txt")
expect_match "$before" 'Application type \.: OpenPGP' "gpg --card-status finds an OpenPGP card"
expect_match "$before" 'Version \.+: 3\.4' "it is version 3.4"
expect_match "$before" "Application ID \.+: $serial" "the application ID is the image's serial"
expect_match "$before" 'Key attributes \.+: rsa2048 rsa2048 rsa2048' "the key attributes are read"
expect_match "$before" 'PIN retry counter : 3 0 3' "the retry counters are read"
expect_match "$before" 'Signature key \.+: \[none\]' "a new card has no keys"

after=$(cat "$T/status-after.txt")
expect_match "$after" 'Name of cardholder: Jane Doe' "the cardholder's name was written"
expect_match "$after" 'URL of public key : https://example.org/jane.asc' "the URL was written"
for k in Signature Encryption Authentication; do
  expect_match "$after" "$k key[ .]*: [0-9A-F ]{40,}" "the $k key was generated on the card"
done
expect_match "$(cat "$T/secret.txt")" "Card serial no\. = FFFE ${serial:20:8}" \
  "GnuPG's secret keys are stubs pointing at the card"
expect_match "$(cat "$T/verify.txt")" 'Good signature from "Jane Doe' "the card's signature verifies"
expect_eq "$(cat "$T/msg.out")" "vtoken signs this" "a message encrypted to the card's key decrypts"
# generate made the key's self-signatures with the card; the counter went up by one since
n=$(sed -n 's/^Signature counter : //p' "$T/status-after.txt")
expect_match "$(cat "$T/status-end.txt")" "Signature counter : $((n + 1))\$" "the card counted the signature"

# The image holds it all: three generated keys, their fingerprints, the name, the counter.
for k in 0 1 2; do
  expect_eq "$(show_json "$T/card" "d['openpgp']['keys'][$k]['origin']")" generated "key $k is generated"
done
fpr=$(sed -n 's/^Signature key \.*: //p' <<<"$after" | tr -d ' ')
expect_eq "$(show_json "$T/card" "d['openpgp']['keys'][0]['fingerprint']")" "$fpr" \
  "the image keeps the fingerprint GnuPG wrote"
expect_eq "$(show_json "$T/card" "d['openpgp']['signature_counter']")" $((n + 1)) "the image keeps the counter"
expect_match "$("$VTOKEN" show "$T/card")" 'Name: +Doe<<Jane' "vtoken show shows the cardholder"

# The trace names every command and hides the PINs and what DECIPHER answers.
trace=$(cat "$T/trace.txt")
expect_match "$trace" 'VERIFY 00 20 00 8[123] [0-9A-F]{2} <redacted' "a VERIFY's PIN is redacted in the trace"
expect_match "$trace" 'PERFORM SECURITY OPERATION 00 2A 80 86 .* -> <redacted' "what DECIPHER answers is redacted"
expect_no_match "$trace" '31 32 33 34 35 36' "the PIN 123456 appears nowhere in the trace"
