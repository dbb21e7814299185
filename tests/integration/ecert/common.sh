# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers shared by the e-Cert guide tests (test_ecert_*.sh). Sourced after lib.sh by the test,
# and by the scripts the tests run inside `vtoken run` (through $ECERT_COMMON, with $T exported).
export ECERT_COMMON="${BASH_SOURCE[0]}"

# tries IMAGE pin|puk: "LEFT/MAX/BLOCKED" as the image records them, e.g. "15/15/false"
tries() {
  show_json "$1" "'%s/%s/%s' % (d['$2']['tries_left'], d['$2']['max_tries'], str(d['$2']['blocked']).lower())"
}

# envelope_pin IMAGE: the initial PIN from the image's PIN envelope
envelope_pin() { sed -n 's/^Initial PIN: //p' "$1.pin-envelope.txt"; }

# serve READY LOG COMMAND [ARGS...]: starts a server in the background with its output going
# through a FIFO into LOG, and returns once it has printed a line matching the glob READY (its
# own "I am listening" line), or fails after 30 s of silence or when it exits. No polling.
# Sets SERVER_PID; stop it with stop_server.
serve() {
  local ready=$1 log=$2 fifo line fd
  shift 2
  fifo=$(mktemp -u "$T/serve.XXXXXX")
  mkfifo "$fifo"
  "$@" >"$fifo" 2>&1 &
  SERVER_PID=$!
  exec {fd}<"$fifo"
  rm -f "$fifo"
  while IFS= read -r -t 30 line <&"$fd"; do
    printf '%s\n' "$line" >>"$log"
    # shellcheck disable=SC2053
    if [[ $line == $ready ]]; then
      cat <&"$fd" >>"$log" &
      exec {fd}<&-
      return 0
    fi
  done
  exec {fd}<&-
  echo "server '$1' did not get ready: $(cat "$log" 2>/dev/null)" >&2
  stop_server
  return 1
}

stop_server() {
  [ -n "${SERVER_PID:-}" ] || return 0
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

# pct_encode STRING: every byte as %XX, for pkcs11: URI attribute values such as pin-value
pct_encode() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n' | sed 's/../%&/g'; }
