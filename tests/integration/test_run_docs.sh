#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The `vtoken run` examples of README.md ("A card for one command") and of vtoken(1) (EXAMPLES,
# but for `vtoken ctl`, which needs a daemon) are run as written, with the build's vtoken on
# PATH and /tmp replaced by the test's own directory, and what each says it shows is checked in
# its output.
source "$(dirname "$0")/lib.sh"
mkdir "$T/bin" "$T/work"
ln -s "$VTOKEN_BIN" "$T/bin/vtoken" # vtoken as documented: its own default transport
export PATH="$T/bin:$PATH"

# run_examples NAME: runs $T/NAME.sh (one example per line, continuation lines joined by the
# shell) in $T/work, each command echoed before its output, into $T/NAME.out
run_examples() {
  (cd "$T/work" && bash -euxo pipefail "$T/$1.sh") >"$T/$1.out" 2>&1 ||
    fail "an example of $1 failed: $(tail -n 30 "$T/$1.out")"
  pass "every example of $1 runs"
}

sed -n '/^### A card for one command/,/^### Pulling the card/p' "$VT_SRC/README.md" |
  awk '/^```sh$/ {on = 1; next} /^```$/ {on = 0} on' | sed "s#/tmp/#$T/#g" >"$T/readme.sh"
[ "$(grep -c '^vtoken run' "$T/readme.sh")" -ge 8 ] || fail "the README's examples were not found: $(cat "$T/readme.sh")"
run_examples readme
out=$(cat "$T/readme.out")
expect_match "$out" 'Certificate Object; type = X\.509 cert' "README: pkcs11-tool lists the fresh card's objects"
expect_match "$out" '^Initial PIN: ' "README: the fresh e-Cert card's PIN envelope"
expect_match "$out" 'Yes +Virtual PCD 01 00' "README: two cards, two readers (the driver's)"
expect_match "$out" 'Version:' "README: yubico-piv-tool -a status"
expect_match "$out" 'URL: pkcs11:.*type=cert' "README: p11tool lists the certificates of \$VTOKEN_CARD0_TOKEN_URI"
expect_match "$out" 'subject: +DN: .*CN=CHAN Tai Man' "README: pkcs11-tool --token-label \$VTOKEN_CARD1_TOKEN_LABEL"

sed -n '/^\.SH EXAMPLES/,/^\.SH SEE ALSO/p' "$VT_SRC/docs/man/vtoken.1" | sed -n '/^\.nf/,/^\.fi/p' |
  sed '/^\.nf/d; /^\.fi/d; s/^\$ //; s/\\-/-/g; s/\\(aq/'"'"'/g; s/\\\\/\\/g' |
  grep -v '^vtoken ctl ' >"$T/man.sh" # ctl talks to a running daemon: test_fault runs those
[ "$(grep -c '^vtoken' "$T/man.sh")" -ge 4 ] || fail "the man page's examples were not found: $(cat "$T/man.sh")"
run_examples man
out=$(cat "$T/man.out")
expect_match "$out" 'Slot 0 \(0x0\): Virtual PCD 00 00' "vtoken(1): pkcs11-tool -L sees the card"
expect_match "$out" 'URL: pkcs11:.*type=cert' "vtoken(1): p11tool lists the e-Cert certificates"
expect_match "$out" 'Version:' "vtoken(1): yubico-piv-tool -a status"
expect_match "$out" '^pkcs11:.*type=private' "vtoken(1): the 9a key's URI from vtoken show --json"
