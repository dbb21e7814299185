#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# e-Cert guide, section 5 (在 Firefox 中安裝密碼模塊, install the security module in Firefox):
# the guide loads eTPKCS11.dll as a Security Device (安全裝置) named "e-Cert Token". On Linux the
# same is done to the NSS database a Firefox profile uses (cert9.db, key9.db, pkcs11.txt) with
# modutil and OpenSC's PKCS#11 module; certutil then lists the e-Cert; and NSS performs a real
# TLS client-certificate login with the key on the token: NSS's selfserv on 127.0.0.1 (inside
# `vtoken run`'s own network namespace) demands a client certificate issued by the e-Cert test CA
# and accepts tstclnt using the token, and refuses clients without it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ecert/common.sh"

img="$T/ecert"
"$VTOKEN" init "$img" --profile ecert >/dev/null
envelope_pin "$img" >"$T/pin"
echo 'Wr0ng#pw' >"$T/badpin"
nick="CHAN Tai Man:Certificate for PIV Authentication"
port=$(free_port)
export T nick port

# The web server: its own key and certificate (SAN 127.0.0.1), and an NSS database in which the
# e-Cert test CA is trusted to issue client certificates (trust T).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/srv.key" -out "$T/srv.crt" -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
openssl pkcs12 -export -in "$T/srv.crt" -inkey "$T/srv.key" -name server -passout pass: -out "$T/srv.p12"
mkdir "$T/srvdb"
certutil -N -d "sql:$T/srvdb" --empty-password
pk12util -i "$T/srv.p12" -d "sql:$T/srvdb" -W '' >/dev/null
certutil -A -d "sql:$T/srvdb" -n "e-Cert TEST CA" -t T,, -a -i "$img/ca.crt.pem"

# A stand-in for the Firefox profile: a fresh NSS sql: database that trusts the web server.
profile="$T/firefox-profile"
mkdir "$profile"
certutil -N -d "sql:$profile" --empty-password
certutil -A -d "sql:$profile" -n "test web server" -t P,, -a -i "$T/srv.crt"
# A second profile without the token, and a forged e-Cert (same subject, another CA) in it.
other="$T/other-profile"
mkdir "$other"
certutil -N -d "sql:$other" --empty-password
certutil -A -d "sql:$other" -n "test web server" -t P,, -a -i "$T/srv.crt"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/fake.key" -out "$T/fake.crt" -days 2 \
  -subj "/C=HK/O=Hongkong Post e-Cert (Personal) TEST/CN=CHAN Tai Man" 2>/dev/null
openssl pkcs12 -export -in "$T/fake.crt" -inkey "$T/fake.key" -name fake -passout pass: -out "$T/fake.p12"
pk12util -i "$T/fake.p12" -d "sql:$other" -W '' >/dev/null
printf 'GET / HTTP/1.0\r\n\r\n' >"$T/request"

cat >"$T/browser.sh" <<'EOF'
set -u
source "$ECERT_COMMON"
profile=$1 other=$2
# 4) Load, 5) Module Name "e-Cert Token", the library OpenSC's PKCS#11 module
modutil -dbdir "sql:$profile" -add "e-Cert Token" -libfile "$OPENSC_MODULE" -force >"$T/modutil-add" 2>&1 || exit 1
modutil -dbdir "sql:$profile" -list "e-Cert Token" >"$T/modutil-list" 2>&1
certutil -L -d "sql:$profile" -h all </dev/null >"$T/certutil-list" 2>"$T/certutil-list.err"
certutil -K -d "sql:$profile" -h internal -f /dev/null </dev/null >"$T/certutil-softkeys" 2>&1

# selfserv -v prints "selfserv: About to call accept." once it listens
serve '*About to call accept*' "$T/srv.log" selfserv -d "sql:$T/srvdb" -n server -p "$port" -r -r -v || exit 1

client() { # OUT PROFILE [ARGS]
  out=$1 db=$2; shift 2
  timeout 60 tstclnt -d "sql:$db" -h 127.0.0.1 -p "$port" -A "$T/request" "$@" >"$T/$out" 2>&1 </dev/null
  echo "rc=$?" >>"$T/$out"
}
client login "$profile" -n "$nick" -W "$T/pin"
client login-tls12 "$profile" -n "$nick" -W "$T/pin" -V tls1.2:tls1.2
client no-cert "$other"
client fake-cert "$other" -n fake
client bad-pin "$profile" -n "$nick" -W "$T/badpin"
stop_server
exit 0
EOF
"$VTOKEN" run --card "$img" -- bash "$T/browser.sh" "$profile" "$other" >"$T/browser.out" 2>&1 ||
  fail "the NSS session failed: $(cat "$T/browser.out" "$T/modutil-add" 2>/dev/null)"

# The Security Device is in the profile the way Firefox's dialog leaves it (pkcs11.txt).
expect_match "$(cat "$T/modutil-add")" 'Module "e-Cert Token" added to database' "modutil -add \"e-Cert Token\""
expect_match "$(cat "$profile/pkcs11.txt")" "library=$OPENSC_MODULE" "the profile's pkcs11.txt loads opensc-pkcs11.so"
expect_match "$(cat "$profile/pkcs11.txt")" '^name=e-Cert Token$' "the profile's pkcs11.txt names it \"e-Cert Token\""
expect_match "$(cat "$T/modutil-list")" 'Token Name: CHAN Tai Man' "modutil -list shows the token in the e-Cert Token module"
list=$(cat "$T/certutil-list")
expect_match "$list" "^$nick +u,u,u" "certutil -L -h all lists the e-Cert (authentication) with its key"
expect_match "$list" '^CHAN Tai Man:Certificate for Digital Signature +u,u,u' "certutil -L -h all lists the signing e-Cert"
expect_no_match "$(cat "$T/certutil-softkeys")" 'rsa' "the profile's own key database holds no key: the key stays on the token"

# The TLS client-certificate login.
for out in login login-tls12; do
  expect_match "$(cat "$T/$out")" 'rc=0' "tstclnt with the token logs in ($out)"
  expect_match "$(cat "$T/$out")" 'HTTP/1.0 200 OK' "the server answers the token holder ($out)"
done
slog=$(cat "$T/srv.log")
expect_eq "$(grep -c 'SSL3: Certificate Validated' <<<"$slog")" 2 "selfserv validated the e-Cert twice (TLS 1.3 and 1.2)"
expect_match "$slog" 'selfserv: Subject: CN=CHAN Tai Man,O=Hongkong Post e-Cert \(Personal\) TEST,C=HK' \
  "selfserv saw the e-Cert holder"
expect_match "$slog" 'selfserv: Issuer : CN=Hongkong Post e-Cert TEST CA' "issued by the e-Cert test CA"

# Without the token the server says no.
expect_no_match "$(cat "$T/no-cert")" 'HTTP/1.0 200 OK' "a client without the token gets no page"
expect_match "$(cat "$T/no-cert")" 'rc=[1-9]' "a client without the token fails"
expect_match "$(cat "$T/no-cert")" 'CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|BAD_CERT' "the server demands a client certificate"
expect_no_match "$(cat "$T/fake-cert")" 'HTTP/1.0 200 OK' "a forged e-Cert (same subject, other CA) gets no page"
expect_match "$(cat "$T/fake-cert")" 'rc=[1-9]' "a forged e-Cert fails"
expect_no_match "$(cat "$T/bad-pin")" 'HTTP/1.0 200 OK' "the token with a wrong password gets no page"
# NSS asks its password callback again after a failure and tstclnt's file callback repeats the
# same wrong password, so one run costs several tries: the token must have counted them.
expect_pin_tries_counted "$img" 15 1
