#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# pcscd stops and starts again while vtokend runs: the card comes back by itself, without a
# restart of vtokend; vtoken wait sees it.
source "$(dirname "$0")/lib.sh"

out=$("$VTOKEN" run --card "$T/card" -- bash -c '
  set -e
  atr1=$(opensc-tool -a)
  daemon=$(pidof vtokend)
  for round in 1 2 3; do
    old=$(pidof pcscd)
    mapfile -d "" argv <"/proc/$old/cmdline" # as vtoken run started it (--disable-polkit on pcsc-lite 2)
    kill "$old"
    tail --pid="$old" -f /dev/null        # waits for pcscd to be gone
    if "$VTOKEN" wait --timeout 0.3 2>/dev/null; then echo "card present without pcscd"; exit 1; fi
    nsenter --net="$VTOKEN_NETNS" -- "${argv[@]}" >/dev/null 2>&1 & # where vtokend is
    start=$(date +%s%N)
    "$VTOKEN" wait --timeout 10
    echo "round $round: back after $(( ($(date +%s%N) - start) / 1000000 )) ms"
  done
  atr2=$(opensc-tool -a)
  [ "$atr1" = "$atr2" ] && echo "same ATR"
  [ "$daemon" = "$(pidof vtokend)" ] && echo "same vtokend"
')
echo "$out"
expect_match "$out" 'round 3: back after' "the card reappears after each pcscd restart"
expect_match "$out" 'same ATR' "the same card answers"
expect_match "$out" 'same vtokend' "vtokend was not restarted"
