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

# One Python process reads every file once: the code without its comments (strings and
# character literals kept), profile.c without its profiles[] table, then each unit's pattern.
units=$(sed -n 's/^VT_UNIT(\([a-z0-9_]*\))$/\1/p' "$src/applet/units.def")
[ -n "$units" ] || { echo "units_apart: no VT_UNIT line in $src/applet/units.def"; exit 1; }
out=$(python3 - "$src" "$LEGACY" "$STRICT" $units <<'PY'
import os, re, sys
src, legacy, strict, units = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4:]
token = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
def code_of(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if os.path.basename(path) == "profile.c":
        text = re.sub(r"(?ms)^static const struct profile profiles\[\] = \{.*?^\};", "", text)
    # a comment becomes a space, or its newlines (line numbers stay right)
    return token.sub(lambda m: m.group(0) if m.group(0)[0] in "\"'" else
                     ("\n" * m.group(0).count("\n") or " "), text)
cache = {}
status, checked = 0, 0
for u in units:
    if not os.path.isdir(f"{src}/applet/{u}"):
        print(f"units_apart: unit {u} has no folder applet/{u}/"); status = 1
    pattern = re.compile(rf'"{u}"|\bvt_unit_{u}\b|\b{u}_[a-z]|\bvt_{u}_|#include "{u}|--{u}\b')
    if u in legacy:
        files = [f"{src}/{f}" for f in strict]
    else:
        checked += 1
        files = []
        for top in ("applet", "store", "provision", "cli", "daemon", "driver"):
            for d, subdirs, names in os.walk(f"{src}/{top}"):
                if d == f"{src}/applet/{u}":
                    subdirs[:] = []
                    continue
                subdirs.sort()
                files += [f"{d}/{n}" for n in sorted(names) if n.endswith((".c", ".h"))]
    for f in files:
        rel = os.path.relpath(f, src)
        if not os.path.isfile(f):
            print(f"units_apart: {rel} is missing"); status = 1; continue
        if f not in cache:
            cache[f] = code_of(f).split("\n")
        hits = [f"{i}:{line}" for i, line in enumerate(cache[f], 1) if pattern.search(line)]
        if hits:
            print(f"units_apart: {rel} names the {u} unit outside applet/{u}/:")
            print("\n".join("    " + h for h in hits)); status = 1
print(f"checked {checked}")
sys.exit(status)
PY
) || status=1
checked=$(sed -n 's/^checked //p' <<<"$out")
grep -v '^checked ' <<<"$out"
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
