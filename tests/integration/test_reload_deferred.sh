#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SIGHUP while commands wait in vtokend for their answer (a delay fault): a kept card still
# answers its command, a card removed by the reload drops its connection (the client gets an
# error, it is not left hanging), and vtokend goes on serving.
source "$(dirname "$0")/lib.sh"

export T
out=$("$VTOKEN" run --card "$T/a" --card "$T/b" -- bash -c '
  source "$VT_LIB"
  conf=$VTOKEN_RUN_DIR/vtokend.conf
  select="00 A4 04 00 05 A0 00 00 03 08"
  pending() { # the armed fault was spent: its command waits
    wait_until 10 "a command waits in $1 (its delay fault spent)" -- card_status_is "$1" faults "[]"
  }
  "$VTOKEN" ctl fault card0 delay 2s >/dev/null
  "$VTOKEN" ctl fault card1 delay 60s >/dev/null
  echo "$select" | timeout 30 scriptor -r "Virtual PCD 00 00" >"$T/kept.out" 2>&1 &
  kept=$!
  echo "$select" | timeout 30 scriptor -r "$(reader_name 1)" >"$T/gone.out" 2>&1 &
  gone=$!
  pending card0
  pending card1
  # card1 leaves the configuration; card0 stays as it is
  python3 - "$conf" <<PY
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r"\[card card1\][^\[]*", "", s)
open(p, "w").write(s)
PY
  kill -HUP "$(pidof vtokend)"
  wait $kept; echo "kept rc=$?"
  wait $gone; echo "gone rc=$?"
  "$VTOKEN" ctl status
  echo "$select" | timeout 30 scriptor -r "Virtual PCD 00 00" 2>&1 | grep -q "90 00 : Normal processing" && echo "card0 still serves"
  echo "--- kept"; cat "$T/kept.out"; echo "--- gone"; cat "$T/gone.out"
  pidof vtokend >/dev/null && echo "vtokend alive"
  cat "$VTOKEN_RUN_DIR/vtokend.log"
' 2>&1) || fail "SIGHUP while commands wait: $out"
echo "$out"
expect_match "$out" 'kept rc=0' "the kept card answered its waiting command"
expect_match "$(sed -n '/^--- kept/,/^--- gone/p' <<<"$out")" '90 00 : Normal processing' "with the card's answer"
expect_no_match "$out" 'gone rc=124' "the removed card's client is not left hanging"
expect_match "$out" 'card0 still serves' "the kept card goes on serving"
expect_match "$out" 'vtokend alive' "vtokend survives"
expect_match "$out" 'card1: removed by reload' "the removed card is logged"
expect_no_match "$out" 'ERROR: AddressSanitizer|runtime error' "no memory error"
