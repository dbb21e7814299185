#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Ctrl-C on a terminal during `vtoken run`: COMMAND gets SIGINT once (as from any terminal),
# and pcscd and vtokend stay until it has finished, so a cleanup in COMMAND can still use the
# card. Then everything is torn down and COMMAND's status comes back.
source "$(dirname "$0")/lib.sh"

export T
out=$(python3 - "$VTOKEN" "$T/card" <<'PY'
import os, pty, select, sys, time
vtoken, card = sys.argv[1], sys.argv[2]
script = r'''
n=0
trap 'n=$((n+1)); echo "trap $n"; opensc-tool -a >/dev/null 2>&1 && echo "card still there"; exit 7' INT
echo ready
sleep 300 & wait  # sleep: a long-running child for Ctrl-C to interrupt, not a wait
'''
pid, fd = pty.fork()
if pid == 0:
    os.execvp(vtoken, [vtoken, "run", "--card", card, "--", "bash", "-c", script])
buf = b""
def read_until(pred, seconds):
    global buf
    end = time.time() + seconds
    while not pred() and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return
            if not data:
                return
            buf += data
read_until(lambda: b"ready" in buf, 60)
os.write(fd, b"\x03")  # the terminal's intr character: SIGINT to the foreground group
read_until(lambda: False, 30)  # until vtoken run closes the terminal
_, status = os.waitpid(pid, 0)
print(buf.decode(errors="replace"))
print("rc=%d" % os.waitstatus_to_exitcode(status))
PY
)
echo "$out"
expect_match "$out" 'ready' "COMMAND started"
expect_match "$out" 'trap 1' "COMMAND got SIGINT"
expect_no_match "$out" 'trap 2' "COMMAND got SIGINT once"
expect_match "$out" 'card still there' "the card is still there for COMMAND's cleanup"
expect_match "$out" 'rc=7' "COMMAND's status comes back"
if pgrep -f "$T/" >/dev/null; then fail "processes left behind: $(pgrep -af "$T/")"; fi
[ -z "$(ls -d "$T"/vtoken-run.* 2>/dev/null)" ] || fail "the environment's directory was left behind"
pass "nothing left behind"
