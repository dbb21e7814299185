#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Quick start, command 2: installs what is missing, builds vtoken twice (normal, and with
# AddressSanitizer + UndefinedBehaviorSanitizer and the fuzz targets), and runs every test in
# both builds. Prints ctest's summary of each; exits non-zero if any test failed.
# Env: VT_SKIP_SANITIZERS=1 builds and tests the normal build only (to iterate faster; says so).
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/install-deps.sh || exit 1

status=0
build_and_test() { # DIR CMAKE-ARGS...
  local dir=$1; shift
  echo "== configure and build $dir"
  cmake -S . -B "$dir" "$@" >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; return 1; }
  cmake --build "$dir" -j"$jobs" >"$dir.build.log" 2>&1 || { tail -n 60 "$dir.build.log"; return 1; }
  echo "== ctest in $dir"
  local rc=0
  ctest --test-dir "$dir" -j"$jobs" --output-on-failure --timeout 900 || rc=$?
  # ctest shows a skipped test's output nowhere: name each one with the reason it printed, and
  # each test that passed with a part skipped (lib.sh's skip_part), with that part
  awk '/^[0-9]+\/[0-9]+ Testing: /{name=$3} /^SKIP: /{print "   skipped " name ": " substr($0, 7)}
       /^SKIP-PART: /{print "   partly skipped " name ": " substr($0, 12)}' \
    "$dir/Testing/Temporary/LastTest.log" 2>/dev/null
  return "$rc"
}

mkdir -p build
build_and_test build -DCMAKE_BUILD_TYPE=RelWithDebInfo || status=1
if [ -n "${VT_SKIP_SANITIZERS:-}" ]; then
  echo "== VT_SKIP_SANITIZERS is set: no ASan+UBSan build this time"
else
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    CC=clang build_and_test build-asan -DCMAKE_BUILD_TYPE=Debug -DVT_SANITIZE=ON -DVT_FUZZ=ON || status=1
fi

if [ "$status" -ne 0 ]; then
  echo "== FAILURES (see above)"
elif [ -n "${VT_SKIP_SANITIZERS:-}" ]; then
  echo "== all tests passed in the normal build (the sanitizer build was skipped)"
else
  echo "== all tests passed in both builds"
fi
exit "$status"
