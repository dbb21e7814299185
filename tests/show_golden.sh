#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `vtoken show` of fixed card images, byte for byte: tests/data/show-images/NAME.ARGS.{txt,json}
# is what the renderer of cli/show.c wrote for image NAME/ before PIV and OpenPGP drew themselves
# through their registry rows' show hooks (issue 22), with ARGS show (vtoken show NAME/),
# show-pin (--show-pin), and .json adding --json. Any change of the text's columns or of the
# JSON's layout fails here. Then `vtoken init --json` of a key without a certificate: the show
# of the new image with the "certificates_made" member the CLI hands to PIV's show.
# Usage: show_golden.sh VTOKEN SRCDIR
set -u
vtoken=$1
data=$2/tests/data/show-images
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
n=0

cp -r "$data"/. "$tmp"/ || exit 1
chmod -R go-rwx "$tmp" # an image must be 0700 (vtoken refuses to load it otherwise)
cd "$tmp" || exit 1
for want in *.show.txt *.show.json *.show-pin.txt *.show-pin.json; do
  [ -e "$want" ] || continue
  name=${want%%.*}
  args=()
  case $want in *.show-pin.*) args+=(--show-pin) ;; esac
  case $want in *.json) args+=(--json) ;; esac
  if ! "$vtoken" show "${args[@]}" "$name/" >got 2>&1; then
    echo "not ok - vtoken show ${args[*]} $name/ failed:"; cat got; status=1; continue
  fi
  if cmp -s got "$want"; then
    echo "ok - vtoken show ${args[*]} $name/"
  else
    echo "not ok - vtoken show ${args[*]} $name/ differs from $want:"
    diff "$want" got | head -40
    status=1
  fi
  n=$((n + 1))
done
[ "$n" -ge 14 ] || { echo "not ok - only $n expected outputs in $data"; status=1; }

# init --json: the certificate made for an imported key without one is named in the show.
if "$vtoken" init made --json -i 9a:imported/9a.key.pem -i 9c:imported/9c.key.pem >init.json 2>init.err &&
  "$vtoken" show --json made >show.json; then
  made=$(grep -n '"certificates_made"' init.json)
  if [ "$made" = '21:  "certificates_made": ["9a", "9c"],' ] &&
    grep -v '"certificates_made"' init.json | cmp -s - show.json &&
    sed -n 19p init.json | grep -q '^  "pkcs11": {"token": '; then
    echo "ok - vtoken init --json: the show with certificates_made after pkcs11"
  else
    echo "not ok - vtoken init --json: certificates_made ('$made') or the rest differs from show:"
    diff init.json show.json | head -20
    status=1
  fi
else
  echo "not ok - vtoken init made --json failed:"; cat init.err init.json
  status=1
fi
exit $status
