#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A fuzzing campaign: each libFuzzer target runs MINUTES minutes with ASan+UBSan, at most JOBS
# at a time (default 2) under `nice -n 15`, from its checked-in seeds, and the figures are
# printed per target: executions, exec/s, coverage (libFuzzer's cov: edges and ft: features),
# corpus size, and any crash with its reproducer.
#
#   tests/fuzz/campaign.sh [--build DIR] [--out DIR] [--jobs N] MINUTES [TARGET...]
#
# DIR is a build configured with CC=clang -DVT_SANITIZE=ON -DVT_FUZZ=ON (default
# ${VT_BUILD:-build-asan}); TARGETs are card, vpcd, control, image, config, vtlink (default
# all).
# Outputs go to --out (default a new directory under /tmp): NAME.log (libFuzzer's output),
# corpus-NAME/ (what the run found; merge new seeds back with fuzz_NAME -merge=1), crashes/.
# A unit slower than 60 s is reported as a failure (libFuzzer's -timeout): an RSA-4096 key
# generation of fuzz_card takes over 10 s in an ASan build on a busy machine.
# Exit status: 0, 1 if a target crashed or failed, 64 for a usage error.
set -euo pipefail

usage() {
  sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

src=$(cd "$(dirname "$0")" && pwd)
build=${VT_BUILD:-build-asan}
out=
jobs=2
while [ $# -gt 0 ]; do
  case $1 in
  --build) build=$2; shift 2 ;;
  --out) out=$2; shift 2 ;;
  --jobs) jobs=$2; shift 2 ;;
  -h | --help) usage; exit 0 ;;
  --) shift; break ;;
  -*) echo "campaign.sh: unknown option '$1' (see --help)" >&2; exit 64 ;;
  *) break ;;
  esac
done
if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]] || [ "$1" -lt 1 ]; then
  echo "campaign.sh: MINUTES (a whole number, 1 or more) is required (see --help)" >&2
  exit 64
fi
if ! [[ $jobs =~ ^[1-9][0-9]*$ ]]; then
  echo "campaign.sh: --jobs takes a number from 1, not '$jobs'" >&2
  exit 64
fi
minutes=$1
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(card vpcd control image config vtlink)
for t in "${targets[@]}"; do
  if [ ! -x "$build/tests/fuzz/fuzz_$t" ]; then
    echo "campaign.sh: no $build/tests/fuzz/fuzz_$t: build with" \
      "CC=clang cmake -S $src/../.. -B $build -DVT_SANITIZE=ON -DVT_FUZZ=ON && cmake --build $build" >&2
    exit 64
  fi
done
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/vt-fuzz-campaign.XXXXXX")
mkdir -p "$out/crashes"
echo "campaign: ${targets[*]}, $minutes min each, $jobs at a time; output in $out"

seeds_of() {
  if [ "$1" = card ]; then echo "$src/corpus"; else echo "$src/corpus-$1"; fi
}

run_one() {
  local t=$1 rc=0
  mkdir -p "$out/corpus-$t"
  # -fork is not used: one process, so the final stats are the whole run's
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    nice -n 15 "$build/tests/fuzz/fuzz_$t" -max_total_time=$((minutes * 60)) -timeout=60 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/crashes/$t-" \
    "$out/corpus-$t" "$(seeds_of "$t")" >"$out/$t.log" 2>&1 || rc=$?
  echo $rc >"$out/$t.rc"
}

running=()
for t in "${targets[@]}"; do
  while [ ${#running[@]} -ge "$jobs" ]; do
    wait -n || true
    still=()
    for p in "${running[@]}"; do kill -0 "$p" 2>/dev/null && still+=("$p"); done
    running=("${still[@]}")
  done
  echo "campaign: fuzz_$t started $(date -u +%H:%M:%S)"
  run_one "$t" &
  running+=($!)
done
wait

status=0
printf '\n%-8s %12s %8s %6s %7s %8s %6s  %s\n' target executions exec/s cov ft corpus min result
for t in "${targets[@]}"; do
  log=$out/$t.log
  execs=$(sed -n 's/^stat::number_of_executed_units: //p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: //p' "$log")
  last=$(grep -E '^#[0-9]+' "$log" | tail -n1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
  rc=$(cat "$out/$t.rc")
  result=ok
  if [ "$rc" != 0 ]; then
    result="FAILED (exit $rc): $(ls "$out/crashes/$t-"* 2>/dev/null | head -n1)"
    status=1
  fi
  printf '%-8s %12s %8s %6s %7s %8s %6s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "${ft:-?}" "${corp:-?}" "$minutes" "$result"
done
exit $status
