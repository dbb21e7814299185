#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# e-Cert guide, section 3 (檢視香港郵政電子證書內容, view the e-Cert): the certificate on a
# virtual e-Cert token is read by pkcs15-tool, pkcs11-tool and GnuTLS p11tool through OpenSC, and
# by `vtoken show`; all of them show the same subject, issuer, serial and validity, which are the
# ones of the certificate in the image, issued by the image's test CA.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ecert/common.sh"

img="$T/ecert"
"$VTOKEN" init "$img" --profile ecert >"$T/init.out"
expect_match "$(cat "$T/init.out")" 'profile ecert' "vtoken init --profile ecert"

# Ground truth: the image's own certificate files, read by OpenSSL.
x509() { openssl x509 -noout -nameopt RFC2253 "$@"; }
want_subject=$(x509 -subject -in "$img/9a.crt.pem")
want_issuer=$(x509 -issuer -in "$img/9a.crt.pem")
want_serial=$(x509 -serial -in "$img/9a.crt.pem")
want_dates=$(x509 -dates -in "$img/9a.crt.pem")
want_fpr=$(x509 -fingerprint -sha256 -in "$img/9a.crt.pem")
want_fpr_sig=$(x509 -fingerprint -sha256 -in "$img/9c.crt.pem")
expect_eq "$want_subject" 'subject=CN=CHAN Tai Man,O=Hongkong Post e-Cert (Personal) TEST,C=HK' \
  "the e-Cert subject is a personal e-Cert holder's"
expect_eq "$want_issuer" 'issuer=CN=Hongkong Post e-Cert TEST CA,O=Hongkong Post,C=HK' \
  "the e-Cert is issued by the test CA"
openssl verify -CAfile "$img/ca.crt.pem" "$img/9a.crt.pem" "$img/9c.crt.pem" >/dev/null ||
  fail "the image's certificates do not verify against IMAGE/ca.crt.pem"
pass "IMAGE/ca.crt.pem issued both certificates"

# Everything below goes through the card: pcscd, vpcd, vtokend, OpenSC.
cat >"$T/view.sh" <<'EOF'
set -e
out=$1
pkcs15-tool --list-certificates >"$out/pkcs15-list"
pkcs15-tool --read-certificate 01 >"$out/pkcs15-01.pem"
pkcs15-tool --read-certificate 02 >"$out/pkcs15-02.pem"
pkcs11-tool --module "$OPENSC_MODULE" --list-token-slots >"$out/pkcs11-slots"
pkcs11-tool --module "$OPENSC_MODULE" --list-objects --type cert >"$out/pkcs11-list"
pkcs11-tool --module "$OPENSC_MODULE" --read-object --type cert --id 01 -o "$out/pkcs11-01.der"
p11tool --provider "$OPENSC_MODULE" --list-tokens >"$out/p11tool-tokens"
p11tool --provider "$OPENSC_MODULE" --list-all-certs >"$out/p11tool-list"
url=$(grep -o 'pkcs11:[^ ]*id=%01;[^ ]*type=cert' "$out/p11tool-list" | head -n1)
p11tool --provider "$OPENSC_MODULE" --export "$url" >"$out/p11tool-01.pem"
EOF
mkdir "$T/out"
"$VTOKEN" run --card "$img" -- bash "$T/view.sh" "$T/out" 2>"$T/view.err" ||
  fail "viewing the certificate through the token failed: $(cat "$T/view.err")"

# pkcs15-tool
expect_match "$(cat "$T/out/pkcs15-list")" 'X.509 Certificate \[Certificate for PIV Authentication\]' \
  "pkcs15-tool --list-certificates lists the authentication e-Cert"
expect_match "$(cat "$T/out/pkcs15-list")" "Encoded serial : 02 [0-9A-F]+ ${want_serial#serial=}" \
  "pkcs15-tool shows the certificate's serial"
expect_eq "$(x509 -subject -in "$T/out/pkcs15-01.pem")" "$want_subject" "pkcs15-tool: subject"
expect_eq "$(x509 -issuer -in "$T/out/pkcs15-01.pem")" "$want_issuer" "pkcs15-tool: issuer"
expect_eq "$(x509 -serial -in "$T/out/pkcs15-01.pem")" "$want_serial" "pkcs15-tool: serial"
expect_eq "$(x509 -dates -in "$T/out/pkcs15-01.pem")" "$want_dates" "pkcs15-tool: validity"
expect_eq "$(x509 -fingerprint -sha256 -in "$T/out/pkcs15-01.pem")" "$want_fpr" \
  "pkcs15-tool reads exactly the image's 9A certificate"
expect_eq "$(x509 -fingerprint -sha256 -in "$T/out/pkcs15-02.pem")" "$want_fpr_sig" \
  "pkcs15-tool reads exactly the image's 9C certificate"

# pkcs11-tool
expect_match "$(cat "$T/out/pkcs11-slots")" 'token label +: CHAN Tai Man' \
  "pkcs11-tool: the token is labelled with the holder's name"
expect_match "$(cat "$T/out/pkcs11-list")" 'subject: +DN: C=HK, O=Hongkong Post e-Cert \(Personal\) TEST, CN=CHAN Tai Man' \
  "pkcs11-tool --list-objects shows the subject"
expect_match "$(cat "$T/out/pkcs11-list")" "serial: +${want_serial#serial=}" \
  "pkcs11-tool --list-objects shows the serial"
expect_eq "$(x509 -fingerprint -sha256 -inform DER -in "$T/out/pkcs11-01.der")" "$want_fpr" \
  "pkcs11-tool --read-object gives the image's certificate"

# GnuTLS p11tool (and certtool to print it, as GnuTLS users do)
expect_match "$(cat "$T/out/p11tool-tokens")" 'Label: CHAN Tai Man' "p11tool --list-tokens"
expect_match "$(cat "$T/out/p11tool-list")" 'Type: X.509 Certificate \(RSA-2048\)' "p11tool --list-all-certs"
expect_eq "$(x509 -fingerprint -sha256 -in "$T/out/p11tool-01.pem")" "$want_fpr" \
  "p11tool --export gives the image's certificate"
info=$(certtool -i --infile "$T/out/p11tool-01.pem")
expect_match "$info" 'Issuer: CN=Hongkong Post e-Cert TEST CA,O=Hongkong Post,C=HK' "certtool -i: issuer"
expect_match "$info" 'Subject: CN=CHAN Tai Man,O=Hongkong Post e-Cert \(Personal\) TEST,C=HK' "certtool -i: subject"
expect_match "$(tr -d ':' <<<"$info" | tr a-f A-F)" "${want_serial#serial=}" "certtool -i: serial"
certtool --verify --load-ca-certificate "$img/ca.crt.pem" --infile "$T/out/p11tool-01.pem" >/dev/null ||
  fail "GnuTLS does not verify the token's certificate against IMAGE/ca.crt.pem"
pass "GnuTLS verifies the token's certificate against IMAGE/ca.crt.pem"

# vtoken show, plain and JSON, agrees with the certificate
show=$("$VTOKEN" show "$img")
expect_match "$show" 'Subject: +/C=HK/O=Hongkong Post e-Cert \(Personal\) TEST/CN=CHAN Tai Man' "vtoken show: subject"
expect_match "$show" 'Issuer: +/C=HK/O=Hongkong Post/CN=Hongkong Post e-Cert TEST CA' "vtoken show: issuer"
expect_match "$show" "Serial: +${want_serial#serial=}" "vtoken show: certificate serial"
expect_match "$show" 'PIN: +15 of 15 tries left' "vtoken show: a fresh e-Cert token has 15 tries"
json=$("$VTOKEN" show "$img" --json)
j() { show_json "$img" "$1"; }
expect_eq "$(j 'd["profile"]')" ecert "vtoken show --json: profile"
expect_eq "$(j 'slot(d, "9a")["certificate"]["serial"]')" "${want_serial#serial=}" "vtoken show --json: serial"
nb=$(date -u -d "$(sed -n 's/^notBefore=//p' <<<"$want_dates")" +%Y-%m-%dT%H:%M:%SZ)
na=$(date -u -d "$(sed -n 's/^notAfter=//p' <<<"$want_dates")" +%Y-%m-%dT%H:%M:%SZ)
expect_eq "$(j 'slot(d, "9a")["certificate"]["not_before"]')" "$nb" "vtoken show --json: not before"
expect_eq "$(j 'slot(d, "9a")["certificate"]["not_after"]')" "$na" "vtoken show --json: not after"
expect_eq "$(j 'd["pin"]["max_tries"]')" 15 "vtoken show --json: 15 PIN tries"
expect_eq "$(j 'd["pin_policy"]["charset"]')" strong "vtoken show --json: strong PIN policy"
if grep -qF -- "$(envelope_pin "$img")" <<<"$show$json"; then fail "vtoken show reveals the PIN"; fi
pass "vtoken show does not reveal the PIN"
