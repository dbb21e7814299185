#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# --compat yubikey on a FIDO card: python-fido2's authenticatorGetInfo shows a YubiKey 5 NFC of
# the image's firmware (5.4's or 5.7's AAGUID, versions, maxMsgSize, firmwareVersion), and a
# registration's attested credential data carries that AAGUID; without compat, vtoken's own.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import fido2.pcsc' 2>/dev/null ||
  skip "python3-fido2 is not installed (scripts/install-deps.sh installs it)"

cat >"$T/info.py" <<'PY'
import os, sys
from fido2.ctap2 import Ctap2
from fido2.pcsc import CtapPcscDevice
ctap = Ctap2([d for d in CtapPcscDevice.list_devices() if sys.argv[1] in d._name][0])
i = ctap.info
att = ctap.make_credential(os.urandom(32), {"id": "vtoken.example"}, {"id": b"u"},
                           [{"type": "public-key", "alg": -7}])
print(",".join(i.versions), bytes(i.aaguid).hex(), i.max_msg_size, i.firmware_version,
      ",".join(i.transports), bytes(att.auth_data.credential_data.aaguid).hex())
PY
info() {
  "$VTOKEN" run --card "$1" -- bash -c '/usr/bin/python3 "$1" "$VTOKEN_CARD0_READER"' _ "$T/info.py" \
    2>"$T/err" || fail "getInfo of $1: $(tail "$T/err")"
}
"$VTOKEN" init "$T/yk57" --profile fido --compat yubikey --firmware 5.7.1 >/dev/null
"$VTOKEN" init "$T/yk54" --profile fido --compat yubikey --firmware 5.4.3 >/dev/null
"$VTOKEN" init "$T/own" --profile fido >/dev/null
expect_eq "$(info "$T/yk57")" \
  "U2F_V2,FIDO_2_0,FIDO_2_1_PRE,FIDO_2_1 a25342c03cdc44148e46f4807fca511c 1280 329473 nfc,usb a25342c03cdc44148e46f4807fca511c" \
  "a YubiKey 5 NFC of firmware 5.7.1"
expect_eq "$(info "$T/yk54")" \
  "U2F_V2,FIDO_2_0,FIDO_2_1_PRE 2fc0579f811347eab116bb5a8db9202a 1200 328707 nfc,usb 2fc0579f811347eab116bb5a8db9202a" \
  "a YubiKey 5 NFC of firmware 5.4.3"
expect_eq "$(info "$T/own")" \
  "U2F_V2,FIDO_2_0,FIDO_2_1 76746f6b656e2d6669646f2d76310001 1200 None nfc 76746f6b656e2d6669646f2d76310001" \
  "vtoken's own without compat"
pass "--compat yubikey: python-fido2 sees a YubiKey 5 NFC's getInfo and AAGUID for firmware 5.4 and 5.7"
