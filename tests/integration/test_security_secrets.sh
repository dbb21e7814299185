#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtoken init takes its secrets without putting them on a command line other users can read:
# --pin-from, --puk-from and --p12-pass-from read a file descriptor, a file or a variable.
source "$(dirname "$0")/lib.sh"
export T

printf '24681357\n' >"$T/pin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k.pem" -out "$T/c.pem" \
  -subj "/CN=From a pipe" -days 30 2>/dev/null
openssl pkcs12 -export -inkey "$T/k.pem" -in "$T/c.pem" -out "$T/k.p12" -passout pass:p12-s3cret
PUK_VALUE=97531864 "$VTOKEN" init "$T/img" --pin-from "file:$T/pin" --puk-from env:PUK_VALUE \
  --import 9a:"$T/k.p12" --p12-pass-from fd:3 3< <(printf 'p12-s3cret') >/dev/null
expect_match "$("$VTOKEN" show "$T/img")" "From a pipe" "the PKCS#12 password came through a file descriptor"

out=$("$VTOKEN" run --card "$T/img" -- bash -c '
  coproc SC { "$APDU_SESSION" "Virtual PCD 00 00"; }
  send() { echo "$1" >&"${SC[1]}"; read -r line <&"${SC[0]}"; echo "$2 $line"; }
  send "00 A4 04 00 05 A0 00 00 03 08" select >/dev/null
  send "00 20 00 80 08 32 34 36 38 31 33 35 37" pin   # 24681357
  send "00 2C 00 80 10 39 37 35 33 31 38 36 34 32 34 36 38 31 33 35 37" puk # PUK, same PIN
')
expect_match "$out" "^pin < 90 00$" "the PIN came from the file"
expect_match "$out" "^puk < 90 00$" "the PUK came from the environment"

set +e
out=$("$VTOKEN" init "$T/bad" --pin-from env:NO_SUCH_VARIABLE 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "an unset variable was taken as a PIN"
expect_match "$out" "--pin-from env:NO_SUCH_VARIABLE: no such variable" "an unset variable is refused"
out=$("$VTOKEN" init "$T/bad" --pin-from "$T/pin" 2>&1) && fail "a bare path was taken"
expect_match "$out" "wants fd:N, file:PATH or env:NAME" "a source says what it is"
[ ! -e "$T/bad" ] || fail "a refused init left an image"
pass "nothing is left behind"
expect_match "$("$VTOKEN" init --help)" "--pin-from SRC" "--help documents the sources"
