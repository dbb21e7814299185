#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtoken run without root: a user namespace maps the user to root inside, the card is present
# and the image belongs to the user outside. Where the kernel forbids unprivileged user
# namespaces, vtoken run says so clearly.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to switch to an unprivileged user"
# The kernel refuses a new user namespace to a chrooted process (EPERM), root's too, whatever
# the sysctls allow (scripts/test-debian13.sh runs the suite in a chroot).
if ! unshare --user true 2>/dev/null && [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" -gt 0 ]; then
  skip "the kernel refuses user namespaces to root here too (a chroot: none for a chrooted process)"
fi
user=nobody
chmod 1777 "$T"
as_user() { runuser -u "$user" -- env HOME="$T" TMPDIR="$T" XDG_STATE_HOME="$T/state" "$@"; }

if as_user unshare -Ur true 2>/dev/null; then
  out=$(as_user "$VTOKEN" run --card "$T/card" -- sh -c 'opensc-tool -a; echo "inside uid $(id -u)"')
  expect_match "$out" '^3b(:[0-9a-f]{2})+$' "the card is present for an unprivileged user"
  expect_match "$out" 'inside uid 0' "the user is root inside its own namespace"
  expect_eq "$(stat -c %U "$T/card/card.ini")" "$user" "the image belongs to the user outside"
  expect_eq "$(stat -c %a "$T/card")" 700 "the image directory is 0700"
else
  set +e
  err=$(as_user "$VTOKEN" run --card "$T/card" -- true 2>&1)
  rc=$?
  set -e
  expect_eq "$rc" 125 "vtoken run fails when namespaces are not permitted"
  expect_match "$err" 'cannot create private namespaces' "and says why"
fi
