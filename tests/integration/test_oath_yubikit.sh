#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The OATH application through yubikit, the library under ykman and Yubico Authenticator's
# desktop helper, checked where Yubico's own device tests (yubikey-manager's
# tests/device/test_oath.py) look at a YubiKey: the vectors of RFC 4231 (HMAC-SHA256/512 over a
# full response), RFC 6238 (TOTP, 6 and 8 digits) and RFC 4226 (HOTP); RENAME, also onto a name
# that is taken; an access key locking LIST, CALCULATE, CALCULATE ALL, DELETE and RENAME with
# 69 82 in a new session, a wrong key refused with 6A 80; 32 accounts answered across SEND
# REMAINING; and no room for a 33rd on firmware 5.4 (6A 84).
source "$(dirname "$0")/lib.sh"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import yubikit.oath' 2>/dev/null ||
  skip "Debian's yubikey-manager (yubikit) is not installed (scripts/install-deps.sh installs it)"

"$VTOKEN" init "$T/card" --profile yubikey5 >/dev/null

cat >"$T/oath.py" <<'PY'
import os, sys
from ykman.pcsc import list_devices
from yubikit.core.smartcard import ApduError, SmartCardConnection
from yubikit.oath import HASH_ALGORITHM as H, OATH_TYPE, CredentialData, OathSession

def connect():
    dev, = [d for d in list_devices(os.environ["VTOKEN_CARD0_READER"])]
    return dev.open_connection(SmartCardConnection)

def check(what, ok):
    print(("ok " if ok else "NOT OK ") + what)

def sw_of(fn):
    try:
        fn()
    except ApduError as e:
        return e.sw
    return 0x9000

conn = connect()
s = OathSession(conn)
s.reset()
check("version 5.4.3", tuple(s.version) == (5, 4, 3))

hmac = {  # RFC 4231 cases 1, 2, 3 and 4
    (b"\x0b" * 20, b"Hi There"): {
        H.SHA256: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        H.SHA512: "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
                  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
    (b"Jefe", b"what do ya want for nothing?"): {
        H.SHA256: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    (b"\xaa" * 20, b"\xdd" * 50): {
        H.SHA256: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    (bytes(range(1, 26)), b"\xcd" * 50): {
        H.SHA512: "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
                  "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd"},
}
for (key, msg), by_alg in hmac.items():
    for alg, want in by_alg.items():
        cred = s.put_credential(CredentialData("test", OATH_TYPE.TOTP, alg, key))
        check(f"RFC 4231 {alg.name} key {key[:3].hex()}", s.calculate(cred.id, msg).hex() == want)

totp_keys = {H.SHA1: b"12345678901234567890", H.SHA256: b"12345678901234567890123456789012",
             H.SHA512: b"1234567890123456789012345678901234567890123456789012345678901234"}
totp = {59: {H.SHA1: "94287082", H.SHA256: "46119246", H.SHA512: "90693936"},
        1111111109: {H.SHA1: "07081804", H.SHA256: "68084774", H.SHA512: "25091201"},
        2000000000: {H.SHA1: "69279037", H.SHA256: "90698825", H.SHA512: "38618901"}}
for t, by_alg in totp.items():
    for alg, want in by_alg.items():
        for digits in (6, 8):
            cred = s.put_credential(CredentialData("test", OATH_TYPE.TOTP, alg, totp_keys[alg], digits))
            code = s.calculate_code(cred, t).value
            check(f"RFC 6238 {alg.name} t={t} {digits} digits", len(code) == digits and want.endswith(code))

hotp = ["84755224", "94287082", "37359152", "26969429", "40338314", "68254676", "18287922",
        "82162583", "73399871", "45520489"]
for digits in (6, 8):
    cred = s.put_credential(CredentialData("test", OATH_TYPE.HOTP, H.SHA1, b"12345678901234567890", digits))
    codes = [s.calculate_code(cred).value for _ in hotp]
    check(f"RFC 4226 HOTP {digits} digits", all(w.endswith(c) and len(c) == digits for w, c in zip(hotp, codes)))

data = CredentialData("name", OATH_TYPE.TOTP, H.SHA1, b"secret")
s.delete_credential(b"test")
cred = s.put_credential(data)
new_id = s.rename_credential(cred.id, "newname", "newissuer")
check("rename: the old name is gone", sw_of(lambda: s.calculate(cred.id, b"challenge")) != 0x9000)
check("rename: the new name calculates", len(s.calculate(new_id, b"challenge")) == 20)
check("rename onto a taken name is refused",
      sw_of(lambda: s.rename_credential(new_id, "newname", "newissuer")) != 0x9000)

key = s.derive_key("a password")
s.put_credential(data)
s.set_key(key)
conn.close()
conn = connect()
s = OathSession(conn)
check("a new session is locked", s.locked)
for what, fn in [("LIST", s.list_credentials),
                 ("CALCULATE", lambda: s.calculate(data.get_id(), b"challenge")),
                 ("CALCULATE ALL", s.calculate_all),
                 ("DELETE", lambda: s.delete_credential(data.get_id())),
                 ("RENAME", lambda: s.rename_credential(data.get_id(), "renamed"))]:
    check(f"locked: {what} answers 69 82", sw_of(fn) == 0x6982)
check("a wrong key: 6A 80", sw_of(lambda: s.validate(s.derive_key("wrong"))) == 0x6A80)
s.validate(key)  # the card's own proof is checked by yubikit
check("validated: the accounts list", len(s.list_credentials()) == 2)
s.unset_key()
s.reset()
for i in range(32):
    s.put_credential(CredentialData(f"account {i:02d} " + "x" * 40, OATH_TYPE.TOTP, H.SHA256, b"k" * 32))
check("no room for a 33rd account on 5.4: 6A 84",
      sw_of(lambda: s.put_credential(CredentialData("one more", OATH_TYPE.TOTP, H.SHA1, b"k"))) == 0x6A84)
check("32 accounts listed across SEND REMAINING", len(s.list_credentials()) == 32)
codes = s.calculate_all(59)
check("32 codes across SEND REMAINING", len(codes) == 32 and all(c and len(c.value) == 6 for c in codes.values()))
s.reset()
check("reset: no account", s.list_credentials() == [])
PY

"$VTOKEN" run --card "$T/card" -- /usr/bin/python3 "$T/oath.py" >"$T/oath.log" 2>&1 ||
  fail "the yubikit session failed: $(tail -n 30 "$T/oath.log")"
log=$(cat "$T/oath.log")
echo "$log" | sed 's/^/# /'
expect_no_match "$log" '^NOT OK' "every yubikit check passes"
expect_eq "$(grep -c "^ok " <<<"$log")" 41 "all 41 checks ran"
