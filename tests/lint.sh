#!/usr/bin/env bash
# Lint: every C file is formatted as .clang-format says, and cppcheck finds nothing.
set -uo pipefail
cd "${VT_SRC:?}"
status=0
files=$(find applet daemon cli tests -name '*.[ch]' | sort)
bad=$(for f in $files; do clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
if [ -n "$bad" ]; then
  echo "not formatted (run clang-format -i):"; echo "$bad"; status=1
else
  echo "ok - $(wc -w <<<"$files") C files formatted"
fi
out=$(cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance --inline-suppr \
  -D_GNU_SOURCE -I applet -I daemon -I cli applet daemon cli 2>&1) || { echo "$out"; status=1; }
[ "$status" -eq 0 ] && echo "ok - cppcheck clean"
exit "$status"
