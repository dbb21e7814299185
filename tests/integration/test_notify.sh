#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Readiness as a service manager sees it: vtokend with NOTIFY_SOCKET sends STATUS= with each
# card's state, READY=1 once its cards are loaded, WATCHDOG=1 when WATCHDOG_USEC asks for it,
# and STOPPING=1 on SIGTERM, then exits 0.
source "$(dirname "$0")/lib.sh"
vpcd_only "a second vtokend joins the run's empty second vpcd slot; with the driver pcscd has a reader for each card of the run only"
export T

out=$("$VTOKEN" run --card "$T/a" -- bash -c '
  set -e
  printf "[card second]\nimage = %s\nvpcd = 127.0.0.1:35964\n" "$T/b" >"$T/b.conf"
  mkfifo "$T/ready"
  python3 "$VT_SRC/tests/integration/tools/notify_listen.py" "$T/notify.sock" "$T/ready" >"$T/notify.log" &
  listener=$!
  read -r _ <"$T/ready"
  NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=200000 nsenter --net="$VTOKEN_NETNS" -- "$VTOKEND" --config "$T/b.conf" 2>"$T/vtokend.err" &
  daemon=$!
  "$VTOKEN" wait --exactly 2 --timeout 20
  opensc-tool -r 1 -s "00 A4 04 00 05 A0 00 00 03 08" >/dev/null   # powers the card up
  # a watchdog ping arrives within a few of its periods
  timeout 5 grep -m1 -q "WATCHDOG=1" <(tail -n +1 -f "$T/notify.log") || echo "no watchdog ping"
  kill -TERM "$daemon"
  wait "$daemon" && echo "vtokend exited 0"
  wait "$listener"
  cat "$T/notify.log"
')
echo "$out"
expect_match "$out" 'STATUS=second: waiting for vpcd 127\.0\.0\.1:35964' "STATUS while waiting for vpcd"
expect_match "$out" '^[0-9]+ READY=1$' "READY=1"
expect_match "$out" 'STATUS=second: connected' "STATUS when connected"
expect_match "$out" 'STATUS=second: powered' "STATUS when powered"
expect_match "$out" '^[0-9]+ WATCHDOG=1$' "WATCHDOG=1 with WATCHDOG_USEC set"
expect_match "$out" '^[0-9]+ STOPPING=1$' "STOPPING=1 on SIGTERM"
expect_match "$out" 'vtokend exited 0' "exit status 0 after SIGTERM"
# READY comes after the card was loaded (its first STATUS) 
ready_at=$(grep -m1 ' READY=1$' <<<"$out" | cut -d" " -f1)
status_at=$(grep -m1 ' STATUS=second' <<<"$out" | cut -d" " -f1)
[ "$status_at" -le "$ready_at" ] || fail "READY=1 came before the card was loaded"
pass "READY=1 after the card was loaded"
