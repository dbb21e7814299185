#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Image files are read strictly (issue 23, "parsers that forgive"): an image made by vtoken init
# and then edited by hand (a counter line removed, a key given twice in state, a slot's key file
# deleted) is refused by vtoken show, vtokend and vtoken run with the file and the line, never
# served with tries given back or a key silently gone.
source "$(dirname "$0")/lib.sh"
export T

"$VTOKEN" init "$T/made" --profile piv+openpgp >/dev/null
"$VTOKEN" show "$T/made" >/dev/null || fail "the image as vtoken init made it does not show"
pass "the image vtoken init made shows"

# fresh COPY: a private copy of the image vtoken init made, as $T/COPY
fresh() { rm -rf "${T:?}/$1"; cp -a "$T/made" "$T/$1"; }

# refused IMAGE FILE:LINE REASON: vtoken show refuses the image naming FILE:LINE and REASON
refused() {
  local out rc
  set +e
  out=$("$VTOKEN" show "$T/$1" 2>&1)
  rc=$?
  set -e
  [ "$rc" -ne 0 ] || fail "vtoken show accepted $1: $out"
  expect_match "$out" "$T/$1/$2: .*$3" "vtoken show refuses $1 naming $2"
}

# A wrong PW1 answer spent a try; the counter line is then removed: no 3 tries again.
fresh counter
sed -i '0,/^tries_left = 3$/s//tries_left = 2/' "$T/counter/openpgp.ini"
"$VTOKEN" show "$T/counter" >/dev/null || fail "an image with one try spent does not show"
pw1=$(grep -n '^\[pw1\]$' "$T/counter/openpgp.ini" | cut -d: -f1)
sed -i '/^tries_left = 2$/d' "$T/counter/openpgp.ini"
refused counter "openpgp.ini:$pw1" '\[pw1\] has no tries_left'

# A blocked PIN, and tries_left given again after it: not 3 of 3.
fresh twice
sed -i '0,/^tries_left = 3$/s//tries_left = 0/; 0,/^blocked = no$/s//blocked = yes\ntries_left = 3/' \
  "$T/twice/state"
first=$(grep -n '^tries_left = 0$' "$T/twice/state" | cut -d: -f1)
again=$(grep -n '^tries_left = 3$' "$T/twice/state" | head -n1 | cut -d: -f1)
refused twice "state:$again" "'tries_left' again in \[pin\] \(first at line $first\)"

# 9A's key deleted while card.ini says it was generated on the card.
fresh nokey
rm "$T/nokey/9a.key.pem"
slot=$(awk '/^\[slot 9a\]$/ { s = 1 } s && /^origin = / { print NR; exit }' "$T/nokey/card.ini")
refused nokey "card.ini:$slot" '\[slot 9a\] says origin = generated, but 9a.key.pem is missing'

# vtokend and vtoken run refuse it alike, naming the file and line.
printf '[card nokey]\nimage = %s\nvpcd = 127.0.0.1:1\n' "$T/nokey" >"$T/nokey.conf"
set +e
out=$(timeout 20 "$VTOKEND" --config "$T/nokey.conf" 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "vtokend served the image without its 9a key"
expect_match "$out" "$T/nokey/card.ini:$slot: \[slot 9a\] says origin = generated" \
  "vtokend refuses the image naming card.ini:$slot"

set +e
out=$(timeout 60 "$VTOKEN" run --card "$T/twice" -- true 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "vtoken run served the image whose state gives tries_left twice"
expect_match "$out" "$T/twice/state:$again: 'tries_left' again" "vtoken run refuses it naming state:$again"
