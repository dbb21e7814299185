#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtoken run where no namespace can be made (a container's default seccomp profile, Ubuntu's
# AppArmor restriction), reproduced by a seccomp filter that refuses unshare, setns and clone
# with namespace flags: as an unprivileged user it falls back to plain processes on the driver
# with a socket of their own, the card works, parallel runs coexist, COMMAND's leftovers are
# stopped, a run killed with its supervisor is cleaned up by the next, and pcsc-lite's pid file
# of a running system pcscd is put back. --isolation namespaces still refuses to go on.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to switch to an unprivileged user"
/usr/bin/python3 -c 'import seccomp' 2>/dev/null || skip "python3-seccomp is not installed"
user=nobody
# pcscd needs /run/pcscd, which an unprivileged user cannot create (vtoken run says so): made
# as the package's pcscd.socket makes it at boot (a fresh chroot may lack it)
mkdir -p -m 0755 /run/pcscd
uid=$(id -u "$user")
chmod 1777 "$T"
confined() {
  /usr/bin/python3 "$VT_SRC/tests/integration/tools/without_namespaces.py" --user "$uid" \
    env HOME="$T" TMPDIR="$T" XDG_CACHE_HOME="$T/cache.$user" PATH=/usr/local/bin:/usr/bin:/bin "$@"
}
run() { confined "$VTOKEN_BIN" run "$@"; }

if confined unshare -Ur true 2>/dev/null; then fail "the filter lets a namespace be made"; fi
pass "the seccomp filter refuses namespaces, as a container's default profile does"

echo data >"$T/data"
chmod 644 "$T/data"
export T
out=$(run --transport driver --fresh -- bash -c '
  source "$VT_LIB"
  card_sign --out "$T/sig.plain" || fail "no signature"
  echo "isolation=$VTOKEN_ISOLATION uid=$(id -u) sock=$PCSCLITE_CSOCK_NAME netns=${VTOKEN_NETNS:-unset}"
  ls -ld "$(dirname "$PCSCLITE_CSOCK_NAME")"' 2>"$T/err") || fail "the run failed: $(cat "$T/err")"
expect_match "$(cat "$T/err")" 'namespaces refused \(Operation not permitted\): pcscd and vtokend run as plain processes' \
  "vtoken run says it runs without namespaces, and why"
expect_match "$out" "isolation=none uid=$uid sock=$T/vtoken-run\\.[^/]*/pcscd\\.comm netns=unset" \
  "COMMAND runs as the user, told the isolation and its pcscd's socket"
expect_match "$out" '^drwx------ ' "the socket is in a directory of the user's only"
[ -s "$T/sig.plain" ] || fail "no signature was written"
pass "an unprivileged user's card signs without namespaces"

set +e
err=$(run --isolation namespaces --transport driver --fresh -- true 2>&1)
rc=$?
set -e
expect_eq "$rc" 125 "--isolation namespaces fails where they are refused"
expect_match "$err" 'cannot create private namespaces' "and says why"
set +e
err=$(run --transport vpcd --fresh -- true 2>&1)
rc=$?
set -e
expect_eq "$rc" 125 "vpcd cannot fall back (its TCP port would be the host's)"
expect_match "$err" '--transport driver runs without namespaces' "and says what does"
set +e
err=$("$VTOKEN_BIN" run --isolation none --transport vpcd -- true 2>&1)
rc=$?
set -e
expect_eq "$rc" 64 "--isolation none with vpcd is a usage error"

# parallel runs: each its own pcscd and socket
for i in 1 2 3; do
  run --transport driver --fresh -- bash -c 'source "$VT_LIB"; card_sign --out "$T/sig.'"$i"'"' \
    >"$T/par.$i.log" 2>&1 &
  pids[i]=$!
done
for i in 1 2 3; do
  wait "${pids[i]}" || fail "parallel run $i failed: $(cat "$T/par.$i.log")"
done
pass "three runs without namespaces at once each sign"

# COMMAND's background process outlives COMMAND: stopped with the run, as in a PID namespace
marker="sleep 4243.$$"
run --transport driver -- sh -c "$marker </dev/null >/dev/null 2>&1 &" 2>/dev/null
if pgrep -f "$marker" >/dev/null; then fail "COMMAND's background process outlived the run"; fi
pass "COMMAND's background process is stopped with the run"

# vtoken run and its supervisor killed at once (the whole process group, as a CI timeout does):
# pcscd, vtokend and COMMAND die with their parent, and the next run removes the directory
marker="sleep 4244.$$"
confined setsid "$VTOKEN_BIN" run --transport driver -- sh -c "touch $T/started; exec $marker" \
  >"$T/killed.log" 2>&1 &
wait_until 30 "COMMAND runs" -- test -e "$T/started"
pgid=$(ps -o pgid= -p "$(pgrep -xf "$marker")" | tr -d ' ')
kill -KILL -- "-$pgid"
gone() { ! pgrep -f "$T/vtoken-run" >/dev/null && ! pgrep -f "$marker" >/dev/null; }
wait_until 10 "pcscd, vtokend and COMMAND are gone" -- gone
pass "a run killed with its supervisor leaves no process"
left=$(ls -d "$T"/vtoken-run.*)
[ -n "$left" ] || fail "expected the killed run's directory to be left"
run --transport driver -- true 2>/dev/null
[ ! -e "$left" ] || fail "the next run did not remove the killed run's directory $left"
pass "the next run removes the directory a killed run left"

# as root on a host whose pcscd runs: pcscd 1.9/2.x writes /run/pcscd/pcscd.pid whatever socket
# it serves; vtoken run puts the host's back. Shown in a mount namespace of the test's own,
# whose /run/pcscd holds a stand-in for the host's file.
if unshare --mount true 2>/dev/null; then
  out=$(unshare --mount --propagation private bash -c '
    mount -t tmpfs tmpfs /run/pcscd
    printf "4242\n" >/run/pcscd/pcscd.pid
    "$VTOKEN_BIN" run --isolation none --transport driver -- cat /run/pcscd/pcscd.pid 2>/dev/null | tr -d "\0"
    echo "after: $(tr -d "\0" </run/pcscd/pcscd.pid)"')
  expect_match "$out" '^[0-9]+$' "pcscd (as root) writes its pid into /run/pcscd/pcscd.pid during the run"
  expect_no_match "$out" '^4242$' "which is not the host's pid any more during the run"
  expect_match "$out" '^after: 4242$' "the host's pid file is put back after the run"
fi
