#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtoken run starts its private pcscd with --disable-polkit exactly when that pcscd offers the
# option (pcsc-lite 2, Debian 13: polkit cannot be reached from private namespaces), as its
# --help says; a pcscd without it (1.9, Debian 12) is started without. Fake pcscds in PATH
# record the arguments they are given; the real one is checked last.
source "$(dirname "$0")/lib.sh"

fake_pcscd() { # DIR HELP-TEXT
  mkdir -p "$1"
  cat >"$1/pcscd" <<SH
#!/bin/sh
if [ "\$1" = --help ]; then printf '%s\n' "$2"; exit 0; fi
printf '%s\n' "\$*" >"$1/args"
exit 3
SH
  chmod +x "$1/pcscd"
}
fake_pcscd "$T/with" "  -x, --disable-polkit   do not ask polkit whether a client may connect"
fake_pcscd "$T/without" "  -f, --foreground   run in foreground (no daemon)"

for kind in with without; do
  set +e
  PATH="$T/$kind:$PATH" "$VTOKEN" run --card "$T/card" -- true >/dev/null 2>&1
  rc=$?
  set -e
  expect_eq "$rc" 125 "a pcscd that exits ends vtoken run ($kind the option)"
  [ -f "$T/$kind/args" ] || fail "the fake pcscd $kind the option was not started"
done
expect_match "$(cat "$T/with/args")" '^-f -c .*/reader.conf.d --disable-polkit$' \
  "a pcscd that offers --disable-polkit gets it"
expect_no_match "$(cat "$T/without/args")" 'polkit' "a pcscd without the option does not get it"

real=$("$VTOKEN" run --card "$T/card" -- bash -c 'source "$VT_LIB"; tr "\0" " " </proc/$(run_pcscd)/cmdline')
if pcscd --help 2>&1 | grep -q -- --disable-polkit; then
  expect_match "$real" '--disable-polkit' "this system's pcscd offers the option and runs with it"
else
  expect_no_match "$real" 'polkit' "this system's pcscd has no such option and runs without it"
fi
