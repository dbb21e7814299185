#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The pytest plugin takes vtoken matrix's personalities (read from `vtoken matrix --list
# --json`, not a list of its own): --vtoken-personality NAME runs each test that uses a card once
# per personality, on a card of that personality (its profile, firmware and compat as the image
# shows them, VTOKEN_PERSONALITY set); `all` is every one of the table; an unknown name is a
# usage error naming the known ones; the vtoken_personalities marker takes the names too.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import pytest' 2>/dev/null || skip "python3-pytest is not installed"
mkdir "$T/suite"
cat >"$T/suite/test_cards.py" <<'EOF'
import json
import subprocess

import pytest


def shown(card):
    return json.loads(card.run(card.vtoken, "show", card.image, "--json").stdout)


def test_the_card_is_the_personality(vtoken_card):
    d = shown(vtoken_card)
    print(f"CARD {vtoken_card.personality} {d['profile']} {d['version']} {d['compat']}")
    assert vtoken_card.env["VTOKEN_PERSONALITY"] == vtoken_card.personality
    assert d["profile"] == vtoken_card.profile
    vtoken_card.run("opensc-tool", "-r", vtoken_card.reader, "-a")


def test_without_a_card():
    pass


@pytest.mark.vtoken_personalities("yubikey-5.3.0", "oath")
def test_marked(vtoken_card):
    d = shown(vtoken_card)
    print(f"MARKED {vtoken_card.personality} {d['profile']} {d['version']} {d['compat']}")
EOF
pytest_run() {
  (cd "$T" && PYTHONPATH="$VT_SRC/python" VTOKEN="$VTOKEN_BIN" /usr/bin/python3 -m pytest \
    -p vtoken.pytest_plugin -p no:cacheprovider -v -s -rA "$@" "$T/suite")
}
out=$(pytest_run --vtoken-personality piv --vtoken-personality yubikey-5.7.1 2>&1) || fail "pytest failed: $out"
echo "$out" | grep -E 'PASSED|FAILED|passed|failed'
for p in piv 'yubikey-5\.7\.1'; do
  expect_match "$out" "^PASSED .*::test_the_card_is_the_personality\\[$p\\]$" \
    "--vtoken-personality runs the test on $p"
done
expect_match "$out" 'CARD piv piv 5\.4\.3 none' "the piv card is a piv card"
expect_match "$out" 'CARD yubikey-5\.7\.1 yubikey5 5\.7\.1 yubikey' "the yubikey-5.7.1 card is a YubiKey 5 at 5.7.1"
expect_match "$out" '^PASSED .*::test_without_a_card$' "a test without a card runs once"
expect_no_match "$out" 'test_without_a_card\[' "and is not parametrized"
expect_match "$out" '^PASSED .*::test_marked\[yubikey-5\.3\.0\]$' "the marker takes a personality"
expect_match "$out" 'MARKED yubikey-5\.3\.0 yubikey5 5\.3\.0 yubikey' "the marked personality's card"
expect_match "$out" 'MARKED oath oath 5\.4\.3 none' "the marker's profile personality"
expect_match "$out" ' 5 passed' "every test passes"

# all: the ids are vtoken matrix --list's names (collected, not run)
ids=$(pytest_run --vtoken-personality all --collect-only -q 2>&1 | sed -n 's/.*<Function test_the_card_is_the_personality\[\(.*\)\]>$/\1/p')
expect_eq "$ids" "$("$VTOKEN_BIN" matrix --list | cut -d' ' -f1)" "--vtoken-personality all is vtoken matrix's table"

set +e
out=$(pytest_run --vtoken-personality yubikey-4 2>&1)
rc=$?
set -e
expect_eq "$rc" 4 "an unknown personality is a usage error"
expect_match "$out" "unknown personality 'yubikey-4' \\(one of: piv, ecert, .*yubikey-5\\.7\\.1, or all\\)" "it names the known ones"
