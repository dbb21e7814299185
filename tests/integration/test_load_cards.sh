#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Cards never wait for each other: two cards in one `vtoken run`, one reader each. card1's
# latency for a small command (tests/tools/apdu_latency.c: SELECT every 20 ms on a fixed
# schedule, through a raw PC/SC connection to its reader alone) is measured with card0 idle,
# then while yubico-piv-tool generates RSA-2048 keys on card0 back to back, then idle again.
# One thread for all cards stalls card1 for each whole key generation (hundreds of ms, seconds
# on a busy machine); a worker per card keeps card1's p99 within a generous multiple of its idle
# p99 (VT_LOAD_RATIO, default 20; the lowest idle p99 measured so far counts, and at least 1 ms).
# A busy machine stalls any process now and then: a round spoilt so is measured again, up to
# three rounds, and one round within the bound passes; the stalls of one thread for all cards
# are in every round. Each generated key is checked to be RSA-2048.
source "$(dirname "$0")/lib.sh"
: "${APDU_LATENCY:?set by ctest: path of apdu-latency}"
command -v yubico-piv-tool >/dev/null || skip "yubico-piv-tool is not installed"
export T APDU_LATENCY
ratio=${VT_LOAD_RATIO:-20}
seconds=${VT_LOAD_SECONDS:-5}

"$VTOKEN" init "$T/a" >/dev/null
"$VTOKEN" init "$T/b" >/dev/null
set +e # the script's own failure is shown below
out=$("$VTOKEN" run --card "$T/a" --card "$T/b" -- bash -c '
  source "$VT_LIB"
  seconds=$1 ratio=$2
  r0=$(reader_name 0) r1=$(reader_name 1)
  p99() { sed -n "s/^p99 \(.*\) ms$/\1/p" "$1"; }
  generate() { # RSA-2048 keys on card0 until $T/stop
    local i=$1
    while [ ! -e "$T/stop" ]; do
      yubico-piv-tool -r "$r0" -a generate -s 9a -A RSA2048 -o "$T/gen$i.pem" >"$T/gen.log" 2>&1 ||
        { echo "generation $i failed: $(cat "$T/gen.log")" >"$T/gen.failed"; return 1; }
      i=$((i + 1))
      echo "$i" >"$T/generated"
    done
  }
  idles=""
  for round in 1 2 3; do
    "$APDU_LATENCY" --interval 20 --seconds "$seconds" "$r1" >"$T/idle" || fail "card1 idle: apdu-latency failed"
    rm -f "$T/stop" "$T/generated"
    generate "$round"00 &
    gen=$!
    # the measurement starts once card0 is at work: its first generation answered
    wait_until 60 "card0 generated its first key" -- test -s "$T/generated"
    before=$(cat "$T/generated")
    "$APDU_LATENCY" --interval 20 --seconds "$seconds" "$r1" >"$T/busy" || fail "card1 busy: apdu-latency failed"
    touch "$T/stop"
    wait "$gen" || fail "$(cat "$T/gen.failed")"
    gens=$(( $(cat "$T/generated") - before + 1 ))
    [ "$gens" -ge 2 ] || fail "card0 generated $gens keys while card1 was measured: too few to judge"
    "$APDU_LATENCY" --interval 20 --seconds "$seconds" "$r1" >"$T/idle2" || fail "card1 idle: apdu-latency failed"
    idles+=" $(p99 "$T/idle") $(p99 "$T/idle2")"
    busy=$(p99 "$T/busy")
    verdict=$(python3 -c "
import sys
busy, ratio, *idles = map(float, sys.argv[1:])
bound = max(min(idles), 1.0) * ratio
print(\"within\" if busy <= bound else \"beyond\", f\"{bound:.1f}\")" "$busy" "$ratio" $idles)
    echo "round $round: card1 p99 idle $(p99 "$T/idle") ms and $(p99 "$T/idle2") ms after," \
      "while card0 generated $gens keys $busy ms:" \
      "${verdict% *} the bound, ${verdict#* } ms"
    [ "${verdict% *}" = within ] && break
  done
  for f in "$T"/gen*.pem; do
    openssl pkey -pubin -in "$f" -noout -text | head -1
  done | sort | uniq -c
' _ "$seconds" "$ratio" 2>&1)
rc=$?
set -e
echo "$out"
[ $rc = 0 ] || fail "the run failed (status $rc)"
expect_match "$out" "^ +[0-9]+ Public-Key: \(2048 bit\)$" "card0 generated RSA-2048 keys"
expect_no_match "$out" "Public-Key: \((1024|3072|4096) bit\)" "every key generated is RSA-2048"
expect_match "$out" "^round [1-3]: .* within the bound" \
  "card1 answers while card0 generates keys (p99 within ${ratio}x idle)"
