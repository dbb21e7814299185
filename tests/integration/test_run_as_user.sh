#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtoken as an ordinary user, where no namespace can be made too (the Debian 13 chroot of
# scripts/test-debian13.sh, a container): as nobody, with copies of this build's programs (the
# build tree may be out of nobody's reach), `vtoken init` and `vtoken show` make and read a card
# the user owns, a vtokend of the user serves it with a control socket that `vtoken ctl`
# reaches, and `vtoken run --transport driver` gives a command the card. A run that cannot be
# made here (no namespaces, and a vtoken without a namespace-free mode) is a skipped part,
# named with vtoken's own reason; once vtoken run works without namespaces, this test checks it.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to switch to an ordinary user"
user=nobody
for_any_user "$T/bin"
home=$T/home
mkdir -m 700 "$home" && chown "$user" "$home"
chmod 1777 "$T"
# a user's environment: a plain PATH, a home and state of its own, nothing of root's
user_env=(env -i HOME="$home" TMPDIR="$home" XDG_STATE_HOME="$home/state" XDG_CACHE_HOME="$home/cache"
  PATH="$T/bin:/usr/local/bin:/usr/bin:/bin" VTOKEND="$VTOKEND" VTOKEN_DRIVER="$VTOKEN_DRIVER")
as_user=(setpriv --reuid "$user" --regid "$(id -g "$user")" --clear-groups -- "${user_env[@]}")
as_user() { "${as_user[@]}" "$@"; }

as_user vtoken init "$home/card" --pin 271828 >/dev/null || fail "vtoken init as $user"
expect_eq "$(stat -c '%U %a' "$home/card")" "$user 700" "the user's image directory is the user's, 0700"
expect_eq "$(find "$home/card" -type f ! -user "$user" -o -type f ! -perm 600 | wc -l)" 0 \
  "and every file in it the user's, 0600"
as_user vtoken show "$home/card" --json >"$T/show.json" || fail "vtoken show as $user"
expect_eq "$(jq -r .pin.tries_left "$T/show.json")" 3 "vtoken show reads the user's card"

# a vtokend of the user: serves the image, answers on its control socket (its vpcd link goes
# nowhere: port 1 is no one's, the daemon keeps trying)
printf '[daemon]\ncontrol = %s/control.sock\n[card mine]\nimage = %s/card\nvpcd = 127.0.0.1:1\n' \
  "$home" "$home" >"$T/user.conf"
chmod 644 "$T/user.conf"
as_user vtokend --check-config --config "$T/user.conf" >/dev/null 2>&1 || fail "vtokend --check-config as $user: $(as_user vtokend --check-config --config "$T/user.conf" 2>&1)"
"${as_user[@]}" vtokend --config "$T/user.conf" >"$T/vtokend.log" 2>&1 & # its pid: setpriv and env exec
daemon=$!
trap 'kill $daemon 2>/dev/null || true; rm -rf "$T"' EXIT
wait_until 20 "the user's vtokend listens on its control socket" -- test -S "$home/control.sock"
out=$(as_user vtoken ctl --socket "$home/control.sock" status 2>&1) || fail "vtoken ctl as $user: $out"
expect_match "$out" '^mine: .*PIN tries left 3/3' "vtoken ctl reaches the user's own daemon"
expect_eq "$(stat -c %U "$home/control.sock")" "$user" "the control socket is the user's"
kill "$daemon"; wait "$daemon" 2>/dev/null || true

# vtoken run: a card in a private PC/SC environment for the user's command, here and where no
# user namespace can be made (without_userns.py: as in a container or the Debian 13 chroot)
run_as_user() { # WHERE COMMAND-PREFIX...: the prefix makes the user
  local where=$1 rc=0 out
  shift
  out=$("$@" "${user_env[@]}" vtoken run --transport driver --card "$home/card" -- opensc-tool -a 2>&1) || rc=$?
  if [ "$rc" -eq 125 ] && grep -q 'cannot create private namespaces' <<<"$out"; then
    skip_part "vtoken run as $user $where: $(grep -m1 'cannot create private namespaces' <<<"$out")"
  else
    [ "$rc" -eq 0 ] || fail "vtoken run as $user $where exited $rc: $out"
    expect_match "$out" '^3b(:[0-9a-f]{2})+$' "vtoken run as $user $where gives the command the card"
  fi
}
run_as_user "on this system" setpriv --reuid "$user" --regid "$(id -g "$user")" --clear-groups --
if unshare --user true 2>/dev/null; then
  run_as_user "where no user namespace can be made" python3 "$VT_SRC/tests/integration/tools/without_userns.py" "$(id -u "$user")"
fi
