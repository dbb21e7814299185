#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_openpgp (corpus-openpgp/) and fuzz_fido_oath
(corpus-fido_oath/): APDU sequences as GnuPG, python-fido2 and ykman send them. Form
(fuzz_cardlib.h): a flags byte, then records of a 2-byte big-endian length and the command; a
record of length 0 resets the card.
  fuzz_openpgp flags: 1 PW3 verified first, 2 PW1 (81 and 82) verified first
  fuzz_fido_oath flags: 1 OATH selected first (else FIDO), 2 its first command sent first
  bits 2..7 (both): after the preamble, commit k fails when bit 2 + k % 6 is set."""
import os
import sys


def apdu(cla, ins, p1, p2, data=b"", le=None):
    out = bytes([cla, ins, p1, p2])
    if data:
        out += bytes([len(data)]) + data
    if le is not None:
        out += bytes([le])
    return out


def tlv(tag, value):
    t = tag.to_bytes(2, "big") if tag > 0xFF else bytes([tag])
    n = len(value)
    length = bytes([n]) if n < 0x80 else bytes([0x81, n]) if n < 0x100 else bytes([0x82]) + n.to_bytes(2, "big")
    return t + length + value


def seed(flags, cmds):
    out = bytes([flags])
    for c in cmds:
        out += len(c).to_bytes(2, "big") + c
    return out


def cbor(v):
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        if n < 0x100:
            return bytes([major << 5 | 24, n])
        return bytes([major << 5 | 25]) + n.to_bytes(2, "big")
    if isinstance(v, bool):
        return bytes([0xF5 if v else 0xF4])
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        return head(3, len(v.encode())) + v.encode()
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(v)


def ctap(cmd, params=None):
    data = bytes([cmd]) + (cbor(params) if params is not None else b"")
    return apdu(0x80, 0x10, 0, 0, data)


PW1, PW3 = b"123456", b"12345678"
GET = [apdu(0, 0xCA, 0, t, le=0) for t in (0x6E, 0x65, 0x7A, 0x4F, 0xC4)] + [
    apdu(0, 0xCA, 0x5F, 0x52, le=0), apdu(0, 0xCA, 0x7F, 0x74, le=0)]
OPENPGP = {
    "get-data": seed(0, GET),
    "sign-p256": seed(2, [apdu(0, 0x2A, 0x9E, 0x9A, bytes(range(32)), le=0), apdu(0, 0xCA, 0, 0x93, le=0)]),
    "decrypt-rsa": seed(2, [bytes([0, 0x2A, 0x80, 0x86, 0, 1, 1, 0]) + bytes(range(256)) + b"\x00\x00"]),
    "generate-read": seed(1, [apdu(0, 0x47, 0x81, 0, b"\xB6\x00", le=0),
                              apdu(0, 0x47, 0x80, 0, b"\xA4\x00", le=0),
                              apdu(0, 0x47, 0x81, 0, b"\xA4\x00", le=0)]),
    "put-data": seed(1, [apdu(0, 0xDA, 0, 0x5B, b"Fuzz<<Tester"), apdu(0, 0xDA, 0x5F, 0x2D, b"en"),
                         apdu(0, 0xDA, 0, 0xC4, b"\x01"), apdu(0, 0xDA, 0, 0xC7, bytes(20)),
                         apdu(0, 0xDA, 0, 0xC1, bytes([0x13, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 3, 1, 7])),
                         apdu(0, 0xCA, 0, 0x6E, le=0)]),
    "change-reset-pw": seed(1, [apdu(0, 0x24, 0, 0x81, PW1 + b"654321"),
                                apdu(0, 0x2C, 2, 0x81, b"123456"),
                                apdu(0, 0xDA, 0, 0xD3, b"87654321"),
                                apdu(0, 0x2C, 0, 0x81, b"87654321" + b"111111")]),
    "wrong-pin-block": seed(0, [apdu(0, 0x20, 0, 0x81, b"000000")] * 4 + [apdu(0, 0x20, 0, 0x81, le=None)]),
    "terminate-activate": seed(1, [apdu(0, 0xE6, 0, 0), apdu(0, 0x44, 0, 0), b"",
                                   bytes.fromhex("00A4040006D27600012401"), apdu(0, 0xCA, 0, 0x6E, le=0)]),
    "import-key-fails": seed(0xFD, [apdu(0, 0xDB, 0x3F, 0xFF, tlv(0x4D, b"\xA4\x00" + tlv(0x7F48, b"\x92\x20") +
                                                                 tlv(0x5F48, bytes(range(1, 33)))))]),
    "challenge-mse": seed(3, [apdu(0, 0x84, 0, 0, le=8), apdu(0, 0x22, 0x41, 0xA4, b"\x83\x01\x02"),
                              apdu(0, 0x88, 0, 0, bytes(32), le=0), apdu(0, 0xC0, 0, 0, le=0)]),
}

SEL_FIDO = bytes.fromhex("00A4040008A0000006472F0001")
SEL_OATH = bytes.fromhex("00A4040007A0000005272101")
CDH = bytes(range(32))
MAKE = ctap(1, {1: CDH, 2: {"id": "example.com"}, 3: {"id": b"\x01\x02", "name": "u"},
                4: [{"alg": -7, "type": "public-key"}]})
MAKE_RK = ctap(1, {1: CDH, 2: {"id": "example.com", "name": "Ex"},
                   3: {"id": b"\x03", "name": "v", "displayName": "V"},
                   4: [{"alg": -8, "type": "public-key"}], 7: {"rk": True}})
GET_A = ctap(2, {1: "example.com", 2: CDH})
U2F_REG = apdu(0, 1, 3, 0, bytes(32) + bytes(range(32)), le=0)
U2F_AUTH = apdu(0, 2, 7, 0, bytes(32) + bytes(range(32)) + b"\x01\x00", le=0)


def oath_put(name, key, kind=0x21, digits=6, extra=b""):
    return apdu(0, 1, 0, 0, tlv(0x71, name) + tlv(0x73, bytes([kind, digits]) + key) + extra)


FIDO_OATH = {
    "fido-info": seed(0, [ctap(4)]),
    "fido-make-get": seed(2, [MAKE, GET_A, ctap(8)]),
    "fido-resident": seed(0, [MAKE_RK, GET_A, ctap(8), ctap(4)]),
    "fido-pin": seed(0, [ctap(6, {1: 1, 2: 2}), ctap(6, {1: 1, 2: 1})]),
    "fido-reset": seed(0, [MAKE_RK, ctap(7), GET_A]),
    "fido-u2f": seed(0, [U2F_REG, U2F_AUTH, apdu(0, 3, 0, 0, le=0)]),
    "fido-store-fails": seed(0xFC, [MAKE_RK, MAKE_RK, GET_A]),
    "oath-put-calc": seed(1, [oath_put(b"ex:alice", b"secretkey1"), oath_put(b"hotp", b"k" * 20, 0x11, 8, tlv(0x7A, b"\0\0\0\5")),
                              apdu(0, 0xA1, 0, 0, le=0),
                              apdu(0, 0xA2, 0, 1, tlv(0x71, b"hotp") + tlv(0x74, bytes(8)), le=0),
                              apdu(0, 0xA4, 0, 1, tlv(0x74, bytes(8)), le=0), apdu(0, 0xA5, 0, 0, le=0)]),
    "oath-rename-delete": seed(3, [oath_put(b"a", b"0123456789"), apdu(0, 5, 0, 0, tlv(0x71, b"a") + tlv(0x71, b"b")),
                                   apdu(0, 2, 0, 0, tlv(0x71, b"b")), apdu(0, 0xA1, 0, 0, le=0)]),
    "oath-code": seed(1, [apdu(0, 3, 0, 0, tlv(0x73, b"\x01" + bytes(range(16))) + tlv(0x74, bytes(8)) + tlv(0x75, bytes(20))),
                          b"", SEL_OATH, apdu(0, 0xA3, 0, 0, tlv(0x75, bytes(20)) + tlv(0x74, bytes(8))),
                          apdu(0, 4, 0xDE, 0xAD)]),
    "oath-store-fails": seed(0xF9, [oath_put(b"x", b"abcdefghij"), oath_put(b"y", b"abcdefghij"), apdu(0, 0xA1, 0, 0, le=0)]),
    "switch-applets": seed(0, [MAKE, SEL_OATH, oath_put(b"z", b"0123456789"),
                               bytes.fromhex("00A4040006D27600012401"), apdu(0, 0xCA, 0, 0x6E, le=0), SEL_FIDO, ctap(4)]),
}


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for d, seeds in (("corpus-openpgp", OPENPGP), ("corpus-fido_oath", FIDO_OATH)):
        os.makedirs(os.path.join(root, d), exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(root, d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
