#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Restart storm under load: while four PC/SC clients run transactions on two cards (as in
# test_load.sh, reconnecting when pcscd or a card goes away), pcscd is restarted
# VT_STORM_ROUNDS times (default 2 here; docs/reliability.md runs 20) and vtokend is killed
# (SIGKILL) and started again as many times. After each restart both cards are back within
# 10 s (vtokend connected both, PC/SC shows both present, and a restarted vtokend answered
# commands of both); at the end every client completes one
# more transaction, no client saw a wrong answer or a signature that does not verify, and the
# PIN tries left are as before, in the daemon and in the images.
source "$(dirname "$0")/lib.sh"
: "${PCSC_LOAD:?set by ctest: path of pcsc-load}"
export T PCSC_LOAD
rounds=${VT_STORM_ROUNDS:-2}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || fail "VT_STORM_ROUNDS must be a number from 1, not '$rounds'"

"$VTOKEN" init "$T/a" >/dev/null
"$VTOKEN" init "$T/b" >/dev/null
set +e # the script's own failure is shown below
out=$("$VTOKEN" run --card "$T/a" --card "$T/b" -- bash -c '
  source "$VT_LIB"
  rounds=$1
  readers=("Virtual PCD 00 00" "Virtual PCD 00 01")
  tries() { card_status_field card0 pin_tries_left; card_status_field card1 pin_tries_left; }
  # both cards back: vtokend has both connected to vpcd (and, when it was started anew, has
  # answered commands of both: PC/SC uses the new daemon), and PC/SC reports both present
  both_back() {
    local status
    status=$("$VTOKEN" ctl status) &&
      [ "$(grep -cE "^card[01]: vpcd \S+ connected, .* [$1-9][0-9]* commands," <<<"$status")" = 2 ] &&
      opensc-tool -r "${readers[0]}" -a && opensc-tool -r "${readers[1]}" -a
  }
  ms_since() { echo $(((${EPOCHREALTIME/[.,]/} - $1) / 1000)); }
  wait_until 10 "both cards present before the storm" -- both_back 0
  before=$(tries)
  trap '"'"'[ $? = 0 ] || { echo "--- the load:"; cat "$T/load.out"; echo "--- vtokend:"; tail -n 20 "$T/vtokend.log"; } >&2'"'"' EXIT
  "$PCSC_LOAD" --seconds 0 --recover 30 "${readers[@]}" >"$T/load.out" 2>&1 &
  load=$!
  wait_until 10 "the clients use both cards" -- both_back 1
  for round in $(seq "$rounds"); do
    old=$(pidof pcscd)
    mapfile -d "" argv <"/proc/$old/cmdline" # as vtoken run started it
    kill "$old"
    tail --pid="$old" -f /dev/null # waits for pcscd to be gone
    start=${EPOCHREALTIME/[.,]/}
    in_private_network "${argv[@]}" >/dev/null 2>&1 & # where vtokend is
    wait_until 10 "round $round: both cards back after a pcscd restart" -- both_back 0
    echo "round $round: pcscd restarted, cards back after $(ms_since "$start") ms"

    old=$(pidof vtokend)
    kill -KILL "$old"
    tail --pid="$old" -f /dev/null
    start=${EPOCHREALTIME/[.,]/}
    (in_private_network "$VTOKEND" --config "$VTOKEN_RUN_DIR/vtokend.conf" >>"$T/vtokend.log" 2>&1 &) # not our child: no job notice when killed
    wait_until 10 "round $round: both cards back after a vtokend restart" -- both_back 1
    echo "round $round: vtokend restarted, cards back after $(ms_since "$start") ms"
  done
  kill -TERM "$load" # each client completes one more transaction, then the figures
  wait "$load" || fail "the load failed: $(cat "$T/load.out")"
  cat "$T/load.out"
  after=$(tries)
  [ "$before" = "$after" ] || fail "PIN tries left changed from $before to $after"
  echo "PIN tries left as before:" $after
' _ "$rounds" 2>&1)
set -e
echo "$out"
expect_match "$out" "^round $rounds: vtokend restarted, cards back" \
  "$rounds pcscd and $rounds vtokend restarts: both cards back each time"
expect_match "$out" "^errors 0$" "no client saw a wrong answer or a bad signature"
expect_no_match "$out" "^client [0-9].* operations 0 " "every client made transactions"
expect_match "$out" "^PIN tries left as before: 3 3$" "no state lost: PIN tries left as before"
expect_eq "$(show_json "$T/a" 'd["pin"]["tries_left"]') $(show_json "$T/b" 'd["pin"]["tries_left"]')" "3 3" \
  "the images keep every try"
