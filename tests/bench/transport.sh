#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Transport benchmark: APDU round trips through pcscd to vtokend (PIV GET DATA of the discovery
# object) against the transport floor, a card answering 90 00 over the same vpcd socket code,
# interleaved in one run (vtoken run --transport vpcd: the floor card speaks vpcd); then the floor
# over a plain socket without the socket options.
# Usage: transport.sh [--quick] [--check] [--out FILE.md]
# --check: exit 1 when the ratio measured in this run misses its target (vtokend / floor <= 1.10)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${VTOKEN:?}" "${APDU_BENCH:?}" "${FLOOR_CARD:?}"
rounds=40 plain_rounds=3 out= check=
while [ $# -gt 0 ]; do
  case $1 in
  --quick) rounds=4 plain_rounds=1 ;;
  --check) check=1 ;;
  --out) out=$2; shift ;;
  *) echo "usage: transport.sh [--quick] [--check] [--out FILE.md]" >&2; exit 2 ;;
  esac
  shift
done
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export T APDU_BENCH FLOOR_CARD VTOKEN rounds plain_rounds

"$VTOKEN" run --transport vpcd --card "$T/card" -- bash -c '
  set -e
  nsenter --net="$VTOKEN_NETNS" -- "$FLOOR_CARD" 35964 & floor=$! # beside vtokend
  "$VTOKEN" wait --exactly 2 --timeout 20
  "$APDU_BENCH" "$rounds" "Virtual PCD 00 00" "Virtual PCD 00 01" >"$T/fast"
  kill "$floor"; wait "$floor" || true
  "$VTOKEN" wait --exactly 1 --timeout 20
  nsenter --net="$VTOKEN_NETNS" -- "$FLOOR_CARD" --plain 35964 & plain=$!
  "$VTOKEN" wait --exactly 2 --timeout 20
  "$APDU_BENCH" "$plain_rounds" "Virtual PCD 00 01" >"$T/plain"
  kill "$plain" 2>/dev/null || true
'
field() { grep "^$1" "$2" | tr '\t' '\n' | sed -n "s/^$3=//p"; }
vt=$(field "Virtual PCD 00 00" "$T/fast" median_ms)
floor=$(field "Virtual PCD 00 01" "$T/fast" median_ms)
plain=$(field "Virtual PCD 00 01" "$T/plain" median_ms)
n=$(field "Virtual PCD 00 00" "$T/fast" apdus)
ratio=$(awk -v a="$vt" -v b="$floor" 'BEGIN { printf "%.3f", a / b }')
target=1.10
missed=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r > t) ? "yes" : "" }')
speedup=$(awk -v a="$plain" -v b="$floor" 'BEGIN { printf "%.0f", a / b }')
report="| card behind vpcd | median ms per APDU |
|---|---|
| vtokend, PIV GET DATA (discovery object, 20 bytes) | $vt |
| floor: 90 00 over the same vpcd socket code | $floor |
| floor over a plain blocking socket (no TCP_NODELAY/QUICKACK, two writes) | $plain |

vtokend / floor = **$ratio** (target <= $target${missed:+: missed}); socket options are worth ${speedup}x.
$n APDUs per reader in batches of 50, vtokend and floor interleaved; $(nproc) cores, $(date -u +%Y-%m-%d)."
if [ -n "$missed" ]; then
  report="$report

The target is missed: docs/bench.md counts the system calls of vtokend and of the floor card per
APDU (tests/bench/compare.sh), which shows where vtokend does more."
fi
echo "$report"
if [ -n "$out" ]; then
  { echo "# Transport benchmark"; echo; echo "Measured by \`tests/bench/transport.sh\` in one run. Rerun from a build tree \`build\`:"; echo; echo "    VTOKEN=build/vtoken APDU_BENCH=build/tests/bench/apdu-bench FLOOR_CARD=build/tests/bench/floor-card tests/bench/transport.sh --out docs/bench-transport.md"; echo; echo "$report"; } >"$out"
fi
if [ -n "$check" ]; then
  [ -z "$missed" ] || { echo "FAIL: vtokend / floor = $ratio, above the target $target"; exit 1; }
  echo "ok - vtokend / floor = $ratio, within the target $target"
fi
