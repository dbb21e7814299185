#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Both transports side by side in one run, vpcd (vsmartcard's driver, TCP) and vtoken's own
# reader driver (a local socket, event-driven presence):
#   - APDU round trip of vtokend (PIV GET DATA) against a card that answers 90 00 at once over
#     the same transport code (floor-card), interleaved on one pcscd;
#   - removal and insertion seen by a PC/SC client (SCardGetStatusChange), from the control
#     request on (presence-latency);
#   - `vtoken run --card IMG -- true`, the whole environment up and down;
#   - one `pkcs11-tool --login --sign` process (RSA-2048, 9A) against the same on SoftHSM2;
#   - signatures per second in one PKCS#11 session (sign-loop);
#   - with --p11test (or VT_BENCH_P11TEST=1): OpenSC's p11test, wall time of a whole run
#     against the card on each transport and against SoftHSM2 (tests/bench/p11test.sh builds
#     it once from Debian's source of the installed opensc, cached in the build tree).
# Cards side by side (a card's latency while another generates keys, signatures of 1-16 cards
# at once against openssl's ceiling) are tests/bench/cards.sh's, in docs/bench-cards.md.
# Medians with spread (10th-90th percentile, or min-max where noted). Writes the figures as
# data files and a report, then draws the plots with gnuplot (tests/bench/plot.gp).
# Usage: compare.sh [--quick] [--p11test] [--build DIR] [--out DIR]
#   --build DIR  the build tree with vtoken, vtokend and the bench tools (default: $VT_BUILD,
#                else build/); --out DIR  where bench.md, *.dat and *.png go (default: docs/)
# The one command that reruns everything: tests/bench/compare.sh --build build
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
quick= build=${VT_BUILD:-$src/build} out=$src/docs p11=${VT_BENCH_P11TEST:-}
while [ $# -gt 0 ]; do
  case $1 in
  --quick) quick=1 ;;
  --p11test) p11=1 ;;
  --build) build=$2; shift ;;
  --out) out=$2; shift ;;
  *) echo "usage: compare.sh [--quick] [--p11test] [--build DIR] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
VTOKEN=${VTOKEN:-$build/vtoken}
APDU_BENCH=$build/tests/bench/apdu-bench FLOOR_CARD=$build/tests/bench/floor-card
SIGN_LOOP=$build/tests/bench/sign-loop PRESENCE_LATENCY=$build/tests/presence-latency
for b in "$VTOKEN" "$APDU_BENCH" "$FLOOR_CARD" "$SIGN_LOOP" "$PRESENCE_LATENCY"; do
  [ -x "$b" ] || { echo "compare.sh: $b missing: build the tree first (cmake --build $build)" >&2; exit 1; }
done
OPENSC=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
if [ -n "$quick" ]; then # the smoke run: everything works and prints figures, quickly
  apdu_rounds=4 lat_vpcd=1 lat_driver=5 runs=1 signs=2 loop_s=0.3 p11_runs=1 strace_rounds=2
  fido_rounds=3
  keys=(--generate 9a:rsa1024)
else
  apdu_rounds=40 lat_vpcd=15 lat_driver=50 runs=15 signs=15 loop_s=3 p11_runs=7
  strace_rounds=20 fido_rounds=50
  keys=() # the piv profile's: RSA-2048 in 9A
fi
P11TEST=
if [ -n "$p11" ]; then # built (or found in the cache) first: no build inside the timings
  P11TEST=$("$here/p11test.sh" --build "$build")
fi
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
load_before=$(cut -d' ' -f1 /proc/loadavg)
mkdir -p "$out"
export T VTOKEN APDU_BENCH FLOOR_CARD SIGN_LOOP PRESENCE_LATENCY OPENSC SOFTHSM apdu_rounds signs
export lat_vpcd lat_driver loop_s strace_rounds XDG_CACHE_HOME="$T/cache" OPENSC_CONF="$T/opensc.conf"
# no file caching (each card is new)
printf 'app default {\n  framework pkcs15 {\n    use_file_caching = no;\n  }\n}\n' >"$OPENSC_CONF"
for i in 0 1; do "$VTOKEN" init "$T/c$i" "${keys[@]}" >/dev/null; done

reader() { # TRANSPORT INDEX
  if [ "$1" = driver ]; then printf 'Virtual PCD %02X 00' "$2"; else printf 'Virtual PCD 00 %02X' "$2"; fi
}
export -f reader

# quantiles of the numbers on stdin: "median p10 p90 min max"
stats() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (!NR) exit 1
    lo = int(NR * 0.1) + 1; hi = int(NR * 0.9); if (hi < 1) hi = 1; if (lo > NR) lo = NR
    printf "%s %s %s %s %s\n", v[int((NR + 1) / 2)], v[lo], v[hi], v[1], v[NR] }'
}

for t in vpcd driver; do
  echo "== $t: APDU round trip, presence, one-shot signatures, one session" >&2
  export t
  "$VTOKEN" run --transport "$t" --card "$T/c0" --card "$T/c1" -- bash -c '
    set -e
    r0=$(reader "$t" 0) r1=$(reader "$t" 1)
    # card1 leaves vtokend (reload); the floor card takes its reader
    python3 - "$VTOKEN_RUN_DIR/vtokend.conf" <<PY
import re, sys
p = sys.argv[1]
s = re.sub(r"\[card card1\][^\[]*", "", open(p).read())
open(p, "w").write(s)
PY
    kill -HUP "$(pidof vtokend)"
    "$VTOKEN" wait --exactly 1 --timeout 20
    # vpcd listens in the network namespace of the run'\''s pcscd and vtokend, not COMMAND'\''s
    if [ "$t" = driver ]; then "$FLOOR_CARD" --driver "$VTOKEN_RUN_DIR/card1.sock" &
    else nsenter --net="$VTOKEN_NETNS" -- "$FLOOR_CARD" 35964 & fi
    floor=$!
    "$VTOKEN" wait --exactly 2 --timeout 20
    "$APDU_BENCH" "$apdu_rounds" "$r0" "$r1" >"$T/apdu-$t"
    # system calls per APDU: vtokend'\''s and the floor card'\''s, strace -c -f over a run of GET
    # DATA on each alone (not timed: strace slows every call)
    for who in vtokend floor; do
      if [ "$who" = vtokend ]; then pid=$(pgrep -f -- "--config $VTOKEN_RUN_DIR/vtokend.conf" | head -n1) r=$r0
      else pid=$floor r=$r1; fi
      strace -c -f -o "$T/strace-$t-$who" -p "$pid" 2>/dev/null &
      st=$!
      if timeout 10 bash -c "until grep -Eq \"^TracerPid:[[:space:]]+[1-9]\" /proc/$pid/status; do sleep 0.01; done"; then
        "$APDU_BENCH" "$strace_rounds" "$r" >/dev/null
      else
        echo "compare.sh: strace could not attach to $who ($pid): no system call counts" >&2
      fi
      kill -INT "$st" 2>/dev/null; wait "$st" || true
    done
    kill "$floor"; wait "$floor" || true
    "$VTOKEN" wait --exactly 1 --timeout 20
    lat=$lat_driver; [ "$t" = driver ] || lat=$lat_vpcd
    "$PRESENCE_LATENCY" "$r0" card0 "$lat" >"$T/latency-$t"
    # one-shot signatures, alternating with SoftHSM2
    export SOFTHSM2_CONF=$T/softhsm2.conf
    mkdir -p "$T/softhsm"
    printf "directories.tokendir = %s\nobjectstore.backend = file\n" "$T/softhsm" >"$SOFTHSM2_CONF"
    if ! pkcs11-tool --module "$SOFTHSM" -L 2>/dev/null | grep -q "token label *: bench"; then
      softhsm2-util --init-token --free --label bench --pin 123456 --so-pin 12345678 >/dev/null
      pkcs11-tool --module "$SOFTHSM" --token-label bench --login --pin 123456 \
        --keypairgen --key-type rsa:2048 --id 01 --label rsa >/dev/null
    fi
    head -c 1000 /dev/urandom >"$T/data"
    for i in $(seq "$signs"); do
      s=${EPOCHREALTIME/[.,]/}
      pkcs11-tool --module "$OPENSC" --login --pin 123456 --sign --id 01 -m SHA256-RSA-PKCS \
        -i "$T/data" -o "$T/sig" >/dev/null 2>&1
      echo "card $(( ${EPOCHREALTIME/[.,]/} - s ))"
      s=${EPOCHREALTIME/[.,]/}
      pkcs11-tool --module "$SOFTHSM" --token-label bench --login --pin 123456 --sign --id 01 \
        -m SHA256-RSA-PKCS -i "$T/data" -o "$T/sig" >/dev/null 2>&1
      echo "hsm $(( ${EPOCHREALTIME/[.,]/} - s ))"
    done >"$T/sign-$t"
    "$SIGN_LOOP" "$OPENSC" 0 123456 01 "$loop_s" >"$T/loop-$t"
  '
done

echo "== vtoken run -- true, alternating" >&2
for i in $(seq "$runs"); do
  for t in vpcd driver; do
    s=${EPOCHREALTIME/[.,]/}
    "$VTOKEN" run --transport "$t" --card "$T/c0" -- true
    echo "$t $(( ${EPOCHREALTIME/[.,]/} - s ))" >>"$T/run"
  done
done

if [ -n "$P11TEST" ]; then
  echo "== OpenSC p11test, alternating: vpcd, driver, SoftHSM2" >&2
  export P11TEST SOFTHSM2_CONF=$T/softhsm2.conf
  hsm_slot=$(pkcs11-tool --module "$SOFTHSM" -L 2>/dev/null |
    awk '/^Slot / { s = $3 } /token label *: bench$/ { print s; exit }' | tr -d '():')
  hsm_slot=$((hsm_slot)) # p11test takes the slot's ID in decimal
  [ -n "$hsm_slot" ] || { echo "compare.sh: SoftHSM2 token bench not found" >&2; exit 1; }
  p11() { # LABEL MODULE SLOT: one p11test run, its wall time in us, failing loudly
    local s=${EPOCHREALTIME/[.,]/}
    if ! "$P11TEST" -m "$2" -s "$3" -p 123456 >"$T/p11test-$1.log" 2>&1; then
      echo "compare.sh: p11test against $1 failed:" >&2; tail -20 "$T/p11test-$1.log" >&2; return 1
    fi
    echo "$1 $(( ${EPOCHREALTIME/[.,]/} - s ))"
  }
  export -f p11
  for i in $(seq "$p11_runs"); do
    for t in vpcd driver; do
      "$VTOKEN" run --transport "$t" --card "$T/c0" -- bash -c 'p11 "$1" "$OPENSC" 0' _ "$t" >>"$T/p11test"
    done
    p11 softhsm "$SOFTHSM" "$hsm_slot" >>"$T/p11test"
  done
fi

fido=
if /usr/bin/python3 -c 'import fido2.pcsc' 2>/dev/null; then
  echo "== FIDO round trips through python-fido2 (tests/bench/fido.sh)" >&2
  "$here/fido.sh" --build "$build" --rounds "$fido_rounds" --out "$T/fido.md"
  fido=$T/fido.md
fi

# ---- figures ----
# system calls per APDU from strace -c's table: "name count, ..." (the calls over the APDUs)
per_apdu() { # FILE
  [ -s "$1" ] || { echo "not measured"; return; }
  awk -v n="$((strace_rounds * 50))" '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" {
    c = $4 / n; total += c
    if (c >= 0.05) out = out sprintf("%s%s %.1f", out == "" ? "" : ", ", $NF, c)
  }
  END { printf "%.1f (%s)", total, out }' "$1"
}
field() { tr '\t' '\n' <"$1" | grep -A5 -F "$2" | sed -n "s/^$3=//p" | head -n1; }
{
  echo "# transport vtokend_median p10 p90 floor_median p10 p90"
  for t in vpcd driver; do
    r0=$(reader "$t" 0) r1=$(reader "$t" 1)
    echo "$t $(field "$T/apdu-$t" "$r0" median_ms) $(field "$T/apdu-$t" "$r0" p10_ms) $(field "$T/apdu-$t" "$r0" p90_ms)" \
      "$(field "$T/apdu-$t" "$r1" median_ms) $(field "$T/apdu-$t" "$r1" p10_ms) $(field "$T/apdu-$t" "$r1" p90_ms)"
  done
} >"$out/bench-apdu.dat"
{
  echo "# transport remove_median p10 p90 min max insert_median p10 p90 min max (ms)"
  for t in vpcd driver; do
    echo "$t $(sed -n 's/.*remove \([0-9.]*\) ms.*/\1/p' "$T/latency-$t" | stats)" \
      "$(sed -n 's/.*insert \([0-9.]*\) ms.*/\1/p' "$T/latency-$t" | stats)"
  done
} >"$out/bench-latency.dat"
{
  echo "# transport run_true_median p10 p90 min max (ms)"
  for t in vpcd driver; do echo "$t $(grep "^$t " "$T/run" | cut -d' ' -f2 | awk '{ print $1 / 1000 }' | stats)"; done
} >"$out/bench-run.dat"
{
  echo "# transport card_sign_median p10 p90 min max softhsm_median p10 p90 min max (ms) loop_per_second"
  for t in vpcd driver; do
    echo "$t $(grep '^card ' "$T/sign-$t" | awk '{ print $2 / 1000 }' | stats)" \
      "$(grep '^hsm ' "$T/sign-$t" | awk '{ print $2 / 1000 }' | stats) $(sed -n 's/.*per_second=//p' "$T/loop-$t")"
  done
} >"$out/bench-sign.dat"
if [ -n "$P11TEST" ]; then
  {
    echo "# module p11test_wall_median p10 p90 min max (ms)"
    for t in vpcd driver softhsm; do echo "$t $(grep "^$t " "$T/p11test" | awk '{ print $2 / 1000 }' | stats)"; done
  } >"$out/bench-p11test.dat"
fi

col() { awk -v t="$2" -v c="$3" '$1 == t { print $c }' "$out/$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
range() { printf '%s (%s–%s)' "$(col "$1" "$2" "$3")" "$(col "$1" "$2" "$4")" "$(col "$1" "$2" "$5")"; }
{
  echo "# vpcd and vtoken's own driver, side by side"
  echo
  echo "Measured by \`tests/bench/compare.sh\` in one run ($(nproc) cores, $(date -u +%Y-%m-%d), load"
  echo "average $load_before before and $(cut -d' ' -f1 /proc/loadavg) after);"
  echo "medians, with the 10th–90th percentile (or min–max where said) in brackets. On a busy"
  echo "machine the sub-0.1 ms figures move by tens of percent from run to run."
  echo "Rerun everything, plots included: \`tests/bench/compare.sh --build build${P11TEST:+ --p11test}\`."
  echo
  echo "What each ratio is against: \"vtokend / that floor\" is vtokend's APDU round trip over that of"
  echo "floor-card (tests/bench/floor_card.c), a card that answers 90 00 at once over the same"
  echo "transport code, measured interleaved on the same pcscd: 1.00 would be a card that costs"
  echo "nothing. The signing rows stand beside SoftHSM2 doing the same through its own PKCS#11"
  echo "module, alternated in the same run. Cards side by side (one card's latency while another"
  echo "generates keys, signatures of 1 to 16 cards at once against openssl's ceiling) are in"
  echo "[bench-cards.md](bench-cards.md), by \`tests/bench/cards.sh\`."
  echo
  echo "The table \"signatures per second, all cards signing at once\" that stood here until 2026-12 is"
  echo "withdrawn: it added up each process's own rate, but OpenSC's C_Initialize in each process"
  echo "waited for the other cards, so the processes signed one after another, not at once (its 4,718"
  echo "per second for 8 cards on 2 cores was beyond what openssl alone makes). bench-cards.md measures"
  echo "cards side by side with one raw PC/SC client per reader over a common window instead."
  echo
  echo "| | vpcd | driver |"
  echo "|---|---|---|"
  echo "| APDU round trip, vtokend (PIV GET DATA), ms | $(range bench-apdu.dat vpcd 2 3 4) | $(range bench-apdu.dat driver 2 3 4) |"
  echo "| APDU round trip, a card answering 90 00 at once over the same transport, ms | $(range bench-apdu.dat vpcd 5 6 7) | $(range bench-apdu.dat driver 5 6 7) |"
  echo "| vtokend / that floor | **$(ratio "$(col bench-apdu.dat vpcd 2)" "$(col bench-apdu.dat vpcd 5)")** | **$(ratio "$(col bench-apdu.dat driver 2)" "$(col bench-apdu.dat driver 5)")** |"
  echo "| \`vtoken ctl remove\` seen by SCardGetStatusChange, ms (min–max) | $(col bench-latency.dat vpcd 2) ($(col bench-latency.dat vpcd 5)–$(col bench-latency.dat vpcd 6)) | $(col bench-latency.dat driver 2) ($(col bench-latency.dat driver 5)–$(col bench-latency.dat driver 6)) |"
  echo "| \`vtoken ctl insert\` seen by SCardGetStatusChange, ms (min–max) | $(col bench-latency.dat vpcd 7) ($(col bench-latency.dat vpcd 10)–$(col bench-latency.dat vpcd 11)) | $(col bench-latency.dat driver 7) ($(col bench-latency.dat driver 10)–$(col bench-latency.dat driver 11)) |"
  echo "| \`vtoken run --card IMG -- true\`, ms | $(range bench-run.dat vpcd 2 3 4) | $(range bench-run.dat driver 2 3 4) |"
  echo "| one \`pkcs11-tool --login --sign\` (RSA-2048, 9A), ms | $(range bench-sign.dat vpcd 2 3 4) | $(range bench-sign.dat driver 2 3 4) |"
  echo "| ... the same on SoftHSM2, ms | $(range bench-sign.dat vpcd 7 8 9) | $(range bench-sign.dat driver 7 8 9) |"
  echo "| signatures per second in one session (RSA-2048) | $(col bench-sign.dat vpcd 12) | $(col bench-sign.dat driver 12) |"
  echo
  echo "System calls per APDU (\`strace -c -f\` on the process, all its threads, over $((strace_rounds * 50))"
  echo "GET DATA on its card alone; not timed): a GET DATA only reads, so vtokend's loop runs it"
  echo "itself while the card's worker is idle and sends the answer (a command that commits or uses a"
  echo "private key goes to the card's worker instead: a futex wake-up there, an eventfd write and"
  echo "read back); sd-event asks gettid once a turn. The floor card has one thread and no card"
  echo "behind it."
  echo
  echo "| | vpcd | driver |"
  echo "|---|---|---|"
  echo "| vtokend | $(per_apdu "$T/strace-vpcd-vtokend") | $(per_apdu "$T/strace-driver-vtokend") |"
  echo "| the floor card | $(per_apdu "$T/strace-vpcd-floor") | $(per_apdu "$T/strace-driver-floor") |"
  echo
  echo "![APDU round trip](bench-apdu.png) ![presence](bench-latency.png)"
  echo
  if [ -n "$P11TEST" ]; then
    echo "OpenSC's p11test (built by \`tests/bench/p11test.sh\` from Debian's source of opensc"
    echo "$(cat "$P11TEST.source" 2>/dev/null) against the installed $(dpkg-query -W -f='${Version}' opensc)), wall time of a whole run with the PIN, $p11_runs runs each, ms:"
    echo
    echo "| vpcd | driver | SoftHSM2 |"
    echo "|---|---|---|"
    echo "| $(range bench-p11test.dat vpcd 2 3 4) | $(range bench-p11test.dat driver 2 3 4) | $(range bench-p11test.dat softhsm 2 3 4) |"
  else
    echo "OpenSC's p11test is not part of this run: Debian does not package it; \`--p11test\` builds it"
    echo "from Debian's source of the installed opensc (tests/bench/p11test.sh) and times it."
  fi
  echo
  echo "## FIDO round trips through python-fido2"
  echo
  echo "CTAP2 over PC/SC as through an NFC reader (python-fido2's \`CtapPcscDevice\`, a fresh \`fido\`"
  echo "image, presence given at once), each round trip timed from python-fido2's call to its parsed"
  echo "answer. Rerun this part alone: \`tests/bench/fido.sh --build build\`."
  echo
  if [ -n "$fido" ]; then cat "$fido"; else echo "Not part of this run: python3-fido2 is not installed."; fi
} >"$out/bench.md"
cat "$out/bench.md"
if command -v gnuplot >/dev/null; then
  gnuplot -e "dir='$out'" "$here/plot.gp" && echo "plots: $out/bench-*.png" >&2
else
  echo "compare.sh: gnuplot missing (scripts/install-deps.sh installs gnuplot-nox): no plots" >&2
fi
