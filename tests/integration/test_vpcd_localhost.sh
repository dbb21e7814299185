#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vpcd = localhost:PORT reaches vpcd although Debian's /etc/hosts gives ::1 first and vpcd
# listens on IPv4 alone: every address of the name is tried, and the log says which connected.
source "$(dirname "$0")/lib.sh"
vpcd_only "a vpcd host name; the driver listens on a local socket"
command -v unshare >/dev/null || skip "no unshare(1) to give vtokend a hosts file of its own"
unshare -rm true 2>/dev/null || skip "no user and mount namespaces here (unshare -rm)"
export T

# Debian's stock order: ::1 before 127.0.0.1
printf '::1 localhost ip6-localhost\n127.0.0.1 localhost\n' >"$T/hosts"
out=$("$VTOKEN" run --card "$T/first" -- bash -c '
  source "$VT_LIB"
  printf "[daemon]\ncontrol = %s/second.sock\nlog-level = debug\n[card second]\nimage = %s/second\nvpcd = localhost:35964\n" "$T" "$T" >"$T/second.conf"
  in_private_network unshare -rm sh -c "mount --bind \"\$1/hosts\" /etc/hosts && getent ahosts localhost | head -1 && exec \"\$2\" --config \"\$1/second.conf\"" sh "$T" "$VTOKEND" >"$T/second.log" 2>&1 &
  second=$!
  served() { "$VTOKEN" ctl --socket "$T/second.sock" status 2>/dev/null | grep -Eq "^second: vpcd localhost:35964 (connected|powered)"; }
  wait_until 30 "the card on localhost:35964 is connected" -- served
  "$VTOKEN" ctl --socket "$T/second.sock" status
  kill "$second"
  wait "$second" || true
  cat "$T/second.log"
' 2>&1)
echo "$out"
expect_match "$out" "^::1 +STREAM localhost" "the daemon's resolver gives ::1 first"
expect_match "$out" "connect to vpcd localhost:35964 \(::1\): Connection refused" "::1 is tried, and refused"
expect_match "$out" "connected to vpcd localhost:35964 \(127\.0\.0\.1\)" "then 127.0.0.1 connects, and the log says so"
expect_match "$out" "^second: vpcd localhost:35964 (connected|powered)" "the card is served"
