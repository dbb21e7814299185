#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One image, one user at a time: an image is locked while a vtokend serves it or vtoken init
# rewrites it. A second daemon, `vtoken init --force` under a running daemon, two cards on one
# image (vtoken run, vtokend --check-config) are refused, naming the holder.
source "$(dirname "$0")/lib.sh"

"$VTOKEN" init "$T/img" >/dev/null

# two cards of one configuration on one image, however spelt
printf '[card a]\nimage = %s\nvpcd = 127.0.0.1:35963\n[card b]\nimage = %s//\nvpcd = 127.0.0.1:35964\n' \
  "$T/img" "$T/./img" >"$T/two.conf"
set +e
out=$("$VTOKEND" --check-config --config "$T/two.conf" 2>&1)
rc=$?
set -e
expect_eq "$rc" 78 "--check-config refuses two cards on one image"
expect_match "$out" "two.conf:4: \[card b\]: image $T/./img// is already card 'a'" "and names both cards"

set +e
out=$("$VTOKEN" run --card "$T/img" --card "$T/img" -- true 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "vtoken run served one image as two cards"
expect_match "$out" "is already card 'card0'" "vtoken run --card X --card X is refused"

# a daemon serves the image: a second daemon and vtoken init --force are refused
printf '[card a]\nimage = %s\nvpcd = 127.0.0.1:1\n' "$T/img" >"$T/one.conf"
"$VTOKEND" --config "$T/one.conf" >"$T/first.log" 2>&1 &
first=$!
trap 'kill $first 2>/dev/null || true; rm -rf "$T"' EXIT
wait_until 10 "the first daemon serves the image" -- grep -q "serving image" "$T/first.log"

# with a time limit: a second daemon that the lock fails to refuse would serve for ever
set +e
out=$(timeout 20 "$VTOKEND" --config "$T/one.conf" 2>&1)
rc=$?
set -e
[ "$rc" -ne 124 ] || fail "a second daemon was still serving the locked image after 20 s: $out"
[ "$rc" -ne 0 ] || fail "a second daemon served a locked image"
expect_match "$out" "card refused: $T/img is in use by pid $first" "a second daemon is refused, naming the holder"

before=$(cat "$T/img/state")
set +e
out=$("$VTOKEN" init --force "$T/img" 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "vtoken init --force replaced an image being served"
expect_match "$out" "$T/img is in use by pid $first" "vtoken init --force under a running daemon is refused"
expect_eq "$(cat "$T/img/state")" "$before" "and the image is unchanged"

kill "$first"
wait "$first" 2>/dev/null || true
"$VTOKEN" init --force "$T/img" >/dev/null
[ "$(cat "$T/img/state")" != "$before" ] || fail "init --force did not replace the image"
pass "once the daemon is gone, init --force replaces it"
