#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Inside `vtoken run` the environment names OpenSC's PKCS#11 module, and for each card its
# reader, image, token URI, label and serial; each is checked with the client that uses it:
# pcsc_scan and yubico-piv-tool (reader), pkcs11-tool (module, token label), p11tool (token
# URI) and OpenSSL's pkcs11 engine (a key by the token URI).
source "$(dirname "$0")/lib.sh"
export T
echo data >"$T/data"
"$VTOKEN" init "$T/ecert" --profile ecert >/dev/null # a token label of its own: CHAN Tai Man
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
export MULTIARCH

"$VTOKEN" run --fresh --card "$T/ecert" -- bash -c '
  source "$VT_LIB"
  m=$VTOKEN_PKCS11_MODULE
  expect_eq "$m" "/usr/lib/$MULTIARCH/opensc-pkcs11.so" "VTOKEN_PKCS11_MODULE is OpenSC'\''s module of this architecture"
  expect_eq "$VTOKEN_CARDS" 2 "VTOKEN_CARDS counts the cards"
  expect_eq "$VTOKEN_CARD1_IMAGE" "$T/ecert" "VTOKEN_CARD1_IMAGE is the --card image"
  [ "$(dirname "$VTOKEN_CARD0_IMAGE")" = "$VTOKEN_RUN_DIR" ] || fail "the fresh card is not in the run directory"
  pass "VTOKEN_CARD0_IMAGE is the fresh copy"

  # readers: PC/SC names them so, and each name reaches its own card
  scan=$(pcsc_scan -r)
  expect_match "$scan" "^0: $VTOKEN_CARD0_READER\$" "PC/SC has a reader named VTOKEN_CARD0_READER"
  expect_match "$scan" "^1: $VTOKEN_CARD1_READER\$" "and one named VTOKEN_CARD1_READER"
  for i in 0 1; do
    reader_var=VTOKEN_CARD${i}_READER image_var=VTOKEN_CARD${i}_IMAGE
    guid=$(show_json "${!image_var}" "d[\"guid\"]")
    status=$(yubico-piv-tool -r "${!reader_var}" -a status)
    expect_match "${status^^}" "CHUID:.*3410$guid" "yubico-piv-tool -r \"\$$reader_var\" talks to card $i"
  done

  # token labels, for pkcs11-tool --token-label
  expect_eq "$VTOKEN_CARD1_TOKEN_LABEL" "CHAN Tai Man" "VTOKEN_CARD1_TOKEN_LABEL is the e-Cert token'\''s label"
  pkcs11-tool --module "$m" --token-label "$VTOKEN_CARD1_TOKEN_LABEL" --read-object --type cert --id 01 \
    -o "$T/c1.der" >/dev/null 2>&1 || fail "pkcs11-tool --token-label \"\$VTOKEN_CARD1_TOKEN_LABEL\" found no token"
  expect_eq "$(openssl x509 -inform der -in "$T/c1.der" -noout -fingerprint)" \
    "$(openssl x509 -in "$T/ecert/9a.crt.pem" -noout -fingerprint)" "pkcs11-tool --token-label reads card 1'\''s certificate"

  # token URIs, as p11tool (GnuTLS) lists and uses them
  urls=$(p11tool --provider "$m" --list-token-urls)
  for i in 0 1; do
    uri_var=VTOKEN_CARD${i}_TOKEN_URI serial_var=VTOKEN_CARD${i}_TOKEN_SERIAL
    grep -qxF -- "${!uri_var}" <<<"$urls" || fail "p11tool does not list $uri_var=${!uri_var}: $urls"
    pass "p11tool --list-token-urls lists \$$uri_var"
    expect_match "${!uri_var}" ";serial=${!serial_var}(;|\$)" "the URI holds \$$serial_var"
  done
  p11tool --provider "$m" --export "$VTOKEN_CARD0_TOKEN_URI;id=%01;type=cert" >"$T/c0.pem"
  expect_eq "$(openssl x509 -in "$T/c0.pem" -noout -fingerprint)" \
    "$(openssl x509 -in "$VTOKEN_CARD0_IMAGE/9a.crt.pem" -noout -fingerprint)" "p11tool --export by \$VTOKEN_CARD0_TOKEN_URI reads card 0'\''s certificate"

  # OpenSSL: a signature by card 0'\''s key through the pkcs11 engine and its token URI
  PKCS11_MODULE_PATH=$m openssl dgst -sha256 -engine pkcs11 -keyform engine \
    -sign "$VTOKEN_CARD0_TOKEN_URI;id=%01;type=private;pin-value=123456" -out "$T/sig" "$T/data" 2>"$T/engine.err" ||
    fail "openssl could not sign with \$VTOKEN_CARD0_TOKEN_URI: $(cat "$T/engine.err")"
  openssl x509 -in "$VTOKEN_CARD0_IMAGE/9a.crt.pem" -pubkey -noout >"$T/pub0.pem"
  openssl dgst -sha256 -verify "$T/pub0.pem" -signature "$T/sig" "$T/data" >/dev/null ||
    fail "the signature is not card 0'\''s"
  pass "openssl signs with the key of the token \$VTOKEN_CARD0_TOKEN_URI names"
' || fail "the checks inside vtoken run failed"

# a card-less outer value does not leak into a run with fewer cards
out=$(VTOKEN_CARD1_IMAGE=/stale VTOKEN_CARD1_TOKEN_URI=pkcs11:stale "$VTOKEN" run --fresh -- env)
expect_no_match "$out" '^VTOKEN_CARD1_' "nothing is said of a card the run does not have"
