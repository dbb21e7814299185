#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The YubiKey management application is the card's, not PIV's: READ CONFIG reports as supported
# and enabled exactly the applications the card carries (each registry unit's capability), so
# `ykman info` on a --compat yubikey card lists PIV alone as enabled on a piv card, PIV and
# OpenPGP on a piv+openpgp card, and the rest as not available; serial, firmware and form factor
# come from the image.
source "$(dirname "$0")/lib.sh"

"$VTOKEN" init "$T/piv" --compat yubikey --generate 9a:p256 >/dev/null
"$VTOKEN" init "$T/yk5" --profile yubikey5 >/dev/null
"$VTOKEN" init "$T/both" --profile piv+openpgp --compat yubikey --generate 9a:p256 \
  --firmware 5.7.1 >/dev/null

info() { # IMAGE: ykman info of the card alone, and its exit status
  "$VTOKEN" run --reader-name "Yubico YubiKey OTP+FIDO+CCID" --card "$1" -- \
    bash -c 'ykman --reader "CCID 00 00" info; echo "ykman-info-rc=$?"' 2>&1 || true
}

log=$(info "$T/piv")
echo "$log" | sed 's/^/# piv: /'
serial=$(sed -n 's/^serial = //p' "$T/piv/card.ini")
expect_match "$log" '^ykman-info-rc=0$' "ykman info reads the piv card"
expect_match "$log" "Serial number:[[:space:]]+$serial\$" "the serial is the image's"
expect_match "$log" 'Firmware version:[[:space:]]+5\.4\.3' "the firmware is the image's"
expect_match "$log" 'Form factor:[[:space:]]+Keychain \(USB-A\)' "the form factor is a keychain"
expect_match "$log" '^PIV[[:space:]]+Enabled' "PIV is enabled"
expect_match "$log" '^OpenPGP[[:space:]]+Not available' "OpenPGP is not available: the card does not carry it"
expect_no_match "$log" '^(OATH|FIDO2|FIDO U2F|Yubico OTP)[[:space:]]+Enabled' "nothing else is"

log=$(info "$T/both")
echo "$log" | sed 's/^/# piv+openpgp: /'
serial=$(sed -n 's/^serial = //p' "$T/both/card.ini")
expect_match "$log" '^ykman-info-rc=0$' "ykman info reads the piv+openpgp card"
expect_match "$log" "Serial number:[[:space:]]+$serial\$" "its serial is its image's"
expect_match "$log" 'Firmware version:[[:space:]]+5\.7\.1' "its firmware is its image's"
expect_match "$log" '^PIV[[:space:]]+Enabled' "PIV is enabled"
expect_match "$log" '^OpenPGP[[:space:]]+Enabled' "OpenPGP is enabled: the card carries it"
expect_no_match "$log" '^(OATH|FIDO2|FIDO U2F|Yubico OTP)[[:space:]]+Enabled' "nothing else is"
pass "ykman info lists exactly the applications each card carries"

# a YubiKey 5's applications (the yubikey5 profile): ykman info and ykman config read the same
# configuration, every application the card carries enabled, none other
log=$("$VTOKEN" run --reader-name "Yubico YubiKey OTP+FIDO+CCID" --card "$T/yk5" -- \
  bash -c 'ykman --reader "CCID 00 00" info; echo "ykman-info-rc=$?"
           echo "== config"; ykman --reader "CCID 00 00" config usb --list; echo "ykman-config-rc=$?"' 2>&1 || true)
echo "$log" | sed 's/^/# yubikey5: /'
expect_match "$log" '^ykman-info-rc=0$' "ykman info reads the yubikey5 card"
for app in PIV OpenPGP OATH FIDO2 'FIDO U2F'; do
  expect_match "$log" "^$app[[:space:]]+Enabled" "$app is enabled on the yubikey5 card"
done
expect_no_match "$log" '^(Yubico OTP|OTP|YubiHSM Auth)[[:space:]]+Enabled' "OTP and YubiHSM Auth are not"
expect_match "$log" '^ykman-config-rc=0$' "ykman config usb --list reads the yubikey5 card"
listed=$(sed -n '/^== config$/,/^ykman-config-rc=/p' <<<"$log" | grep -vE '^(== config|ykman-config-rc=.*)$' | sort | tr '\n' ',')
expect_eq "$listed" "FIDO U2F,FIDO2,OATH,OpenPGP,PIV," "ykman config usb --list: exactly the applications the card carries"
pass "ykman config reads the configuration the card reports"
