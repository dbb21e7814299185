#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# OpenPGP's user interaction flag (UIF, DO D6) on: each signature waits in vtokend until
# `vtoken ctl touch`, as on a YubiKey whose button must be pressed; the signature then verifies.
# The card status shows the command waiting; a second touch finds nothing waiting. GnuPG 2.2
# has no command for UIF (2.3's "uif"), so the flag is written with PUT DATA through
# opensc-tool, after the admin PIN, as an administration tool does.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pgp/gpg.sh"
command -v scdaemon >/dev/null || [ -x /usr/lib/gnupg/scdaemon ] ||
  skip "GnuPG's scdaemon is not installed (scripts/install-deps.sh installs it)"

"$VTOKEN" init "$T/card" --profile openpgp >/dev/null
export T VT_LIB

cat >"$T/client.sh" <<'SH'
source "$VT_LIB"
source "$(dirname "$VT_LIB")/pgp/gpg.sh"
gpg_home "$T/gnupg"
card_edit admin key-attr 2 1 2 1 2 1 quit >/dev/null
card_edit admin generate n 0 "Touch User" touch@example.org "" quit >"$T/generate.txt" ||
  fail "generate: $(tail -n 20 "$T/generate.txt")"
gpgconf --kill all
opensc-tool -s '00 A4 04 00 06 D2 76 00 01 24 01' -s '00 20 00 83 08 31 32 33 34 35 36 37 38' \
  -s '00 DA 00 D6 02 01 20' -s '00 CA 00 D6 00' >"$T/uif.txt" 2>&1 || fail "opensc-tool: $(cat "$T/uif.txt")"
printf 'vtoken signs this\n' >"$T/data"
gpg --batch --yes -u touch@example.org --sign -o "$T/data.gpg" "$T/data" 2>"$T/sign.log" &
signer=$!
wait_until 20 "the signature waits for a touch" -- card_status_is card0 waiting_for_touch true
timeout 1 tail --pid=$signer -s 0.05 -f /dev/null && fail "the signature did not wait for the touch"
"$VTOKEN" ctl touch card0 >"$T/touch.txt" 2>&1 || fail "vtoken ctl touch: $(cat "$T/touch.txt")"
wait $signer || fail "gpg --sign after the touch: $(cat "$T/sign.log")"
gpg --verify "$T/data.gpg" >"$T/verify.txt" 2>&1
"$VTOKEN" ctl touch card0 >"$T/touch2.txt" 2>&1 && fail "a second touch was taken"
gpgconf --kill all
SH
"$VTOKEN" run --card "$T/card" -- bash "$T/client.sh" >"$T/client.log" 2>&1 ||
  fail "the session failed: $(tail -n 30 "$T/client.log")"
expect_match "$(cat "$T/uif.txt")" '^01 20 ' "GET DATA D6 after PUT DATA: UIF on, button"
expect_match "$(cat "$T/verify.txt")" 'Good signature from "Touch User' "the touched signature verifies"
expect_match "$(cat "$T/touch2.txt")" 'no command is waiting for a touch' "a second touch finds nothing waiting"
expect_eq "$(grep -c '^uif = 1$' "$T/card/openpgp.ini")" 1 "the image keeps UIF on for the signature key"
