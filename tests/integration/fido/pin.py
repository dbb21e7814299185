# SPDX-License-Identifier: Apache-2.0
"""ClientPIN through python-fido2 and fido2.pcsc.CtapPcscDevice: PIN set with protocol 2,
changed with protocol 1, tokens of both, wrong PINs counted and blocked after 3 per power cycle,
registration and assertion with the PIN verified by the relying party (UV flag), and a
registration without the PIN refused once a PIN is set. Prints "ok: what"; failures raise."""
import sys

import fido2
from fido2.client import Fido2Client
from fido2.ctap import CtapError
from fido2.ctap2 import Ctap2
from fido2.ctap2.pin import ClientPin, PinProtocolV1, PinProtocolV2
from fido2.pcsc import CtapPcscDevice
from fido2.server import Fido2Server
from fido2.webauthn import PublicKeyCredentialRpEntity

# python-fido2 0.9 (Debian 12), 1.x (Debian 13) and 2.x name things differently
V1 = int(fido2.__version__.split(".")[0]) >= 1
V2 = int(fido2.__version__.split(".")[0]) >= 2
RP = PublicKeyCredentialRpEntity(id="vtoken.example", name="vtoken test RP")


def ok(what):
    print("ok:", what, flush=True)


def expect_error(code, fn, *args):
    try:
        fn(*args)
    except CtapError as e:
        assert e.code == code, "expected %s, got %s" % (code, e.code)
        return
    raise AssertionError("no CTAP error %s" % code)


dev = [d for d in CtapPcscDevice.list_devices() if sys.argv[1] in d._name][0]
ctap2 = Ctap2(dev)
assert ctap2.info.options.get("clientPin") is False, ctap2.info.options
assert set(ctap2.info.pin_uv_protocols) == {1, 2}, ctap2.info.pin_uv_protocols
p2 = ClientPin(ctap2, PinProtocolV2())
p1 = ClientPin(ctap2, PinProtocolV1())
retries = p2.get_pin_retries()
retries = retries[0] if isinstance(retries, tuple) else retries
assert retries == 8, retries
p2.set_pin("1234")
assert Ctap2(dev).info.options.get("clientPin") is True
ok("PIN set with protocol 2; clientPin true; 8 retries")
expect_error(CtapError.ERR.PIN_INVALID, p2.get_pin_token, "9999")
r = p1.get_pin_retries()
assert (r[0] if isinstance(r, tuple) else r) == 7, r
ok("a wrong PIN costs a retry (7 left)")
p1.change_pin("1234", "4321")
p1.get_pin_token("4321")
p2.get_pin_token("4321")
r = p1.get_pin_retries()
assert (r[0] if isinstance(r, tuple) else r) == 8, r
expect_error(CtapError.ERR.PIN_INVALID, p1.get_pin_token, "1234")
ok("PIN changed with protocol 1; tokens of protocols 1 and 2 with the new PIN; retries back to 8")

c = Fido2Client(dev, "https://vtoken.example") if not V1 else None
if V1:
    from fido2.client import UserInteraction

    class Ui(UserInteraction):
        def request_pin(self, permissions, rp_id):
            return "4321"

    c = Fido2Client(dev, "https://vtoken.example", user_interaction=Ui())
server = Fido2Server(RP)
user = {"id": b"pin-user", "name": "pin@vtoken.example", "displayName": "PIN user"}
opts, state = server.register_begin(user, user_verification="required")
if V1:
    r = c.make_credential(opts["publicKey"])
    if V2:
        auth = server.register_complete(state, r)
    else:
        auth = server.register_complete(state, r.client_data, r.attestation_object)
else:
    r = c.make_credential(opts["publicKey"], pin="4321")
    auth = server.register_complete(state, r.client_data, r.attestation_object)
assert auth.is_user_verified()
cred = auth.credential_data
opts, state = server.authenticate_begin([cred], user_verification="required")
if V1:
    sel = c.get_assertion(opts["publicKey"])
    res = sel.get_response(0)
    if V2:
        server.authenticate_complete(state, [cred], res)
    else:
        server.authenticate_complete(
            state, [cred], res.credential_id, res.client_data, res.authenticator_data,
            res.signature
        )
else:
    res = c.get_assertion(opts["publicKey"], pin="4321").get_response(0)
    server.authenticate_complete(
        state, [cred], res.credential_id, res.client_data, res.authenticator_data, res.signature
    )
    assert res.authenticator_data.is_user_verified()
ok("registration and assertion with the PIN: user verified")

expect_error(
    getattr(CtapError.ERR, "PUAT_REQUIRED", None) or CtapError.ERR.PIN_REQUIRED,
    ctap2.make_credential,
    b"\0" * 32,
    {"id": "vtoken.example"},
    {"id": b"x"},
    [{"type": "public-key", "alg": -7}],
)
ok("MakeCredential without the PIN refused (PUAT_REQUIRED)")

expect_error(CtapError.ERR.PIN_INVALID, p2.get_pin_token, "0000")
expect_error(CtapError.ERR.PIN_INVALID, p2.get_pin_token, "0000")
expect_error(CtapError.ERR.PIN_AUTH_BLOCKED, p2.get_pin_token, "0000")
expect_error(CtapError.ERR.PIN_AUTH_BLOCKED, p2.get_pin_token, "4321")
r = p1.get_pin_retries()
assert (r[0] if isinstance(r, tuple) else r) == 5, r
ok("3 wrong PINs block until power off (5 retries left)")
