#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Throwaway cards: `vtoken run --fresh [PROFILE]` (and vtoken run without --card) serves a copy
# of a template made once in the cache directory; no state reaches the next run; two fresh
# cards are two tokens. A --card path in a directory that does not exist is refused.
source "$(dirname "$0")/lib.sh"
export T
echo data >"$T/data"
cache="$XDG_CACHE_HOME/vtoken"
version=$("$VTOKEN" --version | cut -d' ' -f2)

# --card in a missing directory: a usage error naming the path; nothing is created
set +e
err=$("$VTOKEN" run --card "$T/no-such-dir/card" -- true 2>&1)
rc=$?
set -e
expect_eq "$rc" 64 "--card in a missing directory is a usage error"
expect_match "$err" "--card $T/no-such-dir/card: the directory $T/no-such-dir does not exist" "the message names the path"
[ ! -e "$T/no-such-dir" ] || fail "the missing directory was created"
pass "nothing is created for the refused path"
# ... while a missing image in an existing directory is still made, as documented
err=$("$VTOKEN" run --card "$T/new-card" -- true 2>&1)
[ -f "$T/new-card/card.ini" ] || fail "a missing image in an existing directory was not created"
pass "a missing image in an existing directory is created"
expect_match "$err" "--card $T/new-card: no image there; vtokend creates a new card in it from the piv profile" \
  "and vtoken run says so on stderr, and from what (a typo of an image's name shows)"
err=$("$VTOKEN" run --card "$T/new-card" -- true 2>&1)
expect_no_match "$err" "no image there" "an existing image is served without that note"

# a word between --fresh and -- can only be a profile: an unknown one is a usage error, not COMMAND
set +e
err=$("$VTOKEN" run --fresh e-cert -- true 2>&1)
rc=$?
set -e
expect_eq "$rc" 64 "--fresh with an unknown profile before -- is a usage error"
expect_match "$err" "--fresh: unknown profile 'e-cert' \(one of: piv, ecert" "naming the profiles"

# --verbose shows pcscd's debug log (pcscd -d) beside vtokend's
err=$("$VTOKEN" run --verbose -- true 2>&1)
expect_match "$err" "debug level=debug" "--verbose runs pcscd with -d"

# the default card is fresh: a copy in the run's directory, made from the piv template
out=$("$VTOKEN" run -- sh -c 'echo "image=$VTOKEN_CARD0_IMAGE dir=$VTOKEN_RUN_DIR"; opensc-tool -a')
expect_match "$out" "image=([^ ]*)/card0 dir=\1$" "without --card, the card is a copy in the run's directory"
expect_match "$out" '^3b(:[0-9a-f]{2})+$' "and it is present"
# the template is named by profile, version and this build of vtoken (its build-id)
tmpl=$(ls -d "$cache/piv-$version"-*)
expect_match "$tmpl" "^$cache/piv-$version-[0-9a-f]{16}$" "one piv template, named by version and build-id"
[ -f "$tmpl/card.ini" ] || fail "no piv template in $cache"
expect_eq "$(stat -c %a "$cache")" 700 "the cache directory is 0700"
expect_eq "$(stat -c %a "$tmpl")" 700 "the template is 0700"
tmpl_id=$(stat -c '%i %Y' "$tmpl/9a.key.pem")

# no state reaches the next run: wrong PINs in one run, full tries in the next
"$VTOKEN" run --fresh -- bash -c '
  source "$VT_LIB"
  for _ in 1 2; do card_sign --pin 000000 >/dev/null 2>&1 && fail "a wrong PIN was accepted"; done
  expect_eq "$(show_json "$VTOKEN_CARD0_IMAGE" "d[\"pin\"][\"tries_left\"]")" 1 "two wrong PINs are counted in this run"'
"$VTOKEN" run --fresh piv -- bash -c '
  source "$VT_LIB"
  expect_eq "$(show_json "$VTOKEN_CARD0_IMAGE" "d[\"pin\"][\"tries_left\"]")" 3 "the next run'\''s card has every try"
  card_sign || fail "the next run cannot sign with the default PIN"'
expect_eq "$(stat -c '%i %Y' "$tmpl/9a.key.pem")" "$tmpl_id" "the template is made once and never changed"
[ -z "$(ls -d "$T"/vtoken-run.* 2>/dev/null)" ] || fail "a fresh card was left behind"
pass "the fresh cards are gone after their run"

# two fresh cards in one run are two tokens: own GUID, serial and token URI
out=$("$VTOKEN" run --fresh --fresh -- sh -c '
  "$VTOKEN" show "$VTOKEN_CARD0_IMAGE" --json; "$VTOKEN" show "$VTOKEN_CARD1_IMAGE" --json
  echo "uri0=$VTOKEN_CARD0_TOKEN_URI"; echo "uri1=$VTOKEN_CARD1_TOKEN_URI"; opensc-tool -l')
guids=$(grep '"guid"' <<<"$out" | sort -u | wc -l)
serials=$(grep '"serial": [0-9]' <<<"$out" | sort -u | wc -l)
expect_eq "$guids $serials" "2 2" "two fresh cards have their own GUID and serial"
uri0=$(sed -n 's/^uri0=//p' <<<"$out")
uri1=$(sed -n 's/^uri1=//p' <<<"$out")
[ -n "$uri0" ] && [ "$uri0" != "$uri1" ] || fail "the two tokens are not told apart: '$uri0' '$uri1'"
pass "OpenSC sees two tokens"
expect_match "$out" "Yes +$(reader_name 1)" "both are present"

# --fresh ecert: the e-Cert template's PIN envelope comes with the copy, and its PIN logs in
"$VTOKEN" run --fresh ecert -- bash -c '
  source "$VT_LIB"
  envelope="$VTOKEN_CARD0_IMAGE.pin-envelope.txt"
  [ -f "$envelope" ] || fail "no PIN envelope beside the fresh e-Cert card"
  pin=$(sed -n "s/^Initial PIN: //p" "$envelope")
  expect_eq "$(sed -n "s/^Image: //p" "$envelope")" "$VTOKEN_CARD0_IMAGE" "the envelope names the copy"
  expect_eq "$(sed -n "s/^Serial: //p" "$envelope")" "$(show_json "$VTOKEN_CARD0_IMAGE" "d[\"serial\"]")" "and its serial"
  expect_eq "$(show_json "$VTOKEN_CARD0_IMAGE" "d[\"pin\"][\"max_tries\"]")" 15 "--fresh ecert is an e-Cert card"
  card_sign --pin "$pin" || fail "the envelope PIN does not log in"
  pass "the PIN envelope of the fresh e-Cert card logs in"'

# usage errors
set +e
err=$("$VTOKEN" run --fresh=nosuch -- true 2>&1)
rc=$?
set -e
expect_eq "$rc" 64 "an unknown --fresh profile is a usage error"
expect_match "$err" "unknown profile 'nosuch' \(one of: piv, ecert" "and the profiles are named"
out=$("$VTOKEN" run --fresh echo word)
expect_eq "$out" word "a word after --fresh that is no profile is COMMAND"
