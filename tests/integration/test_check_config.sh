#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtokend --check-config: valid files pass; errors name FILE:LINE and exit 78 (EX_CONFIG).
source "$(dirname "$0")/lib.sh"

check() { # FILE -> prints output, returns status
  "$VTOKEND" --check-config --config "$1" 2>&1
}

cat >"$T/good.conf" <<CONF
[daemon]
control = $T/control.sock

[card one]
image = $T/one
vpcd = 127.0.0.1:35963
CONF
out=$(check "$T/good.conf")
expect_match "$out" 'configuration valid, 1 card' "a valid configuration passes"

expect_config_error() { # LINE TEXT WHAT
  set +e
  out=$(check "$T/bad.conf")
  rc=$?
  set -e
  expect_eq "$rc" 78 "$3: exit status 78"
  expect_match "$out" "^vtokend: $T/bad.conf:$1: .*$2" "$3: names line $1"
}

printf '[card one]\nimage = /x\n' >"$T/bad.conf"
expect_config_error 1 "missing key 'vpcd'" "missing key"
printf '[daemon]\ncontrol = /x\n\n[card one]\nimage = /x\nvpcd = 127.0.0.1:35963\nspeed = fast\n' >"$T/bad.conf"
expect_config_error 7 "unknown key 'speed'" "unknown key"
printf '[card one]\nimage = /x\nvpcd = 127.0.0.1:99999\n' >"$T/bad.conf"
expect_config_error 3 "bad vpcd endpoint '127.0.0.1:99999'" "bad port"

set +e
out=$("$VTOKEND" --check-config --config "$T/missing.conf" 2>&1)
rc=$?
set -e
expect_eq "$rc" 78 "a missing file: exit status 78"
expect_match "$out" "$T/missing.conf: No such file or directory" "a missing file is named"

# the daemon itself refuses to start on a bad file, with the same message
set +e
out=$("$VTOKEND" --config "$T/bad.conf" 2>&1)
rc=$?
set -e
expect_eq "$rc" 78 "vtokend refuses a bad configuration"
expect_match "$("$VTOKEND" --help)" 'check-config' "--help documents --check-config"
expect_match "$("$VTOKEND" --version)" '^vtokend [0-9]+\.[0-9]+\.[0-9]+$' "--version"
