#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# OATH cards made by `vtoken init`: --profile oath (OATH alone) and yubikey5 (PIV, OpenPGP and
# OATH), accounts preloaded with --oath otpauth:// URIs and refused when the URI or the profile
# is wrong (nothing written then); `vtoken show` and --json list the accounts without a secret;
# ykman reads the preloaded accounts and their codes are oathtool's; the examples of
# docs/oath.md run as written.
source "$(dirname "$0")/lib.sh"
command -v oathtool >/dev/null || skip "oathtool is not installed (scripts/install-deps.sh installs it)"

uri1='otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example'
uri2='otpauth://hotp/counter?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8&counter=7'
uri3='otpauth://totp/slow?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&period=60&algorithm=SHA256'
"$VTOKEN" init "$T/alone" --profile oath --oath "$uri1" --oath "$uri2" --oath "$uri3" >"$T/init.txt" ||
  fail "vtoken init --profile oath --oath: $(cat "$T/init.txt")"
expect_eq "$(sed -n 's/^applets = //p' "$T/alone/card.ini")" oath "the oath profile's card carries OATH alone"
expect_eq "$(show_json "$T/alone" '[a["name"] for a in d["oath"]["accounts"]]')" \
  "['Example:alice', 'counter', '60/slow']" "the preloaded accounts, named as ykman names them"
expect_eq "$(show_json "$T/alone" '[a["counter"] for a in d["oath"]["accounts"] if a["type"] == "HOTP"][0]')" 7 \
  "the URI's counter"
expect_eq "$(show_json "$T/alone" '[(a["algorithm"], a["period"]) for a in d["oath"]["accounts"] if a["name"] == "60/slow"][0]')" \
  "('SHA256', 60)" "the URI's algorithm and period"
expect_eq "$(show_json "$T/alone" 'd["oath"]["password"]')" false "no password"
show=$("$VTOKEN" show "$T/alone")
expect_match "$show" 'Example:alice' "vtoken show lists the accounts"
json=$("$VTOKEN" show "$T/alone" --json)
for out in "$show" "$json"; do
  expect_no_match "$out" '48656[cC]6[cC]6[fF]21|JBSWY3DP|3132333435' "no secret in vtoken show"
done
expect_eq "$(stat -c %a "$T/alone/oath.ini")" 600 "oath.ini is the owner's alone"

"$VTOKEN" init "$T/yk5" --profile yubikey5 --oath "$uri1" >/dev/null || fail "vtoken init --profile yubikey5"
expect_eq "$(sed -n 's/^applets = //p' "$T/yk5/card.ini")" "piv openpgp oath fido" "yubikey5: PIV, OpenPGP, OATH and FIDO"

# refused, and nothing written
refused() {
  local what=$1
  shift
  if "$VTOKEN" init "$T/bad" "$@" >"$T/out" 2>&1; then fail "$what: vtoken init succeeded"; fi
  [ ! -e "$T/bad" ] || fail "$what: vtoken init wrote $T/bad"
  expect_match "$(cat "$T/out")" "$what" "vtoken init refuses: $what"
}
refused "carries no OATH application" --profile piv --oath "$uri1"
refused "not an otpauth:// URI" --profile oath --oath "https://example.org/?secret=JBSWY3DP"
refused "not Base32" --profile oath --oath "otpauth://totp/a?secret=JBSWY3D1"
refused "digits '9'" --profile oath --oath "otpauth://totp/a?secret=JBSWY3DP&digits=9"
many=()
for i in $(seq 1 33); do many+=(--oath "otpauth://totp/a$i?secret=JBSWY3DP"); done
refused "no room for more than 32 accounts" --profile oath "${many[@]}"
"$VTOKEN" init "$T/many" --profile oath --firmware 5.7.1 "${many[@]}" >/dev/null ||
  fail "firmware 5.7 holds 64 accounts"
pass "firmware 5.7 takes 33 accounts"

# ykman reads what init put there; its codes are oathtool's
cat >"$T/client.sh" <<'SH'
export HOME=$T/home TZ=UTC
mkdir -p "$HOME"
yk() { ykman --reader "$VTOKEN_CARD0_READER" "$@" </dev/null; }
yk info
yk oath accounts list
echo "alice $(FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f '@2009-02-13 23:31:31' ykman --reader "$VTOKEN_CARD0_READER" oath accounts code -s alice </dev/null)"
echo "counter $(yk oath accounts code -s counter)"
yk oath accounts add -f bob JBSWY3DPEHPK3PXP
SH
export T
"$VTOKEN" run --trace "$T/trace" --card "$T/alone" -- bash "$T/client.sh" >"$T/client.log" 2>&1 ||
  fail "ykman on the oath card: $(tail -n 20 "$T/client.log")"
log=$(cat "$T/client.log")
echo "$log" | sed 's/^/# /'
expect_match "$log" '^OATH[[:space:]]+Enabled' "ykman info: the oath card carries OATH"
expect_match "$log" '^PIV[[:space:]]+Not available' "ykman info: and no PIV"
expect_match "$log" '^OpenPGP[[:space:]]+Not available' "ykman info: and no OpenPGP"
expect_match "$log" '^Example:alice$' "ykman lists a preloaded account"
expect_eq "$(sed -n 's/^alice //p' <<<"$log")" "$(oathtool --totp --now @1234567891 -b JBSWY3DPEHPK3PXP)" \
  "the preloaded TOTP account's code is oathtool's"
expect_eq "$(sed -n 's/^counter //p' <<<"$log")" "$(oathtool --hotp -d 8 -c 7 -b GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ)" \
  "the preloaded HOTP account starts at the URI's counter"

# the trace: secrets sent and codes answered are redacted (Lc short, or extended as ykman 5 sends
# it: 00 and two bytes)
trace=$(cat "$T/trace")
lc='([0-9A-F]{2}|00 [0-9A-F]{2} [0-9A-F]{2})'
expect_match "$trace" " PUT 00 01 00 00 $lc <redacted" "a trace hides PUT's secret"
expect_match "$trace" ' CALCULATE 00 A2 00 01 .* -> <redacted' "a trace hides CALCULATE's code"
expect_match "$trace" " 00 A4 00 01 (00 00 )?0A 74 08 .* -> <redacted" "a trace hides CALCULATE ALL's codes"
expect_no_match "$trace" '48 65 6C 6C 6F 21' "no secret in the trace"

# docs/oath.md's examples, as written (with the test's directory for /tmp)
mkdir "$T/bin" "$T/work"
ln -s "$VTOKEN" "$T/bin/vtoken"
awk '/^```sh$/ {on = 1; next} /^```$/ {on = 0} on' "$VT_SRC/docs/oath.md" | sed "s#/tmp/#$T/#g" >"$T/doc.sh"
[ "$(grep -c '^vtoken' "$T/doc.sh")" -ge 3 ] || fail "docs/oath.md's examples were not found"
(cd "$T/work" && PATH="$T/bin:$PATH" HOME="$T/home" bash -euxo pipefail "$T/doc.sh") >"$T/doc.out" 2>&1 ||
  fail "an example of docs/oath.md failed: $(tail -n 20 "$T/doc.out")"
out=$(cat "$T/doc.out")
expect_match "$out" '^Example:alice$' "docs/oath.md: vtoken show --json lists the account"
expect_match "$out" '^Example:alice +[0-9]{6}$' "docs/oath.md: ykman shows the TOTP code"
expect_match "$out" '^counter +\[HOTP Account\]$' "docs/oath.md: and the HOTP account"
