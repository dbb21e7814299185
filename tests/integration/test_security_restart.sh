#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A vtokend killed while a command is in flight and started again at once, under the same pcscd:
# VT_RESTART_ROUNDS rounds (default 25: 50 in all with the driver variant of this test; the
# figures in docs/reliability.md are of 50) of SIGKILL 0-29 ms after a wrong VERIFY went out,
# restart 0-0.2 s after the killed process is gone. Each round
# the card is back for PC/SC within 2 s, the tries left never rise, and a wrong PIN that was
# answered stays counted. Then, within 2 s, the restarted vtokend verifies the right PIN, which
# restores the tries: every round's wrong PIN meets a PIN that is not blocked. Prints how soon
# the card was back (median and slowest round) and how many wrong PINs were answered before the
# kill.
source "$(dirname "$0")/lib.sh"
rounds=${VT_RESTART_ROUNDS:-25}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || fail "VT_RESTART_ROUNDS must be a whole number of rounds, not '$rounds'"
export T rounds

"$VTOKEN" init "$T/card" --retries 15 >/dev/null
set +e # the rounds' own failure is shown below
out=$("$VTOKEN" run --card "$T/card" -- bash -c '
  source "$VT_LIB"
  reader="Virtual PCD 00 00"
  select="00 A4 04 00 05 A0 00 00 03 08"
  present() { opensc-tool -r "$reader" -a; }
  right_pin() {
    printf "%s\n00 20 00 80 08 31 32 33 34 35 36 FF FF\n" "$select" |
      timeout 5 "$APDU_SESSION" "$reader" >"$T/verified" 2>&1 &&
      [ "$(tail -n1 "$T/verified")" = "< 90 00" ]
  }
  tries() { show_json "$T/card" "d[\"pin\"][\"tries_left\"]"; }
  trap '"'"'[ $? = 0 ] || { echo "--- last right PIN:"; cat "$T/verified"; "$VTOKEN" ctl status; echo "--- vtokend:"; tail -n 8 "$T/vtokend.log"; } >&2'"'"' EXIT
  back_ms=() answered_rounds=0
  for round in $(seq "$rounds"); do
    prev=$(tries)
    { echo "$select"; echo "00 20 00 80 08 39 39 39 39 39 39 FF FF"; sleep 1; } |
      timeout 5 "$APDU_SESSION" "$reader" >"$T/answers" 2>/dev/null &
    client=$!
    sleep "0.0$((RANDOM % 30 / 10))$((RANDOM % 10))" # the kill races with the VERIFY: a process, not a wait
    old=$(pidof vtokend)
    kill -KILL "$old"
    # gone, as a supervisor sees it before a restart: a process killed in the middle of an fsync
    # lives on until the fsync returns, and holds the image lock until then
    tail --pid="$old" -f /dev/null
    sleep "0.$((RANDOM % 3))" # restart 0-0.2 s later, as a supervisor would
    start=${EPOCHREALTIME/[.,]/}
    (in_private_network "$VTOKEND" --config "$VTOKEN_RUN_DIR/vtokend.conf" >>"$T/vtokend.log" 2>&1 &) # not our child: no job notice when killed
    wait_until 2 "round $round: the card is back for PC/SC" -- present
    back_ms+=($(((${EPOCHREALTIME/[.,]/} - start) / 1000)))
    kill "$client" 2>/dev/null; wait "$client" || true # its VERIFY was answered before the kill, or never
    now=$(tries)
    [ "$now" -le "$prev" ] || fail "round $round: tries left rose from $prev to $now"
    answered=$(sed -n "s/^< 63 C\([0-9A-F]\)$/\1/p" "$T/answers")
    [ -z "$answered" ] || [ "$now" -le "$((16#$answered))" ] ||
      fail "round $round: the card answered $answered tries left, the image says $now"
    [ -z "$answered" ] || answered_rounds=$((answered_rounds + 1))
    # the restarted daemon answers PC/SC: the right PIN gives the tries back
    wait_until 2 "round $round: the restarted vtokend verifies the right PIN" -- right_pin
  done
  sorted=($(printf "%s\n" "${back_ms[@]}" | sort -n))
  echo "card back after a restart: median ${sorted[$((rounds / 2))]} ms, slowest ${sorted[$((rounds - 1))]} ms"
  echo "wrong PINs answered before the kill: $answered_rounds of $rounds, each counted"
  echo "$rounds rounds, tries left $(tries)"
' 2>&1)
set -e
echo "$out" | tail -5
expect_match "$out" "^$rounds rounds, tries left 15$" "$rounds kill/restart rounds: the card came back each time, no try was given back"
