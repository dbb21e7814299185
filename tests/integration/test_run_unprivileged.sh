#!/usr/bin/env bash
# vtoken run without root: a user namespace maps the user to root inside, the card is present
# and the image belongs to the user outside. Where the kernel forbids unprivileged user
# namespaces, vtoken run says so clearly.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to switch to an unprivileged user"; exit 0; }
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
