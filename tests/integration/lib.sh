# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Shared helpers for integration tests (sourced). Each test runs real pcscd, vpcd, vtokend and
# clients inside `vtoken run`'s private namespaces, so tests run in parallel without clashes.
# A test sources this file first; the scripts it runs inside `vtoken run` source it again
# (`source "$VT_LIB"`) for the helpers alone, which leaves their shell options, $T and traps
# as they are. There `fail` ends the script, so the test checks the script's status.
if [ -z "${VT_LIB:-}" ]; then
  set -euo pipefail

  : "${VTOKEN:?set by ctest: path of vtoken}"
  : "${VTOKEND:?set by ctest: path of vtokend}"
  : "${VT_SRC:?set by ctest: source directory}"
  export VTOKEND
  VT_LIB=$(realpath "${BASH_SOURCE[0]}")
  export VT_LIB

  OPENSC_MODULE=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
  [ -e "$OPENSC_MODULE" ] || OPENSC_MODULE=$(dpkg -L opensc-pkcs11 2>/dev/null | grep '/opensc-pkcs11.so$' | head -n1)
  export OPENSC_MODULE

  T=$(mktemp -d "${TMPDIR:-/tmp}/vt-test.XXXXXX")
  chmod 755 "$T"
  trap 'rm -rf "$T"' EXIT
  # vtoken run makes its private environment's directory under TMPDIR: keep it in ours, so a
  # test can tell its own processes from those of tests running beside it.
  export TMPDIR="$T"
  # Each test gets its own OpenSC cache, so parallel tests and cards never mix.
  export XDG_CACHE_HOME="$T/cache"
  export OPENSC_CONF="$T/opensc.conf"
  printf 'app default {\n  framework pkcs15 {\n    use_file_caching = no;\n  }\n}\n' >"$OPENSC_CONF"

  # The transport the PC/SC environments use: vpcd (the default), or vtoken's own driver when
  # ctest runs the suite a second time as integration-driver/NAME (VT_TRANSPORT=driver). Every
  # `$VTOKEN run` of a test, and of the scripts it runs, then gets --transport.
  # The isolation likewise: namespaces where they can be made (VT_ISOLATION unset: vtoken run's
  # own choice), or none when ctest runs the `vtoken run` tests a third time as
  # integration-plain/NAME (VT_ISOLATION=none, on the driver): every run then gets --isolation.
  VT_TRANSPORT=${VT_TRANSPORT:-vpcd}
  VT_ISOLATION=${VT_ISOLATION:-}
  VTOKEN_BIN=$VTOKEN # vtoken itself, for a test that names the transport
  export VT_TRANSPORT VT_ISOLATION VTOKEN_BIN
  run_options="--transport $VT_TRANSPORT${VT_ISOLATION:+ --isolation $VT_ISOLATION}"
  printf '#!/bin/sh\nif [ "$1" = run ]; then shift; exec "%s" run %s "$@"; fi\nexec "%s" "$@"\n' \
    "$VTOKEN_BIN" "$run_options" "$VTOKEN_BIN" >"$T/vtoken"
  chmod 755 "$T/vtoken"
  VTOKEN=$T/vtoken
  export VTOKEN
fi

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

pass() {
  echo "ok - $*"
}

# skip REASON: the test cannot run here; ctest counts it as skipped (SKIP_RETURN_CODE 77), not
# passed. For what this environment lacks, never for a failure.
skip() {
  echo "SKIP: $*"
  exit 77
}

# skip_part REASON: a part of the test cannot run here; the rest runs and the test may pass,
# but the part is named: scripts/test.sh lists every "SKIP-PART:" line in its summary.
skip_part() {
  echo "SKIP-PART: $*"
}

# for_any_user DIR: copies of this build's vtoken, vtokend and reader driver in DIR (made
# 0755), which any user may run wherever the build tree lives (a tree under /root, mode 0700,
# is out of other users' reach); exports ANY_VTOKEN, and VTOKEND and VTOKEN_DRIVER for it.
for_any_user() {
  local dir=$1
  mkdir -p "$dir"
  install -m 755 "$VTOKEN_BIN" "$dir/vtoken"
  install -m 755 "$VTOKEND" "$dir/vtokend"
  VTOKEN_DRIVER=$dir/libifdvtoken.so
  install -m 644 "${VT_BUILD:?set by ctest: build directory}/libifdvtoken.so" "$VTOKEN_DRIVER"
  chmod 755 "$dir"
  ANY_VTOKEN=$dir/vtoken VTOKEND=$dir/vtokend
  export ANY_VTOKEN VTOKEND VTOKEN_DRIVER
}

# free_port: a TCP port of 127.0.0.1 that nothing listens on, chosen by the kernel. COMMAND runs
# on the caller's network, shared with the tests running beside this one: a server started
# inside `vtoken run` takes a port from here, never a fixed one.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# in_private_network COMMAND [ARG...]: inside `vtoken run`, runs COMMAND in the network namespace
# of the run's pcscd and vtokend (where vpcd listens), e.g. a pcscd or vtokend of the test's own.
in_private_network() {
  nsenter --net="$VTOKEN_NETNS" -- "$@"
}

# namespaces_only REASON: the test is about vtoken run's namespaces; without them it is skipped.
namespaces_only() {
  [ "$VT_ISOLATION" != none ] || skip "namespaces only: $*"
}

# run_pcscd, run_vtokend: inside `vtoken run`, the pid of the run's own pcscd or vtokend (without
# namespaces, others' are visible too: found by the run's directory in their command line)
run_pcscd() { pgrep -f -- "-c $VTOKEN_RUN_DIR/reader.conf.d"; }
run_vtokend() { pgrep -f -- "--config $VTOKEN_RUN_DIR/vtokend.conf"; }

# vpcd_only REASON: the test is about vpcd itself; on another transport it is skipped, saying why.
vpcd_only() {
  [ "$VT_TRANSPORT" = vpcd ] || skip "vpcd only: $*"
}

# reader_name [INDEX] [NAME]: PC/SC's name of the reader of card INDEX (0, the first, by
# default) of a `vtoken run` called NAME (default "Virtual PCD"): vpcd's two slots are
# "NAME 00 00" and "NAME 00 01", the driver's readers "NAME 00 00", "NAME 01 00", ...
reader_name() {
  local i=${1:-0} name=${2:-Virtual PCD}
  if [ "$VT_TRANSPORT" = driver ]; then
    printf '%s %02X 00' "$name" "$i"
  else
    printf '%s 00 %02X' "$name" "$i"
  fi
}

# link_re [INDEX]: how `vtoken ctl status` names the link of card INDEX (default 0) of a
# `vtoken run`, as an extended regex
link_re() {
  local i=${1:-0}
  if [ "$VT_TRANSPORT" = driver ]; then
    printf 'driver /[^ ]*/card%d\\.sock' "$i"
  else
    printf 'vpcd 127\\.0\\.0\\.1:%d' "$((35963 + i))"
  fi
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
  [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
  pass "$3"
}

# expect_match TEXT REGEX WHAT
expect_match() {
  grep -Eq -- "$2" <<<"$1" || fail "$3: '$2' not found in:
$1"
  pass "$3"
}

expect_no_match() {
  if grep -Eq -- "$2" <<<"$1"; then fail "$3: '$2' unexpectedly found in:
$1"; fi
  pass "$3"
}

# wait_until SECONDS WHAT -- COMMAND [ARG...]: runs COMMAND (its output discarded) until it
# succeeds, and fails the test with "timed out after SECONDS s waiting until WHAT" when it has
# not succeeded within SECONDS (whole seconds). COMMAND is a simple command: a test wraps a
# pipeline or a glob that must be expanded anew on each try in a function.
wait_until() {
  [ $# -ge 4 ] && [ "$3" = -- ] && [[ $1 =~ ^[0-9]+$ ]] || fail "usage: wait_until SECONDS WHAT -- COMMAND..."
  local seconds=$1 what=$2 deadline
  shift 3
  deadline=$((${EPOCHREALTIME/[.,]/} + seconds * 1000000))
  until "$@" >/dev/null 2>&1; do
    ((${EPOCHREALTIME/[.,]/} < deadline)) || fail "timed out after $seconds s waiting until $what"
    sleep 0.05 # wait_until's polling interval: the wait itself is on COMMAND, bounded by SECONDS
  done
}

# card_status_field CARD FIELD: FIELD of CARD as `vtoken ctl status --json` shows it (inside
# `vtoken run`, whose $VTOKEN_CONTROL names the daemon): a string as it is, true/false, null, a
# number, or a list or object as JSON (an empty list is []). Fails when the daemon does not
# answer or has no such card or field.
card_status_field() {
  "$VTOKEN" ctl status --json | python3 -c '
import json, sys
card, field = sys.argv[1:]
v = next(c for c in json.load(sys.stdin)["cards"] if c["name"] == card)[field]
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}

# card_status_is CARD FIELD VALUE: whether card_status_field CARD FIELD prints VALUE
card_status_is() {
  [ "$(card_status_field "$1" "$2")" = "$3" ]
}

# show_json IMAGE EXPR: a value from `vtoken show IMAGE --json`; EXPR is Python over the document
# `d`, e.g. 'd["pin"]["tries_left"]' or 'slot(d, "9a")["certificate"]["serial"]'. Booleans print
# as true/false.
show_json() {
  "$VTOKEN" show "$1" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
def slot(d, name):
    return next(s for s in d["slots"] if s["slot"] == name)
v = eval(sys.argv[1])
print(str(v).lower() if isinstance(v, bool) else v)' "$2"
}

# expect_pin_tries_counted IMAGE MAX [MIN]: after wrong PINs, the image records fewer than MAX
# PIN tries left (the wrong PINs were counted), and at least MIN (default 0) tries left.
expect_pin_tries_counted() {
  local left
  left=$(show_json "$1" 'd["pin"]["tries_left"]')
  [ "$left" -lt "$2" ] && [ "$left" -ge "${3:-0}" ] ||
    fail "the token did not count the wrong PINs as it should (tries left: $left, expected $2 > left >= ${3:-0})"
  pass "the token counted the wrong PINs ($left of $2 left)"
}

# card_sign [--pin PIN] [--id KEYID] [--mech MECHANISM] [--in FILE] [--out FILE] [--report]:
# a login and one signature with the key KEYID through OpenSC's pkcs11-tool, as an application
# makes it. Defaults: PIN 123456, key 01 (slot 9A), SHA256-RSA-PKCS, $T/data, $T/sig. Returns
# pkcs11-tool's status; with --report prints pkcs11-tool's output (stderr too) followed by a line
# "sign rc=STATUS" and returns 0, for tests that check a transcript.
card_sign() {
  local pin=123456 id=01 mech=SHA256-RSA-PKCS in=$T/data out=$T/sig report='' rc=0
  while [ $# -gt 0 ]; do
    case $1 in
      --pin) pin=$2 && shift ;;
      --id) id=$2 && shift ;;
      --mech) mech=$2 && shift ;;
      --in) in=$2 && shift ;;
      --out) out=$2 && shift ;;
      --report) report=1 ;;
      *) fail "card_sign: unknown option '$1'" ;;
    esac
    shift
  done
  local sign=(pkcs11-tool --module "$OPENSC_MODULE" --login --pin "$pin" --sign --id "$id" -m "$mech"
    -i "$in" -o "$out")
  if [ -z "$report" ]; then
    "${sign[@]}"
    return
  fi
  "${sign[@]}" 2>&1 || rc=$?
  echo "sign rc=$rc"
}
