#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Ed25519 and X25519, which no Debian 12 client speaks: raw APDUs through the whole stack
# (opensc-tool -s via pcscd, vpcd and vtokend), results checked by openssl against the keys in
# the card's certificates.
source "$(dirname "$0")/lib.sh"

"$VTOKEN" init "$T/card" --generate 9a:ed25519 --generate 9d:x25519 >/dev/null
openssl x509 -in "$T/card/9a.crt.pem" -pubkey -noout >"$T/9a.pub.pem"
openssl x509 -in "$T/card/9d.crt.pem" -pubkey -noout >"$T/9d.pub.pem"
openssl genpkey -algorithm X25519 -out "$T/peer.pem"
peer=$(openssl pkey -in "$T/peer.pem" -pubout -outform DER | tail -c 32 | xxd -p -c 64 | sed 's/../& /g')
msg="vtoken Ed25519 over APDUs"
printf '%s' "$msg" >"$T/msg"
msghex=$(xxd -p -c 256 "$T/msg" | sed 's/../& /g')
hexlen() { printf '%02X' "$1"; }
n=${#msg}

SELECT="00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00"
VERIFY="00 20 00 80 08 31 32 33 34 35 36 FF FF"
SIGN="00 87 E0 9A $(hexlen $((n + 6))) 7C $(hexlen $((n + 4))) 82 00 81 $(hexlen "$n") $msghex 00"
DERIVE="00 87 E1 9D 26 7C 24 82 00 85 20 $peer 00"
"$VTOKEN" run --card "$T/card" -- opensc-tool -s "$SELECT" -s "$VERIFY" -s "$SIGN" -s "$DERIVE" \
  >"$T/out.txt" 2>&1 || fail "opensc-tool failed: $(cat "$T/out.txt")"

# The data of the Nth answer (1-based) as bytes: the hex columns of its dump.
answer() {
  awk -v want="$1" '/^Received/ { k++; next } /^Sending/ { next } k == want { print substr($0, 1, 48) }' \
    "$T/out.txt" | xxd -r -p
}
expect_match "$(cat "$T/out.txt")" 'SW1=0x90, SW2=0x00' "the card answers"
answer 3 >"$T/sign.resp"
answer 4 >"$T/derive.resp"
expect_eq "$(head -c 4 "$T/sign.resp" | xxd -p)" "7c428240" "Ed25519 answer is 7C 42 82 40 <signature>"
tail -c 64 "$T/sign.resp" >"$T/sig.bin"
openssl pkeyutl -verify -pubin -inkey "$T/9a.pub.pem" -rawin -in "$T/msg" -sigfile "$T/sig.bin" >/dev/null 2>&1 ||
  fail "the Ed25519 signature does not verify"
pass "the Ed25519 signature verifies with openssl"

expect_eq "$(head -c 4 "$T/derive.resp" | xxd -p)" "7c228220" "X25519 answer is 7C 22 82 20 <secret>"
openssl pkeyutl -derive -inkey "$T/peer.pem" -peerkey "$T/9d.pub.pem" -out "$T/z.openssl"
expect_eq "$(tail -c 32 "$T/derive.resp" | xxd -p -c 64)" "$(xxd -p -c 64 "$T/z.openssl")" \
  "the X25519 shared secret matches openssl's"
