#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtoken run when the environment does not come up: pcscd failing, vtokend dying, a signal
# while it waits for the cards. Each fails at once with a message naming the cause (not after
# --timeout), never runs COMMAND, and leaves no process and no directory behind.
source "$(dirname "$0")/lib.sh"

nothing_left() {
  if pgrep -f "$T/" >/dev/null; then fail "$1: processes left behind: $(pgrep -af "$T/")"; fi
  [ -z "$(ls -d "$T"/vtoken-run.* 2>/dev/null)" ] || fail "$1: the environment's directory was left behind"
  pass "$1: nothing left behind"
}

# pcscd failing to start: found out as soon as it exits, not after --timeout. The pcscd first
# on PATH is taken (/usr/sbin, where Debian puts it, only when PATH has none).
mkdir "$T/bin"
printf '#!/bin/sh\necho "pcscd: cannot start here" >&2\nexit 3\n' >"$T/bin/pcscd"
chmod 755 "$T/bin/pcscd"
set +e
err=$(timeout -k 5 20 env PATH="$T/bin:/usr/bin:/bin" "$VTOKEN" run --timeout 120 --card "$T/card" -- /bin/sh -c 'echo COMMAND RAN' 2>&1)
rc=$?
set -e
expect_eq "$rc" 125 "pcscd failing: 125 at once"
expect_match "$err" 'did not become present: pcscd exited with status 3' "pcscd failing: the cause is named"
expect_match "$err" 'pcscd: cannot start here' "pcscd failing: its log is shown"
expect_no_match "$err" 'COMMAND RAN' "pcscd failing: COMMAND does not run"
nothing_left "pcscd failing"

# vtokend dying before the cards are present
set +e
err=$(VTOKEND=/bin/false timeout -k 5 20 "$VTOKEN" run --timeout 120 --card "$T/card" -- /bin/sh -c 'echo COMMAND RAN' 2>&1)
rc=$?
set -e
expect_eq "$rc" 125 "vtokend dying: 125 at once"
expect_match "$err" 'did not become present: vtokend exited with status 1' "vtokend dying: the cause is named"
expect_no_match "$err" 'COMMAND RAN' "vtokend dying: COMMAND does not run"
nothing_left "vtokend dying"

# SIGTERM while waiting for the cards (the second image is corrupt: it never comes)
"$VTOKEN" init "$T/good" >/dev/null
"$VTOKEN" init "$T/bad" >/dev/null
printf '[pin]\nsalt = zz\n' >"$T/bad/state"
timeout -k 5 60 "$VTOKEN" run --timeout 120 --card "$T/good" --card "$T/bad" -- sh -c "echo COMMAND RAN >$T/ran" 2>"$T/err" &
runpid=$!
refused() { grep -qs 'card refused' "$T"/vtoken-run.*/vtokend.log; }
wait_until 10 "vtokend started and refused the corrupt card" -- refused
kill -TERM "$runpid"
set +e
wait "$runpid"
rc=$?
set -e
expect_eq "$rc" 143 "SIGTERM while waiting for the cards: 128+15 at once"
expect_match "$(cat "$T/err")" 'before COMMAND started' "SIGTERM while waiting: says so"
[ ! -e "$T/ran" ] || fail "COMMAND ran after vtoken run was told to stop"
pass "SIGTERM while waiting: COMMAND does not run"
nothing_left "SIGTERM while waiting"
