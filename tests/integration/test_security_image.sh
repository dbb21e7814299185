#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What an image, a trace and the control socket trust: an image directory is used only when it
# is its user's own and mode 0700, and nothing in it, nor a trace file, is followed through a
# link; a control socket goes only into a directory others cannot write. Each refusal names
# the path and the fix.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to serve another user's files"

"$VTOKEN" init "$T/img" >/dev/null
alive_after() { # SECONDS PID: true when PID still runs SECONDS from now (returns at its exit)
  local deadline=$((${EPOCHREALTIME/[.,]/} + $1 * 1000000))
  while kill -0 "$2" 2>/dev/null; do
    ((${EPOCHREALTIME/[.,]/} < deadline)) || return 0
    sleep 0.05 # polling the process's exit, bounded by SECONDS
  done
  return 1
}
serve() { # IMAGE [DAEMON-LINES]: vtokend on a port nobody listens on, for 3 s; prints its log
  printf '[daemon]\n%s\n[card c]\nimage = %s\nvpcd = 127.0.0.1:1\n' "${2:-}" "$1" >"$T/v.conf"
  # the log goes to a file, not a pipe; a vtokend that outlives SIGTERM by 20 s fails the test
  # with what it was doing, rather than hanging it
  "$VTOKEND" --config "$T/v.conf" >"$T/v.log" 2>&1 &
  local pid=$!
  if alive_after 3 "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    if alive_after 20 "$pid"; then
      echo "vtokend $pid did not stop within 20 s of SIGTERM: state" \
        "$(awk '/^State/{print $2}' /proc/"$pid"/status 2>/dev/null), in $(cat /proc/"$pid"/wchan 2>/dev/null);" \
        "threads: $(ls /proc/"$pid"/task 2>/dev/null | tr '\n' ' '); children: $(pgrep -P "$pid" -a 2>/dev/null)" >&2
      cat "$T/v.log" >&2
      kill -KILL "$pid" 2>/dev/null || true
      fail "vtokend outlived SIGTERM"
    fi
  fi
  wait "$pid" 2>/dev/null || true
  cat "$T/v.log"
}

# a link planted as a data object: the CHUID would have been /etc/shadow
ln -s /etc/shadow "$T/img/obj-5fc102.bin"
out=$(serve "$T/img")
expect_match "$out" "card refused: $T/img/obj-5fc102.bin is a symbolic link" "vtokend refuses a planted link by name"
set +e
out=$("$VTOKEN" run --card "$T/img" -- true 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "vtoken run served an image with a planted link"
expect_match "$out" "$T/img/obj-5fc102.bin is a symbolic link" "so does vtoken run"
expect_no_match "$(serve "$T/img")" "root:" "nothing of /etc/shadow shows"
rm "$T/img/obj-5fc102.bin"

# the image directory itself
chmod 755 "$T/img"
expect_match "$(serve "$T/img")" "$T/img has mode 0755: .*chmod 700 $T/img" "a directory others may enter is refused with the fix"
chmod 700 "$T/img"
ln -s "$T/img" "$T/img-link"
expect_match "$(serve "$T/img-link")" "$T/img-link is a symbolic link" "an image named through a link is refused"
chown -R nobody "$T/img"
expect_match "$(serve "$T/img")" "$T/img belongs to uid $(id -u nobody), not to uid 0 .*chown -R 0 $T/img" \
  "another user's image is refused: root never serves a directory a user could change"
chown -R root "$T/img"

# trace files: never through a link, never another user's file
ln -s /etc/passwd "$T/trace-link"
expect_match "$(serve "$T/img" "trace = $T/trace-link")" "trace $T/trace-link: a symbolic link" "a trace through a link is refused"
touch "$T/trace-other" && chown nobody "$T/trace-other"
expect_match "$(serve "$T/img" "trace = $T/trace-other")" "trace $T/trace-other: the file belongs to another user" \
  "a trace into another user's file is refused"
expect_eq "$(stat -c %s "$T/trace-other")" 0 "and nothing is written to it"

# the control socket's directory
mkdir -m 1777 "$T/shared"
expect_match "$(serve "$T/img" "control = $T/shared/control.sock")" "control socket directory $T/shared has mode 1777" \
  "a control socket in a directory others write is refused"
expect_eq "$(ls -A "$T/shared")" "" "and not created"
