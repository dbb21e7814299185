#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Timing personalities (docs/timing.md): a card made with --timing yubikey5 and an instant card,
# side by side in one `vtoken run`, under the same load. A raw PC/SC client (pyscard) times
# SELECT, VERIFY, a certificate read and RSA-2048, P-256 and P-384 signatures on both: each timed
# operation takes at least the table's figure, and is within 10 % of the figure plus the instant
# card's time. pkcs11-tool (login, the three signatures, a certificate read) and ykman piv info
# take the instant card's time plus what the trace shows held, within 10 %, and the trace holds
# each operation for its figure. While the timed card signs, the instant card's commands are
# answered at once: the hold blocks neither another card nor the daemon. The figures are read
# from docs/timing.md's table, which test_timing checks is the product's.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import smartcard' 2>/dev/null ||
  skip "pyscard is not installed (python3-pyscard; scripts/install-deps.sh installs it)"
command -v ykman >/dev/null || skip "ykman is not installed (yubikey-manager)"

# The images live on a tmpfs where there is one: VERIFY makes its retry counter durable (fsync)
# before it compares the PIN, which on a disk shared with parallel tests alone takes longer than
# the token's 9 ms; the card's figure then absorbs it (the cost counts from the arrival).
D=$T
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  D=$(mktemp -d /dev/shm/vt-timing.XXXXXX)
  trap 'rm -rf "$T" "$D"' EXIT
fi
keys=(-g 9a:rsa2048 -g 9c:p256 -g 9e:p384)
"$VTOKEN" init "$D/instant" --compat yubikey "${keys[@]}" >/dev/null
"$VTOKEN" init "$D/timed" --compat yubikey --timing yubikey5 "${keys[@]}" >"$T/init.log"
grep -qx 'Timing: yubikey5' "$T/init.log" || fail "vtoken init does not say the card's timing"
grep -qx 'timing = yubikey5' "$D/timed/card.ini" || fail "card.ini does not keep timing = yubikey5"
grep -q timing "$D/instant/card.ini" && fail "an instant card's card.ini speaks of timing"
[ "$("$VTOKEN" init --list timing | tr '\n' ' ')" = "instant yubikey5 " ] ||
  fail "vtoken init --list timing: $("$VTOKEN" init --list timing | tr '\n' ' ')"
pass "vtoken init --timing yubikey5 writes timing = yubikey5; --list timing lists the tables"

echo "data signed by a timed card" >"$T/data"
cat >"$T/client.sh" <<'SH'
set -u
source "$VT_LIB"
R0=$VTOKEN_CARD0_READER R1=$VTOKEN_CARD1_READER M=$VTOKEN_PKCS11_MODULE
"$VTOKEN" ctl status --json >"$T/status.json"
# 1. the raw client, operation by operation, the readers taking turns
/usr/bin/python3 "$VT_SRC/tests/integration/tools/apdu_timing.py" --reps 8 select verify \
  read-cert=9a sign-rsa2048=9a sign-p256=9c sign-p384=9e -- "$R0" "$R1" >"$T/raw.json" ||
  fail "the raw PC/SC client failed"
# 2. pkcs11-tool and ykman: each run's wall time, and the trace lines it made
lines() { wc -l <"$T/trace.txt"; }
timed_run() { # NAME CARD COMMAND...
  local name=$1 card=$2 before t0 t1
  shift 2
  before=$(lines)
  t0=${EPOCHREALTIME/[.,]/}
  "$@" >"$T/$name-$card.out" 2>&1 || { cat "$T/$name-$card.out"; fail "$name on card $card failed"; }
  t1=${EPOCHREALTIME/[.,]/}
  echo "$name $card $(((t1 - t0))) $before $(lines)" >>"$T/runs.txt"
}
# OpenSC sees one card per run (it reads every card it finds when it starts)
for card in 0 1; do
  other=$R1 && [ "$card" = 1 ] && other=$R0
  printf 'app default {\n  ignored_readers = "%s";\n  framework pkcs15 {\n    use_file_caching = no;\n  }\n}\n' \
    "$other" >"$T/opensc-$card.conf"
done
p11() { OPENSC_CONF=$T/opensc-$1.conf pkcs11-tool --module "$M" "${@:2}"; }
for rep in 1 2 3 4 5; do
  for card in 0 1; do
    reader=$R0 && [ "$card" = 1 ] && reader=$R1
    timed_run login "$card" p11 "$card" --login --pin 123456 --list-objects --type privkey
    timed_run sign-rsa2048 "$card" p11 "$card" --login --pin 123456 --sign --id 01 \
      -m SHA256-RSA-PKCS -i "$T/data" -o "$T/sig"
    timed_run sign-p256 "$card" p11 "$card" --login --pin 123456 --sign --id 02 \
      -m ECDSA-SHA256 -i "$T/data" -o "$T/sig"
    timed_run sign-p384 "$card" p11 "$card" --login --pin 123456 --sign --id 04 \
      -m ECDSA-SHA384 -i "$T/data" -o "$T/sig"
    timed_run read-cert "$card" p11 "$card" --read-object --type cert --id 01 -o "$T/cert.der"
    timed_run ykman-piv-info "$card" ykman --reader "$reader" piv info
  done
done
# 3. the instant card's SELECTs while the timed card signs
before=$(lines)
/usr/bin/python3 "$VT_SRC/tests/integration/tools/apdu_timing.py" --duration 2 \
  sign-rsa2048=9a -- "$R1" >"$T/busy.json" &
signer=$!
/usr/bin/python3 "$VT_SRC/tests/integration/tools/apdu_timing.py" --duration 2 select -- "$R0" \
  >"$T/beside.json" || fail "the instant card's client failed"
wait "$signer" || fail "the timed card's signer failed"
echo "$before $(lines)" >"$T/beside.lines"
SH
: >"$T/runs.txt"
export T
"$VTOKEN" run --reader-name "Yubico YubiKey OTP+FIDO+CCID" --card "$D/instant" --card "$D/timed" \
  --trace "$T/trace.txt" -- bash "$T/client.sh" >"$T/client.log" 2>&1 ||
  { sed 's/^/# /' "$T/client.log"; fail "the clients failed"; }

/usr/bin/python3 - "$T" "$VT_SRC/docs/timing.md" <<'PY' >"$T/check.log" 2>&1 || { sed 's/^/# /' "$T/check.log"; fail "timing checks failed"; }
import json, re, statistics, sys
from datetime import datetime
T, doc = sys.argv[1:]
fig = {}
for line in open(doc):
    m = re.match(r"\| ([a-z0-9-]+) \| ([0-9.]+) \|", line)
    if m:
        fig[m[1]] = float(m[2])
bad = []
def check(ok, what):
    print(("ok " if ok else "NOT OK ") + what)
    if not ok:
        bad.append(what)

status = {c["name"]: c for c in json.load(open(f"{T}/status.json"))["cards"]}
check(status["card0"]["timing"] == "instant" and status["card1"]["timing"] == "yubikey5",
      "vtoken ctl status shows each card's timing")

# 1. the raw client: the timed card's operation = figure + the instant card's, within 10 %
raw_all = json.load(open(f"{T}/raw.json"))
raw = raw_all["min_ms"]
inst, timed = (raw[k] for k in sorted(raw))  # "... 00 00" or "... 00 01"/"01 00"
# A held answer leaves on a timer: vtokend's loop, asleep for the figure, then waits for a core
# as any sleeper does. How late a sleeper wakes now (the client's own sleeps, measured between
# the operations: median) is added to the allowance; on a quiet machine it is about 0.1 ms,
# with another test run beside this one (CI) it was 1 ms.
late = raw_all["wake_late_ms"]
for op in ["select", "verify", "read-cert", "sign-rsa2048", "sign-p256", "sign-p384"]:
    row = op
    want = fig[row] + inst[op]
    # SELECT's 1.257 ms leaves 0.14 ms, less than a busy machine's scheduling: 0.5 ms there
    slack = max(0.10 * want, 0.5 if op == "select" else 0) + late
    check(timed[op] >= fig[row] and abs(timed[op] - want) <= slack,
          f"raw {op}: {timed[op]:.3f} ms on the timed card, {inst[op]:.3f} ms on the instant "
          f"one: figure {fig[row]} + instant = {want:.3f} ms (within 10 % + a sleeper's "
          f"lateness now, {late:.3f}: {slack:.3f})")

# the trace: what each command was held for, by card
trace = open(f"{T}/trace.txt").read().splitlines()
held_re = re.compile(r"\[(?:.*; )?\+([0-9.]+) ms \(timing yubikey5\)")
def held(line):
    m = held_re.search(line)
    return float(m[1]) if m else 0.0
check(not any(held(l) for l in trace if " card0 " in l), "the instant card's trace holds nothing")

# 2. pkcs11-tool and ykman: in each run, the operation's command is held for its figure, and
# the trace (which stamps a held answer when it leaves) times it at the figure plus the instant
# card's time for it, within 10 % (a process's start on a busy machine varies more than the
# figures: the trace's times are the card's)
def when(l):
    return datetime.strptime(l.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
def took(l):
    return float(re.search(r"\(([0-9.]+) ms\)", l)[1])
runs = {}
for line in open(f"{T}/runs.txt"):
    name, card, us, a, b = line.split()
    runs.setdefault((name, card), []).extend(l for l in trace[int(a):int(b)] if f" card{card} " in l)
op_line = {"login": ("VERIFY 00 20 00 80 08", "verify"),
           "sign-rsa2048": ("GENERAL AUTHENTICATE 00 87 07 9A", "sign-rsa2048"),
           "sign-p256": ("GENERAL AUTHENTICATE 00 87 11 9C", "sign-p256"),
           "sign-p384": ("GENERAL AUTHENTICATE 00 87 14 9E", "sign-p384"),
           "read-cert": ("5C 03 5F C1 05", "read-cert"),
           "ykman-piv-info": ("5C 03 5F C1 05", "read-cert")}
for name, (needle, row) in op_line.items():
    timed = [l for l in runs[(name, "1")] if needle in l]
    inst = [l for l in runs[(name, "0")] if needle in l]
    holds = sorted({held(l) for l in timed})
    check(timed and inst and holds == [fig[row]],
          f"{name}: the trace holds each '{needle}' for {row}'s {fig[row]} ms: {holds}")
    t_timed, t_inst = min(map(took, timed)), min(map(took, inst))
    want = fig[row] + t_inst
    check(t_timed >= fig[row] and abs(t_timed - want) <= 0.10 * want,
          f"{name}: '{needle}' took {t_timed:.3f} ms on the timed card, {t_inst:.3f} ms on the "
          f"instant one: figure {fig[row]} + instant = {want:.3f} ms (10 %: {0.1 * want:.3f})")

# 3. the instant card beside a signing one: answered at once, while the signatures were held
beside = json.load(open(f"{T}/beside.json"))["samples_ms"]
lat = next(iter(beside.values()))["select"]
a, b = map(int, open(f"{T}/beside.lines").read().split())
window = trace[a:b]
signs = [when(l) for l in window if " card1 GENERAL AUTHENTICATE" in l and held(l)]
inside = [l for l in window if " card0 " in l and
          any(s < when(l) < s + fig["sign-rsa2048"] / 1000 for s in signs)]
check(len(signs) >= 5, f"the timed card signed {len(signs)} times in 2 s")
check(len(inside) >= 10, f"{len(inside)} of the instant card's commands came while a signature "
      f"was held")
check(statistics.median(lat) < 20,
      f"the instant card answered in {statistics.median(lat):.2f} ms (median of {len(lat)}; "
      f"max {max(lat):.1f}), not after the {fig['sign-rsa2048']} ms signature")
sys.exit(1 if bad else 0)
PY
sed 's/^/# /' "$T/check.log"
pass "a yubikey5 card takes the token's time per operation (raw PC/SC, pkcs11-tool, ykman) and holds up no other card"
