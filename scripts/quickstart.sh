#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Quick start, command 1: installs what is missing, builds vtoken, and runs it with its
# default fresh card in a private PC/SC environment, showing pcsc_scan and OpenSC seeing it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
# through ccache when it is there (install-deps.sh installs it): a build again is quick
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
cmake --build build -j"$(nproc)"

echo
echo "== vtoken run: a private pcscd + vtokend with a fresh card on vtoken's reader driver"
exec build/vtoken run -- sh -c '
  echo "== pcsc_scan -r"; pcsc_scan -r
  echo "== opensc-tool --list-readers --name --atr"; opensc-tool -l; opensc-tool -n -a
  echo "== pkcs11-tool -L"; pkcs11-tool --module "$VTOKEN_PKCS11_MODULE" -L
  echo "== pkcs11-tool -O --type cert"; pkcs11-tool --module "$VTOKEN_PKCS11_MODULE" -O --type cert
'
