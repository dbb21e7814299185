#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A card with PIV and OpenPGP, as a YubiKey 5 carries them (profile piv+openpgp): GnuPG finds
# its OpenPGP application and OpenSC's PIV driver its PIV application on the same card, one
# after the other and interleaved. GnuPG 2.2's scdaemon keeps its application selected and
# does not select it again after another program selected PIV (as with a YubiKey, its next
# command then fails); so between a PIV client and the next gpg command its agent is restarted
# (gpgconf --kill all), which is what users of such cards do. OpenSC selects PIV again by itself.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pgp/gpg.sh"
command -v scdaemon >/dev/null || [ -x /usr/lib/gnupg/scdaemon ] ||
  skip "GnuPG's scdaemon is not installed (scripts/install-deps.sh installs it)"

"$VTOKEN" init "$T/card" --profile piv+openpgp >/dev/null
openssl x509 -in "$T/card/9a.crt.pem" -pubkey -noout >"$T/9a.pub.pem"
export T VT_LIB
printf 'vtoken signs this\n' >"$T/data"

cat >"$T/client.sh" <<'SH'
source "$VT_LIB"
source "$(dirname "$VT_LIB")/pgp/gpg.sh"
gpg_home "$T/gnupg"
piv_sign() { # OUT: a PIV signature with 9A through OpenSC's PIV driver
  pkcs11-tool --module "$OPENSC_MODULE" --login --pin 123456 --sign --id 01 -m SHA256-RSA-PKCS \
    -i "$T/data" -o "$1" >>"$T/piv.log" 2>&1 || fail "PIV signature $1: $(tail -n 5 "$T/piv.log")"
}
gpg_sign() { # OUT
  gpg --batch --yes -u jane@example.org --sign -o "$1" "$T/data" 2>>"$T/gpg.log" ||
    fail "gpg --sign $1: $(tail -n 5 "$T/gpg.log")"
}
# one after the other
gpg --card-status >"$T/status.txt" 2>&1 || fail "gpg --card-status: $(cat "$T/status.txt")"
card_edit admin generate n 0 "Jane Doe" jane@example.org "" quit >"$T/generate.txt" ||
  fail "gpg --card-edit generate: $(tail -n 20 "$T/generate.txt")"
gpgconf --kill all
opensc-tool -n >"$T/name.txt"
pkcs11-tool --module "$OPENSC_MODULE" -L >"$T/list.txt"
piv_sign "$T/piv1.sig"
# interleaved: gpg, PIV, gpg, PIV, gpg
gpg_sign "$T/gpg1.gpg"
piv_sign "$T/piv2.sig"
gpgconf --kill all
gpg_sign "$T/gpg2.gpg"
gpg --batch --yes --trust-model always -r jane@example.org -e -o "$T/msg.gpg" "$T/data"
piv_sign "$T/piv3.sig"
gpgconf --kill all
gpg --batch --yes -d -o "$T/msg.out" "$T/msg.gpg" 2>>"$T/gpg.log" || fail "gpg --decrypt: $(tail -n 5 "$T/gpg.log")"
for f in gpg1 gpg2; do gpg --verify "$T/$f.gpg" >"$T/$f.verify" 2>&1; done
gpgconf --kill all
SH
"$VTOKEN" run --card "$T/card" -- bash "$T/client.sh" >"$T/client.log" 2>&1 ||
  fail "the session failed: $(tail -n 30 "$T/client.log")"

expect_match "$(cat "$T/status.txt")" 'Application type \.: OpenPGP' "GnuPG finds the OpenPGP application"
expect_match "$(cat "$T/name.txt")" '^Personal Identity Verification Card' "OpenSC finds the PIV application"
expect_match "$(cat "$T/list.txt")" 'token label +: vtoken PIV Authentication' "pkcs11-tool -L shows the PIV token"
for s in piv1 piv2 piv3; do
  openssl dgst -sha256 -verify "$T/9a.pub.pem" -signature "$T/$s.sig" "$T/data" >/dev/null ||
    fail "PIV signature $s does not verify"
done
pass "PIV signatures before, between and after GnuPG's verify with 9a's certificate"
for f in gpg1 gpg2; do
  expect_match "$(cat "$T/$f.verify")" 'Good signature from "Jane Doe' "OpenPGP signature $f verifies"
done
expect_eq "$(cat "$T/msg.out")" "vtoken signs this" "OpenPGP decryption after a PIV signature"
expect_eq "$(show_json "$T/card" "d['pin']['tries_left']")" 3 "PIV's PIN tries are PIV's own"
expect_eq "$(show_json "$T/card" "d['openpgp']['pw1']['tries_left']")" 3 "OpenPGP's are its own"
