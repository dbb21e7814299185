#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtoken run killed with SIGKILL (its own process only, not its group): its namespace's init
# learns it (PR_SET_PDEATHSIG, and a pipe for a death before that), so pcscd, vtokend, COMMAND
# and the temporary directory are all gone.
source "$(dirname "$0")/lib.sh"

marker="sleep 4242.$$"
setsid "$VTOKEN" run --card "$T/card" -- sh -c "touch $T/started; exec $marker" >"$T/out" 2>&1 &
runpid=$!
wait_until 30 "COMMAND runs" -- test -e "$T/started"
pgrep -f "$T/vtoken-run" >/dev/null || fail "no pcscd or vtokend found to begin with"
kill -KILL "$runpid"

left() { pgrep -f "$T/vtoken-run" || pgrep -f "$marker" || ls -d "$T"/vtoken-run.* 2>/dev/null; }
nothing_left() { [ -z "$(left)" ]; }
wait_until 10 "pcscd, vtokend, COMMAND and the directory are gone" -- nothing_left
pass "vtoken run killed with SIGKILL leaves nothing behind"
