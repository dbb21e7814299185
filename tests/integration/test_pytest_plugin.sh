#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtoken's pytest plugin (python/vtoken/pytest_plugin.py, loaded with -p vtoken.pytest_plugin
# from the source tree through PYTHONPATH) runs its example tests (tests/pytest) with Debian's
# python3-pytest: fixtures give a running card and its reader, module, token URI and control
# socket; the vtoken marker chooses a profile; vtoken_personalities runs a test once per
# personality. A card the test does not get (a broken vtoken) fails the tests, loudly.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import pytest' 2>/dev/null || skip "python3-pytest is not installed"
pytest_run() {
  (cd "$T" && PYTHONPATH="$VT_SRC/python" VTOKEN="$VTOKEN_BIN" /usr/bin/python3 -m pytest \
    -p vtoken.pytest_plugin -p no:cacheprovider -v "$@" "$VT_SRC/tests/pytest")
}
out=$(pytest_run 2>&1) || fail "the plugin's example tests failed: $out"
echo "$out" | tail -n 15
expect_match "$out" 'test_the_card_signs PASSED' "a fixture's card signs"
expect_match "$out" 'test_the_parts PASSED' "the reader, module, token URI and control socket fixtures"
expect_match "$out" 'test_an_ecert_card PASSED' "the vtoken marker chooses the profile"
for p in piv ecert 'piv@5\.7\.1'; do
  expect_match "$out" "test_every_personality_shows_a_certificate\\[$p\\] PASSED" "vtoken_personalities runs the test as $p"
done
expect_match "$out" '8 passed' "every example passes"
[ -z "$(ls -d /tmp/vtoken-pytest.* 2>/dev/null | xargs -r -n1 sh -c 'pgrep -f "$0" >/dev/null && echo "$0"')" ] ||
  fail "a card's processes outlived its test"
pass "no card's processes outlive their test"

# vtoken that cannot start a card: each fixture fails and says why
printf '#!/bin/sh\necho "vtoken: broken on purpose" >&2\nexit 125\n' >"$T/broken"
chmod 755 "$T/broken"
set +e
out=$(cd "$T" && PYTHONPATH="$VT_SRC/python" /usr/bin/python3 -m pytest -p vtoken.pytest_plugin \
  -p no:cacheprovider -q --vtoken "$T/broken" "$VT_SRC/tests/pytest" -k test_the_parts 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "tests passed without a card"
expect_match "$out" 'vtoken run did not start \(status 125\): vtoken: broken on purpose' "a card that does not start fails the test, saying why"
