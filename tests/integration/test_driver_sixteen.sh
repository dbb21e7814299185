#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sixteen cards, the most one pcscd serves (pcsc-lite's PCSCLITE_MAX_READERS_CONTEXTS), in one
# `vtoken run --transport driver`, made by --fresh: all sixteen present before COMMAND starts
# (the presence wait cannot ask pcsc-lite for sixteen readers and its PnP entry in one call),
# `vtoken wait` sees them, and each card answers on its own reader with its own serial.
# A 17th is refused before anything starts (test_driver_cards.sh).
source "$(dirname "$0")/lib.sh"
export T

fresh=()
for i in $(seq 16); do fresh+=(--fresh); done
out=$("$VTOKEN_BIN" run --transport driver ${VT_ISOLATION:+--isolation "$VT_ISOLATION"} "${fresh[@]}" -- bash -c '
  "$VTOKEN" wait --exactly 16 --timeout 10 && echo "sixteen present"
  for i in $(seq 0 15); do
    echo "reader $i serial $(opensc-tool -r "$i" --serial 2>/dev/null | cut -c1-48 | tr -d " ")"
  done
  "$VTOKEN" ctl remove card15
  "$VTOKEN" wait --exactly 15 --timeout 10 && echo "fifteen left"
  "$VTOKEN" ctl insert card15
  "$VTOKEN" wait --exactly 16 --timeout 10 && echo "sixteen again"
' 2>&1) || fail "vtoken run with 16 fresh cards on the driver failed: $out"
echo "$out"
expect_match "$out" '^sixteen present$' "vtoken wait sees sixteen cards"
[ "$(grep -c '^reader [0-9]* serial [0-9A-F]' <<<"$out")" = 16 ] || fail "a card did not answer"
[ "$(grep '^reader [0-9]* serial' <<<"$out" | awk '{print $4}' | sort -u | wc -l)" = 16 ] ||
  fail "the sixteen readers do not hold sixteen different cards"
pass "sixteen cards answer, one per reader, each its own"
expect_match "$out" '^fifteen left$' "removing one of sixteen leaves fifteen"
expect_match "$out" '^sixteen again$' "and inserting it again makes sixteen"

fresh+=(--fresh)
set +e
err=$("$VTOKEN_BIN" run --transport driver "${fresh[@]}" -- touch "$T/ran" 2>&1)
rc=$?
set -e
expect_eq "$rc" 64 "a 17th fresh card is a usage error"
expect_match "$err" 'at most 16 cards \(pcscd serves at most 16 readers\)' "which says the limit"
[ ! -e "$T/ran" ] || fail "COMMAND ran with 17 cards"
[ -z "$(find "$T" -maxdepth 1 -name 'vtoken-run.*')" ] || fail "17 cards: an environment was started"
pass "17 cards: refused before anything starts"
