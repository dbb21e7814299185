#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_card: APDU sequences as clients send them (OpenSC, ykpiv,
piv-tool). A flags byte (1: management key authenticated first, 2: PIN verified first; bits
2..7: after that, commit k fails when bit 2 + k % 6 is set), then records of a 2-byte big-endian
length and the command; length 0 resets the card."""
import os
import sys

SELECT = "00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00"
VERIFY = "00 20 00 80 08 31 32 33 34 35 36 FF FF"
RESET = ""


def chained(ins, p1, p2, data):
    """CLA 10 chaining in 255-byte pieces, the last one with Le."""
    out = []
    while len(data) > 255:
        out.append(bytes([0x10, ins, p1, p2, 255]) + data[:255])
        data = data[255:]
    out.append(bytes([0x00, ins, p1, p2, len(data)]) + data + b"\x00")
    return out


def tlv(tag, value):
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82, n >> 8, n & 0xFF])
    return bytes.fromhex(tag) + length + value


def auth(alg, ref, tag, data):
    return chained(0x87, alg, ref, tlv("7C", tlv("82", b"") + tlv(tag, data)))


# seeds that need the management key: name -> APDUs (run with flags 3)
ADMIN = {
    "put-data-objects": ["00 DB 3F FF 0B 5C 03 5F C1 09 53 04 01 02 41 42", "00 CB 3F FF 05 5C 03 5F C1 09 00",
                         "00 DB 3F FF 07 5C 03 5F C1 09 53 00", "00 DB 3F FF 09 5C 03 5F C1 02 53 02 99 00"],
    "put-cert-chained": chained(0xDB, 0x3F, 0xFF, tlv("5C", bytes.fromhex("5FC10A")) + tlv("53", tlv("70", b"\x30\x82\x01\x00" + bytes(256)) + tlv("71", b"\x00") + tlv("FE", b""))),
    "generate-p256": ["00 47 00 9A 0B AC 09 80 01 11 AA 01 03 AB 01 02 00", "00 F7 00 9A 00", "00 F9 9A 00 00"],
    "generate-ed25519": ["00 47 00 9E 05 AC 03 80 01 E0 00", "00 F9 9E 00 00"],
    "import-p256": chained(0xFE, 0x11, 0x9C, tlv("06", bytes(range(1, 33))) + tlv("AA", b"\x01") + tlv("AB", b"\x01")),
    "import-rsa1024": chained(0xFE, 0x06, 0x9D, b"".join(tlv("%02X" % t, b"\xC3" * 64) for t in range(1, 6))),
    "import-x25519": chained(0xFE, 0xE1, 0x83, tlv("08", bytes(range(32)))),
    "retries-reset": ["00 FA 05 04", "00 F7 00 80 00", "00 F7 00 81 00", "00 F7 00 9B 00", "00 FB 00 00"],
    "set-mgm-aes": ["00 FF FF FF 13 08 9B 10 10 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F",
                    "00 87 08 9B 04 7C 02 80 00", "00 87 08 9B 04 7C 02 81 00"],
}

SEEDS = {
    "opensc-bind": [
        "00 A4 04 00 07 62 76 01 FF 00 00 00", "00 A4 04 00 06 A0 00 00 00 01 01", "00 CA DF 30 05",
        SELECT, "00 CB 3F FF 03 5C 01 7E 08", "00 C0 00 00 0C", "00 CB 3F FF 05 5C 03 5F C1 07 08",
        "00 CB 3F FF 05 5C 03 5F C1 0C 08", "00 CB 3F FF 05 5C 03 5F C1 02 08",
        "00 CB 3F FF 05 5C 03 5F C1 02 3D", "00 CB 3F FF 05 5C 03 5F C1 05 08",
        "00 CB 3F FF 05 5C 03 5F C1 05 00", "00 C0 00 00 00", "00 C0 00 00 00",
        "00 CB 3F FF 05 5C 03 5F C1 0A 00", "00 CB 3F FF 05 5C 03 5F C1 0B 00",
        "00 CB 3F FF 05 5C 03 5F C1 01 00", "00 20 00 80", "00 CB 3F FF 05 5C 03 5F C1 09 08",
        "00 CB 3F FF 05 5C 03 5F C1 03 08", "00 CB 3F FF 05 5C 03 5F C1 21 08"],
    "verify-logout": [SELECT, "00 20 00 80", "00 20 00 80 08 30 30 30 30 30 30 FF FF", VERIFY,
                      "00 20 00 80 00", "00 CB 3F FF 05 5C 03 5F C1 09 00", "00 20 FF 80",
                      "00 20 00 80", RESET, SELECT, "00 20 00 80"],
    "change-unblock": [SELECT,
                       "00 24 00 80 10 31 32 33 34 35 36 FF FF 36 35 34 33 32 31 FF FF",
                       "00 24 00 81 10 31 32 33 34 35 36 37 38 38 37 36 35 34 33 32 31",
                       "00 2C 00 80 10 38 37 36 35 34 33 32 31 31 31 31 31 31 31 FF FF",
                       "00 20 00 00 08 31 31 31 31 31 31 FF FF"],
    "ecdsa-9c": [SELECT, VERIFY] + auth(0x11, 0x9C, "81", bytes(range(32))) + auth(0x11, 0x9C, "81", bytes(32)),
    "ecdh-9d": [SELECT, VERIFY] + auth(0x14, 0x9D, "85", b"\x04" + bytes(96)),
    "ed25519-9e": [SELECT] + auth(0xE0, 0x9E, "81", b"message"),
    "x25519-82": [SELECT, VERIFY] + auth(0xE1, 0x82, "85", bytes(range(1, 33))),
    "rsa1024-9a": [SELECT, VERIFY] + auth(0x06, 0x9A, "81", b"\x00\x01" + b"\xFF" * 100 + b"\x00" + bytes(25)),
    "rsa2048-83-chained": [SELECT, VERIFY] + auth(0x07, 0x83, "81", b"\x00\x01" + b"\xFF" * 200 + b"\x00" + bytes(53)) + ["00 C0 00 00 08"],
    "random": [SELECT, "00 87 00 9B 04 7C 02 81 00 00", "00 87 00 9B 04 7C 02 81 00 00"],
    "ykpiv-connect": ["00 A4 04 00 08 A0 00 00 05 27 47 11 17", "00 A4 04 00 05 A0 00 00 03 08",
                      "00 20 00 80 00", "00 FD 00 00 00", "00 F8 00 00 00",
                      "00 87 03 9B 04 7C 02 80 00",
                      "00 87 03 9B 16 7C 14 80 08 6E E5 EF 07 61 D7 B7 AB 81 08 44 E5 E0 99 65 11 20 87",
                      "00 47 00 9A 05 AC 03 80 01 11",
                      "00 FF FF FF 1B 03 9B 18 01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08"],
    "put-data-chained": [SELECT] + chained(0xDB, 0x3F, 0xFF, tlv("5C", bytes.fromhex("5FC105")) + tlv("53", tlv("70", b"\x30" + bytes(400)) + tlv("71", b"\x00") + tlv("FE", b""))),
    "external-auth": [SELECT, "00 87 03 9B 04 7C 02 81 00", "00 87 03 9B 0C 7C 0A 82 08 01 02 03 04 05 06 07 08"],
    "extended": [SELECT, "00 CB 3F FF 00 00 05 5C 03 5F C1 05 00 00", "00 20 00 80 00 00 08 31 32 33 34 35 36 FF FF"],
}

# OpenPGP on the same card (the fuzz image carries PIV and OpenPGP): what scdaemon and OpenSC send
PGP_SELECT = "00 A4 04 00 06 D2 76 00 01 24 01"
PGP_PW1 = "00 20 00 82 06 31 32 33 34 35 36"
PGP_SIG = "00 20 00 81 06 31 32 33 34 35 36"
PGP_PW3 = "00 20 00 83 08 31 32 33 34 35 36 37 38"


def ext(ins, p1, p2, data):
    """One extended APDU with Le."""
    return bytes([0, ins, p1, p2, 0]) + len(data).to_bytes(2, "big") + data + b"\x00\x00"


def pgp_import(crt, parts):
    tmpl = b"".join(bytes([t]) + (bytes([len(v)]) if len(v) < 0x80 else bytes([0x82, len(v) >> 8, len(v) & 0xFF])) for t, v in parts)
    return tlv("4D", bytes([crt, 0]) + tlv("7F48", tmpl) + tlv("5F48", b"".join(v for _, v in parts)))


SEEDS.update({
    "pgp-scdaemon": ["00 A4 00 0C 02 3F 00", "00 A4 02 0C 02 2F 02", PGP_SELECT, "00 CA 00 4F 00",
                     "00 CA 5F 52 00", "00 CA 00 C4 00", "00 CA 00 6E 00", "00 CA 7F 74 00",
                     "00 CA 00 65 00", "00 CA 5F 50 00", "00 CA 00 7A 00", "00 CA 00 FA 00",
                     "00 A5 00 04 06 60 04 5C 02 7F 21", "00 CA 7F 21 00", "00 CC 7F 21 00"],
    "pgp-admin": [PGP_SELECT, "00 20 00 83", PGP_PW3, "00 DA 00 5B 03 41 42 43", "00 DA 5F 2D 02 65 6E",
                  "00 DA 00 C7 14" + " 11" * 20, "00 DA 00 CE 04 5F 00 00 00", "00 DA 00 D3 08 31 32 33 34 35 36 37 38",
                  "00 DA 00 D6 02 01 20", "00 DA 01 02 02 AB CD", "00 DA 7F 21 03 30 01 00", "00 DA 00 C4 01 00"],
    "pgp-generate-sign": [PGP_SELECT, PGP_PW3, "00 DA 00 C1 0A 16 2B 06 01 04 01 DA 47 0F 01",
                          "00 47 80 00 02 B6 00 00", PGP_SIG, "00 2A 9E 9A 20" + " 42" * 32 + " 00",
                          "00 2A 9E 9A 20" + " 42" * 32 + " 00", "00 CA 00 93 00"],
    "pgp-ecdh": [PGP_SELECT, PGP_PW3, PGP_PW1, "00 DA 00 C2 0B 12 2B 06 01 04 01 97 55 01 05 01",
                 "00 47 80 00 02 B8 00 00", ext(0x2A, 0x80, 0x86, tlv("A6", tlv("7F49", tlv("86", bytes(range(1, 33))))))],
    "pgp-passwords": [PGP_SELECT, "00 20 00 82 06 30 30 30 30 30 30", PGP_PW1,
                      "00 24 00 81 0C 31 32 33 34 35 36 61 62 63 64 65 66", PGP_PW3,
                      "00 2C 02 81 06 31 31 31 31 31 31", "00 DA 00 D3 08 31 32 33 34 35 36 37 38",
                      "00 2C 00 81 0E 31 32 33 34 35 36 37 38 39 39 39 39 39 39", "00 20 FF 82"],
    "pgp-factory-reset": [PGP_SELECT] + ["00 20 00 83 08 40 40 40 40 40 40 40 40"] * 4 +
                         ["00 E6 00 00", RESET, PGP_SELECT, "00 44 00 00", PGP_SELECT, "00 CA 00 6E 00"],
    "pgp-import": [PGP_SELECT, PGP_PW3, "00 DA 00 C3 09 13 2A 86 48 CE 3D 03 01 07",
                   ext(0xDB, 0x3F, 0xFF, pgp_import(0xA4, [(0x92, bytes(range(1, 33)))])), PGP_PW1,
                   "00 88 00 00 20" + " 07" * 32 + " 00", "00 47 81 00 02 A4 00 00"],
    "pgp-interleaved": [PGP_SELECT, PGP_PW1, SELECT, VERIFY, PGP_SELECT, "00 20 00 82", SELECT, "00 20 00 80"],
})

# seeds with a store that refuses commits: name -> (flags, APDUs)
FAILING = {
    # GENERATE's commit fails (k = 0)
    "generate-store-fails": (3 | 0b000001 << 2, ADMIN["generate-p256"]),
    # the object's removal fails (k = 1), the CHUID's write succeeds
    "put-data-store-fails": (3 | 0b000010 << 2, ADMIN["put-data-objects"]),
    # CHANGE REFERENCE DATA: the try spent (k = 0) and given back (k = 1), the new PIN refused
    "change-pin-store-fails": (0b000100 << 2, SEEDS["change-unblock"]),
    # OpenPGP: every other commit refused
    "pgp-store-fails": (0b010101 << 2, SEEDS["pgp-passwords"] + SEEDS["pgp-admin"]),
}


def record(apdu):
    b = apdu if isinstance(apdu, bytes) else bytes.fromhex(apdu)
    return len(b).to_bytes(2, "big") + b


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    os.makedirs(out, exist_ok=True)
    seeds = [(name, 0, apdus) for name, apdus in SEEDS.items()]
    seeds += [(name, 3, apdus) for name, apdus in ADMIN.items()]
    seeds += [(name, flags, apdus) for name, (flags, apdus) in FAILING.items()]
    for name, flags, apdus in seeds:
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([flags]) + b"".join(record(a) for a in apdus))


if __name__ == "__main__":
    main()
