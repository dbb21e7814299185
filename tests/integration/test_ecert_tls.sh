#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# e-Cert guide, section 5 with OpenSSL and GnuTLS clients: an https server (openssl s_server on
# 127.0.0.1, inside `vtoken run`'s own network namespace) demands a client certificate issued by
# the e-Cert test CA (IMAGE/ca.crt.pem). curl and openssl s_client log in with the e-Cert whose
# private key stays on the virtual token, through OpenSSL's pkcs11 engine
# (libengine-pkcs11-openssl) and pkcs11: URIs; so does GnuTLS's gnutls-cli with the same URIs.
# Clients without the token, with a forged certificate or with a wrong password are refused.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ecert/common.sh"

img="$T/ecert"
"$VTOKEN" init "$img" --profile ecert >/dev/null
# pkcs11: URI attribute values are percent-encoded; encode every byte of the PIN.
pin_uri=$(pct_encode "$(envelope_pin "$img")")
bad_uri=$(pct_encode 'Wr0ng#pw')
port=$(free_port)
ECERT_IMG=$img
export T port pin_uri bad_uri ECERT_IMG

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/srv.key" -out "$T/srv.crt" -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/fake.key" -out "$T/fake.crt" -days 2 \
  -subj "/C=HK/O=Hongkong Post e-Cert (Personal) TEST/CN=CHAN Tai Man" 2>/dev/null
printf 'GET / HTTP/1.0\r\n\r\n' >"$T/request"

cat >"$T/tls.sh" <<'EOF'
set -u
source "$ECERT_COMMON"
ca=$1
export PKCS11_MODULE_PATH="$OPENSC_MODULE"    # the module libp11's engine loads
# s_server prints ACCEPT once it listens. -verify_return_error: without it s_server only
# requires *a* client certificate and accepts one that fails verification.
serve 'ACCEPT*' "$T/srv.log" openssl s_server -accept "127.0.0.1:$port" \
  -cert "$T/srv.crt" -key "$T/srv.key" -Verify 1 -verify_return_error -CAfile "$ca" -www || exit 1

# The URI of the token's authentication e-Cert, as p11tool names it.
p11tool --provider "$OPENSC_MODULE" --list-all-certs >"$T/p11tool-list"
cert_uri=$(grep -o 'pkcs11:[^ ]*id=%01;[^ ]*type=cert' "$T/p11tool-list" | head -n1)
key_uri=${cert_uri%;type=cert}
key_uri="${key_uri%%;object=*};type=private"
echo "$cert_uri" >"$T/cert-uri"
pkcs11-tool --module "$OPENSC_MODULE" --read-object --type cert --id 01 -o "$T/token.der" >/dev/null 2>&1
openssl x509 -inform DER -in "$T/token.der" -out "$T/token.crt"

curl_() { # OUT ARGS
  out=$1; shift
  timeout 60 curl -sS --cacert "$T/srv.crt" "$@" "https://127.0.0.1:$port/" >"$T/$out" 2>&1
  echo "rc=$?" >>"$T/$out"
}
curl_ curl-token --engine pkcs11 --cert-type ENG --cert "$cert_uri" \
  --key-type ENG --key "$key_uri;pin-value=$pin_uri"
curl_ curl-tls12 --tlsv1.2 --tls-max 1.2 --engine pkcs11 --cert-type ENG --cert "$cert_uri" \
  --key-type ENG --key "$key_uri;pin-value=$pin_uri"
timeout 60 openssl s_client -connect "127.0.0.1:$port" -CAfile "$T/srv.crt" -verify_return_error \
  -engine pkcs11 -keyform engine -key "$key_uri;pin-value=$pin_uri" -cert "$T/token.crt" \
  -ign_eof <"$T/request" >"$T/s_client" 2>&1
echo "rc=$?" >>"$T/s_client"
# GnuTLS: the same URIs, the PIN from GNUTLS_PIN
GNUTLS_PIN="$(envelope_pin "$ECERT_IMG")" timeout 60 gnutls-cli --provider "$OPENSC_MODULE" \
  --x509cafile "$T/srv.crt" --x509certfile "$cert_uri" --x509keyfile "$key_uri" \
  -p "$port" 127.0.0.1 <"$T/request" >"$T/gnutls-cli" 2>&1
echo "rc=$?" >>"$T/gnutls-cli"
curl_ curl-none
curl_ curl-fake --cert "$T/fake.crt" --key "$T/fake.key"
curl_ curl-badpin --engine pkcs11 --cert-type ENG --cert "$cert_uri" \
  --key-type ENG --key "$key_uri;pin-value=$bad_uri"
stop_server
exit 0
EOF
"$VTOKEN" run --card "$img" -- bash "$T/tls.sh" "$img/ca.crt.pem" >"$T/tls.out" 2>&1 ||
  fail "the TLS session failed: $(cat "$T/tls.out")"

expect_match "$(cat "$T/cert-uri")" '^pkcs11:.*token=CHAN%20Tai%20Man.*type=cert$' "p11tool gives the e-Cert's pkcs11: URI"
for out in curl-token curl-tls12 s_client gnutls-cli; do
  page=$(cat "$T/$out")
  expect_match "$page" 'rc=0' "$out: the client with the token succeeds"
  expect_match "$page" 'Client certificate' "$out: the server received a client certificate"
  expect_match "$page" 'Subject: C ?= ?HK, O ?= ?Hongkong Post e-Cert \(Personal\) TEST, CN ?= ?CHAN Tai Man' \
    "$out: the server saw the e-Cert holder"
  expect_match "$page" 'Issuer: C ?= ?HK, O ?= ?Hongkong Post, CN ?= ?Hongkong Post e-Cert TEST CA' \
    "$out: issued by the e-Cert test CA"
done
expect_match "$(cat "$T/curl-token")" 'Protocol +: TLSv1.3' "curl: TLS 1.3 (RSA-PSS signature made on the token)"
expect_match "$(cat "$T/curl-tls12")" 'Protocol +: TLSv1.2' "curl: TLS 1.2"
slog=$(grep -v -E '^(TLSv|SSLv)' "$T/srv.log")
# s_server ran with -verify_return_error, so serving the token's client (above) means it
# verified the chain; the certificate the token presented is the e-Cert issued by IMAGE's CA.
openssl verify -CAfile "$img/ca.crt.pem" "$T/token.crt" >/dev/null ||
  fail "the certificate on the token does not verify against IMAGE/ca.crt.pem"
pass "s_server verified the e-Cert's chain to IMAGE/ca.crt.pem"

expect_match "$(cat "$T/curl-none")" 'rc=(56|35)' "curl without the token is refused"
expect_match "$(cat "$T/curl-none")" 'certificate required|alert' "  ... because the server requires a client certificate"
expect_match "$(cat "$T/curl-fake")" 'rc=(56|35)' "curl with a forged e-Cert (same subject, other CA) is refused"
expect_no_match "$(cat "$T/curl-fake")" 'Client certificate' "  ... and gets no page"
expect_match "$(cat "$T/curl-badpin")" 'rc=[1-9]' "curl with the token and a wrong password fails"
expect_no_match "$(cat "$T/curl-badpin")" 'Client certificate' "  ... and gets no page"
expect_match "$slog" 'peer did not return a certificate' "s_server reports the client without a certificate"
expect_match "$slog" 'verify error:num=(18|19|20|21):' "s_server reports the forged certificate's unknown issuer"
expect_pin_tries_counted "$img" 15
