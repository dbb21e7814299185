# SPDX-License-Identifier: Apache-2.0
"""User presence by touch through python-fido2 over PC/SC, as through an NFC reader.

touch.py READER make: one MakeCredential through Ctap2; prints "keepalive: up needed" when the
  card answered keepalives (9100, polled with NFCCTAP_GETRESPONSE) asking for the user, then
  "made" when it answered, or "refused 0xNN" with the CTAP error (0x2F: no touch in time).
touch.py READER u2f: U2F REGISTER as a key answers it untouched ("u2f refused 6985"), then asked
  again every 0.25 s as python-fido2's own client does until a touch lets it through
  ("u2f registered", verified), then once more: the touch was taken ("u2f refused again 6985")."""
import os
import sys
import time

from fido2.ctap import CtapError, STATUS
from fido2.ctap1 import ApduError, Ctap1
from fido2.ctap2 import Ctap2
from fido2.pcsc import CtapPcscDevice

dev = [d for d in CtapPcscDevice.list_devices() if sys.argv[1] in d._name][0]


def make():
    seen = []
    try:
        Ctap2(dev).make_credential(
            b"\1" * 32, {"id": "vtoken.example"}, {"id": b"t"},
            [{"type": "public-key", "alg": -7}], on_keepalive=seen.append,
        )
        result = "made"
    except CtapError as e:
        result = "refused 0x%02X" % e.code
    if STATUS.UPNEEDED in seen:
        print("keepalive: up needed", flush=True)
    print(result, flush=True)


def u2f():
    ctap1 = Ctap1(dev)
    app, chal = os.urandom(32), os.urandom(32)
    try:
        ctap1.register(chal, app)
        print("u2f registered untouched", flush=True)
        return
    except ApduError as e:
        print("u2f refused %04X" % e.code, flush=True)
    deadline = time.monotonic() + 20
    while True:
        try:
            reg = ctap1.register(chal, app)
            break
        except ApduError as e:
            if e.code != 0x6985 or time.monotonic() > deadline:
                raise
            time.sleep(0.25)  # the client's polling interval (fido2.client._call_polling)
    reg.verify(app, chal)
    print("u2f registered", flush=True)
    try:
        ctap1.register(chal, app)
        print("u2f registered again untouched", flush=True)
    except ApduError as e:
        print("u2f refused again %04X" % e.code, flush=True)


{"make": make, "u2f": u2f}[sys.argv[2]]()
