#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every example of README.md, vtoken(1), vtokend(8), vtokend.conf(5), docs/timing.md and
# docs/ecert-guide.md
# runs as written, in the order the document gives it, each document from a clean state: a
# HOME and working directory of its own, the build's vtoken and vtokend on PATH, /tmp/ in the
# examples taken as a directory of the test's own. What an example is, and how a document marks
# one that cannot run here (and why) or one that needs a card present, is in
# tools/doc_examples.py. The examples of one document share one shell, with every variable
# exported (set -a), so a later example uses what an earlier one made, as a reader's shell does.
# A failing command fails the test with the document, its line and the command. Some outputs
# are checked too: what an example says it shows.
source "$(dirname "$0")/lib.sh"
mkdir "$T/bin"
ln -s "$VTOKEN_BIN" "$T/bin/vtoken" # vtoken as documented: its own default transport
ln -s "$VTOKEND" "$T/bin/vtokend"
export PATH="$T/bin:$PATH"

# run_doc DOC: runs DOC's examples in order; their output in $T/NAME.out (NAME: DOC's file name)
run_doc() {
  local doc=$1 name dir n start kind arg
  name=$(basename "$doc")
  dir=$T/$name
  mkdir -p "$dir/home" "$dir/work" "$dir/tmp" "$dir/blocks"
  python3 "$VT_SRC/tests/integration/tools/doc_examples.py" "$VT_SRC/$doc" "$dir/blocks" >"$dir/index" ||
    fail "$doc: its examples cannot be read"
  if [ ! -s "$dir/index" ]; then # vtokend.conf(5): its examples are files, not commands
    pass "$doc has no command examples"
    return
  fi
  {
    echo "set -a; cd '$dir/work'"
    while read -r n start kind arg; do
      local block=$dir/blocks/$n.sh
      sed -i "s#/tmp/#$dir/tmp/#g" "$block"
      if [ "$kind" = skip ]; then
        echo "echo $(printf %q "skip - $doc:$start: $arg")"
        continue
      fi
      # the ERR trap names the document's line of the command that failed
      { printf 'set -eE -o pipefail\n'
        printf "trap 'echo \"FAIL: %s:\$((%d + LINENO - 3)): exit \$?: \$BASH_COMMAND\" >&2; exit 1' ERR\n" "$doc" "$start"
        cat "$block"; } >"$block.run"
      echo "echo '== $doc:$start'"
      if [ "$kind" = in-run ]; then
        echo "vtoken run $arg -- bash '$block.run' || exit 1"
      else
        echo "source '$block.run' || exit 1"
      fi
    done <"$dir/index"
  } >"$dir/all.sh"
  (export HOME=$dir/home; bash "$dir/all.sh") >"$T/$name.out" 2>&1 ||
    fail "an example of $doc failed: $(grep -m1 '^FAIL: ' "$T/$name.out") -- its output: $(tail -n 25 "$T/$name.out")"
  grep '^skip - ' "$T/$name.out" || true
  pass "every example of $doc runs ($(awk '$3 != "skip"' "$dir/index" | wc -l) run, $(awk '$3 == "skip"' "$dir/index" | wc -l) marked skip)"
}

run_doc README.md
out=$(cat "$T/README.md.out")
expect_match "$out" 'Certificate Object; type = X\.509 cert' "README: pkcs11-tool lists the fresh card's objects"
expect_match "$out" '^Initial PIN: ' "README: the fresh e-Cert card's PIN envelope"
expect_match "$out" 'Yes +Virtual PCD 01 00' "README: two cards, two readers (the driver's)"
expect_match "$out" 'Version:' "README: yubico-piv-tool -a status"
expect_match "$out" 'URL: pkcs11:.*type=cert' "README: p11tool lists the certificates of \$VTOKEN_CARD0_TOKEN_URI"
expect_match "$out" 'subject: +DN: .*CN=CHAN Tai Man' "README: pkcs11-tool --token-label \$VTOKEN_CARD1_TOKEN_LABEL"

for page in docs/man/vtoken.1 docs/man/vtokend.8 docs/man/vtokend.conf.5; do run_doc "$page"; done
out=$(cat "$T/vtoken.1.out")
expect_match "$out" 'Slot 0 \(0x0\): Virtual PCD 00 00' "vtoken(1): pkcs11-tool -L sees the card"
expect_match "$out" 'URL: pkcs11:.*type=cert' "vtoken(1): p11tool lists the e-Cert certificates"
expect_match "$out" 'Version:' "vtoken(1): yubico-piv-tool -a status"
expect_match "$out" '^pkcs11:.*type=private' "vtoken(1): the 9a key's URI from vtoken show --json"

run_doc docs/timing.md
expect_match "$(cat "$T/timing.md.out")" 'GENERAL AUTHENTICATE .*\[\+138\.491 ms \(timing yubikey5\)\]' \
  "docs/timing.md: the trace shows the signature held for the table's 138.491 ms"

run_doc docs/ecert-guide.md
out=$(cat "$T/ecert-guide.md.out")
expect_match "$out" '^ecert\.pem: OK$' "guide 3: the token's certificate verifies against the image's CA"
expect_match "$out" '^Verified OK$' "guide 4: the first-use signature verifies"
expect_eq "$(grep -c '^refused: the envelope password stays$' <<<"$out")" 2 "guide 4: both weak passwords are refused"
expect_match "$out" '^Successfully changed the pin code' "guide 4: yubico-piv-tool sets the strong password"
expect_match "$out" '^refused: Hk#2026p stays$' "guide 4: a password without the policy is refused"
expect_match "$out" 'token flags +: .*PIN initialized' "guide notes: the token flags"
expect_match "$out" 'Token Name: CHAN Tai Man' "guide 5: modutil -list shows the token"
expect_match "$out" 'CHAN Tai Man:Certificate for PIV Authentication +u,u,u' "guide 5: certutil lists the e-Cert as a user certificate"
expect_match "$out" 'selfserv: -- SSL3: Certificate Validated' "guide 5: selfserv validated tstclnt's e-Cert"
# s_server -www sends back a page naming the client certificate: to curl, s_client and gnutls-cli
expect_eq "$(grep -c '^Client certificate' <<<"$out")" 3 "guide 5: curl, s_client and gnutls-cli log in with the e-Cert"
expect_match "$out" 'ssh-rsa [A-Za-z0-9+/=]+ PIV AUTH pubkey' "guide 6: ssh-keygen -D lists the token's key"
