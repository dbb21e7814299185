#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpus of fuzz_vtlink: what vtokend sends the driver, as it sends it. A byte
naming the request in flight (0 none; else its low two bits: 0 POWER_ON, 1 POWER_OFF, 2 RESET,
3 APDU), then records of a 1-byte chunk size and that many bytes of the stream (driver/vtlink.h:
type, 24-bit length, body)."""
import os
import sys

HELLO, PRESENT, WAIT, ATR, DONE, RAPDU, NOCARD = 0x01, 0x02, 0x03, 0x20, 0x21, 0x22, 0x23
POWER_ON, POWER_OFF, RESET, APDU = 4, 1, 2, 3


def msg(t, body=b""):
    n = len(body)
    return bytes([t, n >> 16 & 255, n >> 8 & 255, n & 255]) + body


def records(stream, chunk=255):
    out = b""
    for i in range(0, len(stream), chunk):
        c = stream[i:i + chunk]
        out += bytes([len(c)]) + c
    return out


YK_ATR = bytes.fromhex("3bfd1300008131fe158073c021c057597562694b657940")
SEEDS = {
    "hello-present-atr": (POWER_ON, msg(HELLO, b"\x01\x01") + msg(ATR, YK_ATR), 255),
    "hello-absent-present": (0, msg(HELLO, b"\x01\x00") + msg(PRESENT), 255),
    "apdu-wait-rapdu": (APDU, msg(HELLO, b"\x01\x01") + msg(WAIT) + msg(WAIT) +
                        msg(RAPDU, b"\x61\x10\x90\x00"), 3),
    "power-off-done": (POWER_OFF, msg(HELLO, b"\x01\x01") + msg(DONE), 255),
    "nocard": (RESET, msg(HELLO, b"\x01\x00") + msg(NOCARD), 255),
    "bad-version": (POWER_ON, msg(HELLO, b"\x02\x01"), 255),
    "large-rapdu": (APDU, msg(HELLO, b"\x01\x01") + msg(RAPDU, b"\xAA" * 4000 + b"\x90\x00"), 255),
}

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus-vtlink")
os.makedirs(out, exist_ok=True)
for name, (asked, stream, chunk) in SEEDS.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([asked]) + records(stream, chunk))
