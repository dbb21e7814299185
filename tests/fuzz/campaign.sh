#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A fuzzing campaign: the libFuzzer targets (ASan+UBSan) run one after the other under
# `nice -n 19`, each for its share of a time budget, from its checked-in seeds; then a table
# per target (executions, exec/s over the wall clock and per CPU second, libFuzzer's coverage
# cov: edges and ft: features, corpus, result) and the total.
#
#   tests/fuzz/campaign.sh [--build DIR] [--out DIR] BUDGET [TARGET[=SHARE]...]
#
# BUDGET is the whole campaign's time: 90s, 45m, 1h (a bare number is minutes). TARGETs are
# card, openpgp, fido_oath, vpcd, control, image, config, vtlink (default all, with the shares
# below); a target's SHARE is its weight in the budget (default its own below, 1 for a target
# without one). The fast parser targets carry most executions; the card targets get enough time
# to show their rate and coverage.
# DIR is a build configured with CC=clang -DVT_SANITIZE=ON -DVT_FUZZ=ON (default
# ${VT_BUILD:-build-asan}).
# Outputs go to --out (default a new directory under /tmp): NAME.log (libFuzzer's output),
# corpus-NAME/ (what the run found; merge new seeds back with fuzz_NAME -merge=1), crashes/.
# A unit slower than 60 s is a failure (libFuzzer's -timeout).
# Exit status: 0, 1 if a target crashed or failed, 64 for a usage error.
set -euo pipefail

usage() {
  sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

# default shares (weights of the budget)
declare -A share=([vtlink]=16 [control]=16 [config]=12 [vpcd]=12 [image]=8 [card]=12
  [openpgp]=12 [fido_oath]=12)
all=(vtlink control config vpcd image card openpgp fido_oath)

src=$(cd "$(dirname "$0")" && pwd)
build=${VT_BUILD:-build-asan}
out=
while [ $# -gt 0 ]; do
  case $1 in
  --build) build=$2; shift 2 ;;
  --out) out=$2; shift 2 ;;
  -h | --help) usage; exit 0 ;;
  --) shift; break ;;
  -*) echo "campaign.sh: unknown option '$1' (see --help)" >&2; exit 64 ;;
  *) break ;;
  esac
done
if [ $# -lt 1 ] || ! [[ $1 =~ ^([0-9]+)(s|m|h)?$ ]] || [ "${BASH_REMATCH[1]}" -lt 1 ]; then
  echo "campaign.sh: BUDGET (90s, 45m, 1h; a bare number is minutes) is required (see --help)" >&2
  exit 64
fi
case ${BASH_REMATCH[2]} in
s) budget=${BASH_REMATCH[1]} ;;
h) budget=$((BASH_REMATCH[1] * 3600)) ;;
*) budget=$((BASH_REMATCH[1] * 60)) ;;
esac
shift
targets=()
[ $# -gt 0 ] || set -- "${all[@]}"
for a in "$@"; do
  t=${a%%=*}
  if [ "$a" != "$t" ]; then
    if ! [[ ${a#*=} =~ ^[1-9][0-9]*$ ]]; then
      echo "campaign.sh: a share is a whole number from 1, not '${a#*=}'" >&2
      exit 64
    fi
    share[$t]=${a#*=}
  fi
  [ -n "${share[$t]:-}" ] || share[$t]=1
  if [ ! -x "$build/tests/fuzz/fuzz_$t" ]; then
    echo "campaign.sh: no $build/tests/fuzz/fuzz_$t: build with" \
      "CC=clang cmake -S $src/../.. -B $build -DVT_SANITIZE=ON -DVT_FUZZ=ON && cmake --build $build" >&2
    exit 64
  fi
  targets+=("$t")
done
weights=0
for t in "${targets[@]}"; do weights=$((weights + share[$t])); done
declare -A secs
for t in "${targets[@]}"; do
  secs[$t]=$((budget * share[$t] / weights))
  [ "${secs[$t]}" -ge 1 ] || secs[$t]=1
done
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/vt-fuzz-campaign.XXXXXX")
mkdir -p "$out/crashes"
echo "campaign: ${targets[*]}, ${budget} s in all, one at a time; output in $out"

seeds_of() {
  if [ "$1" = card ]; then echo "$src/corpus"; else echo "$src/corpus-$1"; fi
}

for t in "${targets[@]}"; do
  echo "campaign: fuzz_$t for ${secs[$t]} s, started $(date -u +%H:%M:%S)"
  mkdir -p "$out/corpus-$t"
  rc=0
  TIMEFORMAT='%U %S'
  # -fork is not used: one process, so the final stats are the whole run's; `time` gives its
  # CPU seconds, which say the rate on a machine shared with other work
  { time ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=print_stacktrace=1 \
      nice -n 19 "$build/tests/fuzz/fuzz_$t" -max_total_time="${secs[$t]}" -timeout=60 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/crashes/$t-" \
      "$out/corpus-$t" "$(seeds_of "$t")" >"$out/$t.log" 2>&1 || rc=$?; } 2>"$out/$t.cpu"
  echo $rc >"$out/$t.rc"
done

status=0
total=0
total_s=0
printf '\n%-10s %6s %12s %8s %9s %6s %7s %10s  %s\n' target s executions exec/s exec/cpu-s \
  cov ft corpus result
for t in "${targets[@]}"; do
  log=$out/$t.log
  execs=$(sed -n 's/^stat::number_of_executed_units: //p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  last=$(grep -E '^#[0-9]+' "$log" | tail -n1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
  cpu=$(awk '{ printf "%.1f", $1 + $2 }' "$out/$t.cpu" 2>/dev/null || true)
  percpu=?
  if [ -n "$execs" ] && [ -n "$cpu" ]; then
    percpu=$(awk -v e="$execs" -v c="$cpu" 'BEGIN { printf "%d", (c > 0 ? e / c : 0) }')
  fi
  rc=$(cat "$out/$t.rc")
  result=ok
  if [ "$rc" != 0 ]; then
    result="FAILED (exit $rc): $(ls "$out/crashes/$t-"* 2>/dev/null | head -n1)"
    status=1
  fi
  total=$((total + ${execs:-0}))
  total_s=$((total_s + secs[$t]))
  printf '%-10s %6s %12s %8s %9s %6s %7s %10s  %s\n' "$t" "${secs[$t]}" "${execs:-?}" \
    "${rate:-?}" "$percpu" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
done
printf '%-10s %6s %12s\n' total "$total_s" "$total"
exit $status
