#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# PIN and PUK through OpenSC: change the PIN; on a 15-try card, 15 wrong PINs block it and the
# right PIN is then refused; pkcs15-tool --unblock-pin with the PUK unblocks it; a wrong PUK
# costs a PUK try. The counters are read back from the image on disk with `vtoken show`.
source "$(dirname "$0")/lib.sh"

M=$OPENSC_MODULE
"$VTOKEN" init "$T/card" --retries 15 >/dev/null

cat >"$T/client.sh" <<SH
P11="pkcs11-tool --module $M"
login() { \$P11 --login --pin "\$1" -O >/dev/null 2>&1 && echo ok || echo refused; }
\$P11 --login --pin 123456 --change-pin --new-pin 654321 >/dev/null 2>&1 && echo changed
echo "old: \$(login 123456)"
echo "new: \$(login 654321)"
for i in \$(seq 1 14); do login 000000 >/dev/null; done
"$VTOKEN" show "$T/card" | grep '^PIN:'
login 000000 >/dev/null
echo "after 15 wrong: \$(login 654321)"
pkcs15-tool --unblock-pin --puk 87654321 --new-pin 111111 >/dev/null 2>&1 && echo "wrong puk accepted"
echo "after wrong puk: \$(login 111111)"
"$VTOKEN" show "$T/card" | grep '^PUK:'
pkcs15-tool --unblock-pin --puk 12345678 --new-pin 111111 >/dev/null 2>&1 && echo unblocked
echo "after unblock: \$(login 111111)"
SH
"$VTOKEN" run --card "$T/card" -- bash "$T/client.sh" >"$T/client.log" 2>&1 || true
log=$(cat "$T/client.log")

expect_match "$log" '^changed$' "pkcs11-tool --change-pin"
expect_match "$log" '^old: refused$' "the old PIN no longer works"
expect_match "$log" '^new: ok$' "the new PIN works"
expect_match "$log" '^PIN: +1 of 15 tries left' "each wrong PIN costs exactly one try"
expect_match "$log" '^after 15 wrong: refused$' "15 wrong PINs block it; the right one is refused"
expect_no_match "$log" 'wrong puk accepted' "a wrong PUK does not unblock"
expect_match "$log" '^after wrong puk: refused$' "the PIN stays blocked after a wrong PUK"
expect_match "$log" '^PUK: +14 of 15 tries left' "the wrong PUK cost one PUK try, on disk"
expect_match "$log" '^unblocked$' "pkcs15-tool --unblock-pin with the PUK"
expect_match "$log" '^after unblock: ok$' "the new PIN works after unblocking"

show=$("$VTOKEN" show "$T/card")
expect_match "$show" 'PIN: +15 of 15 tries left' "the PIN counter is back to 15 on disk"
expect_match "$show" 'PUK: +15 of 15 tries left' "the right PUK restored the PUK counter"
