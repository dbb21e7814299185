#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Under journald, vtokend logs structured entries (CARD=, VPCD=, PRIORITY) instead of plain
# text on stderr. A private systemd-journald runs in a private mount namespace; vtokend's stderr
# is a journal stream, as under a systemd service.
source "$(dirname "$0")/lib.sh"
journald=/lib/systemd/systemd-journald
for p in "$journald" journalctl systemd-cat unshare; do
  command -v "$p" >/dev/null || fail "missing $p (Debian package systemd / util-linux)"
done
export T journald

"$VTOKEN" init "$T/card" >/dev/null
printf '[card jcard]\nimage = %s\nvpcd = 127.0.0.1:9\n' "$T/card" >"$T/j.conf"

out=$(unshare -m --propagation private bash -c '
  set -e
  source "$VT_LIB"
  for d in /run/systemd /run/log; do mkdir -p "$d"; mount -t tmpfs tmpfs "$d"; done
  [ -d /var/log/journal ] && mount -t tmpfs tmpfs /var/log/journal
  mkdir -p /run/systemd/journal
  "$journald" >/dev/null 2>&1 & j=$!
  wait_until 10 "journald listens" -- test -S /run/systemd/journal/stdout
  # a journal stream on stderr, announced by JOURNAL_STREAM as systemd does for services
  systemd-cat -t vtokend-test bash -c "export JOURNAL_STREAM=\$(stat -L -c %d:%i /proc/self/fd/2); exec \"$VTOKEND\" --config \"$T/j.conf\"" &
  vtokend=$!
  entries() { journalctl --no-pager -o export SYSLOG_IDENTIFIER=vtokend; }
  serving() { entries | grep -q "^MESSAGE=serving image "; }
  wait_until 10 "vtokend logged to the journal that it serves the card" -- serving
  kill -TERM "$vtokend"; wait "$vtokend" || true
  journalctl --sync 2>/dev/null || true
  entries
  kill "$j"; wait "$j" || true
' 2>&1) || fail "vtokend under a private journald: $out"
expect_match "$out" 'MESSAGE=serving image .*card' "vtokend logs to the journal"
expect_match "$out" '^CARD=jcard$' "entries carry a CARD= field"
expect_match "$out" '^VPCD=127\.0\.0\.1:9$' "entries carry a VPCD= field"
expect_match "$out" '^PRIORITY=[0-7]$' "entries carry a priority"
expect_no_match "$out" 'vtokend: card jcard:' "no plain-text lines when the journal is there"
