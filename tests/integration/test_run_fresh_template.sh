#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A template of `vtoken run --fresh` is checked before it is served: one whose PIN has had wrong
# tries, one that lost a key its profile promises, a truncated one and one without card.ini are
# each made again (said so, naming the template), so the fresh card is always a new card; a
# template that cannot be made again is named in the error.
source "$(dirname "$0")/lib.sh"
export T
echo data >"$T/data"
cache="$XDG_CACHE_HOME/vtoken"
version=$("$VTOKEN" --version | cut -d' ' -f2)

"$VTOKEN" run --fresh -- true
tmpl=$(ls -d "$cache/piv-$version"-*)
[ -f "$tmpl/card.ini" ] || fail "no piv template in $cache"

# fresh_run WHAT: a fresh run whose card must have every PIN try and sign with the 9A key; its
# stderr in $T/err
fresh_run() {
  "$VTOKEN" run --fresh -- bash -c '
    source "$VT_LIB"
    expect_eq "$(show_json "$VTOKEN_CARD0_IMAGE" "d[\"pin\"][\"tries_left\"]")" 3 "'"$1"': the fresh card has every PIN try"
    card_sign || fail "'"$1"': the fresh card cannot sign with its 9A key"' 2>"$T/err" ||
    fail "$1: the fresh run failed: $(cat "$T/err")"
  [ -f "$tmpl/card.ini" ] || fail "$1: the template was not made again"
}

# the template's PIN blocked (someone served the template itself with --card)
"$VTOKEN" run --card "$tmpl" -- bash -c '
  source "$VT_LIB"
  for _ in 1 2 3; do card_sign --pin 000000 >/dev/null 2>&1 && fail "a wrong PIN was accepted"; done
  expect_eq "$(show_json "$VTOKEN_CARD0_IMAGE" "d[\"pin\"][\"tries_left\"]")" 0 "the template'\''s PIN is blocked"'
fresh_run "a template with a blocked PIN"
expect_match "$(cat "$T/err")" "the piv template $tmpl is not fit to serve \(its PIV PIN has had wrong tries\): making it again" \
  "the run says the template was made again, and why"
expect_eq "$(show_json "$tmpl" 'd["pin"]["tries_left"]')" 3 "the template made again has every PIN try"

# the template lost its 9A key
rm "$tmpl/9a.key.pem"
fresh_run "a template without its 9A key"
expect_match "$(cat "$T/err")" "the piv template $tmpl is not fit to serve \($tmpl/card.ini:[0-9]+: \[slot 9a\] says origin = generated, but 9a.key.pem is missing" \
  "the missing key is named"

# a truncated template: the error of loading it names the template, not the copy
head -c 100 "$tmpl/9c.key.pem" >"$T/short" && cat "$T/short" >"$tmpl/9c.key.pem"
fresh_run "a truncated template"
expect_match "$(cat "$T/err")" "the piv template $tmpl is not fit to serve \($tmpl/9c.key.pem" \
  "the truncated file of the template is named"
expect_no_match "$(cat "$T/err")" "card0" "the copy is not named"

# a template without card.ini: made again, never "use --force" (vtoken run has none)
rm "$tmpl/card.ini"
fresh_run "a template without card.ini"
expect_no_match "$(cat "$T/err")" "--force" "no advice to use --force"
expect_match "$(cat "$T/err")" "the piv template $tmpl is not fit to serve" "the template is named"

# a template that cannot be made again (not a directory): the error names it
rm -rf "$tmpl" && echo junk >"$tmpl"
set +e
err=$("$VTOKEN" run --fresh -- true 2>&1)
rc=$?
set -e
expect_eq "$rc" 125 "a template that cannot be made again fails the run"
expect_match "$err" "cannot remove the piv template $tmpl to make it again" "the error names the template"
rm "$tmpl"
