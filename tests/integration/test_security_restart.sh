#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A vtokend killed while a command is in flight and started again at once, under the same pcscd:
# 50 rounds of SIGKILL 0-29 ms after a wrong VERIFY went out, restart 0-0.2 s after it is gone. Each round
# the card is back for PC/SC within 2 s, the tries left never rise, and a wrong PIN that was
# answered stays counted.
source "$(dirname "$0")/lib.sh"
export T

"$VTOKEN" init "$T/card" --retries 15 >/dev/null
set +e # the rounds' own failure is shown below
out=$("$VTOKEN" run --card "$T/card" -- bash -c '
  source "$VT_LIB"
  present() { opensc-tool -r "Virtual PCD 00 00" -a; }
  tries() { show_json "$T/card" "d[\"pin\"][\"tries_left\"]"; }
  prev=$(tries)
  for round in $(seq 50); do
    { echo "00 A4 04 00 05 A0 00 00 03 08"; echo "00 20 00 80 08 39 39 39 39 39 39 FF FF"; sleep 1; } |
      timeout 5 "$APDU_SESSION" "Virtual PCD 00 00" >"$T/answers" 2>/dev/null &
    client=$!
    sleep "0.0$((RANDOM % 30 / 10))$((RANDOM % 10))" # the kill races with the VERIFY: a process, not a wait
    kill -KILL "$(pidof vtokend)"
    # a supervisor restarts a service once its process is gone; a vtokend killed in an fsync
    # holds the image until that returns, and a new one started before would refuse the card
    wait_until 5 "round $round: the killed vtokend let go of the image" -- flock -n "$T/card" true
    sleep "0.$((RANDOM % 3))" # restart 0-0.2 s later, as a supervisor would
    in_private_network "$VTOKEND" --config "$VTOKEN_RUN_DIR/vtokend.conf" >>"$T/vtokend.log" 2>&1 &
    wait_until 2 "round $round: the card is back for PC/SC" -- present
    wait "$client" || true
    now=$(tries)
    [ "$now" -le "$prev" ] || fail "round $round: tries left rose from $prev to $now"
    answered=$(sed -n "s/^< 63 C\([0-9A-F]\)$/\1/p" "$T/answers")
    [ -z "$answered" ] || [ "$now" -le "$((16#$answered))" ] ||
      fail "round $round: the card answered $answered tries left, the image says $now"
    prev=$now
  done
  echo "50 rounds, tries left $prev"
' 2>&1)
set -e
echo "$out" | tail -5
expect_match "$out" "^50 rounds, tries left" "50 kill/restart rounds: the card came back each time, no try was given back"
