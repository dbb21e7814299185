#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A second card pointed at a vpcd slot another card holds waits in vpcd's backlog, unseen by
# PC/SC: vtokend says so (log, status, STATUS=) instead of calling itself connected, and takes
# the slot when the first card leaves it.
source "$(dirname "$0")/lib.sh"
vpcd_only "two cards on one vpcd slot; a driver socket refuses a second vtokend outright (unit/test_drvlink)"
export T

out=$("$VTOKEN" run --card "$T/first" -- bash -c '
  source "$VT_LIB"
  printf "[daemon]\ncontrol = %s/second.sock\n[card second]\nimage = %s/second\nvpcd = 127.0.0.1:35963\n" "$T" "$T" >"$T/second.conf"
  in_private_network "$VTOKEND" --config "$T/second.conf" >"$T/second.log" 2>&1 &
  second=$!
  unheard() { "$VTOKEN" ctl --socket "$T/second.sock" status | grep -q "another card holds the slot"; }
  wait_until 20 "the second card reports the slot taken" -- unheard
  "$VTOKEN" ctl --socket "$T/second.sock" status
  "$VTOKEN" ctl --socket "$T/second.sock" status --json | jq -r ".cards[0] | .connection + \" \" + (.slot_taken | tostring)" | sed "s/^/json: /"
  # the first card leaves the slot: the second one gets it
  "$VTOKEN" ctl remove card0
  heard() { grep -q "answers now" "$T/second.log"; }
  wait_until 20 "the second card takes the free slot" -- heard
  "$VTOKEN" ctl --socket "$T/second.sock" status
  kill "$second"
  cat "$T/second.log"
' 2>&1)
echo "$out"
expect_match "$out" "^second: vpcd 127.0.0.1:35963 waiting \(connected, but vpcd sends nothing: another card holds the slot\)" \
  "status says waiting, and why, not connected"
expect_match "$out" "^json: waiting true$" "and so does --json (slot_taken)"
expect_match "$out" "connected to vpcd 127.0.0.1:35963, but it has sent nothing for 2 s: another card holds this slot" \
  "the log says why"
expect_match "$out" "^second: vpcd 127.0.0.1:35963 (connected|powered)" "once the slot is free the card is served"
