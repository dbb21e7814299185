#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# With vtoken's driver a card is the only reader there is: `ykman piv info` finds the YubiKey
# without --reader (on vpcd the second, empty slot of the same name makes ykman say "Multiple
# YubiKeys detected"), and yubico-piv-tool's default reader filter picks it.
source "$(dirname "$0")/lib.sh"

"$VTOKEN" init "$T/yk" --compat yubikey --generate 9a:p256 >/dev/null
out=$("$VTOKEN" run --transport driver --reader-name "Yubico YubiKey OTP+FIDO+CCID" --card "$T/yk" -- \
  sh -c 'pcsc_scan -r; ykman piv info; echo "ykman rc=$?"; yubico-piv-tool -a status; echo "ykpiv rc=$?"' 2>&1)
echo "$out"
expect_match "$out" '^0: Yubico YubiKey OTP\+FIDO\+CCID 00 00$' "one reader, named as configured"
expect_no_match "$out" '^1: ' "no second reader"
expect_no_match "$out" 'Multiple YubiKeys' "ykman sees one YubiKey"
expect_match "$out" 'PIV version: +5\.4\.3' "ykman piv info without --reader reads the card"
expect_match "$out" 'ykman rc=0' "ykman piv info succeeds"
expect_match "$out" 'Slot 9a:' "yubico-piv-tool's default reader is the card"
expect_match "$out" 'ykpiv rc=0' "yubico-piv-tool -a status succeeds"
