#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtoken's driver reports presence by events, not by pcscd's 400 ms poll: `vtoken ctl remove`
# and `insert` reach a PC/SC client (SCardGetStatusChange) in well under a millisecond on a
# quiet machine, measured over 20 rounds (median and 90th percentile; the worst round is shown).
# A poll would put the median near 200 ms and the 90th percentile near 360 ms; on a loaded
# machine (CI runs Debian 13 beside these tests) each of the four threads on the way waits for
# a core, which has cost 20 ms. So what is checked is a median within 25 ms and a 90th
# percentile within 100 ms, a quarter of the poll's period; VT_STRICT_TIMING=1 on a quiet
# machine checks both within 10 ms. And `vtoken run --transport
# driver --card IMG -- true`, the whole environment up and down, takes under half of vpcd's
# time (medians of 5 runs each, interleaved; vpcd's is about 0.45 s, the driver's under 0.15 s
# on a quiet machine).
source "$(dirname "$0")/lib.sh"
: "${PRESENCE_LATENCY:?set by ctest: path of presence-latency}"
export PRESENCE_LATENCY

"$VTOKEN" init "$T/card" --generate 9a:p256 >/dev/null
out=$("$VTOKEN" run --transport driver --card "$T/card" -- \
  sh -c '"$PRESENCE_LATENCY" "Virtual PCD 00 00" card0 20' 2>&1) || fail "presence-latency: $out"
echo "$out"
if [ -n "${VT_STRICT_TIMING:-}" ]; then limits="10 10"; else limits="25 100"; fi
python3 - "$out" $limits <<'PY' || fail "remove/insert latency above its limit (median, 90th percentile: $limits ms)"
import re, sys
rounds = re.findall(r"remove ([0-9.]+) ms, insert ([0-9.]+) ms", sys.argv[1])
assert len(rounds) == 20, rounds
lim_median, lim_p90 = float(sys.argv[2]), float(sys.argv[3])
for i, what in enumerate(("remove", "insert")):
    v = sorted(float(r[i]) for r in rounds)
    median, p90 = v[10], v[17]
    print(f"{what}: median {median:.2f} ms, 90th percentile {p90:.2f} ms, max {v[-1]:.2f} ms")
    assert median <= lim_median and p90 <= lim_p90, what
PY
read -r lim_median lim_p90 <<<"$limits"
pass "remove and insert reach SCardGetStatusChange: median within $lim_median ms, 90th percentile within $lim_p90 ms"

# `vtoken run -- true` on both transports, measured side by side (interleaved, so both see the
# same load): the driver's environment is up and down without vpcd's 400 ms presence poll. The
# ratio is what is checked (a loaded machine slows both); the 150 ms target is reported, and
# checked with VT_STRICT_TIMING=1 on a quiet machine (tests/bench/compare.sh reports it too).
driver=() vpcd=()
run_ms() {
  local start=${EPOCHREALTIME/[.,]/}
  "$VTOKEN" run --transport "$1" --card "$T/card" -- true || fail "vtoken run --transport $1 -- true failed"
  echo $(((${EPOCHREALTIME/[.,]/} - start) / 1000))
}
for _ in 1 2 3 4 5; do
  driver+=("$(run_ms driver)")
  vpcd+=("$(run_ms vpcd)")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 3p; }
d=$(median "${driver[@]}") v=$(median "${vpcd[@]}")
echo "vtoken run --card IMG -- true: driver ${driver[*]} ms (median $d), vpcd ${vpcd[*]} ms (median $v)"
# In the sanitizer build the start of instrumented programs (vtoken, vtokend) outweighs the
# transport: the ratio is reported there, and checked in the normal build.
if grep -qxF "VT_SANITIZE:BOOL=ON" "$VT_BUILD/CMakeCache.txt" 2>/dev/null; then
  skip_part "the driver/vpcd ratio of vtoken run -- true ($d ms / $v ms) is checked in the normal build, not under ASan"
else
  [ $((d * 2)) -lt "$v" ] || fail "vtoken run -- true on the driver ($d ms) is not under half of vpcd's ($v ms)"
fi
pass "vtoken run -- true: driver median $d ms, vpcd's $v ms$([ "$d" -le 150 ] && echo ", within 150 ms")"
if [ -n "${VT_STRICT_TIMING:-}" ]; then
  [ "$d" -le 150 ] || fail "vtoken run --transport driver -- true took $d ms (median of 5), more than 150 ms"
  pass "within 150 ms (VT_STRICT_TIMING)"
fi
