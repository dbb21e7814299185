#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The e-Cert token on the OpenPGP application (profile ecert-openpgp): the holder changes the
# envelope PIN to a strong password of letters, digits and symbols through OpenSC (pkcs11-tool
# --change-pin; OpenSC's openpgp driver takes any characters, its PIV driver digits only), and
# NSS -- the Firefox security device of the e-Cert guide, added with modutil -- lists the
# personal certificate and logs in with the new password, not with the old one. A password
# the policy refuses changes nothing; a wrong one is counted out of 15.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ecert/common.sh"

img="$T/ecert"
"$VTOKEN" init "$img" --profile ecert-openpgp >/dev/null
envelope_pin "$img" >"$T/pin"
printf 'Nw#9pass' >"$T/newpin"
export T

cat >"$T/holder.sh" <<'SH'
set -u
U=(--module "$OPENSC_MODULE" --token-label "OpenPGP card (User PIN)")
pin=$(cat "$T/pin") new=$(cat "$T/newpin")
pkcs11-tool "${U[@]}" -O >"$T/objects.txt" 2>&1
pkcs11-tool "${U[@]}" --login --pin "$pin" --change-pin --new-pin 'password' >"$T/weak.txt" 2>&1
echo "rc=$?" >>"$T/weak.txt"
pkcs11-tool "${U[@]}" --login --pin "$pin" --change-pin --new-pin "$new" >"$T/change.txt" 2>&1
echo "rc=$?" >>"$T/change.txt"
db="$T/firefox-profile"
mkdir "$db"
certutil -N -d "sql:$db" --empty-password
modutil -dbdir "sql:$db" -add "e-Cert Token" -libfile "$OPENSC_MODULE" -force >"$T/modutil.txt" 2>&1
certutil -L -d "sql:$db" -h "OpenPGP card (User PIN)" -f "$T/newpin" </dev/null >"$T/certs.txt" 2>&1
certutil -L -d "sql:$db" -h "OpenPGP card (User PIN)" -n "OpenPGP card (User PIN):AUT certificate" \
  -f "$T/newpin" </dev/null >"$T/cert.txt" 2>&1
certutil -K -d "sql:$db" -h "OpenPGP card (User PIN)" -f "$T/pin" </dev/null >"$T/keys-old.txt" 2>&1
echo "rc=$?" >>"$T/keys-old.txt"
certutil -K -d "sql:$db" -h "OpenPGP card (User PIN)" -f "$T/newpin" </dev/null >"$T/keys-new.txt" 2>&1
echo "rc=$?" >>"$T/keys-new.txt"
SH
"$VTOKEN" run --card "$img" -- bash "$T/holder.sh" >"$T/holder.log" 2>&1 ||
  fail "the session failed: $(tail -n 30 "$T/holder.log")"

expect_match "$(cat "$T/objects.txt")" 'subject: +DN: C=HK, O=Hongkong Post e-Cert \(Personal\) TEST, CN=CHAN Tai Man' \
  "the token holds the personal certificate"
expect_match "$(cat "$T/weak.txt")" 'rc=[1-9]' "a new password the e-Cert policy refuses is not taken"
expect_match "$(cat "$T/change.txt")" 'PIN successfully changed' "pkcs11-tool --change-pin takes a strong password with symbols"
expect_match "$(cat "$T/modutil.txt")" 'Module "e-Cert Token" added to database' "modutil adds the e-Cert Token module"
expect_match "$(cat "$T/certs.txt")" 'OpenPGP card \(User PIN\):AUT certificate +u,u,u' \
  "certutil lists the token's certificate as one with its private key (u)"
expect_match "$(cat "$T/cert.txt")" 'Subject: "CN=CHAN Tai Man,O=Hongkong Post e-Cert \(Personal\) TEST,C=HK"' \
  "... the personal certificate"
expect_match "$(cat "$T/keys-old.txt")" 'rc=[1-9]' "NSS cannot log in with the envelope PIN any more"
expect_match "$(cat "$T/keys-new.txt")" 'rsa +[0-9a-f]+ ' "NSS logs in with the new password and lists the private keys"
expect_match "$(cat "$T/keys-new.txt")" 'rc=0' "certutil -K exits 0"
# the failed login is counted, the good one gives the tries back
expect_eq "$(show_json "$img" "d['openpgp']['pw1']['tries_left']")" 15 "15 tries again after the good login"
expect_eq "$(show_json "$img" "d['openpgp']['pw1']['max_tries']")" 15 "out of 15"
