#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtoken wait: exit 0 when the cards are present, a message and non-zero on timeout.
source "$(dirname "$0")/lib.sh"

out=$("$VTOKEN" run --card "$T/card" -- sh -c '"$VTOKEN" wait --timeout 5 && echo present')
expect_match "$out" '^present$' "vtoken wait returns at once when the card is present"

set +e
err=$("$VTOKEN" run --card "$T/card" -- sh -c '"$VTOKEN" wait --cards 2 --timeout 0.5' 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "vtoken wait for 2 cards with one present succeeded"
expect_match "$err" 'timed out after 500 ms: 1 card present, 2 wanted' "vtoken wait times out with a message"

# without pcscd at all: a clear message, not a hang
set +e
err=$(PCSCLITE_CSOCK_NAME="$T/none/pcscd.comm" "$VTOKEN" wait --timeout 0.3 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "vtoken wait without pcscd succeeded"
expect_match "$err" 'cannot reach pcscd' "vtoken wait without pcscd says so"
# and at once, not after its timeout (the default 30 s)
set +e
err=$(PCSCLITE_CSOCK_NAME="$T/none/pcscd.comm" timeout 10 "$VTOKEN" wait 2>&1)
rc=$?
set -e
expect_eq "$rc" 1 "vtoken wait without pcscd exits 1 at once, not at its timeout"
expect_match "$err" "cannot reach pcscd: $T/none/pcscd.comm: No such file or directory" "and names the socket it looked for"

set +e
"$VTOKEN" wait --timeout abc 2>/dev/null
rc=$?
set -e
expect_eq "$rc" 64 "a bad --timeout is a usage error"

# a bad VTOKEN_CARDS is named, not taken as 0 cards (which every reader state satisfies)
for bad in abc 0 -1 2x; do
  set +e
  err=$(VTOKEN_CARDS=$bad PCSCLITE_CSOCK_NAME="$T/none/pcscd.comm" "$VTOKEN" wait --timeout 0.3 2>&1)
  rc=$?
  set -e
  expect_eq "$rc" 64 "VTOKEN_CARDS=$bad is a usage error"
  expect_match "$err" "bad VTOKEN_CARDS '$bad'" "VTOKEN_CARDS=$bad is named"
done
for bad in nan inf 1e300; do
  set +e
  "$VTOKEN" wait --timeout "$bad" 2>/dev/null
  rc=$?
  set -e
  expect_eq "$rc" 64 "--timeout $bad is a usage error"
done
