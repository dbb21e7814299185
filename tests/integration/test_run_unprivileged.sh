#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtoken run without root: a user namespace maps the user to root inside, the card is present
# and the image belongs to the user outside, pcscd is found in /usr/sbin on a user's PATH, and
# COMMAND keeps the network. Where the kernel forbids unprivileged user namespaces, vtoken run
# says so, and how to allow them.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to switch to an unprivileged user"
# The kernel refuses a new user namespace to a chrooted process (EPERM), root's too, whatever
# the sysctls allow (scripts/test-debian13.sh runs the suite in a chroot).
if ! unshare --user true 2>/dev/null && [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" -gt 0 ]; then
  skip "the kernel refuses user namespaces to root here too (a chroot: none for a chrooted process)"
fi
user=nobody
chmod 1777 "$T"
# a user's environment: PATH without /usr/sbin, where Debian puts pcscd
as_user() { runuser -u "$user" -- env HOME="$T" TMPDIR="$T" XDG_STATE_HOME="$T/state" PATH=/usr/local/bin:/usr/bin:/bin "$@"; }

# user namespaces disabled (user.max_user_namespaces = 0 inside a namespace of the test's own,
# the host's setting untouched): the message names the setting and how to enable it
set +e
err=$(python3 "$VT_SRC/tests/integration/tools/without_userns.py" "$(id -u "$user")" \
  env HOME="$T" TMPDIR="$T" PATH=/usr/local/bin:/usr/bin:/bin "$VTOKEN_BIN" run --isolation namespaces --card "$T/card0" -- true 2>&1)
rc=$?
set -e
expect_eq "$rc" 125 "vtoken run --isolation namespaces fails where user namespaces are disabled"
expect_match "$err" 'cannot create private namespaces \(unshare: No space left on device\)' "and says the kernel refused them"
expect_match "$err" 'user namespaces are disabled on this system \(user.max_user_namespaces = 0\)' "and that they are disabled, by which setting"
expect_match "$err" "sudo sysctl -w user.max_user_namespaces=" "and how to enable them"
# on the driver (the default) it goes on without namespaces instead, and says so
out=$(python3 "$VT_SRC/tests/integration/tools/without_userns.py" "$(id -u "$user")" \
  env HOME="$T" TMPDIR="$T" PATH=/usr/local/bin:/usr/bin:/bin "$VTOKEN_BIN" run --card "$T/card0" -- \
  sh -c 'opensc-tool -a; echo "isolation=$VTOKEN_ISOLATION"' 2>&1) || fail "no fallback without user namespaces: $out"
expect_match "$out" 'namespaces refused \(No space left on device\)' "on the driver it runs without namespaces, saying why"
expect_match "$out" '^isolation=none$' "and tells COMMAND"
expect_match "$out" '^3b(:[0-9a-f]{2})+$' "and the card is present"

mkdir "$T/www" && echo "host page" >"$T/www/index.html"
python3 -u -m http.server --bind 127.0.0.1 --directory "$T/www" 0 >"$T/http.log" 2>&1 &
http=$!
trap 'kill $http 2>/dev/null; rm -rf "$T"' EXIT
wait_until 10 "the host's web server listens" -- grep -q 'Serving HTTP on 127.0.0.1 port' "$T/http.log"
port=$(sed -n 's/.*Serving HTTP on 127.0.0.1 port \([0-9]*\).*/\1/p' "$T/http.log")

if as_user unshare -Ur true 2>/dev/null; then
  out=$(as_user "$VTOKEN" run --card "$T/card" -- sh -c "opensc-tool -a; echo \"inside uid \$(id -u)\"; curl -fsS http://127.0.0.1:$port/")
  expect_match "$out" '^host page$' "an unprivileged COMMAND reaches the host's 127.0.0.1"
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
