#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `vtoken init --json` and `vtoken show --json` name each slot's PKCS#11 objects as OpenSC shows
# them: every URI the JSON gives is one p11tool (p11-kit's URI writer) lists for the card inside
# `vtoken run`, and every key, public key and certificate p11tool lists is in the JSON; ids and
# labels are those pkcs11-tool --list-objects prints, retired slots included (82 -> 05,
# 87 -> 10, 95 -> 24). A key imported without a certificate gets a self-signed one and signs.
# The e-Cert envelope PIN appears only with --show-pin, and it logs in.
source "$(dirname "$0")/lib.sh"
command -v p11tool >/dev/null || skip "p11tool (gnutls-bin) is not installed"
cd "$T" || exit 1

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem 2>/dev/null
"$VTOKEN" init card --generate 9c:rsa2048 --generate 9d:p256 --generate 82:p256 \
  --generate 87:p256 --generate 95:p256 --import 9a:key.pem --subject "/CN=Test+User: A/O=x" \
  --json >init.json 2>init.err || fail "init --json: $(cat init.err)"
"$VTOKEN" show card --json >show.json || fail "show --json"
jq -e . init.json >/dev/null || fail "init --json is not JSON"
expect_eq "$(jq -c .certificates_made init.json)" '["9a"]' "init --json names the certificate it made"
expect_eq "$(jq -S 'del(.certificates_made)' init.json)" "$(jq -S . show.json)" \
  "init --json describes the image as show --json does"
"$VTOKEN" init card2 --import 9a:key.pem >init.txt || fail "init without --json"
expect_match "$(cat init.txt)" '^Slot 9a: the imported key had no certificate; made a self-signed one, subject /CN=vtoken PIV Authentication/O=vtoken$' \
  "init names the self-signed certificate and its subject"
# what the JSON says, one "URI" per line, sorted
jq -r '.slots[].pkcs11 | select(. != null) | .key_uri, .public_key_uri, .certificate_uri' show.json |
  sort >json.uris
jq -r '.slots[] | select(.pkcs11 != null) | .pkcs11.id + " " + .pkcs11.key_label + "|" +
  .pkcs11.certificate_label' show.json | sort >json.ids
expect_eq "$(jq -r '[.slots[] | select(.pkcs11 != null) | .slot + "=" + .pkcs11.id] | join(" ")' show.json)" \
  "9a=01 9c=02 9d=03 82=05 87=10 95=24" "PKCS#11 ids of 9a 9c 9d and the retired slots"
expect_eq "$(jq -r .attestation.pkcs11 show.json)" null "the attestation key has no PKCS#11 object"

echo "data to sign" >data
export T
"$VTOKEN" run --card card -- bash -c '
  source "$VT_LIB"
  cd "$T"
  GNUTLS_PIN=123456 p11tool --provider "$OPENSC_MODULE" --login --list-all "pkcs11:" >p11tool.txt 2>&1 ||
    fail "p11tool --list-all: $(cat p11tool.txt)"
  p11tool --provider "$OPENSC_MODULE" --list-token-urls >tokens.txt 2>&1 || fail "p11tool --list-token-urls"
  pkcs11-tool --module "$OPENSC_MODULE" --login --pin 123456 --list-objects >objects.txt 2>&1 ||
    fail "pkcs11-tool --list-objects: $(cat objects.txt)"
  # the example of README and vtoken(1)
  uri=$("$VTOKEN" show card --json | jq -r '"'"'.slots[] | select(.slot == "9a") | .pkcs11.key_uri'"'"')
  # a signature with the imported key, named by its id as the JSON gives it
  card_sign --id "$(jq -r ".slots[] | select(.slot == \"9a\") | .pkcs11.id" show.json)" \
    --mech ECDSA-SHA256 --out sig.raw >sign.txt 2>&1 || fail "signature with 9a: $(cat sign.txt)"
  # and one through the key URI, as OpenSSL'"'"'s pkcs11 engine takes it
  PKCS11_MODULE_PATH=$OPENSC_MODULE openssl pkeyutl -engine pkcs11 -keyform engine \
    -inkey "$uri;pin-value=123456" -sign -in <(openssl dgst -sha256 -binary data) \
    -out sig-uri.der >engine.txt 2>&1 || fail "openssl pkeyutl with $uri: $(cat engine.txt)"
' || fail "inside vtoken run"
cat p11tool.txt objects.txt >&2
sed -n 's/^[[:space:]]*URL: //p' p11tool.txt | grep -E ';type=(private|public|cert)$' | sort >opensc.uris
[ -s opensc.uris ] || fail "p11tool listed no key or certificate"
expect_eq "$(cat json.uris)" "$(cat opensc.uris)" "the JSON's URIs are exactly the keys and certificates p11tool lists"
grep -qxF "$(jq -r .pkcs11.uri show.json)" tokens.txt || fail "token URI $(jq -r .pkcs11.uri show.json) not in: $(cat tokens.txt)"
pass "the token URI is the one p11tool lists"
# pkcs11-tool: "Private Key Object" then label, then ID; pairs "ID LABEL" of keys and certificates
awk '/ Object/ { kind = $1 } /^  label:/ { sub(/^  label: +/, ""); label = $0 }
  /^  ID:/ { print $2, kind, label }' objects.txt | sort >pkcs11-tool.ids
while read -r id rest; do
  key=${rest%%|*} cert=${rest#*|}
  grep -qxF "$id Private $key" pkcs11-tool.ids || fail "pkcs11-tool shows no private key '$key' with id $id"
  grep -qxF "$id Certificate $cert" pkcs11-tool.ids || fail "pkcs11-tool shows no certificate '$cert' with id $id"
done <json.ids
expect_eq "$(grep -c . json.ids)" "$(grep -c ' Private ' pkcs11-tool.ids)" "as many private keys as the JSON names"
pass "ids and labels are those pkcs11-tool --list-objects prints"
openssl pkey -in key.pem -pubout -out pub.pem
# pkcs11-tool writes ECDSA signatures as r||s: make DER for openssl
python3 -c '
import sys
raw = open(sys.argv[1], "rb").read(); n = len(raw) // 2
def i(b):
    b = b.lstrip(b"\0") or b"\0"
    b = b"\0" + b if b[0] & 0x80 else b
    return b"\x02" + bytes([len(b)]) + b
body = i(raw[:n]) + i(raw[n:])
open(sys.argv[2], "wb").write(b"\x30" + bytes([len(body)]) + body)' sig.raw sig.der
openssl dgst -sha256 -verify pub.pem -signature sig.der data >/dev/null ||
  fail "the signature of slot 9a does not verify with the imported key"
pass "the imported key signs (pkcs11-tool) and verifies with key.pem's public key"
openssl dgst -sha256 -verify pub.pem -signature sig-uri.der data >/dev/null ||
  fail "the signature through the key URI does not verify"
pass "OpenSSL's pkcs11 engine signs with the key URI from the JSON"

# ---- the e-Cert envelope PIN: only when asked for, and it is the PIN -----------------------
"$VTOKEN" init ecert --profile ecert --json >ecert.json || fail "init --profile ecert --json"
pin=$(sed -n 's/^Initial PIN: //p' ecert.pin-envelope.txt)
[ -n "$pin" ] || fail "no PIN in the envelope"
expect_eq "$(jq 'has("envelope_pin")' ecert.json)" false "init --json shows no PIN without --show-pin"
grep -qF -- "$pin" ecert.json && fail "the PIN is in init --json's output"
"$VTOKEN" show ecert --json | grep -qF -- "$pin" && fail "the PIN is in show --json's output"
expect_eq "$(jq -r .pin_envelope ecert.json)" ecert.pin-envelope.txt "the JSON names the envelope file (beside the image as given)"
shown=$("$VTOKEN" show ecert --json --show-pin | jq -r .envelope_pin)
expect_eq "$shown" "$pin" "show --json --show-pin gives the envelope PIN"
"$VTOKEN" init ecert2 --profile ecert --json --show-pin >ecert2.json || fail "init --json --show-pin"
[ "$(jq -r .envelope_pin ecert2.json)" = "$(sed -n 's/^Initial PIN: //p' ecert2.pin-envelope.txt)" ] ||
  fail "init --json --show-pin does not give the envelope's PIN"
expect_eq "$("$VTOKEN" show card --json --show-pin | jq -r .envelope_pin)" null "a piv card has no envelope PIN"
"$VTOKEN" run --card ecert -- pkcs11-tool --module "$OPENSC_MODULE" --login \
  --pin "$shown" --list-objects >ecert-login.txt 2>&1 || fail "login with the shown PIN: $(cat ecert-login.txt)"
pass "the PIN --show-pin gives logs in to the e-Cert card"
