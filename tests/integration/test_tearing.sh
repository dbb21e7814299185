#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Crash safety: vtokend is killed with SIGKILL in the middle of a stream of wrong-PIN VERIFYs,
# again and again, and started again each time (a new `vtoken run` on the same image): the
# tries left never go up, the image always loads, and once blocked the card stays blocked.
# (That a try is spent durably *before* the compare is shown by the unit tests, with a store
# that fails a chosen commit: unit/test_piv_store, unit/test_openpgp's
# *_commits_a_spent_try_before_comparing; wrong PINs alone cannot tell the order.)
source "$(dirname "$0")/lib.sh"
export T

"$VTOKEN" init "$T/card" --retries 15 >/dev/null
tries() { show_json "$T/card" 'd["pin"]["tries_left"]'; }
prev=$(tries)
expect_eq "$prev" 15 "a fresh image has 15 tries"

round=0
while [ "$prev" -gt 0 ] && [ "$round" -lt 30 ]; do
  round=$((round + 1))
  export kill_after=$((RANDOM % 3 + 1))
  # wrong VERIFYs one by one; after a random number of answers, SIGKILL while the next is in
  # flight
  "$VTOKEN" run --card "$T/card" -- bash -c '
    coproc SC { "$APDU_SESSION" "Virtual PCD 00 00"; }
    answer() { read -r line <&"${SC[0]}"; }
    echo "00 A4 04 00 05 A0 00 00 03 08" >&"${SC[1]}"; answer
    for _ in $(seq "$kill_after"); do echo "00 20 00 80 08 39 39 39 39 39 39 FF FF" >&"${SC[1]}"; answer; done
    # one more VERIFY, and SIGKILL races with it: before, during or after its commit
    echo "00 20 00 80 08 39 39 39 39 39 39 FF FF" >&"${SC[1]}"
    kill -KILL "$(pidof vtokend)"
    exit 0
  ' >/dev/null 2>&1 || true
  now=$(tries) || fail "round $round: the image does not load after SIGKILL"
  [ "$now" -le "$prev" ] || fail "round $round: tries left went up from $prev to $now"
  # every VERIFY that was answered 63Cx before the kill stays counted
  counted=$((prev - kill_after < 0 ? 0 : prev - kill_after))
  [ "$now" -le "$counted" ] || fail "round $round: $kill_after answered wrong PINs, but tries went from $prev to $now"
  echo "round $round: tries left $prev -> $now"
  prev=$now
done
[ "$prev" -eq 0 ] || fail "the PIN never got blocked in $round rounds (tries left $prev)"
pass "$round rounds of SIGKILL: the tries left never went up and the image always loaded"

out=$("$VTOKEN" run --card "$T/card" -- pkcs11-tool --module "$OPENSC_MODULE" --login --pin 123456 -O 2>&1 || true)
expect_match "$out" 'CKR_PIN_LOCKED|CKR_PIN_INCORRECT' "the right PIN is refused once blocked"
expect_eq "$(tries)" 0 "the block survives restarts"
