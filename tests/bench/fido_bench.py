# SPDX-License-Identifier: Apache-2.0
"""FIDO round trips through python-fido2 over PC/SC (tests/bench/fido.sh runs it once per
transport): ROUNDS MakeCredential and GetAssertion (ES256, non-discoverable, presence given at
once), each timed from python-fido2's call to its parsed answer. Prints one line per operation:
"NAME median p10 p90" in ms."""
import os
import statistics
import sys
import time

from fido2.ctap2 import Ctap2
from fido2.pcsc import CtapPcscDevice

reader, rounds = sys.argv[1], int(sys.argv[2])
ctap = Ctap2([d for d in CtapPcscDevice.list_devices() if reader in d._name][0])
RP = {"id": "bench.example", "name": "bench"}
ALG = [{"type": "public-key", "alg": -7}]
mc, ga = [], []
for i in range(rounds + 2):  # the first two warm the caches and are not counted
    t = time.perf_counter()
    att = ctap.make_credential(os.urandom(32), RP, {"id": b"u%d" % i, "name": "u"}, ALG)
    t_mc = time.perf_counter() - t
    allow = [{"type": "public-key", "id": att.auth_data.credential_data.credential_id}]
    t = time.perf_counter()
    ctap.get_assertion(RP["id"], os.urandom(32), allow)
    t_ga = time.perf_counter() - t
    if i >= 2:
        mc.append(t_mc * 1000)
        ga.append(t_ga * 1000)


def line(name, v):
    q = statistics.quantiles(v, n=10)
    print("%s %.2f %.2f %.2f" % (name, statistics.median(v), q[0], q[-1]))


line("make_credential", mc)
line("get_assertion", ga)
