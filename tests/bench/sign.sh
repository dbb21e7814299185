#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Signing benchmark: one-shot `pkcs11-tool --login --sign` processes through OpenSC, pcscd, vpcd
# and vtokend, against the same command on SoftHSM2 with the same key type, alternated in one
# run; medians. Also the stack's floor (`pkcs11-tool -L` through pcscd with no card) and the
# number of APDUs each operation takes.
# Usage: sign.sh [--quick] [--check] [--out FILE.md]
# --check: exit 1 when a ratio measured in this run misses its target (vtokend / SoftHSM2 <= 4.0)
set -euo pipefail
: "${VTOKEN:?}"
rounds=25 out= check=
while [ $# -gt 0 ]; do
  case $1 in
  --quick) rounds=3 ;;
  --check) check=1 ;;
  --out) out=$2; shift ;;
  *) echo "usage: sign.sh [--quick] [--check] [--out FILE.md]" >&2; exit 2 ;;
  esac
  shift
done
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
OPENSC=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
for m in "$OPENSC" "$SOFTHSM"; do [ -e "$m" ] || { echo "missing $m" >&2; exit 1; }; done
export T OPENSC SOFTHSM rounds XDG_CACHE_HOME="$T/cache"

"$VTOKEN" run --card "$T/card" -- bash -c '
  set -e
  export SOFTHSM2_CONF=$T/softhsm2.conf
  mkdir -p "$T/softhsm"
  printf "directories.tokendir = %s\nobjectstore.backend = file\n" "$T/softhsm" >"$SOFTHSM2_CONF"
  softhsm2-util --init-token --free --label bench --pin 123456 --so-pin 12345678 >/dev/null
  hsm=(pkcs11-tool --module "$SOFTHSM" --token-label bench --login --pin 123456)
  "${hsm[@]}" --keypairgen --key-type rsa:2048 --id 01 --label rsa >/dev/null
  "${hsm[@]}" --keypairgen --key-type EC:prime256v1 --id 02 --label ec >/dev/null
  head -c 1000 /dev/urandom >"$T/data"
  openssl dgst -sha256 -binary "$T/data" >"$T/hash"

  # the same operations: RSA-2048 in 9A (id 01), ECDSA P-256 in 9C (id 02, PIN always)
  op_rsa=(--sign --id 01 -m SHA256-RSA-PKCS -i "$T/data")
  op_ec=(--sign --id 02 -m ECDSA -i "$T/hash")
  card=(pkcs11-tool --module "$OPENSC" --login --pin 123456)
  ms() { local s=$EPOCHREALTIME; "$@" -o "$T/sig" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; echo $(( (${EPOCHREALTIME/./} - ${s/./}) )); }
  commands() { "$VTOKEN" ctl status --json | grep -o "\"commands\":[0-9]*" | cut -d: -f2; }

  for op in rsa ec; do
    declare -n args=op_$op
    a=$(commands); "${card[@]}" "${args[@]}" -o "$T/sig" >/dev/null 2>&1; b=$(commands)
    echo "apdus $op $((b - a))"
  done
  for i in $(seq "$rounds"); do
    echo "vt rsa $(ms "${card[@]}" "${op_rsa[@]}")"
    echo "hsm rsa $(ms "${hsm[@]}" "${op_rsa[@]}")"
    echo "vt ec $(ms "${card[@]}" "${op_ec[@]}")"
    echo "hsm ec $(ms "${hsm[@]}" "${op_ec[@]}")"
  done
  # the floor: OpenSC through pcscd with no card at all
  "$VTOKEN" ctl remove card0 >/dev/null
  "$VTOKEN" wait --exactly 0 --timeout 10
  for i in $(seq "$rounds"); do
    s=$EPOCHREALTIME; pkcs11-tool --module "$OPENSC" -L >/dev/null 2>&1; echo "floor L $(( (${EPOCHREALTIME/./} - ${s/./}) ))"
  done
  "$VTOKEN" ctl insert card0 >/dev/null
' >"$T/raw"

median() { # WHO OP -> milliseconds
  grep "^$1 $2 " "$T/raw" | cut -d" " -f3 | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] / 1000 }'
}
apdus() { grep "^apdus $1 " "$T/raw" | cut -d" " -f3; }
vr=$(median vt rsa) hr=$(median hsm rsa) ve=$(median vt ec) he=$(median hsm ec) fl=$(median floor L)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
report="| one pkcs11-tool --login --sign process | vtokend (OpenSC + pcscd + vpcd) ms | SoftHSM2 ms | ratio | APDUs |
|---|---|---|---|---|
| RSA-2048, SHA256-RSA-PKCS (9A) | $vr | $hr | **$(ratio "$vr" "$hr")** | $(apdus rsa) |
| ECDSA P-256 on a SHA-256 hash (9C, PIN always) | $ve | $he | **$(ratio "$ve" "$he")** | $(apdus ec) |
| floor: \`pkcs11-tool -L\` through pcscd, no card | $fl | | | 0 |

Medians of $rounds runs each, vtokend and SoftHSM2 alternated in one run (target ratio <= 4.0);
$(nproc) cores, $(date -u +%Y-%m-%d)."
echo "$report"
if [ -n "$out" ]; then
  { echo "# Signing benchmark"; echo; echo "Measured by \`tests/bench/sign.sh\` in one run."; echo; echo "$report"; } >"$out"
fi
if [ -n "$check" ]; then
  for r in "RSA $(ratio "$vr" "$hr")" "ECDSA $(ratio "$ve" "$he")"; do
    awk -v r="${r#* }" 'BEGIN { exit !(r <= 4.0) }' || { echo "FAIL: $r: vtokend / SoftHSM2 above the target 4.0"; exit 1; }
    echo "ok - $r: vtokend / SoftHSM2 within the target 4.0"
  done
fi
