#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A corrupt or missing image file: vtokend refuses that card with an error naming the file and
# the reason, keeps serving the other cards, and never writes the broken image.
source "$(dirname "$0")/lib.sh"
export T

"$VTOKEN" init "$T/good" >/dev/null
"$VTOKEN" init "$T/bad" >/dev/null
printf '[pin]\nsalt = zz\n' >"$T/bad/state"        # corrupt state
rm "$T/bad/9c.key.pem"; echo garbage >"$T/bad/9c.key.pem"
sums() { (cd "$T/bad" && find . -type f -exec sha256sum {} + | sort; ls -l --time-style=+%s .; stat -c "%n %Y %a" .); }
before=$(sums)

# alone: vtokend has nothing to serve and says why
set +e
out=$(printf '[card bad]\nimage = %s\nvpcd = 127.0.0.1:1\n' "$T/bad" >"$T/bad.conf"; timeout 10 "$VTOKEND" --config "$T/bad.conf" 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "vtokend served a corrupt image"
expect_match "$out" "card bad: card refused: $T/bad/(state|9c.key.pem)" "the refusal names the broken file"
expect_match "$out" "no card could be served" "vtokend exits when no card can be served"

# beside a good card: the good one is served, the bad one refused
out=$("$VTOKEN" run --card "$T/good" -- bash -c '
  source "$VT_LIB"
  printf "[card bad]\nimage = %s\nvpcd = 127.0.0.1:35964\n" "$T/bad" >>"$VTOKEN_RUN_DIR/vtokend.conf"
  kill -HUP "$(pidof vtokend)"
  "$VTOKEN" ctl status
  opensc-tool -l
  card_sign --in /etc/hostname && echo "good card signs"
  cat "$VTOKEN_RUN_DIR/vtokend.log"
' 2>&1)
echo "$out"
expect_match "$out" "card bad: card refused: $T/bad/" "a corrupt image is refused by name after a reload"
expect_match "$out" 'good card signs' "the other card keeps working"
expect_no_match "$out" '^bad:' "the refused card is not served"
expect_eq "$(sums)" "$before" "the broken image was not written"

# show names the file too
set +e
out=$("$VTOKEN" show "$T/bad" 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "vtoken show accepted a corrupt image"
expect_match "$out" "$T/bad/(state|9c.key.pem)" "vtoken show names the broken file"
