# SPDX-License-Identifier: Apache-2.0
"""A relying party of its own (fido2.server.Fido2Server) and python-fido2's client, through
fido2.pcsc.CtapPcscDevice to the card: registrations whose packed attestation verifies up to the
image's attestation CA, assertions the server verifies, discoverable credentials, ES256 and EdDSA,
U2F. Each check prints "ok: what"; any failure raises. Speaks python-fido2 0.9 (Debian 12) and
1.x (Debian 13)."""
import os
import sys

import fido2
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.attestation import PackedAttestation
from fido2.client import Fido2Client
from fido2.ctap1 import Ctap1
from fido2.pcsc import CtapPcscDevice
from fido2.server import Fido2Server
from fido2.webauthn import PublicKeyCredentialParameters, PublicKeyCredentialRpEntity

if os.environ.get("VT_FIDO_DEBUG"):
    import logging

    logging.basicConfig(level=logging.DEBUG)
# python-fido2 0.9 (Debian 12), 1.x (Debian 13) and 2.x name things differently
V1 = int(fido2.__version__.split(".")[0]) >= 1
V2 = int(fido2.__version__.split(".")[0]) >= 2
ORIGIN = "https://vtoken.example"
RP = PublicKeyCredentialRpEntity(id="vtoken.example", name="vtoken test RP")
CA = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())


def ok(what):
    print("ok:", what, flush=True)


def device():
    devs = [d for d in CtapPcscDevice.list_devices() if sys.argv[1] in d._name]
    assert devs, "no FIDO reader named %r" % sys.argv[1]
    return devs[0]


def client(dev):
    if V1:
        from fido2.client import UserInteraction

        class Ui(UserInteraction):
            def prompt_up(self):
                pass

        return Fido2Client(dev, ORIGIN, user_interaction=Ui())
    return Fido2Client(dev, ORIGIN)


def user(n):
    u = {"id": b"user-%d" % n, "name": "user%d@vtoken.example" % n, "displayName": "User %d" % n}
    if V2:
        from fido2.webauthn import PublicKeyCredentialUserEntity

        return PublicKeyCredentialUserEntity(**u)
    return u


def verify_attestation(att_obj, client_data_hash):
    stmt = att_obj.att_stmt if V1 else att_obj.att_statement
    assert att_obj.fmt == "packed", att_obj.fmt
    result = PackedAttestation().verify(stmt, att_obj.auth_data, client_data_hash)
    cert = x509.load_der_x509_certificate(stmt["x5c"][0])
    CA.public_key().verify(
        cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm)
    )
    return result


def register(c, server, n, rk=False, algs=None):
    if algs:
        server.allowed_algorithms = [PublicKeyCredentialParameters("public-key", a) for a in algs]
    if V1:
        opts, state = server.register_begin(
            user(n), resident_key_requirement="required" if rk else None
        )
    else:
        opts, state = server.register_begin(user(n), resident_key=rk or None)
    r = c.make_credential(opts["publicKey"])
    if V2:
        auth = server.register_complete(state, r)
    else:
        auth = server.register_complete(state, r.client_data, r.attestation_object)
    return auth.credential_data


def authenticate(c, server, creds, allow=True):
    opts, state = server.authenticate_begin(creds if allow else None)
    sel = c.get_assertion(opts["publicKey"])
    res = sel.get_response(0)
    if V2:
        server.authenticate_complete(state, creds, res)
        return res, sel
    server.authenticate_complete(
        state, creds, res.credential_id, res.client_data, res.authenticator_data, res.signature
    )
    return res, sel


def main():
    dev = device()
    c = client(dev)
    info = c.info if hasattr(c, "info") else c.ctap2.info
    assert "FIDO_2_0" in info.versions and "U2F_V2" in info.versions, info.versions
    ok("getInfo: versions %s" % ",".join(info.versions))

    server = Fido2Server(RP, attestation="direct", verify_attestation=verify_attestation)
    cred = register(c, server, 1, algs=[-7])
    assert cred.public_key[3] == -7
    ok("ES256 registration: packed attestation verified up to the image's CA")
    res, _ = authenticate(c, server, [cred])
    counter1 = (res.authenticator_data if not V2 else res.response.authenticator_data).counter
    res, _ = authenticate(c, server, [cred])
    counter2 = (res.authenticator_data if not V2 else res.response.authenticator_data).counter
    assert counter2 > counter1, (counter1, counter2)
    ok("ES256 assertions verified, counter %d then %d" % (counter1, counter2))

    ed = register(c, server, 2, algs=[-8])
    assert ed.public_key[3] == -8
    authenticate(c, server, [ed])
    ok("EdDSA registration and assertion verified")

    # a credential of another card image (or another RP) is not ours: no credential
    other = Fido2Server(PublicKeyCredentialRpEntity(id="other.example", name="x"))
    try:
        authenticate(c, other, [cred])
        raise AssertionError("another RP's assertion with this credential succeeded")
    except Exception as e:  # the client maps the CTAP error to its own
        if isinstance(e, AssertionError):
            raise
    ok("a credential id is bound to its relying party")

    server.allowed_algorithms = [PublicKeyCredentialParameters("public-key", -7)]
    rk1 = register(c, server, 3, rk=True)
    rk2 = register(c, server, 4, rk=True)
    res, sel = authenticate(c, server, [rk1, rk2], allow=False)
    assertions = sel.get_assertions()
    assert len(assertions) == 2, len(assertions)
    ids = sorted(a.user["id"] for a in assertions)
    assert ids == [b"user-3", b"user-4"], ids
    ok("discoverable credentials: an assertion without allowList for each of 2 users")

    # U2F (CTAP1) on the same card: registration and authentication verified
    ctap1 = Ctap1(dev)
    assert ctap1.get_version() == "U2F_V2"
    app = os.urandom(32)
    chal = os.urandom(32)
    reg = ctap1.register(chal, app)
    reg.verify(app, chal)
    sig = ctap1.authenticate(chal, app, reg.key_handle)
    sig.verify(app, chal, reg.public_key)
    ok("U2F register and authenticate verified, counter %d" % sig.counter)
    print("last counter", sig.counter)


main()
