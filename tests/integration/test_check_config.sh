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

# a driver socket's directory is checked as the control socket's is, by --check-config too:
# missing, open to other writers, a link
driver_conf() { # DIR
  printf '[card one]\nimage = %s/one\ntransport = driver\nsocket = %s/one.sock\n' "$T" "$1" >"$T/bad.conf"
}
driver_conf "$T/no-such-dir"
expect_config_error 1 "driver socket directory $T/no-such-dir does not exist" "a missing socket directory"
mkdir -m 0777 "$T/open"
chmod 0777 "$T/open"
driver_conf "$T/open"
expect_config_error 1 "driver socket directory $T/open has mode 0777" "a socket directory others may write"
mkdir -m 0700 "$T/real"
ln -s "$T/real" "$T/link"
driver_conf "$T/link"
expect_config_error 1 "driver socket directory $T/link is not a directory" "a link as the socket directory"
driver_conf "$T/real"
out=$(check "$T/bad.conf")
expect_match "$out" 'configuration valid, 1 card' "a directory of ours, closed to others, passes"
printf '[daemon]\ncontrol = %s/open/c.sock\n[card one]\nimage = %s/one\nvpcd = 127.0.0.1:35963\n' "$T" "$T" >"$T/bad.conf"
set +e
out=$(check "$T/bad.conf")
rc=$?
set -e
expect_eq "$rc" 78 "an open control socket directory: 78"
expect_match "$out" "bad.conf: \[daemon\]: control socket directory $T/open has mode 0777" "the control socket's too"

# and the daemon refuses it with the same words
driver_conf "$T/no-such-dir"
set +e
out=$(timeout 20 "$VTOKEND" --config "$T/bad.conf" 2>&1)
rc=$?
set -e
expect_eq "$rc" 1 "vtokend serves no card on a missing socket directory"
expect_match "$out" "driver socket directory $T/no-such-dir does not exist" "and says why"
