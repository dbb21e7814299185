#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# An e-Cert token cannot be reset: the YubiKey RESET (yubico-piv-tool -a reset), which a piv
# card allows once PIN and PUK are both blocked, would leave the YubiKey's default PIN 123456,
# which the strong policy forbids. The card refuses it (6985) and keeps its keys, certificates
# and blocked counters; the way out is a new token (vtoken init --force), as the e-Cert guide
# says: revoke and apply again.
source "$(dirname "$0")/lib.sh"

"$VTOKEN" init "$T/ecert" --profile ecert --pin 'Hk#2026p' --retries 1 >/dev/null
before=$(cd "$T/ecert" && sha256sum 9a.key.pem 9a.crt.pem 9c.key.pem 9c.crt.pem)

cat >"$T/client.sh" <<SH
Y="yubico-piv-tool -r Yubico"
\$Y -a verify-pin -P 'Wr0ng#pw' >/dev/null 2>&1
\$Y -a change-puk -P 00000000 -N 11111111 >/dev/null 2>&1
"$VTOKEN" show "$T/ecert" | grep -E '^(PIN|PUK):'
\$Y -a reset 2>&1 && echo reset-done || echo reset-refused
\$Y -a verify-pin -P 123456 2>&1 && echo default-pin-ok
SH
"$VTOKEN" run --reader-name "Yubico YubiKey" --card "$T/ecert" -- bash "$T/client.sh" >"$T/client.log" 2>&1 || true
log=$(cat "$T/client.log")
echo "$log" | sed 's/^/# /'

expect_match "$log" '^PIN: +0 of 1 tries left \(blocked\)' "the PIN is blocked"
expect_match "$log" '^PUK: +0 of 1 tries left \(blocked\)' "the PUK is blocked"
expect_match "$log" '^reset-refused$' "yubico-piv-tool -a reset is refused on the e-Cert token"
expect_no_match "$log" '^reset-done$|^default-pin-ok$' "no reset, no default PIN"
expect_eq "$(cd "$T/ecert" && sha256sum 9a.key.pem 9a.crt.pem 9c.key.pem 9c.crt.pem)" "$before" \
  "the keys and certificates are untouched"
show=$("$VTOKEN" show "$T/ecert")
expect_match "$show" '^PIN: +0 of 1 tries left \(blocked\)' "the PIN stays blocked on disk"
expect_match "$show" '^PUK: +0 of 1 tries left \(blocked\)' "the PUK stays blocked on disk"

# the documented way out: a new token
"$VTOKEN" init "$T/ecert" --profile ecert --force >/dev/null
expect_match "$("$VTOKEN" show "$T/ecert")" '^PIN: +15 of 15 tries left$' "vtoken init --force makes a new token"
