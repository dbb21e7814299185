#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# FIDO round trips through python-fido2 (fido2.pcsc.CtapPcscDevice, as through an NFC reader):
# MakeCredential and GetAssertion on a fresh `fido` image, over vpcd and over vtoken's own
# driver, one after the other in one run; medians with the 10th-90th percentile, in ms.
# Usage: fido.sh [--build DIR] [--rounds N] [--out FILE.md]
# (docs/bench.md's FIDO section: tests/bench/fido.sh --build build)
set -euo pipefail
build=build rounds=50 out=
while [ $# -gt 0 ]; do
  case $1 in
  --build) build=$2; shift ;;
  --rounds) rounds=$2; shift ;;
  --out) out=$2; shift ;;
  *) echo "usage: fido.sh [--build DIR] [--rounds N] [--out FILE.md]" >&2; exit 2 ;;
  esac
  shift
done
src=$(cd "$(dirname "$0")/../.." && pwd)
VTOKEN=${VTOKEN:-$build/vtoken}
/usr/bin/python3 -c 'import fido2.pcsc' 2>/dev/null || { echo "python3-fido2 is not installed" >&2; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$VTOKEN" init "$T/card" --profile fido >/dev/null
load_before=$(cut -d' ' -f1 /proc/loadavg)
for t in vpcd driver; do
  "$VTOKEN" run --transport "$t" --card "$T/card" -- bash -c \
    '/usr/bin/python3 "$1/tests/bench/fido_bench.py" "$VTOKEN_CARD0_READER" "$2"' _ "$src" "$rounds" \
    >"$T/$t.txt"
done
load_after=$(cut -d' ' -f1 /proc/loadavg)
fig() { awk -v op="$2" '$1 == op { printf "%s (%s–%s)", $2, $3, $4 }' "$T/$1.txt"; }
{
  echo "Measured by \`tests/bench/fido.sh --build $build\` ($rounds rounds each, $(nproc) cores, $(date -u +%F), load average $load_before before and $load_after after); medians, with the 10th–90th percentile in brackets, ms:"
  echo
  echo "| | vpcd | driver |"
  echo "|---|---|---|"
  echo "| MakeCredential (ES256, packed attestation) | $(fig vpcd make_credential) | $(fig driver make_credential) |"
  echo "| GetAssertion (ES256, allowList of one) | $(fig vpcd get_assertion) | $(fig driver get_assertion) |"
} >"$T/table.md"
if [ -n "$out" ]; then cp "$T/table.md" "$out"; else cat "$T/table.md"; fi
