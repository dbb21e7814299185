#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Who may talk to the card: vtokend answers only a vpcd whose accepting socket belongs to root,
# to vtokend's own user or to the configured pcscd-user. A user listening on the vpcd port (a
# socket-activated pcscd leaves it free when idle) gets nothing: no ATR, no APDU answer.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to listen as an unprivileged user"
chmod 1777 "$T"

# A stand-in for vpcd: asks for the ATR on each connection and writes what came back (hex,
# empty when nothing) to $T/got.N.
cat >"$T/listener.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(4)
open(sys.argv[1] + ".port.tmp", "w").write(str(s.getsockname()[1]))
__import__("os").rename(sys.argv[1] + ".port.tmp", sys.argv[1] + ".port")
for n in range(3):
    c, _ = s.accept()
    c.settimeout(5)
    c.sendall(b"\x00\x01\x04")  # vpcd: the ATR, please
    got = b""
    try:
        while len(got) < 3 or len(got) < 2 + int.from_bytes(got[:2], "big"):
            d = c.recv(4096)
            if not d:
                break
            got += d
    except OSError:
        pass
    open("%s.%d.tmp" % (sys.argv[1], n), "w").write(got.hex())
    __import__("os").rename("%s.%d.tmp" % (sys.argv[1], n), "%s.%d" % (sys.argv[1], n))
    c.close()
PY

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"; }
trap cleanup EXIT

# serve USER PREFIX [DAEMON-SECTION]: starts a listener as USER and a vtokend pointed at it
serve() {
  local user=$1 prefix=$2 daemon=${3:-} port
  runuser -u "$user" -- python3 "$T/listener.py" "$prefix" &
  pids+=($!)
  wait_until 10 "the listener of $user is up" -- test -s "$prefix.port"
  port=$(cat "$prefix.port")
  printf '[daemon]\n%s\n[card c]\nimage = %s\nvpcd = 127.0.0.1:%s\n' "$daemon" "$prefix.img" "$port" >"$prefix.conf"
  "$VTOKEND" --config "$prefix.conf" >"$prefix.log" 2>&1 &
  pids+=($!)
}

serve nobody "$T/nobody"
wait_until 20 "vtokend refused the listener of nobody twice" -- test -e "$T/nobody.1"
expect_eq "$(cat "$T/nobody.0")$(cat "$T/nobody.1")" "" "a listener of an unprivileged user gets no answer"
log=$(cat "$T/nobody.log")
expect_match "$log" "vpcd 127.0.0.1:[0-9]+ refused, not pcscd: the socket that accepted the connection belongs to uid $(id -u nobody)" \
  "vtokend says why it refused"
expect_no_match "$log" "connected to vpcd" "and never counts itself connected"
expect_eq "$(grep -c 'refused, not pcscd' <<<"$log")" 1 "the refusal is logged once, not on every retry"

# the same listener as root, and as a user named by pcscd-user, is answered
serve root "$T/root"
wait_until 20 "root's listener got an answer" -- test -e "$T/root.0"
expect_match "$(cat "$T/root.0")" '^00[0-9a-f]{2}3b' "a listener of root gets the ATR"

serve nobody "$T/named" "pcscd-user = nobody"
wait_until 20 "the pcscd-user's listener got an answer" -- test -e "$T/named.0"
expect_match "$(cat "$T/named.0")" '^00[0-9a-f]{2}3b' "a listener of the configured pcscd-user gets the ATR"
