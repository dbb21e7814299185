#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Load: two cards, four PC/SC clients (tests/tools/pcsc_load.c), each repeating transactions of
# SELECT, VERIFY and a GENERAL AUTHENTICATE signature with 9C whose answer is checked and whose
# signature is verified, for VT_LOAD_SECONDS (default 3 here; docs/reliability.md runs 60),
# while `vtoken ctl status` is polled: no error, every status shows both cards connected, no
# state lost (PIN tries left as before, in the daemon and in the images), the figures printed.
source "$(dirname "$0")/lib.sh"
: "${PCSC_LOAD:?set by ctest: path of pcsc-load}"
export T PCSC_LOAD
seconds=${VT_LOAD_SECONDS:-3}
[[ $seconds =~ ^[0-9]+$ ]] || fail "VT_LOAD_SECONDS must be whole seconds, not '$seconds'"

"$VTOKEN" init "$T/a" >/dev/null
"$VTOKEN" init "$T/b" >/dev/null
set +e # the script's own failure is shown below
out=$("$VTOKEN" run --card "$T/a" --card "$T/b" -- bash -c '
  source "$VT_LIB"
  tries() { card_status_field card0 pin_tries_left; card_status_field card1 pin_tries_left; }
  before=$(tries)
  "$PCSC_LOAD" --seconds "$1" "Virtual PCD 00 00" "Virtual PCD 00 01" >"$T/load.out" 2>&1 &
  load=$!
  polls=0
  while kill -0 "$load" 2>/dev/null; do
    "$VTOKEN" ctl status >"$T/status" 2>&1 || fail "vtoken ctl status failed during the load: $(cat "$T/status")"
    [ "$(grep -c "^card[01]: vpcd .* connected, " "$T/status")" = 2 ] ||
      fail "a card is not connected during the load: $(cat "$T/status")"
    polls=$((polls + 1))
    sleep 0.2 # the pace of the polling; it waits for nothing
  done
  wait "$load" || fail "the load failed: $(cat "$T/load.out")"
  cat "$T/load.out"
  echo "status polls $polls"
  after=$(tries)
  [ "$before" = "$after" ] || fail "PIN tries left changed from $before to $after"
  echo "PIN tries left as before:" $after
' _ "$seconds" 2>&1)
set -e
echo "$out"
expect_match "$out" "^errors 0$" "no client saw an error: every answer and signature checked"
expect_match "$out" "^operations [1-9]" "the clients made transactions"
expect_match "$out" "^status polls [1-9]" "vtoken ctl status answered throughout"
expect_match "$out" "^PIN tries left as before: 3 3$" "no state lost: PIN tries left as before"
expect_eq "$(show_json "$T/a" 'd["pin"]["tries_left"]') $(show_json "$T/b" 'd["pin"]["tries_left"]')" "3 3" \
  "the images keep every try"
