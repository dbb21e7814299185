#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The acceptance test of the applet registry (issue 22): adding an applet is its folder
# applet/NAME/, one line VT_UNIT(NAME) in applet/units.def, one row of provision/profile.c's
# profiles[] table, tests and docs. So no other source file may name a unit in its code: no
# "NAME" literal, no vt_unit_NAME, NAME_... or vt_NAME_... identifier, no #include "NAME...,
# no --NAME option. Comments are not code (registry.h's examples may name one); the profiles[]
# table is where profiles name the applets they carry.
# Units that predate the registry are still named by generic code (provision/profile.c makes
# PIV's keys and OpenPGP's e-Cert keys, cli/init.c and cli/run.c use PIV's): LEGACY lists them,
# and shrinks. The files in STRICT name none, LEGACY or not (`vtoken show` draws each unit
# through its row's show hook).
set -u
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
LEGACY=" piv openpgp mgmt "
STRICT="cli/show.c cli/show_unit.c cli/show_unit.h"
status=0
checked=0

# The code of a C file without its comments (strings kept), profile.c without its table.
code_of() {
  local f=$1
  if [ "${f##*/}" = profile.c ]; then
    awk '/^static const struct profile profiles\[\] = \{/ {skip = 1} !skip {print} skip && /^\};/ {skip = 0}' "$f"
  else
    cat "$f"
  fi | gcc -fpreprocessed -dD -E -P -x c - 2>/dev/null
}

units=$(sed -n 's/^VT_UNIT(\([a-z0-9_]*\))$/\1/p' "$src/applet/units.def")
[ -n "$units" ] || { echo "units_apart: no VT_UNIT line in $src/applet/units.def"; exit 1; }
for u in $units; do
  [ -d "$src/applet/$u" ] || { echo "units_apart: unit $u has no folder applet/$u/"; status=1; }
  pattern="\"$u\"|\\bvt_unit_$u\\b|\\b${u}_[a-z]|\\bvt_${u}_|#include \"$u|--$u\\b"
  case "$LEGACY" in
  *" $u "*) files() { for f in $STRICT; do echo "$src/$f"; done; } ;;
  *)
    checked=$((checked + 1))
    files() {
      find "$src/applet" "$src/store" "$src/provision" "$src/cli" "$src/daemon" "$src/driver" \
        -path "$src/applet/$u" -prune -o \( -name '*.c' -o -name '*.h' \) -print
    }
    ;;
  esac
  while IFS= read -r f; do
    [ -f "$f" ] || { echo "units_apart: ${f#"$src"/} is missing"; status=1; continue; }
    hits=$(code_of "$f" | grep -nE "$pattern")
    if [ -n "$hits" ]; then
      echo "units_apart: ${f#"$src"/} names the $u unit outside applet/$u/:"
      sed 's/^/    /' <<<"$hits"
      status=1
    fi
  done < <(files)
done
# One mapping point for internal failures (docs/hacking.md): applets return SW_FAIL_*, and the
# card alone answers 6F 00 for them.
if hits=$(grep -rnE 'SW_UNKNOWN|0x6[fF]00' "$src"/applet/*/ --include='*.c' --include='*.h'); then
  echo "units_apart: an applet answers 6F 00 itself (return SW_FAIL_* of sw.h):"
  sed 's/^/    /' <<<"$hits"
  status=1
fi
[ "$checked" -gt 0 ] || { echo "units_apart: no unit checked"; exit 1; }
[ $status -eq 0 ] && echo "units_apart: $checked unit(s) named only in their folder, units.def and profiles[]; $STRICT name none"
exit $status
