#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtokend takes its control socket from systemd (socket activation, as a vtokend.socket unit
# would pass it): systemd-socket-activate listens, starts vtokend on the first connection and
# hands it the socket; vtoken ctl talks to it. Without `control =` and without a socket from
# systemd, $RUNTIME_DIRECTORY/control.sock is used.
source "$(dirname "$0")/lib.sh"

cat >"$T/vtokend.conf" <<CONF
[card solo]
image = $T/card
vpcd = 127.0.0.1:1
CONF
"$VTOKEN" init "$T/card" >/dev/null

systemd-socket-activate -l "$T/ctl.sock" "$VTOKEND" --config "$T/vtokend.conf" >"$T/activate.log" 2>&1 &
act=$!
trap 'kill $act 2>/dev/null || true; rm -rf "$T"' EXIT
wait_until 10 "systemd-socket-activate listens on $T/ctl.sock" -- test -S "$T/ctl.sock"
out=$("$VTOKEN" ctl --socket "$T/ctl.sock" status 2>&1) || fail "status through the activated socket: $out"
echo "$out"
expect_match "$out" '^solo: vpcd 127\.0\.0\.1:1 waiting, ' "vtokend answers on the socket systemd passed"
out=$("$VTOKEN" ctl --socket "$T/ctl.sock" fault solo sw 6A82 2>&1)
expect_match "$out" 'solo: fault armed: sw 6A82' "the same daemon keeps answering"
kill $act
wait $act 2>/dev/null || true
cat "$T/activate.log"

mkdir "$T/rt"
RUNTIME_DIRECTORY="$T/rt" "$VTOKEND" --config "$T/vtokend.conf" >"$T/rt.log" 2>&1 &
d=$!
trap 'kill $d 2>/dev/null || true; rm -rf "$T"' EXIT
wait_until 10 "vtokend listens on \$RUNTIME_DIRECTORY/control.sock" -- test -S "$T/rt/control.sock"
out=$("$VTOKEN" ctl --socket "$T/rt/control.sock" status 2>&1) || fail "status through \$RUNTIME_DIRECTORY: $out"
expect_match "$out" '^solo: ' "without 'control =' the socket is \$RUNTIME_DIRECTORY/control.sock"
kill $d
wait $d || true
[ ! -e "$T/rt/control.sock" ] || fail "the socket was left behind"
pass "the socket is removed when vtokend stops"
