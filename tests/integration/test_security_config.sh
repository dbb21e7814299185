#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtokend --check-config as strict as the daemon, and stricter where only it can be: a directory
# given as the file, a vpcd host that does not resolve, a key given twice, a relative path.
source "$(dirname "$0")/lib.sh"

check() { # FILE -> output; status in $rc
  set +e
  out=$("$VTOKEND" --check-config --config "$1" 2>&1)
  rc=$?
  set -e
}

mkdir "$T/etc"
check "$T/etc"
expect_eq "$rc" 78 "a directory as the configuration file: 78"
expect_match "$out" "$T/etc is a directory: --config takes the configuration file itself" "and a clear message"

printf '[card a]\nimage = /var/lib/vtoken/a\nvpcd = no-such-host.invalid:35963\n' >"$T/c.conf"
check "$T/c.conf"
expect_eq "$rc" 78 "an unresolvable vpcd host: 78"
expect_match "$out" "c.conf:1: \[card a\]: cannot resolve vpcd host no-such-host.invalid" "named with its card"

printf '[card a]\nimage = /var/lib/vtoken/a\nvpcd = 127.0.0.1:35963\nvpcd = 127.0.0.1:35964\n' >"$T/c.conf"
check "$T/c.conf"
expect_match "$out" "c.conf:4: 'vpcd' is given twice in \[card a\]" "a repeated key is refused, not overridden"

printf '[card a]\nimage = /var/lib/vtoken/a\nvpcd = 127.0.0.1:35963\n[card b]\nimage = /var/lib/vtoken/b\nvpcd = localhost:35963\n' >"$T/c.conf"
check "$T/c.conf"
expect_match "$out" "c.conf:6: vpcd localhost:35963 is already used by card 'a'" "localhost and 127.0.0.1 are one endpoint"

printf '[card a]\nimage = cards/a\nvpcd = 127.0.0.1:35963\n' >"$T/c.conf"
check "$T/c.conf"
expect_match "$out" "c.conf:2: 'image' must be an absolute path" "a relative image path is refused"

# only a regular text file is read: a device would never end, a NUL byte would cut a line
set +e
out=$(timeout 10 "$VTOKEND" --check-config --config /dev/zero 2>&1)
rc=$?
set -e
expect_eq "$rc" 78 "--config /dev/zero: 78, at once"
expect_match "$out" "/dev/zero is not a regular file" "and says why"
printf '[card a]\nimage = /var/lib/vtoken/a ; x\000\nvpcd = 127.0.0.1:35963\n' >"$T/c.conf"
check "$T/c.conf"
expect_eq "$rc" 78 "a NUL byte: 78"
expect_match "$out" "c.conf:2: a NUL byte at byte 30 of the line" "named by file, line and byte"
