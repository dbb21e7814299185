#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What vtoken init takes from its user: --import reads regular files only (a FIFO would block it
# forever); a PIN or PUK with a control character is refused, from the command line or from
# env:; a PIN is as long as the card's applet allows: 8 characters with PIV, 127 for OpenPGP's
# PW1 on an OpenPGP-only card, and that PIN then verifies on the card.
source "$(dirname "$0")/lib.sh"
export T

# refused NAME COMMAND...: COMMAND (vtoken init) fails as a usage error within 20 s, leaving no
# image; its message in $err
refused() {
  local what=$1 rc=0
  shift
  err=$(timeout 20 "$@" 2>&1) || rc=$?
  [ "$rc" -ne 124 ] || fail "$what: vtoken init did not return within 20 s"
  expect_eq "$rc" 64 "$what is refused as a usage error"
  [ ! -e "$T/img" ] || fail "$what: a refused init left an image"
}

mkfifo "$T/fifo"
refused "--import of a FIFO" "$VTOKEN" init "$T/img" --import "9a:$T/fifo"
expect_match "$err" "$T/fifo is not a regular file" "the message names the FIFO"
refused "--import of a directory" "$VTOKEN" init "$T/img" --import "9a:$T"
expect_match "$err" "$T is not a regular file" "the message names the directory"

refused "a PIN with a line break" "$VTOKEN" init "$T/img" --pin $'12\n3456'
expect_match "$err" "the PIN has a control character \(byte 0x0A at position 3\)" "the message says which"
refused "a PUK with a tab" "$VTOKEN" init "$T/img" --puk $'1234\t5678'
expect_match "$err" "the PUK has a control character \(byte 0x09 at position 5\)" "the PUK's too"
PIN_VALUE=$'123\n456' refused "a PIN from env: with a line break inside" \
  "$VTOKEN" init "$T/img" --pin-from env:PIN_VALUE
expect_match "$err" "the PIN has a control character" "a line break inside env: is not cut off silently"

# PIV keeps 8 characters, also with OpenPGP beside it
refused "a 9-character PIV PIN" "$VTOKEN" init "$T/img" --pin 123456789
expect_match "$err" "longer than 8 characters \(the PIV PIN's limit\)" "PIV's limit is named"
refused "a 9-character PIN on piv+openpgp" "$VTOKEN" init "$T/img" -p piv+openpgp --pin 123456789
# OpenPGP-only: PW1 up to 127
long=$(printf 'pw1-%.0s' {1..31})abc # 127 characters
refused "a 128-character PW1" "$VTOKEN" init "$T/img" -p openpgp --pin "${long}d"
expect_match "$err" "longer than 127 characters \(the OpenPGP PW1's limit\)" "PW1's limit is named"
"$VTOKEN" init "$T/img" -p openpgp --pin "$long" >/dev/null || fail "a 127-character PW1 was refused"
pass "an OpenPGP card takes a PIN of 127 characters"
hex=$(printf '%s' "$long" | od -An -tx1 -v | tr -d ' \n')
out=$("$VTOKEN" run --card "$T/img" -- opensc-tool -s '00 A4 04 00 06 D2 76 00 01 24 01' \
  -s "00 20 00 81 7F $hex" 2>&1) || fail "opensc-tool: $out"
expect_eq "$(grep -c 'SW1=0x90, SW2=0x00' <<<"$out")" 2 "that PIN verifies as PW1 on the card (SELECT and VERIFY answer 9000)"
