# SPDX-License-Identifier: Apache-2.0
"""One MakeCredential through python-fido2's Ctap2 over PC/SC: prints "made" when the card
answered, "refused 0xNN" when it refused (the card of a presence = touch image waits for
`vtoken ctl touch` first)."""
import sys

from fido2.ctap import CtapError
from fido2.ctap2 import Ctap2
from fido2.pcsc import CtapPcscDevice

dev = [d for d in CtapPcscDevice.list_devices() if sys.argv[1] in d._name][0]
try:
    Ctap2(dev).make_credential(
        b"\1" * 32, {"id": "vtoken.example"}, {"id": b"t"}, [{"type": "public-key", "alg": -7}]
    )
    print("made", flush=True)
except CtapError as e:
    print("refused 0x%02X" % e.code, flush=True)
