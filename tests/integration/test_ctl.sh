#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtoken ctl against a running vtokend: status, remove/insert seen by PC/SC clients
# (SCardGetStatusChange through vtoken wait and pcsc_scan, SCARD_W_REMOVED_CARD in an open
# session, pkcs11-tool failing while the card is out and working after), a warm reset clearing
# the verified PIN, bad requests leaving the daemon serving, other users refused.
source "$(dirname "$0")/lib.sh"

echo hello >"$T/data"
export T
out=$("$VTOKEN" run --card "$T/card" -- bash -c 'source "$VT_LIB"
  set -u
  source "$VT_LIB"
  answered() { [ "$(card_status_field card0 commands)" -ge "$1" ]; } # the card answered $1 commands
  # pcscd asks the reader driver for the card every 0.4 s; while a command is held in the card
  # that check waits on the driver (a pcscd thread in a futex wait). Only a check already
  # waiting sees a pull before OpenSC, after the failed command, asks whether the card is there
  # and reports CKR_DEVICE_REMOVED (else CKR_GENERAL_ERROR).
  pcscd_check_waits() { grep -qs futex /proc/"$(run_pcscd)"/task/*/wchan; }
  scan_saw_reinsertion() {
    grep -A2 "Reader 0" "$T/scan.out" | grep "Card state" | tr -d "\n" |
      grep -Eq "Card inserted.*Card removed.*Card inserted"
  }
  echo "socket mode $(stat -c %a "$VTOKEN_CONTROL")"
  "$VTOKEN" ctl status
  "$VTOKEN" ctl status --json > "$T/status0.json"

  pcsc_scan -n >"$T/scan.out" 2>&1 &
  scan=$!
  mkfifo "$T/in"
  scriptor -r "Virtual PCD 00 00" <"$T/in" >"$T/scriptor.out" 2>&1 &
  exec 3>"$T/in"
  n=$(card_status_field card0 commands)
  echo "00 A4 04 00 05 A0 00 00 03 08" >&3
  echo "00 20 00 80 08 31 32 33 34 35 36 FF FF" >&3
  wait_until 10 "the card answered SELECT and VERIFY from scriptor" -- answered $((n + 2))
  "$VTOKEN" ctl status --json > "$T/status1.json"

  echo "== warm reset"
  "$VTOKEN" ctl reset card0 && echo "reset ok"
  n=$(card_status_field card0 commands)
  echo "00 20 00 80" >&3   # no applet selected after the reset
  echo "00 A4 04 00 05 A0 00 00 03 08" >&3
  echo "00 20 00 80" >&3   # PIN status after the reset: not verified any more
  wait_until 10 "the card answered the three commands after the reset" -- answered $((n + 3))

  echo "== remove"
  "$VTOKEN" ctl remove card0 && echo "remove ok"
  "$VTOKEN" wait --exactly 0 --timeout 10 && echo "no card present"
  "$VTOKEN" ctl status
  card_sign --report
  echo "00 A4 04 00 05 A0 00 00 03 08" >&3 || true  # the open session learns the card was removed
  wait_until 10 "scriptor reports the card removed" -- grep -q "Card was removed" "$T/scriptor.out"
  exec 3>&- || true

  echo "== insert"
  "$VTOKEN" ctl insert card0 && echo "insert ok"
  "$VTOKEN" wait --exactly 1 --timeout 10 && echo "card present again"
  card_sign --report

  echo "== pulled mid-signature"
  # the signature is held in the card until the card is pulled (the removal ends the delay):
  # with a short delay, a test slowed down by load pulled the card only after the answer
  "$VTOKEN" ctl fault card0 delay 60s --ins 87
  card_sign --report >"$T/pulled.out" &
  signer=$!
  wait_until 10 "the signature is held in the card (the delay fault spent)" -- card_status_is card0 faults "[]"
  # vpcd: pcscd learns of the removal by polling, and its poll waits for the reader behind the
  # held transmission; the driver reports a removal itself (its poll thread waits in poll(),
  # never on that lock, so there is nothing to wait for)
  if [ "$VT_TRANSPORT" = vpcd ]; then
    wait_until 10 "pcscd checks for the card behind the held signature" -- pcscd_check_waits
  fi
  "$VTOKEN" ctl remove card0
  wait $signer
  cat "$T/pulled.out"
  "$VTOKEN" ctl insert card0
  "$VTOKEN" wait --exactly 1 --timeout 10
  card_sign --report
  wait_until 10 "pcsc_scan reports the card removed and inserted again" -- scan_saw_reinsertion
  kill $scan
  "$VTOKEN" ctl status
' 2>&1) || fail "vtoken ctl against a running vtokend: $out"
echo "$out"
echo "--- scriptor"; cat "$T/scriptor.out"
echo "--- pcsc_scan"; cat "$T/scan.out"

expect_match "$out" '^socket mode 600$' "the control socket is mode 0600"
expect_match "$out" "^card0: $(link_re 0) connected, .*PIN not verified, PIN tries left 3/3, PUK tries left 3/3, [0-9]+ commands" \
  "status names the card, its link (vpcd slot or driver socket), PIN state, tries left and commands"
python3 - "$T/status0.json" "$T/status1.json" <<'PY' || fail "status --json"
import json, sys
s0 = json.load(open(sys.argv[1]))["cards"][0]
s1 = json.load(open(sys.argv[2]))["cards"][0]
assert s0["name"] == "card0" and s0["connection"] == "connected", s0
assert s0["pin_verified"] is False and s0["pin_tries_left"] == 3 and s0["puk_tries_left"] == 3, s0
assert s1["pin_verified"] is True and s1["applet"] == "piv" and s1["powered"] is True, s1
assert s1["commands"] >= s0["commands"] + 2, (s0, s1)
PY
pass "status --json: PIN verified, applet selected, powered, commands counted"


expect_match "$out" 'no card present' "after remove, SCardGetStatusChange sees no card (vtoken wait --exactly 0)"
expect_match "$out" "card0: $(link_re 0) removed" "status shows the card removed"
expect_match "$(sed -n '/== remove/,/== insert/p' <<<"$out")" 'sign rc=1' "pkcs11-tool fails while the card is out"
expect_match "$(sed -n '/== remove/,/== insert/p' <<<"$out")" 'No slot with a token was found' \
  "pkcs11-tool reports no token while the card is out"
expect_match "$(cat "$T/scriptor.out")" 'Card was removed' "an open PC/SC session sees SCARD_W_REMOVED_CARD"
expect_match "$out" 'card present again' "after insert, SCardGetStatusChange sees the card again"
expect_match "$(sed -n '/== insert/,/== pulled/p' <<<"$out")" 'sign rc=0' "pkcs11-tool signs again after the insertion"
pulled=$(sed -n '/== pulled/,$p' <<<"$out")
expect_match "$pulled" 'C_SignFinal failed: rv = CKR_DEVICE_REMOVED' \
  "a signature under way when the card is pulled fails with CKR_DEVICE_REMOVED"
expect_match "$(grep 'sign rc=' <<<"$pulled" | tr '\n' ' ')" '^sign rc=1 sign rc=0 $' \
  "and the next signature after the insertion works"
scan=$(cat "$T/scan.out")
expect_match "$(grep -A2 'Reader 0' <<<"$scan" | grep 'Card state' | tr -d '\n')" \
  'Card inserted.*Card removed.*Card inserted' "pcsc_scan sees the card removed and inserted again"

# Bad requests: an error reply each, and the daemon keeps serving.
HOST_UID=$(id -u)
export HOST_UID
# nobody runs a copy of vtoken: the build tree itself may be out of its reach (under /root)
for_any_user "$T/any-user"
out=$("$VTOKEN" run --card "$T/card" -- bash -c 'source "$VT_LIB"
  set -u
  try() { "$VTOKEN" ctl "$@" 2>&1; echo "rc=$?"; }
  try bogus
  try remove nosuchcard
  try remove
  try reset card0 extra
  try fault card0 sw 12
  try fault card0 explode
  try trace card0 on relative/../but/made/absolute/by/ctl/x.txt --json --json
  try touch card0
  try status --yaml
  raw() { python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
try:
    s.sendall(sys.argv[2].encode(\"latin-1\"))
except BrokenPipeError:
    pass
s.shutdown(socket.SHUT_WR)
data = b\"\"
while True:
    b = s.recv(4096)
    if not b: break
    data += b
print(\"reply:\", data.decode().strip())
" "$VTOKEN_CONTROL" "$1"; }
  # the daemon checks every request itself, whatever client sends it
  for r in bogus remove "reset card0 extra" "fault card0 sw 12" "fault card0 explode" \
    "fault card0 sw 6982 --count 2 --sticky" "trace card0 on relative.txt" "status --yaml"; do raw "$r"; done
  raw "$(head -c 5000 /dev/zero | tr "\0" a)"
  raw "$(head -c 100000 /dev/zero | tr "\0" a)"
  raw "$(printf "status\001\n")"
  raw ""
  raw "   "
  raw "status"
  # the daemon still serves: a control request and a card operation
  "$VTOKEN" ctl status && pkcs11-tool --module "$OPENSC_MODULE" -L >/dev/null && echo "still serving"
  [ "$(run_vtokend)" ] && echo "vtokend alive"
  if [ "$HOST_UID" = 0 ]; then  # other users exist only for root (else one uid is mapped)
    chmod 755 "$VTOKEN_RUN_DIR"
    stat -c "control socket %a %U" "$VTOKEN_CONTROL"
    # its own file: the answer is checked whole, not picked out of the run'\''s merged output
    setpriv --reuid nobody --regid nogroup --clear-groups "$ANY_VTOKEN" ctl status >"$T/nobody.out" 2>&1
    echo "nobody rc=$?"
  fi
' 2>&1)
echo "$out"
# vtoken ctl checks the words of a request before sending it: usage errors exit 64
expect_match "$out" "vtoken ctl: unknown verb 'bogus'" "an unknown verb is refused"
expect_match "$out" "vtoken ctl: unknown card 'nosuchcard'" "an unknown card is refused (by the daemon)"
expect_match "$out" "vtoken ctl remove: CARD is missing" "a missing card name is refused"
expect_match "$out" "vtoken ctl reset: unexpected 'extra'" "extra words are refused"
expect_match "$out" "vtoken ctl fault: sw needs a status word of 4 hex digits" "a bad status word is refused"
expect_match "$out" "vtoken ctl fault: unknown KIND 'explode'" "an unknown fault is refused"
expect_match "$out" "vtoken ctl: usage: trace CARD on" "a malformed trace request is refused (by the daemon)"
expect_match "$out" "vtoken ctl: card0: no command is waiting for a touch" "a touch with nothing waiting is refused"
expect_match "$out" "vtoken ctl status: unknown option '--yaml'" "a bad status option is refused"
expect_eq "$(grep -c '^rc=1$' <<<"$out")" 2 "the requests the daemon refuses exit 1"
expect_eq "$(grep -c '^rc=64$' <<<"$out")" 7 "usage errors exit 64"
expect_match "$out" "^reply: error: unknown request 'bogus'" "the daemon refuses an unknown verb"
expect_match "$out" "^reply: error: remove needs a CARD" "the daemon refuses a missing card name"
expect_match "$out" "^reply: error: usage: reset CARD" "the daemon refuses extra words"
expect_match "$out" "^reply: error: sw needs a status word of 4 hex digits" "the daemon refuses a bad status word"
expect_match "$out" "^reply: error: unknown KIND 'explode'" "the daemon refuses an unknown fault"
expect_match "$out" "^reply: error: bad option '--sticky'" "the daemon refuses --count with --sticky"
expect_match "$out" "^reply: error: usage: trace CARD on" "the daemon refuses a malformed trace request"
expect_match "$out" "^reply: error: usage: status \[--json\]" "the daemon refuses a bad status option"
expect_eq "$(grep -c '^reply: error: request too long' <<<"$out")" 2 "oversized requests get an error reply"
expect_match "$out" '^reply: error: malformed request' "a request with control characters is refused"
expect_match "$out" '^reply: error: empty request' "an empty request is refused"
expect_match "$out" '^reply: ok' "a request without newline before the client shuts down is served"
expect_match "$out" 'still serving' "after bad requests the daemon and its card still serve"
expect_match "$out" 'vtokend alive' "vtokend survived the bad requests"
if [ "$HOST_UID" = 0 ]; then
  expect_match "$out" '^control socket 600 root$' "the control socket is root's, mode 0600, when nobody tries it"
  expect_match "$(cat "$T/nobody.out")" '^vtoken ctl: cannot connect to .*control.sock: Permission denied$' \
    "a client of another user is refused by the socket's permissions"
  expect_match "$out" '^nobody rc=69$' "a refused connection exits 69"
else
  skip_part "a client of another user (needs root to switch users)"
fi

# Two cards: each is controlled by its name, the other is left alone.
out=$("$VTOKEN" run --card "$T/card" --card "$T/card2" -- bash -c '
  set -eu
  "$VTOKEN" ctl remove card1
  "$VTOKEN" wait --exactly 1 --timeout 10 && echo "one card left"
  "$VTOKEN" ctl status
  "$VTOKEN" ctl insert card1
  "$VTOKEN" wait --exactly 2 --timeout 10 && echo "both cards back"
' 2>&1)
echo "$out"
expect_match "$out" 'one card left' "removing card1 leaves one card present"
expect_match "$out" "^card0: $(link_re 0) connected" "card0 stays connected"
expect_match "$out" "^card1: $(link_re 1) removed" "card1 is removed"
expect_match "$out" 'both cards back' "card1 comes back"

# touch --wait takes seconds: anything else is a usage error, not an endless wait
for bad in nan -1 1x; do
  set +e
  timeout -k 2 10 "$VTOKEN" ctl --socket "$T/none.sock" touch card0 --wait "$bad" 2>/dev/null
  rc=$?
  set -e
  expect_eq "$rc" 64 "touch --wait $bad is a usage error"
done
