#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Cards side by side in one vtokend, each driven by its own raw PC/SC client bound to its reader
# (tests/bench/card_bench.c: no OpenSC, whose C_Initialize in each process would wait for the
# other cards), in one run:
#   (a) latency: a small APDU (GET DATA) back to back on card1, median and p99, with card0 idle,
#       then while card0 generates RSA-2048 keys back to back; the ratio is card1's p99 with
#       card0 busy over its p99 with card0 idle (goal: at most 2);
#   (b) signatures: 1, 2, 4, 8 and 16 cards signing with 9A (RSA-2048) from a common start;
#       all their signatures over the common wall-clock window, and that rate against
#       - card0's rate alone, just before and after in the same environment (the mean; goal: at
#         least 0.9 x min(cards, cores)), and
#       - the ceiling: M x `openssl speed rsa2048`, M = min(cards, cores), run just before: one
#         process's signatures per second of CPU time (openssl speed's count when it runs alone;
#         the other jobs on the machine do not lower it) on each core vtoken may use, with no
#         vtoken code at all. A rate above it cannot be real: card-bench then fails, and so does
#         this script; and
#       - `openssl speed -elapsed -multi N rsa2048`, N = the cards: what N openssl processes
#         made together in wall-clock time just before, at the machine's load of that moment.
# vtokend's CPU time over the window says how much of the cores the daemon itself used.
# Every figure is printed with the machine's load average (1 minute) before and after it, and
# the command that reruns it alone; `uptime` before and after the whole run.
# Usage: cards.sh [--quick] [--check] [--build DIR] [--out FILE] [--note TEXT] [--only WHAT]...
#   WHAT: latency-driver, latency-vpcd, sign-N (N in 1 2 4 8 16); default all of them
#   --check: exit 1 when a goal above is missed
#   --out FILE: the report in markdown (default: stdout only)
#   --note TEXT: a sentence for the report's head (what was measured: which build, and why)
# The command that reruns everything: tests/bench/cards.sh --build build --out docs/bench-cards.md
# Another build's vtoken and vtokend (before and after a change, in one sitting), with this
# tree's card-bench: CARD_BENCH=$PWD/build/tests/bench/card-bench tests/bench/cards.sh --build OTHER
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
quick= check= build=${VT_BUILD:-$src/build} out= only=() note=
while [ $# -gt 0 ]; do
  case $1 in
  --quick) quick=1 ;;
  --check) check=1 ;;
  --build) build=$2; shift ;;
  --out) out=$2; shift ;;
  --only) only+=("$2"); shift ;;
  --note) note=$2; shift ;;
  *) echo "usage: cards.sh [--quick] [--check] [--build DIR] [--out FILE] [--note TEXT] [--only WHAT]..." >&2; exit 2 ;;
  esac
  shift
done
VTOKEN=${VTOKEN:-$build/vtoken}
CARD_BENCH=${CARD_BENCH:-$build/tests/bench/card-bench}
for b in "$VTOKEN" "$CARD_BENCH"; do
  [ -x "$b" ] || { echo "cards.sh: $b missing: build the tree first (cmake --build $build)" >&2; exit 1; }
done
if [ -n "$quick" ]; then
  secs=1 lat_secs=1 counts="1 2"
else
  secs=3 lat_secs=5 counts="1 2 4 8 16"
fi
[ ${#only[@]} -gt 0 ] || {
  only=(latency-driver latency-vpcd)
  for n in $counts; do only+=("sign-$n"); done
}
wanted() { local w; for w in "${only[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }
cores=$(nproc)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export XDG_CACHE_HOME=${XDG_CACHE_HOME:-$T/cache} # fresh cards: one template, made once
load() { cut -d' ' -f1 /proc/loadavg; }
rerun() { # the command that reruns one figure, from the source tree
  echo "tests/bench/cards.sh --build $build${quick:+ --quick} --only $1"
}
missed=0
uptime_before=$(uptime)
"$VTOKEN" run --transport driver --fresh -- true # the template, before any timing

lat_rows=() sign_rows=()
for t in driver vpcd; do
  wanted "latency-$t" || continue
  if [ "$t" = driver ]; then r0="Virtual PCD 00 00" r1="Virtual PCD 01 00"; else r0="Virtual PCD 00 00" r1="Virtual PCD 00 01"; fi
  echo "== (a) $t: GET DATA on card1, card0 idle then generating RSA-2048 keys, ${lat_secs} s each" >&2
  l0=$(load)
  "$VTOKEN" run --transport "$t" --fresh --fresh -- "$CARD_BENCH" latency --seconds "$lat_secs" "$r0" "$r1" >"$T/lat-$t"
  l1=$(load)
  cat "$T/lat-$t" >&2
  f() { awk -v k="$1" -v f="$2" '$1 == k { for (i = 2; i < NF; i++) if ($i == f) print $(i + 1) }' "$T/lat-$t"; }
  ratio=$(awk '$1 == "p99_busy_over_idle" { print $2 }' "$T/lat-$t")
  lat_rows+=("| $t | $(f idle median_ms) | $(f idle p99_ms) | $(f busy median_ms) | $(f busy p99_ms) | $(f busy keys) | **$ratio** | $l0 → $l1 | \`$(rerun "latency-$t")\` |")
  if awk -v r="$ratio" 'BEGIN { exit !(r > 2) }'; then
    echo "cards.sh: $t: card1's p99 with card0 busy is $ratio x its p99 with card0 idle (goal: at most 2)" >&2
    missed=1
  fi
done

# openssl speed's RSA-2048 signatures per second, all its processes together
ossl_speed() {
  local r
  r=$(cd "$T" && openssl speed -seconds "$secs" "$@" rsa2048 2>/dev/null |
    awk '$1 == "rsa" && $2 == "2048" { print $6 }' | tail -n1)
  [ -n "$r" ] || { echo "cards.sh: openssl speed $* rsa2048 gave no figure" >&2; exit 1; }
  echo "$r"
}
export T
for n in $counts; do
  wanted "sign-$n" || continue
  m=$((n < cores ? n : cores))
  echo "== (b) $n card(s) signing for ${secs} s; first openssl speed, and -elapsed -multi $n" >&2
  l0=$(load)
  ceiling=$(awk -v m="$m" -v r="$(ossl_speed)" 'BEGIN { printf "%.1f", m * r }')
  wall=$(ossl_speed -elapsed -multi "$n")
  fresh=() readers=()
  for i in $(seq 0 $((n - 1))); do fresh+=(--fresh); readers+=("$(printf 'Virtual PCD %02X 00' "$i")"); done
  # card0 alone, then all n from one start, then card0 alone again, in the same environment:
  # "x 1 card" is all n's rate over card0's alone (the mean of before and after), measured
  # minutes apart at most, so that the machine's load drifts as little as can be between them
  "$VTOKEN" run --transport driver "${fresh[@]}" -- bash -c '
    b=$1 s=$2 c=$3; shift 3
    d=$(pgrep -f -- "--config $VTOKEN_RUN_DIR/vtokend.conf" | head -n1)
    cpu() { awk "{ print \$14 + \$15 }" "/proc/$d/stat"; } # user + system, clock ticks
    "$b" sign --seconds "$s" --ceiling "$c" "$1" >"$T/one-a" || exit
    c0=$(cpu)
    "$b" sign --seconds "$s" --ceiling "$c" "$@" >"$T/all" || exit
    c1=$(cpu)
    awk -v t="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" "\$1 == \"window_s\" {
      printf \"vtokend_cpu_per_window %.2f\\n\", t / hz / \$2 }" "$T/all" >>"$T/all"
    "$b" sign --seconds "$s" --ceiling "$c" "$1" >"$T/one-b"' _ "$CARD_BENCH" "$secs" "$ceiling" "${readers[@]}" ||
    { echo "cards.sh: card-bench sign on $n cards failed" >&2; exit 1; }
  l1=$(load)
  cat "$T/all" >&2
  g() { awk -v k="$1" '$1 == k { print $2 }' "$T/${2:-all}"; }
  rate=$(g per_second) one=$(awk -v a="$(g per_second one-a)" -v b="$(g per_second one-b)" 'BEGIN { printf "%.1f", (a + b) / 2 }')
  x1=$(awk -v a="$rate" -v b="$one" 'BEGIN { printf "%.2f", a / b }')
  goal=$(awk -v n="$n" -v c="$cores" 'BEGIN { printf "%.2f", 0.9 * (n < c ? n : c) }')
  if [ "$n" != 1 ] && awk -v x="$x1" -v g="$goal" 'BEGIN { exit !(x < g) }'; then
    echo "cards.sh: $n cards make $x1 x card0's signatures per second alone (goal: at least $goal)" >&2
    missed=1
  fi
  share=$(awk -v a="$rate" -v b="$ceiling" 'BEGIN { printf "%.2f", a / b }')
  sign_rows+=("| $n | $(g signatures) | $(g window_s) | $rate | $(g per_second one-a), $(g per_second one-b) | **$x1** | $(g vtokend_cpu_per_window) | $ceiling | $share | $wall | $l0 → $l1 | \`$(rerun "sign-$n")\` |")
done
uptime_after=$(uptime)

report() {
  echo "# Cards side by side: latency and signatures"
  echo
  echo "Measured by \`tests/bench/cards.sh\` ($cores cores, $(date -u '+%Y-%m-%d %H:%M UTC'), vtoken $(git -C "$src" describe --always --dirty 2>/dev/null || echo '?'))."
  echo "Each card is driven by its own raw PC/SC client (\`card-bench\`, one thread, context and"
  echo "connection per reader; no OpenSC), on vtoken's own driver unless said."
  echo "\`uptime\` before: \`${uptime_before# }\`; after: \`${uptime_after# }\`."
  echo "Rerun all: \`tests/bench/cards.sh --build $build${quick:+ --quick}\`; each row's own command is beside it."
  [ -z "$note" ] || { echo; echo "$note"; }
  if [ ${#lat_rows[@]} -gt 0 ]; then
    echo
    echo "(a) GET DATA round trips on card1 (ms), back to back for $lat_secs s, with card0 idle and"
    echo "then with card0 generating RSA-2048 keys back to back (keys: how many it made meanwhile)."
    echo "The ratio is card1's p99 with card0 busy over card1's p99 with card0 idle, same run;"
    echo "goal: at most 2."
    echo
    echo "| transport | idle median | idle p99 | busy median | busy p99 | keys | p99 busy / idle | load 1 min before → after | rerun |"
    echo "|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${lat_rows[@]}"
  fi
  if [ ${#sign_rows[@]} -gt 0 ]; then
    echo
    echo "(b) RSA-2048 signatures with 9A (PIN verified once), every card from one common start for"
    echo "$secs s: all signatures divided by the common window (start to the last card's last"
    echo "signature). \"× 1 card\" is that rate over card0's alone, measured in the same environment just"
    echo "before and just after (their mean), so the machine's load drifts little between them; the"
    echo "1-card row's is thus the noise of the measurement itself (goal: at least"
    echo "0.9 × min(cards, $cores cores)). The ceiling is M × \`openssl speed -seconds $secs rsa2048\`,"
    echo "M = min(cards, $cores cores), run just before: one openssl process's signatures per second of"
    echo "CPU time (what openssl speed counts when it runs alone, so the other jobs on the machine do"
    echo "not lower it) on each core vtoken may use, with no vtoken code at all. No vtoken figure can"
    echo "pass it (card-bench fails if one does); \"vtoken / ceiling\" is the share of it vtoken"
    echo "delivers. \"openssl wall\" is \`openssl speed -elapsed -seconds $secs -multi N rsa2048\` (N ="
    echo "cards) run just before: what N openssl processes made together in wall-clock time at the"
    echo "machine's load of that moment, the same kind of figure as vtoken's. \"vtokend CPU / window\" is"
    echo "the CPU time vtokend used (all its threads, user and system) while the cards signed, over"
    echo "the window: one thread cannot pass 1.00, and no load from other jobs can raise it. Far"
    echo "below 1.00 with one card, vtokend waited for the machine's scheduler, not for its core:"
    echo "every signature is a round trip client → pcscd → vtokend and back, and on a busy machine"
    echo "each hop waits for a turn on a core; more cards then fill those waits, and \"× 1 card\""
    echo "measures the machine's load more than vtoken."
    echo
    echo "| cards | signatures | window s | signatures/s | card0 alone, before, after | × 1 card | vtokend CPU / window | ceiling sign/s | vtoken / ceiling | openssl wall sign/s | load 1 min before → after | rerun |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${sign_rows[@]}"
  fi
}
report
[ -z "$out" ] || report >"$out"
if [ -n "$check" ] && [ "$missed" != 0 ]; then
  echo "cards.sh: a goal was missed (above)" >&2
  exit 1
fi
