#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The template cache of `vtoken run --fresh`: concurrent first runs make one template, a cache
# directory others may enter is refused, and users get one in ~/.cache (or, without a home,
# a card made anew) with no permission error.
source "$(dirname "$0")/lib.sh"
export T
cache="$XDG_CACHE_HOME/vtoken"
version=$("$VTOKEN" --version | cut -d' ' -f2)

# concurrent runs with no template yet: one template is made, whole, and every run has its card
for i in 1 2 3; do
  "$VTOKEN" run --fresh -- opensc-tool -a >"$T/con.$i" 2>&1 &
  pids[i]=$!
done
for i in 1 2 3; do wait "${pids[i]}" || fail "concurrent run $i: $(cat "$T/con.$i")"; done
expect_match "$(ls -A "$cache")" "^piv-$version-[0-9a-f]{16}$" "concurrent runs leave one template and nothing else"
tmpl=$(ls -d "$cache/piv-$version"-*)

# a template another build of vtoken made is never served (its profile may differ), and once
# nobody has used it for a week it is removed when this build makes its own
rm -rf "$tmpl"
mkdir -m 700 "$cache/piv-$version-0000000000000000" "$cache/piv-$version-1111111111111111"
touch -d '8 days ago' "$cache/piv-$version-0000000000000000"
"$VTOKEN" run --fresh -- opensc-tool -a >/dev/null
[ -f "$tmpl/card.ini" ] || fail "this build's template was not made again"
[ ! -e "$cache/piv-$version-0000000000000000" ] || fail "a template unused for 8 days was kept"
[ -d "$cache/piv-$version-1111111111111111" ] || fail "a recently used template of another build was removed"
pass "other builds' templates are not served; those unused for a week are removed"
rm -rf "$cache/piv-$version-1111111111111111"

# a cache directory others may enter is refused, named
chmod 755 "$cache"
set +e
err=$("$VTOKEN" run --fresh -- true 2>&1)
rc=$?
set -e
expect_eq "$rc" 125 "a cache directory with mode 0755 is refused"
expect_match "$err" "$cache has mode 0755.*chmod 700" "and the message names it and the fix"
chmod 700 "$cache"

# as a user without XDG_STATE_HOME and XDG_CACHE_HOME: the cache in ~/.cache, no permission error
if [ "$(id -u)" -eq 0 ] && runuser -u nobody -- unshare -Ur true 2>/dev/null; then
  mkdir -m 700 "$T/home" && chown nobody "$T/home" && chmod 1777 "$T"
  out=$(runuser -u nobody -- env -u XDG_STATE_HOME -u XDG_CACHE_HOME HOME="$T/home" \
    PATH=/usr/local/bin:/usr/bin:/bin "$VTOKEN" run -- opensc-tool -a 2>&1) ||
    fail "vtoken run as nobody: $out"
  expect_match "$out" '^3b(:[0-9a-f]{2})+$' "a user on a plain PATH gets the default card"
  [ -n "$(ls -d "$T/home/.cache/vtoken/piv-$version"-* 2>/dev/null)" ] || fail "no template in ~/.cache/vtoken"
  pass "its template is in ~/.cache/vtoken"
  # a user without a home of its own (nobody's is /nonexistent) still gets a card, made anew
  out=$(runuser -u nobody -- env -u XDG_STATE_HOME -u XDG_CACHE_HOME HOME=/nonexistent \
    PATH=/usr/local/bin:/usr/bin:/bin "$VTOKEN" run -- opensc-tool -a 2>&1) ||
    fail "vtoken run as nobody without a home: $out"
  expect_match "$out" '^3b(:[0-9a-f]{2})+$' "a user without a home gets the default card"
  expect_match "$out" "note: no cache directory for a template \(cannot create /nonexistent/.cache" \
    "and is told why it was slower"
else
  skip_part "a user's ~/.cache template: no unprivileged user namespaces here (test_run_unprivileged and test_run_as_user cover users)"
fi
