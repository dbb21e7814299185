#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A raw PC/SC client that times PIV operations as ebourg/jsign's benchmark does (one
operation = its command and the GET RESPONSEs of its answer), on several readers in turn, so
that a timed card and an instant card are measured side by side under the same load.

apdu_timing.py [--reps N | --duration SECONDS] [--pin PIN] OP=SLOT... -- READER...
  OP: verify, select, read-cert (SLOT: the certificate's key reference), sign-rsa1024,
  sign-rsa2048, sign-p256, sign-p384 (SLOT: the key's reference; VERIFY is sent first, untimed)
Prints one JSON object: the median, the minimum and every sample in ms, by reader and OP.
With --duration, each OP is repeated on each reader for that long (one reader: while another
client works on another card)."""
import json
import statistics
import sys
import time

from smartcard.System import readers

PIV_AID = [0xA0, 0x00, 0x00, 0x03, 0x08]
ALG = {"rsa1024": (0x06, 128), "rsa2048": (0x07, 256), "p256": (0x11, 32), "p384": (0x14, 48)}
CERT_TAG = {0x9A: 0x5FC105, 0x9C: 0x5FC10A, 0x9D: 0x5FC10B, 0x9E: 0x5FC101}


def transmit(conn, head, body=(), le=False):
    """One operation: the command HEAD (CLA INS P1 P2) with BODY, chained when longer than a
    short APDU takes, and every GET RESPONSE of its answer; returns (data, sw)."""
    body = list(body)
    while len(body) > 255:
        part, body = body[:255], body[255:]
        _, s1, s2 = conn.transmit([head[0] | 0x10] + head[1:] + [255] + part)
        if (s1, s2) != (0x90, 0x00):
            return b"", s1 << 8 | s2
    r, s1, s2 = conn.transmit(head + ([len(body)] + body if body else []) + ([0] if le else []))
    data = bytes(r)
    while s1 == 0x61:
        r, s1, s2 = conn.transmit([0x00, 0xC0, 0x00, 0x00, s2])
        data += bytes(r)
    return data, s1 << 8 | s2


def pin_apdu(pin):
    return [0x00, 0x20, 0x00, 0x80], list(pin.encode()) + [0xFF] * (8 - len(pin)), False


def sign_apdu(alg, slot):
    algid, size = ALG[alg]
    if alg.startswith("rsa"):  # a PKCS #1 v1.5 block over 32 bytes, as jsign sends
        challenge = [0x00, 0x01] + [0xFF] * (size - 35) + [0x00] + [0x11] * 32
    else:
        challenge = [0x11] * size
    inner = [0x82, 0x00, 0x81] + der_len(len(challenge)) + challenge
    tmpl = [0x7C] + der_len(len(inner)) + inner
    return [0x00, 0x87, algid, slot], tmpl, True


def der_len(n):
    return [n] if n < 0x80 else [0x81, n] if n < 0x100 else [0x82, n >> 8, n & 0xFF]


def measure(conn, op, slot, pin, reps):
    select = [0x00, 0xA4, 0x04, 0x00], PIV_AID, False
    _, sw = transmit(conn, *select)
    assert sw == 0x9000, f"SELECT: {sw:04X}"
    if op == "verify":
        cmd = pin_apdu(pin)
    elif op == "select":
        cmd = select
    elif op == "read-cert":
        t = CERT_TAG[slot]
        cmd = [0x00, 0xCB, 0x3F, 0xFF], [0x5C, 0x03, t >> 16, (t >> 8) & 0xFF, t & 0xFF], True
    elif op.startswith("sign-"):
        cmd = sign_apdu(op[5:], slot)
    else:
        raise SystemExit(f"unknown op {op}")
    samples = []
    for _ in range(reps):
        if op.startswith("sign-"):
            _, sw = transmit(conn, *pin_apdu(pin))
            assert sw == 0x9000, f"VERIFY before {op}: {sw:04X}"
        t0 = time.perf_counter()
        data, sw = transmit(conn, *cmd)
        samples.append((time.perf_counter() - t0) * 1000)
        assert sw == 0x9000, f"{op}: {sw:04X}"
        assert op in ("verify", "select") or len(data) > 16, f"{op}: {len(data)} bytes"
    return samples


def wake_delays(reps, hold=0.005):
    """How late this machine wakes a process whose sleep is over (ms): what a held answer's
    timer in vtokend waits for a core too, measured now, under the load of this moment."""
    late = []
    for _ in range(reps):
        t0 = time.monotonic()
        time.sleep(hold)
        late.append((time.monotonic() - t0 - hold) * 1000)
    return late


def main(argv):
    reps, pin, ops, duration = 7, "123456", [], 0.0
    i = 0
    while argv[i] != "--":
        if argv[i] == "--reps":
            reps, i = int(argv[i + 1]), i + 2
        elif argv[i] == "--duration":
            duration, i = float(argv[i + 1]), i + 2
        elif argv[i] == "--pin":
            pin, i = argv[i + 1], i + 2
        else:
            op, _, slot = argv[i].partition("=")
            ops.append((op, int(slot, 16) if slot else 0))
            i += 1
    names = argv[i + 1:]
    conns = {}
    for r in readers():
        if str(r) in names:
            conns[str(r)] = r.createConnection()
            conns[str(r)].connect()
    missing = [n for n in names if n not in conns]
    assert not missing, f"no reader {missing} among {[str(r) for r in readers()]}"
    out = {n: {} for n in names}
    raw = {n: {} for n in names}
    wake = []
    for op, slot in ops:
        if duration:
            end = time.monotonic() + duration
            while time.monotonic() < end:
                for n in names:
                    raw[n].setdefault(op, []).extend(measure(conns[n], op, slot, pin, 1))
            continue
        # the readers take turns, a few operations each, so that both see the same load
        for _ in range(3):
            for n in names:
                raw[n].setdefault(op, []).extend(measure(conns[n], op, slot, pin, reps))
            wake.extend(wake_delays(reps))
    low = {n: {} for n in names}
    for n in names:
        for op, s in raw[n].items():
            out[n][op] = round(statistics.median(s), 3)
            low[n][op] = round(min(s), 3)
    print(json.dumps({"median_ms": out, "min_ms": low, "samples_ms": raw,
                      "wake_late_ms": round(statistics.median(wake), 3) if wake else 0.0}))


if __name__ == "__main__":
    main(sys.argv[1:])
