#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtoken run keeps the caller's network: COMMAND reaches a server on the host's 127.0.0.1 while
# it uses the card, pcscd and vtokend talk over a network of their own that nobody outside
# reaches, and parallel runs never meet on vpcd's port.
source "$(dirname "$0")/lib.sh"

# a web server on the host's loopback, on a port the kernel chose
mkdir "$T/www"
echo "served from the host $$" >"$T/www/marker"
python3 -u -m http.server --bind 127.0.0.1 --directory "$T/www" 0 >"$T/http.log" 2>&1 &
http=$!
trap 'kill $http 2>/dev/null; rm -rf "$T"' EXIT
wait_until 10 "the host's web server listens" -- grep -q 'Serving HTTP on 127.0.0.1 port' "$T/http.log"
port=$(sed -n 's/.*Serving HTTP on 127.0.0.1 port \([0-9]*\).*/\1/p' "$T/http.log")
outer_pid=$$
export T port outer_pid
echo data >"$T/data"

# inside: the host's server and the card in the same command
host_net=$(readlink /proc/self/ns/net)
export host_net
"$VTOKEN" run --fresh -- bash -c '
  source "$VT_LIB"
  expect_eq "$(curl -fsS "http://127.0.0.1:$port/marker")" "served from the host $outer_pid" \
    "COMMAND reaches a server on the host'\''s 127.0.0.1"
  card_sign || fail "the card does not sign while the network is the host'\''s"
  pass "the card signs in the same command"
  expect_eq "$(readlink /proc/self/ns/net)" "$host_net" "COMMAND runs in the caller'\''s network namespace"
  pcscd=$(pgrep -x pcscd) || fail "no pcscd in the run"
  [ "$(readlink "/proc/$pcscd/ns/net")" != "$host_net" ] || fail "pcscd runs in the caller'\''s network"
  pass "pcscd runs in a network namespace of its own"
  expect_eq "$(readlink "$VTOKEN_NETNS")" "$(readlink "/proc/$pcscd/ns/net")" "VTOKEN_NETNS names it"
  # vpcd is in that namespace only: slot 0 (35963) connected to vtokend, slot 1 (35964, no card)
  # listening; no socket of this pcscd is on the caller'\''s network
  expect_match "$(in_private_network ss -Htan "sport = :35963")" ESTAB "vpcd slot 0 is connected in the private network"
  expect_match "$(in_private_network ss -Htlnp "sport = :35964")" "LISTEN.*pid=$pcscd," \
    "vpcd slot 1 listens in the private network (ss -p names pcscd)"
  if ss -Htanp "( sport = :35963 or sport = :35964 )" | grep -q "pid=$pcscd,"; then
    fail "the run'\''s vpcd has a socket on the caller'\''s network"
  fi
  pass "the run'\''s vpcd ports are not on the caller'\''s network"
  # and a connection from the caller'\''s network does not reach it (refused, unless the host has
  # a vpcd of its own listening there, e.g. a socket-activated pcscd)
  if [ -z "$(ss -Htln "sport = :35964")" ]; then
    if python3 -c "import socket; socket.create_connection((\"127.0.0.1\", 35964), 2)" 2>/dev/null; then
      [ -n "$(ss -Htln "sport = :35964")" ] || fail "127.0.0.1:35964 accepted a connection from the host network"
    fi
    pass "connecting to 127.0.0.1:35964 from the host network does not reach the run'\''s vpcd"
  fi
' || fail "the run failed"

# four runs at once, each with its own vpcd on the same port in its own namespace
for i in 1 2 3 4; do
  "$VTOKEN" run --fresh -- bash -c '
    source "$VT_LIB"
    curl -fsS "http://127.0.0.1:$port/marker" >/dev/null || fail "run '"$i"': the host server is not reached"
    card_sign --out "$T/sig.'"$i"'" || fail "run '"$i"': no signature"' >"$T/par.$i.log" 2>&1 &
  pids[i]=$!
done
for i in 1 2 3 4; do
  wait "${pids[i]}" || fail "parallel run $i failed: $(cat "$T/par.$i.log")"
done
pass "four parallel runs reach the host and sign"
