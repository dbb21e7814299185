# SPDX-License-Identifier: Apache-2.0
"""hmac-secret (CTAP 2.1, 12.5) through python-fido2 over PC/SC: a credential made with the
extension, then GetAssertions whose salts python-fido2's own PIN/UV auth protocols 1 and 2
encrypt and whose outputs they decrypt: the same secret on every assertion for one salt, under
either protocol; another for another salt; both at once for two salts; another again once the
user is verified (a PIN's token); a discoverable credential's through GetNextAssertion. Each
assertion's signature is verified with the credential's key. Prints "ok: what"; any failure
raises. Speaks python-fido2 0.9 (Debian 12) and 1.x (Debian 13)."""
import os
import sys

from fido2.ctap import CtapError
from fido2.ctap2 import Ctap2
from fido2.ctap2.pin import ClientPin, PinProtocolV1, PinProtocolV2
from fido2.pcsc import CtapPcscDevice

RP = "vtoken.example"
PIN = "246810"


def ok(what):
    print("ok:", what, flush=True)


dev = [d for d in CtapPcscDevice.list_devices() if sys.argv[1] in d._name][0]
ctap = Ctap2(dev)
assert "hmac-secret" in ctap.info.extensions, ctap.info.extensions
ok("getInfo lists hmac-secret")


def make(user, rk=False, hmac=True):
    att = ctap.make_credential(
        os.urandom(32),
        {"id": RP, "name": "vtoken"},
        {"id": user, "name": user.decode()},
        [{"type": "public-key", "alg": -7}],
        extensions={"hmac-secret": True} if hmac else None,
        options={"rk": True} if rk else None,
        **token_args(),
    )
    assert (att.auth_data.extensions or {}).get("hmac-secret") is (True if hmac else None), (
        att.auth_data.extensions
    )
    return att.auth_data.credential_data


TOKEN = {}


def token_args(cdh=None, proto=None):
    """pinUvAuthParam over cdh with the PIN's token, once a PIN is set."""
    if not TOKEN:
        return {}
    p = TOKEN["proto"]
    return {
        "pin_uv_param": p.authenticate(TOKEN["token"], cdh if cdh is not None else TOKEN["cdh"]),
        "pin_uv_protocol": p.VERSION,
    }


def secrets(creds, salts, proto, uv=False, count=1):
    """GetAssertion (and GetNextAssertion) asking for salts' outputs under proto: one decrypted
    output string per assertion."""
    key_agreement, shared = ClientPin(ctap, proto)._get_shared_secret()
    enc = proto.encrypt(shared, salts)
    ext = {"hmac-secret": {1: key_agreement, 2: enc, 3: proto.authenticate(shared, enc), 4: proto.VERSION}}
    cdh = os.urandom(32)
    kw = token_args(cdh) if uv else {}
    allow = [{"type": "public-key", "id": c.credential_id} for c in creds] if creds else None
    first = ctap.get_assertion(RP, cdh, allow, ext, **kw)
    answers = [first] + [ctap.get_next_assertion() for _ in range(1, first.number_of_credentials or 1)]
    assert len(answers) == count, len(answers)
    out = []
    for a in answers:
        if creds:
            a.verify(cdh, creds[0].public_key)
        assert bool(a.auth_data.flags & 0x04) == uv, a.auth_data.flags
        out.append(proto.decrypt(shared, a.auth_data.extensions["hmac-secret"]))
    return out


salt1, salt2 = os.urandom(32), os.urandom(32)
cred = make(b"hmac-user")
ok("MakeCredential with hmac-secret answers hmac-secret: true")

v1 = [secrets([cred], salt1, PinProtocolV1())[0] for _ in range(3)]
v2 = [secrets([cred], salt1, PinProtocolV2())[0] for _ in range(3)]
assert len(v1[0]) == 32 and len(set(v1 + v2)) == 1, (v1, v2)
ok("one salt: the same 32-byte secret on every assertion, under PIN/UV protocols 1 and 2")

other = secrets([cred], salt2, PinProtocolV2())[0]
assert other != v1[0] and len(other) == 32
ok("another salt: another secret")

both = secrets([cred], salt1 + salt2, PinProtocolV1())[0]
assert both == v1[0] + other, "two salts do not answer the two secrets"
both = secrets([cred], salt1 + salt2, PinProtocolV2())[0]
assert both == v1[0] + other, "two salts (protocol 2) do not answer the two secrets"
ok("two salts: both secrets in one assertion, under protocols 1 and 2")

plain = make(b"plain-user", hmac=False)
key_agreement, shared = ClientPin(ctap, PinProtocolV2())._get_shared_secret()
p2 = PinProtocolV2()
enc = p2.encrypt(shared, salt1)
a = ctap.get_assertion(
    RP, os.urandom(32), [{"type": "public-key", "id": plain.credential_id}],
    {"hmac-secret": {1: key_agreement, 2: enc, 3: p2.authenticate(shared, enc), 4: 2}},
)
assert not (a.auth_data.extensions or {}).get("hmac-secret"), a.auth_data.extensions
ok("a credential made without hmac-secret answers no secret")

try:
    bad = p2.encrypt(shared, salt1)
    ctap.get_assertion(
        RP, os.urandom(32), [{"type": "public-key", "id": cred.credential_id}],
        {"hmac-secret": {1: key_agreement, 2: bad, 3: b"\0" * 32, 4: 2}},
    )
    raise AssertionError("a wrong saltAuth was answered")
except CtapError as e:
    assert e.code == CtapError.ERR.PIN_AUTH_INVALID, e
ok("a wrong saltAuth is refused with PIN_AUTH_INVALID")

# user verified: CredRandomWithUV, another secret for the same salt
ClientPin(ctap, PinProtocolV2()).set_pin(PIN)
TOKEN.update(proto=PinProtocolV2(), cdh=None)
TOKEN["token"] = ClientPin(ctap, TOKEN["proto"]).get_pin_token(PIN)
uv = [secrets([cred], salt1, p, uv=True)[0] for p in (PinProtocolV1(), PinProtocolV2())]
assert uv[0] == uv[1] and uv[0] != v1[0], (uv, v1[0])
assert secrets([cred], salt1, PinProtocolV1())[0] == v1[0]
ok("user verified: another secret for the same salt, stable; without UV the first one again")

# discoverable credentials: each answers its own secret through GetNextAssertion
TOKEN["cdh"] = None
rk = []
for u in (b"rk-1", b"rk-2"):
    TOKEN["token"] = ClientPin(ctap, TOKEN["proto"]).get_pin_token(PIN)
    cdh = os.urandom(32)
    TOKEN["cdh"] = cdh
    att = ctap.make_credential(
        cdh, {"id": RP, "name": "vtoken"}, {"id": u, "name": u.decode()},
        [{"type": "public-key", "alg": -7}], extensions={"hmac-secret": True},
        options={"rk": True}, **token_args(cdh),
    )
    rk.append(att.auth_data.credential_data)
outs = secrets(None, salt1, PinProtocolV2(), count=2)
assert outs[0] != outs[1] and v1[0] not in outs, outs
again = secrets(None, salt1, PinProtocolV1(), count=2)
assert again == outs, (again, outs)
ok("discoverable credentials: a secret each through GetNextAssertion, the same again")
