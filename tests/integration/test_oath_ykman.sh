#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The OATH application as ykman drives it (Debian 12's ykman 4.0.9, Debian 13's 5.6): accounts
# added from options and from an otpauth:// URI, listed, renamed, deleted; codes at times the
# test sets (libfaketime moves ykman's clock: the card has none, ykman sends the time step) and
# HOTP codes one after another, each compared with Debian's oathtool for the same secret, time
# and digits; a touch-required account whose code waits for `vtoken ctl touch`; a password set,
# refused when wrong, remembered, cleared; a reset. The image keeps the accounts, without their
# secrets in `vtoken show`, and the HOTP counter moves on across two runs.
source "$(dirname "$0")/lib.sh"
command -v oathtool >/dev/null || skip "oathtool is not installed (scripts/install-deps.sh installs it)"
command -v faketime >/dev/null || skip "faketime is not installed (scripts/install-deps.sh installs it)"

"$VTOKEN" init "$T/card" --profile yubikey5 >/dev/null
export T VT_LIB

# The secrets (Base32), as a user would type them.
export S_ALICE=JBSWY3DPEHPK3PXP
export S_256=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA
export S_512=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQ
export S_HOTP=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
export S_CAROL=KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TFOQ

cat >"$T/client.sh" <<'SH'
source "$VT_LIB"
export HOME=$T/home TZ=UTC
mkdir -p "$HOME"
# ykman 5 keeps remembered passwords wrapped by a key in the system keyring: a file keyring of
# the test's own stands in for the desktop's (ykman 4 keeps them in a file of its own).
mkdir -p "$T/keyring"
cat >"$T/keyring/testkeyring.py" <<'PY'
import json, os
from keyring.backend import KeyringBackend
class FileKeyring(KeyringBackend):
    priority = 1
    path = os.path.join(os.environ["HOME"], "keyring.json")
    def _load(self):
        try:
            with open(self.path) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}
    def get_password(self, service, user):
        return self._load().get(service + "/" + user)
    def set_password(self, service, user, password):
        d = self._load()
        d[service + "/" + user] = password
        with open(self.path, "w") as f:
            json.dump(d, f)
    def delete_password(self, service, user):
        d = self._load()
        d.pop(service + "/" + user, None)
        with open(self.path, "w") as f:
            json.dump(d, f)
PY
export PYTHONPATH=$T/keyring PYTHON_KEYRING_BACKEND=testkeyring.FileKeyring
yk() { ykman --reader "$VTOKEN_CARD0_READER" "$@" </dev/null; }
# at SECONDS ARGS...: ykman ARGS with the clock at SECONDS since the epoch (ticking on from
# there; each time below is one second into a 30- and 60-second step, so a code stays valid)
at() {
  local t=$1
  shift
  FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "@$(date -u -d "@$t" '+%Y-%m-%d %H:%M:%S')" \
    ykman --reader "$VTOKEN_CARD0_READER" "$@" </dev/null
}
T1=1111111141 T2=1234567861 T3=2000000041
echo "T1=$T1 T2=$T2 T3=$T3"

yk info
yk oath info
yk oath accounts add -f -i Example alice "$S_ALICE" && echo add-alice-ok
yk oath accounts add -f -o TOTP -a SHA256 -d 8 sha256 "$S_256" && echo add-256-ok
yk oath accounts add -f -a SHA512 -d 7 -P 60 slow "$S_512" && echo add-512-ok
yk oath accounts add -f -o HOTP counted "$S_HOTP" && echo add-hotp-ok
yk oath accounts uri -f "otpauth://totp/ACME%20Co:carol?secret=$S_CAROL&issuer=ACME%20Co&digits=8" &&
  echo add-uri-ok
yk oath accounts add -f -t pressme "$S_ALICE" && echo add-touch-ok
echo "== list"
yk oath accounts list
echo "== list -o -P"
yk oath accounts list -o -P
echo "== code at T1"
at "$T1" oath accounts code
echo "== oathtool at T1"
echo "Example:alice $(oathtool --totp --now "@$T1" -b "$S_ALICE")"
echo "sha256 $(oathtool --totp=SHA256 -d 8 --now "@$T1" -b "$S_256")"
echo "60/slow $(oathtool --totp=SHA512 -d 7 -s 60 --now "@$T1" -b "$S_512")"
echo "ACME Co:carol $(oathtool --totp -d 8 --now "@$T1" -b "$S_CAROL")"
echo "== single at T3"
echo "alice-single $(at "$T3" oath accounts code -s alice)"
echo "alice-oathtool $(oathtool --totp --now "@$T3" -b "$S_ALICE")"
echo "slow-single $(at "$T3" oath accounts code -s slow)"
echo "slow-oathtool $(oathtool --totp=SHA512 -d 7 -s 60 --now "@$T3" -b "$S_512")"
echo "== hotp"
for i in 0 1 2; do
  echo "hotp-$i $(yk oath accounts code -s counted) $(oathtool --hotp -c $i -b "$S_HOTP")"
done

echo "== touch"
at "$T2" oath accounts code -s pressme >"$T/touch.out" 2>"$T/touch.err" &
toucher=$!
wait_until 30 "the code waits for a touch" -- card_status_is card0 waiting_for_touch true
kill -0 $toucher 2>/dev/null || fail "ykman did not wait for the touch: $(cat "$T/touch.err")"
"$VTOKEN" ctl touch card0 >"$T/ctl-touch.txt" 2>&1 || fail "vtoken ctl touch: $(cat "$T/ctl-touch.txt")"
wait $toucher || fail "ykman oath accounts code after the touch: $(cat "$T/touch.err")"
echo "touch-code $(cat "$T/touch.out") $(oathtool --totp --now "@$T2" -b "$S_ALICE")"
grep -q 'Touch' "$T/touch.err" && echo "touch-prompted"

echo "== rename"
yk oath accounts rename -f alice Example:bob && echo rename-ok
echo "bob-single $(at "$T1" oath accounts code -s bob) $(oathtool --totp --now "@$T1" -b "$S_ALICE")"
yk oath accounts delete -f sha256 && echo delete-ok
echo "== list after"
yk oath accounts list

echo "== password"
yk oath access change -n s3cret && echo password-set
yk oath info
yk oath accounts list >/dev/null 2>&1 || echo "locked-without-password"
yk oath accounts list -p wrong >"$T/wrong.txt" 2>&1 || echo "refused-wrong-password: $(tail -n1 "$T/wrong.txt")"
echo "with-password $(yk oath accounts list -p s3cret | tr '\n' ',')"
yk oath access remember -p s3cret && echo remembered
echo "remembered-list $(yk oath accounts list | tr '\n' ',')"
yk oath access change -c && echo password-cleared
yk oath info
SH

cat >"$T/again.sh" <<'SH'
source "$VT_LIB"
export HOME=$T/home2 TZ=UTC
mkdir -p "$HOME"
echo "hotp-3 $(ykman --reader "$VTOKEN_CARD0_READER" oath accounts code -s counted </dev/null) $(oathtool --hotp -c 3 -b "$S_HOTP")"
ykman --reader "$VTOKEN_CARD0_READER" oath reset -f </dev/null && echo reset-ok
echo "after-reset [$(ykman --reader "$VTOKEN_CARD0_READER" oath accounts list </dev/null | tr '\n' ',')]"
SH

"$VTOKEN" run --reader-name "Yubico YubiKey OTP+FIDO+CCID" --card "$T/card" -- bash "$T/client.sh" \
  >"$T/client.log" 2>&1 || fail "the session failed: $(tail -n 30 "$T/client.log")"
log=$(cat "$T/client.log")
echo "$log" | sed 's/^/# /'

for app in OATH PIV OpenPGP; do
  expect_match "$log" "^$app[[:space:]]+Enabled" "ykman info: the yubikey5 card carries $app"
done
expect_match "$log" '^OATH version: +5\.[0-9]+\.[0-9]+$' "ykman oath info reads the applet's version"
expect_match "$log" '^Password protection: +disabled$' "no password at first"
for what in alice 256 512 hotp uri touch; do
  expect_match "$log" "^add-$what-ok\$" "ykman oath accounts add/uri: $what"
done
list=$(sed -n '/^== list$/,/^== list -o -P$/p' <<<"$log" | sed '1d;$d')
# (in ykman's order: by issuer, else by name without the period)
expect_eq "$(sort <<<"$list")" "$(printf '%s\n' '60/slow' 'ACME Co:carol' counted Example:alice pressme sha256 |
  sort)" "ykman oath accounts list lists the six accounts"
# ykman 4 prints a period for every account, 5 only for TOTP; both print the type
expect_match "$log" '^Example:alice, TOTP, 30$' "list -o -P: type and period of a TOTP account"
expect_match "$log" '^60/slow, TOTP, 60$|^slow, TOTP, 60$' "list -o -P: a 60-second period"
expect_match "$log" '^counted, HOTP' "list -o -P: a HOTP account"

# every code ykman shows at T1 is oathtool's for the same secret, time and digits
codes=$(sed -n '/^== code at T1$/,/^== oathtool at T1$/p' <<<"$log")
while read -r name want; do
  [ -n "$want" ] || continue
  name=${name//_/ }
  expect_match "$codes" "^$name +$want\$" "ykman's code for $name at T1 is oathtool's ($want)"
done < <(sed -n '/^== oathtool at T1$/,/^== single at T3$/p' <<<"$log" | sed '1d;$d' |
  sed 's/^ACME Co:carol /ACME_Co:carol /')
expect_match "$codes" '^pressme +\[Requires Touch\]$' "a touch account has no code in the list"
expect_match "$codes" '^counted +\[HOTP Account\]$' "a HOTP account has no code in the list"
a=$(sed -n 's/^alice-single //p' <<<"$log")
expect_eq "$a" "$(sed -n 's/^alice-oathtool //p' <<<"$log")" "code -s at T3 is oathtool's"
a=$(sed -n 's/^slow-single //p' <<<"$log")
expect_eq "$a" "$(sed -n 's/^slow-oathtool //p' <<<"$log")" "a 60-second SHA-512 7-digit code at T3 is oathtool's"
for i in 0 1 2; do
  read -r got want < <(sed -n "s/^hotp-$i //p" <<<"$log")
  [ -n "$got" ] || fail "no HOTP code $i"
  expect_eq "$got" "$want" "HOTP code $i is oathtool's for counter $i"
done
read -r got want < <(sed -n 's/^touch-code //p' <<<"$log")
[ -n "$got" ] || fail "no code after the touch"
expect_eq "$got" "$want" "the touch-required code, given after vtoken ctl touch, is oathtool's"
expect_match "$log" '^touch-prompted$' "ykman asked for the touch"
expect_match "$log" '^rename-ok$' "ykman oath accounts rename"
read -r got want < <(sed -n 's/^bob-single //p' <<<"$log")
expect_eq "$got" "$want" "the renamed account keeps its secret"
expect_match "$log" '^delete-ok$' "ykman oath accounts delete"
after=$(sed -n '/^== list after$/,/^== password$/p' <<<"$log" | sed '1d;$d')
expect_eq "$(sort <<<"$after")" "$(printf '%s\n' '60/slow' 'ACME Co:carol' counted Example:bob pressme | sort)" \
  "the list after rename and delete"
expect_match "$log" '^password-set$' "ykman oath access change sets a password"
expect_match "$log" '^Password protection: +enabled$' "ykman oath info: the password is set"
expect_match "$log" '^locked-without-password$' "without the password the accounts stay locked"
expect_match "$log" '^refused-wrong-password: .*(Wrong password|failed)' "a wrong password is refused"
expect_match "$log" '^with-password .*Example:bob,' "the password unlocks the accounts"
expect_match "$log" '^remembered$' "ykman oath access remember"
expect_match "$log" '^remembered-list .*Example:bob,' "the remembered password unlocks without -p"
expect_match "$log" '^password-cleared$' "ykman oath access change -c clears the password"
expect_eq "$(grep -c '^Password protection: *disabled$' <<<"$log")" 2 "no password again after the clear"

# the image: accounts listed without secrets; the counter moved on durably
show=$("$VTOKEN" show "$T/card")
echo "$show" | sed 's/^/# show: /'
expect_match "$show" 'Example:bob' "vtoken show lists the accounts"
expect_no_match "$show" "$(printf '%s' 'Hello!' | xxd -p)|48656c6c6f21" "vtoken show has no secret"
expect_eq "$(show_json "$T/card" '[a["counter"] for a in d["oath"]["accounts"] if a["name"] == "counted"][0]')" 3 \
  "vtoken show --json: the HOTP counter after three codes"
expect_eq "$(show_json "$T/card" '[a["touch"] for a in d["oath"]["accounts"] if a["name"] == "pressme"][0]')" true \
  "vtoken show --json: the touch property"
grep -q "$S_ALICE" "$T/card"/* && fail "a Base32 secret is in the image"
expect_eq "$(stat -c %a "$T/card/oath.ini")" 600 "oath.ini is the owner's alone"

"$VTOKEN" run --reader-name "Yubico YubiKey OTP+FIDO+CCID" --card "$T/card" -- bash "$T/again.sh" \
  >"$T/again.log" 2>&1 || fail "the second session failed: $(tail -n 30 "$T/again.log")"
log=$(cat "$T/again.log")
echo "$log" | sed 's/^/# /'
read -r got want < <(sed -n 's/^hotp-3 //p' <<<"$log")
expect_eq "$got" "$want" "the next run's HOTP code is oathtool's for counter 3"
expect_match "$log" '^reset-ok$' "ykman oath reset"
expect_match "$log" '^after-reset \[\]$' "no account after the reset"
expect_eq "$(show_json "$T/card" 'len(d["oath"]["accounts"])')" 0 "the image has no account after the reset"
