#!/usr/bin/env bash
# Tools that only trust YubiKeys: ykman (Debian's yubikey-manager) reads the card through the
# YubiKey management AID, and OpenSC's piv-tool authenticates with the management key
# (PIV_EXT_AUTH_KEY) and generates a key. The reader is named like a YubiKey 5's so that
# ykman's reader-name filter and its interface guess match.
source "$(dirname "$0")/lib.sh"

"$VTOKEN" init "$T/card" >/dev/null
printf '%s' 010203040506070801020304050607080102030405060708 >"$T/mgm.hex"

cat >"$T/client.sh" <<SH
ykman --reader "CCID 00 00" piv info; echo "ykman-rc=\$?"
PIV_EXT_AUTH_KEY=$T/mgm.hex piv-tool -A M:9B:03 -G 9E:07 -o $T/pt.pub; echo "piv-tool-rc=\$?"
SH
"$VTOKEN" run --reader-name "Yubico YubiKey OTP+FIDO+CCID" --card "$T/card" -- bash "$T/client.sh" \
  >"$T/client.log" 2>&1 || true
log=$(cat "$T/client.log")
echo "$log" | sed 's/^/# /'

expect_match "$log" '^ykman-rc=0$' "ykman piv info succeeds"
expect_match "$log" 'PIV version:[[:space:]]+5\.7\.1' "ykman shows the PIV version"
expect_match "$log" 'PIN tries remaining:[[:space:]]+3' "ykman shows the PIN tries (GET METADATA)"
expect_match "$log" 'CHUID:[[:space:]]+3019d4e739' "ykman shows the CHUID"
expect_match "$log" 'Subject DN:[[:space:]]+O=vtoken,CN=vtoken PIV Authentication' "ykman shows the 9A certificate"

# Debian 12's piv-tool (OpenSC 0.23 on OpenSSL 3) cannot turn the answer into an OpenSSL key
# ("gen_key unable to gen RSA", also against a real card) and exits 255; the card side is
# checked instead: authenticated with the management key, a fresh RSA-2048 key in 9E.
expect_no_match "$log" 'authentication failed|gen_key failed' "piv-tool authenticates with 9B and the card generates"
show=$("$VTOKEN" show "$T/card")
expect_match "$(grep -A1 '^Slot 9e' <<<"$show")" 'Key: +rsa2048, generated' "9E now holds a generated RSA-2048 key"
