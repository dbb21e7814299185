#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A trace never shows what a key decrypts or agrees, whatever the slot: an RSA decryption with
# the PIV Authentication key (9A, PKCS#11 id 01) through pkcs11-tool leaves the answer redacted
# in `vtoken run --trace`, in every part of it, while a signature's answer shows.
source "$(dirname "$0")/lib.sh"
export T

"$VTOKEN" init "$T/card" >/dev/null
# a session key, as a client would have the card decrypt it: 32 bytes, written here in hex
printf 'vtoken-session-key-0123456789ab!' >"$T/plain"
openssl pkeyutl -encrypt -pubin -inkey <(openssl x509 -in "$T/card/9a.crt.pem" -pubkey -noout) \
  -pkeyopt rsa_padding_mode:pkcs1 -in "$T/plain" -out "$T/cipher"
echo "data to sign" >"$T/data"

"$VTOKEN" run --card "$T/card" --trace "$T/trace.txt" -- bash -c '
  set -eu
  source "$VT_LIB"
  pkcs11-tool --module "$OPENSC_MODULE" --login --pin 123456 --decrypt --id 01 -m RSA-PKCS \
    --input-file "$T/cipher" --output-file "$T/decrypted"
  card_sign --out "$T/sig"' || fail "the run failed"
cmp -s "$T/plain" "$T/decrypted" || fail "pkcs11-tool did not decrypt with 9A"
pass "pkcs11-tool decrypts with the 9A key"

trace=$(cat "$T/trace.txt")
# the plaintext, as the trace would print it (hex bytes, spaces between), and any 8 of its bytes
hex=$(od -An -tx1 -v "$T/plain" | tr -d '\n' | tr a-f A-F | sed 's/^ //; s/  */ /g')
for off in 0 8 16 24; do
  part=$(cut -d' ' -f$((off + 1))-$((off + 8)) <<<"$hex")
  expect_no_match "$trace" "$part" "bytes $off-$((off + 7)) of the decrypted key are not in the trace"
done
# the answers of GENERAL AUTHENTICATE with 9A: the decryption's redacted (the first part and
# GET RESPONSE's rest), the signature's shown
ga=$(grep -E 'card0 (GENERAL AUTHENTICATE 00 87 07 9A|GET RESPONSE)' <<<"$trace")
echo "$ga" | cut -c1-200
expect_match "$ga" 'GENERAL AUTHENTICATE 00 87 07 9A [0-9A-F ]*-> <redacted [0-9]+ bytes> SW 61' \
  "the decryption's answer is redacted"
expect_match "$ga" 'GET RESPONSE 00 C0 00 00 [0-9A-F ]*-> <redacted [0-9]+ bytes> SW 90 00' \
  "and so is its rest"
expect_match "$ga" 'GENERAL AUTHENTICATE 00 87 07 9A [0-9A-F ]*-> 7C 82 01 04 82 82 01 00 [0-9A-F ]+ SW 61' \
  "a signature's answer is shown"
