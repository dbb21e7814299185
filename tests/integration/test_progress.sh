#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Slow work shows progress on a terminal and nothing elsewhere, as apt and ykman do: `vtoken
# init` making RSA keys, `vtoken run --fresh` making the template, and `vtoken run --fresh`
# waiting while another run holds the template (its cache lock) draw a line on stderr, redrawn
# with "\r" and wiped when done, when stdout and stderr are a terminal (a pseudo-terminal
# here); through pipes, or with TERM=dumb, they print no such line.
source "$(dirname "$0")/lib.sh"

# on_pty [--lock DIR] [--release-on TEXT] -- ARGV...: ARGV with stdin, stdout and stderr on a
# pseudo-terminal, as a terminal emulator runs it: TERM is $PTY_TERM (default xterm, whatever
# TERM the suite runs with: CI and the Debian 13 chroot say dumb); prints what it wrote (raw,
# "\r" and escapes kept) and "exit N". With --lock,
# DIR is locked (flock, exclusive) before ARGV starts, and let go once ARGV has written TEXT
# (within 60 s, or it fails).
on_pty() {
  python3 - "$@" <<'PY'
import fcntl, os, pty, select, sys, time
args = sys.argv[1:]
lock = release = None
while args[0] != "--":
    if args[0] == "--lock":
        lock = os.open(args[1], os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(lock, fcntl.LOCK_EX)
    elif args[0] == "--release-on":
        release = args[1].encode()
    args = args[2:]
argv = args[1:]
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = os.environ.get("PTY_TERM", "xterm")
    os.execvp(argv[0], argv)
out, deadline = b"", time.monotonic() + 60
while True:
    if lock is not None and release in out:
        os.close(lock)
        lock = None
    if lock is not None and time.monotonic() > deadline:
        sys.exit("on_pty: %r never appeared: %r" % (release, out))
    r, _, _ = select.select([fd], [], [], 1)
    if not r:
        continue
    try:
        chunk = os.read(fd, 4096)
    except OSError:  # EIO: the other side closed
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
print("\nexit %d" % os.waitstatus_to_exitcode(status))
PY
}

init_line="vtoken init: making the card's keys and certificates"
out=$(on_pty -- "$VTOKEN" init "$T/tty" --generate 9a:rsa3072)
expect_match "$out" '^exit 0$' "vtoken init on a terminal works"
expect_match "$out" "$init_line [|/\\\\-] [0-9]+s" "and shows its progress while it makes keys"
grep -q $'\r\e\[K' <<<"$out" || fail "the progress line is not redrawn and wiped in place"
pass "the progress line is redrawn and wiped in place"
expect_match "$out" "Created card image $T/tty" "then says what it made"

out=$("$VTOKEN" init "$T/pipe" --generate 9a:rsa3072 2>&1 | cat)
expect_match "$out" "^Created card image $T/pipe" "vtoken init through a pipe works"
expect_no_match "$out" "making the card's keys" "and shows no progress"
[[ $out != *$'\r'* ]] || fail "vtoken init through a pipe wrote a carriage return"
out=$(PTY_TERM=dumb on_pty -- "$VTOKEN" init "$T/dumb" --generate 9a:rsa3072)
expect_match "$out" '^exit 0$' "vtoken init on a dumb terminal works"
expect_no_match "$out" "making the card's keys" "and shows no progress"

out=$(on_pty -- "$VTOKEN" run --fresh -- true)
expect_match "$out" '^exit 0$' "vtoken run --fresh on a terminal works"
expect_match "$out" 'vtoken run: making the piv template for fresh cards .* [0-9]+s' \
  "and shows its progress while it makes the template"

wait_line="vtoken run: waiting for another vtoken run, which is making the piv template"
out=$(on_pty --lock "$XDG_CACHE_HOME/vtoken" --release-on "$wait_line" -- "$VTOKEN" run --fresh -- true)
expect_match "$out" '^exit 0$' "vtoken run --fresh waits for the template's lock, then works"
expect_match "$out" "$wait_line" "and shows that it waits"

rm -rf "$XDG_CACHE_HOME/vtoken"
out=$("$VTOKEN" run --fresh -- true 2>&1 | cat)
expect_no_match "$out" 'making the piv template' "vtoken run --fresh through a pipe shows no progress"
[[ $out != *$'\r'* ]] || fail "vtoken run --fresh through a pipe wrote a carriage return"
