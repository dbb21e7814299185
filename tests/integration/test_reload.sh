#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SIGHUP reloads vtokend's configuration: an added card appears, a removed card goes, an
# unchanged card keeps its PC/SC connection and its security state (a verified PIN), and a bad
# file is refused with a log line while the running configuration stays.
source "$(dirname "$0")/lib.sh"
vpcd_only "a card added by SIGHUP takes the run's empty second vpcd slot; with the driver pcscd has readers for the run's cards only"

export T
out=$("$VTOKEN" run --card "$T/a" -- bash -c '
  set -e
  conf=$VTOKEN_RUN_DIR/vtokend.conf
  cp "$conf" "$T/orig.conf"
  mkfifo "$T/in"
  # one long PC/SC session on the first card: SELECT PIV, VERIFY the PIN
  scriptor -r "Virtual PCD 00 00" <"$T/in" >"$T/scriptor.out" 2>&1 &
  exec 3>"$T/in"
  echo "00 A4 04 00 05 A0 00 00 03 08" >&3
  echo "00 20 00 80 08 31 32 33 34 35 36 FF FF" >&3

  # add a second card
  printf "[card added]\nimage = %s\nvpcd = 127.0.0.1:35964\n" "$T/b" >>"$conf"
  kill -HUP "$(pidof vtokend)"
  "$VTOKEN" wait --exactly 2 --timeout 10 && echo "added card present"

  # a bad file is refused; both cards stay
  cp "$conf" "$T/good.conf"
  echo "bogus = 1" >>"$conf"
  kill -HUP "$(pidof vtokend)"
  "$VTOKEN" wait --exactly 2 --timeout 10 && echo "still two cards"

  # remove the added card again
  cp "$T/orig.conf" "$conf"
  kill -HUP "$(pidof vtokend)"
  "$VTOKEN" wait --exactly 1 --timeout 10 && echo "removed card gone"

  # the first session is still connected and the PIN still verified
  echo "00 20 00 80" >&3
  exec 3>&-
  wait
  cat "$T/scriptor.out"
  grep -E "reload|refused" "$VTOKEN_RUN_DIR/vtokend.log" || true
' 2>&1)
echo "$out"
export T
expect_match "$out" 'added card present' "an added card appears after SIGHUP"
expect_match "$out" 'still two cards' "a bad configuration changes nothing"
expect_match "$out" 'reload refused, keeping the running configuration: .*vtokend.conf:[0-9]+: unknown key .bogus.' \
  "a bad configuration is refused with a log line naming file and line"
expect_match "$out" 'removed card gone' "a removed card disappears after SIGHUP"
verify_status=$(grep -A1 '^> 00 20 00 80$' <<<"$out" | tail -n1)
expect_match "$verify_status" '^< 90 00 ' "the unchanged card kept its connection and verified PIN"
