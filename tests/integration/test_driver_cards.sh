#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Eight cards in one `vtoken run --transport driver`: eight readers ("Virtual PCD 00 00" to
# "Virtual PCD 07 00"), each with its own card, all present, each usable (its own serial read
# through OpenSC, a signature by its own key verified against its own certificate), and
# removing one leaves the other seven. `vtoken run` refuses a 17th card (pcscd's 16 readers)
# and a third on vpcd.
source "$(dirname "$0")/lib.sh"
export T
# OpenSC's PKCS#11 module gives each card 4 of its 16 slots: room for 4 cards unless told
printf 'app opensc-pkcs11 {\n  pkcs11 {\n    max_virtual_slots = 64;\n  }\n}\n' >>"$OPENSC_CONF"

cards=()
for i in 0 1 2 3 4 5 6 7; do
  "$VTOKEN" init "$T/c$i" --generate 9a:p256 >/dev/null
  cards+=(--card "$T/c$i")
done
echo data >"$T/data"
out=$("$VTOKEN" run --transport driver "${cards[@]}" -- bash -c '
  source "$VT_LIB"
  opensc-tool -l
  for i in 0 1 2 3 4 5 6 7; do
    echo "reader $i serial $(opensc-tool -r "$i" --serial 2>/dev/null | cut -c1-48 | tr -d " ")"
    pkcs11-tool --module "$OPENSC_MODULE" --slot-index "$i" --login --pin 123456 --sign --id 01 -m ECDSA-SHA256 \
      --signature-format openssl -i "$T/data" -o "$T/sig$i" >/dev/null 2>&1 && echo "reader $i signed"
  done
  "$VTOKEN" ctl remove card3
  "$VTOKEN" wait --exactly 7 --timeout 5 && echo "seven left"
' 2>&1)
echo "$out"
for i in 0 1 2 3 4 5 6 7; do
  expect_match "$out" "^$i +Yes +Virtual PCD 0$i 00$" "reader $i has a card"
  expect_match "$out" "^reader $i signed$" "card $i signs"
  openssl x509 -in "$T/c$i/9a.crt.pem" -pubkey -noout >"$T/pub$i"
  openssl dgst -sha256 -verify "$T/pub$i" -signature "$T/sig$i" "$T/data" >/dev/null ||
    fail "card $i's signature does not verify with its own certificate"
done
pass "each signature verifies with its own card's certificate"
[ "$(grep -c '^reader [0-7] serial [0-9A-F]' <<<"$out")" = 8 ] || fail "a card's serial was not read"
[ "$(grep '^reader [0-7] serial' <<<"$out" | awk '{print $4}' | sort -u | wc -l)" = 8 ] ||
  fail "the eight readers do not hold eight different cards"
pass "eight different cards, one per reader"
expect_match "$out" '^seven left$' "removing one card leaves seven"

many=()
for i in $(seq 17); do many+=(--card "$T/c0"); done
set +e
err=$("$VTOKEN" run --transport driver "${many[@]}" -- true 2>&1)
rc=$?
set -e
expect_eq "$rc" 64 "a 17th card is a usage error"
expect_match "$err" 'at most 16 cards' "and says the limit"
set +e
err=$("$VTOKEN_BIN" run --transport vpcd --card "$T/c0" --card "$T/c1" --card "$T/c2" -- true 2>&1)
rc=$?
set -e
expect_eq "$rc" 64 "a third card on vpcd is a usage error"
expect_match "$err" 'at most 2 cards on vpcd' "and says why"
