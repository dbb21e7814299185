#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Quick start, command 2: installs what is missing, builds vtoken three times (normal; with
# AddressSanitizer + UndefinedBehaviorSanitizer and the fuzz targets; with ThreadSanitizer), and
# runs the tests of each build. Prints ctest's summary of each; exits non-zero if any failed.
# The ASan+UBSan build runs the unit tests, the fuzz targets' short runs and the integration tests
# that drive the C code (tests/CMakeLists.txt: VT_SANITIZE_SUBSET); the TSan build the tests
# labelled tsan (VT_TSAN_TESTS: several cards' workers, load, touch, faults, traces, control).
# Env: VT_SKIP_SANITIZERS=1 builds and tests the normal build only (to iterate faster; says so).
#      VT_PHASES="normal sanitizers" (the default) names the builds to make and test; CI runs
#      the phases apart so that the Debian 13 chroot runs beside the sanitizer build.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/install-deps.sh || exit 1

status=0
# every build through ccache when it is there (install-deps.sh installs it), as quickstart.sh's:
# CI's builds of unchanged sources come from its cache
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
build_and_test() { # DIR CMAKE-ARGS... (env CTEST_LABEL: only the tests of that label)
  local dir=$1; shift
  echo "== configure and build $dir"
  cmake -S . -B "$dir" "$@" "${launcher[@]}" >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; return 1; }
  cmake --build "$dir" -j"$jobs" >"$dir.build.log" 2>&1 || { tail -n 60 "$dir.build.log"; return 1; }
  echo "== ctest in $dir"
  local rc=0
  ctest --test-dir "$dir" -j"$jobs" --output-on-failure --timeout 900 ${CTEST_LABEL:+-L "$CTEST_LABEL"} || rc=$?
  # ctest shows a skipped test's output nowhere: name each one with the reason it printed, and
  # each test that passed with a part skipped (lib.sh's skip_part), with that part
  awk '/^[0-9]+\/[0-9]+ Testing: /{name=$3} /^SKIP: /{print "   skipped " name ": " substr($0, 7)}
       /^SKIP-PART: /{print "   partly skipped " name ": " substr($0, 12)}' \
    "$dir/Testing/Temporary/LastTest.log" 2>/dev/null
  return "$rc"
}

phases=${VT_PHASES:-normal sanitizers}
[ -z "${VT_SKIP_SANITIZERS:-}" ] || phases=${phases//sanitizers/}
for phase in $phases; do
  case $phase in normal | sanitizers) ;; *)
    echo "test.sh: VT_PHASES: unknown phase '$phase' (normal, sanitizers)" >&2
    exit 2
    ;;
  esac
done

if [[ " $phases " == *" normal "* ]]; then
  build_and_test build -DCMAKE_BUILD_TYPE=RelWithDebInfo || status=1
else
  echo "== VT_PHASES=\"$phases\": no normal build this time"
fi
if [ -n "${VT_SKIP_SANITIZERS:-}" ]; then
  echo "== VT_SKIP_SANITIZERS is set: no ASan+UBSan or TSan build this time"
elif [[ " $phases " == *" sanitizers "* ]]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    CC=clang build_and_test build-asan -DCMAKE_BUILD_TYPE=Debug -DVT_SANITIZE=ON -DVT_FUZZ=ON || status=1
  # ThreadSanitizer: each card's worker thread beside the event loop (tests labelled tsan)
  CTEST_LABEL=tsan CC=clang build_and_test build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVT_TSAN=ON || status=1
fi

if [ "$status" -ne 0 ]; then
  echo "== FAILURES (see above)"
else
  echo "== all tests passed in: ${phases:-no build}"
fi
exit "$status"
