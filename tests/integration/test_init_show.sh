#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtoken init and vtoken show: both profiles round trip through text and JSON; keys come in
# from PKCS#12 and PEM files made with openssl; every bad input is refused with a clear error
# and leaves nothing behind.
source "$(dirname "$0")/lib.sh"

W="$T/w"
mkdir -p "$W"
cd "$W" || exit 1

mode() { stat -c %a "$1"; }
# Every path and every file's content under $W but the inputs and the command's own output.
listing() {
  (cd "$W" && find . \( -path ./src -o -name out.txt -o -name err.txt \) -prune -o -print | LC_ALL=C sort &&
    find . \( -path ./src -o -name out.txt -o -name err.txt \) -prune -o -type f -print0 |
    LC_ALL=C sort -z | xargs -0 sha256sum)
}

# ---- piv profile: YubiKey 5 defaults and the default key set -----------------------------
"$VTOKEN" init piv1 >out.txt || fail "init piv1"
grep -q "Created card image piv1" out.txt || fail "init piv1 says what it made"
[ "$(mode piv1)" = 700 ] || fail "image directory is $(mode piv1), not 700"
for f in piv1/*; do [ "$(mode "$f")" = 600 ] || fail "$f is $(mode "$f"), not 600"; done
grep -qi "123456" piv1/state && fail "state holds the PIN in clear"
"$VTOKEN" show piv1 >show.txt || fail "show piv1"
"$VTOKEN" show piv1 --json >show.json || fail "show piv1 --json"
jq -e . show.json >/dev/null || fail "show --json is not JSON"
j() { jq -r "$1" show.json; }
[ "$(j .profile)" = piv ] || fail "profile"
[ "$(j .atr)" = "3B 88 01 50 49 56 73 69 6D 30 31 B0" ] || fail "ATR $(j .atr)"
[ "$(j .version) $(j .firmware)" = "5.4.3 true" ] || fail "default firmware"
# --firmware takes the lines README's table and vtoken(1) name, as the release each stands for
for fw in 5.3:5.3.0 5.4:5.4.3 5.7:5.7.1 5.4.2:5.4.2; do
  "$VTOKEN" init "fw${fw%%:*}" --firmware "${fw%%:*}" >/dev/null || fail "--firmware ${fw%%:*} refused"
  got=$("$VTOKEN" show "fw${fw%%:*}" --json | jq -r .version)
  [ "$got" = "${fw#*:}" ] || fail "--firmware ${fw%%:*} made firmware $got, not ${fw#*:}"
done
[ "$(j '.pin.tries_left') $(j '.pin.max_tries') $(j '.puk.max_tries')" = "3 3 3" ] || fail "tries"
[ "$(j '.pin_policy.min_length') $(j '.pin_policy.max_length') $(j '.pin_policy.charset')" = "6 8 any" ] ||
  fail "PIN policy"
[ "$(j .management_key.default)" = true ] || fail "management key default"
[ "$(j '[.slots[] | .slot + ":" + .key] | join(" ")')" = "9a:rsa2048 9c:p256 9d:rsa2048 9e:p256" ] ||
  fail "default key set: $(j '[.slots[] | .slot + ":" + .key] | join(" ")')"
[ "$(j '[.slots[] | select(.certificate == null)] | length')" = 0 ] || fail "every slot has a certificate"
[ "$(j '.guid | length')" = 32 ] || fail "GUID"
# text and JSON say the same
grep -q "^Serial: *$(j .serial)$" show.txt || fail "text serial"
grep -q "^GUID: *$(j .guid)$" show.txt || fail "text GUID"
grep -q "^PIN: *3 of 3 tries left$" show.txt || fail "text tries"
for s in 9a 9c 9d 9e; do
  subj=$(j ".slots[] | select(.slot == \"$s\") | .certificate.subject")
  grep -qF "Subject:      $subj" show.txt || fail "text subject of $s"
  # the certificate is the key's own, and real X.509 that openssl reads
  [ "$(openssl x509 -in piv1/$s.crt.pem -noout -pubkey)" = "$(openssl pkey -in piv1/$s.key.pem -pubout)" ] ||
    fail "certificate of $s does not match its key"
  ser=$(openssl x509 -in piv1/$s.crt.pem -noout -serial | cut -d= -f2)
  [ "$ser" = "$(j ".slots[] | select(.slot == \"$s\") | .certificate.serial")" ] || fail "serial of $s"
done
# never a secret
grep -E "PRIVATE|010203040506070801020304050607080102030405060708|salt|hash" show.txt show.json &&
  fail "show prints a secret"
"$VTOKEN" init piv2 >/dev/null || fail "init piv2"
[ "$("$VTOKEN" show piv2 --json | jq -r .guid)" != "$(j .guid)" ] || fail "two images share a GUID"
[ "$("$VTOKEN" show piv2 --json | jq -r .serial)" != "$(j .serial)" ] || fail "two images share a serial"
# the attestation key F9, certified by the image's own attestation CA
[ "$(j .attestation.key) $(j .attestation.origin)" = "p256 generated" ] || fail "attestation key: $(j .attestation)"
[ "$(j .attestation.certificate.issuer)" = "/O=vtoken/CN=vtoken TEST Attestation CA $(j .serial)" ] ||
  fail "attestation issuer: $(j .attestation.certificate.issuer)"
[ "$(j .attestation_ca)" = piv1/attestation-ca.crt.pem ] || fail "attestation CA file: $(j .attestation_ca)"
openssl verify -CAfile piv1/attestation-ca.crt.pem piv1/f9.crt.pem >/dev/null || fail "F9 does not chain to its CA"
grep -q "^Slot f9 (Attestation)$" show.txt || fail "text shows no attestation slot"
grep -qF "CA file:      piv1/attestation-ca.crt.pem" show.txt || fail "text names no attestation CA file"
grep -q "^Attestation CA certificate: piv1/attestation-ca.crt.pem$" out.txt || fail "init names no attestation CA"
[ "$(j .compat)" = none ] && grep -q "^Compatibility: *none$" show.txt || fail "compat none"
pass "piv profile: identity, default keys, text and JSON agree, no secrets, 0700/0600, attestation"

# ---- --compat yubikey: a YubiKey 5 NFC's ATR, the image's version --------------------------
"$VTOKEN" init yk --compat yubikey >out.txt || fail "init --compat yubikey"
grep -q "^Compatibility: yubikey$" out.txt || fail "init does not say compat"
"$VTOKEN" show yk --json >show.json
[ "$(j .compat) $(j .version)" = "yubikey 5.4.3" ] || fail "compat in JSON: $(j .compat) $(j .version)"
[ "$(j .atr)" = "3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 40" ] || fail "compat ATR $(j .atr)"
"$VTOKEN" show yk | grep -q "^Compatibility: *yubikey" || fail "compat in text"
grep -qx "compat = yubikey" yk/card.ini || fail "card.ini has no compat"
sed -i 's/^compat = yubikey/compat = none/' yk/card.ini
[ "$("$VTOKEN" show yk --json | jq -r .atr)" = "3B 88 01 50 49 56 73 69 6D 30 31 B0" ] || fail "compat = none keeps the image's own ATR"
pass "--compat yubikey: YubiKey 5 NFC ATR and firmware 5.4.3 in show; compat = none in card.ini brings the own ATR back"

# ---- ecert profile: random strong PIN in an envelope, test CA ----------------------------
"$VTOKEN" init ecert --profile ecert >out.txt || fail "init ecert"
pin=$(sed -n 's/^Initial PIN: //p' out.txt)
[ ${#pin} = 8 ] || fail "initial PIN '$pin' is not 8 characters"
[[ $pin =~ [A-Z] && $pin =~ [a-z] && $pin =~ [0-9] && $pin =~ [^A-Za-z0-9] ]] ||
  fail "initial PIN misses the strong policy"
[ -f ecert.pin-envelope.txt ] || fail "no PIN envelope beside the image"
[ "$(mode ecert.pin-envelope.txt)" = 600 ] || fail "envelope mode"
grep -qxF "Initial PIN: $pin" ecert.pin-envelope.txt || fail "envelope and init disagree"
grep -rqF -- "$pin" ecert/ && fail "the PIN is stored in the image"
"$VTOKEN" show ecert --json >show.json || fail "show ecert"
"$VTOKEN" show ecert >show.txt || fail "show ecert text"
grep -qF -- "$pin" show.json show.txt && fail "show prints the PIN"
[ "$(j .profile) $(j .pin.max_tries) $(j .pin_policy.charset) $(j .pin_policy.min_length)" = "ecert 15 strong 8" ] ||
  fail "ecert policy: $(j .profile) $(j .pin.max_tries) $(j .pin_policy.charset)"
grep -q "^PIN: *15 of 15 tries left$" show.txt || fail "text tries"
[ "$(j '[.slots[].slot] | join(" ")')" = "9a 9c" ] || fail "ecert slots"
[ "$(j '[.slots[].certificate.issuer | test("TEST CA")] | all')" = true ] || fail "issuer says TEST"
openssl verify -CAfile ecert/ca.crt.pem ecert/9a.crt.pem ecert/9c.crt.pem >/dev/null ||
  fail "ecert certificates do not chain to ecert/ca.crt.pem"
openssl x509 -in ecert/9a.crt.pem -noout -ext extendedKeyUsage | grep -q "Client Authentication" ||
  fail "no clientAuth"
"$VTOKEN" init ecert2 --profile ecert --pin 'Xy7#abcd' --retries 10 >out.txt || fail "ecert with --pin"
grep -q "Initial PIN" out.txt && fail "a PIN given with --pin is printed"
[ -e ecert2.pin-envelope.txt ] && fail "an envelope for a PIN the user chose"
[ "$("$VTOKEN" show ecert2 --json | jq -r '.pin.max_tries')" = 10 ] || fail "--retries"
pass "ecert profile: random strong PIN once, envelope 0600, 15 tries, chain to the TEST CA"

# ---- generate with every algorithm, --subject, --ca -------------------------------------
mkdir src
openssl req -x509 -newkey rsa:2048 -nodes -keyout src/ca.key -out src/ca.crt -subj "/CN=Test Root CA" \
  -days 30 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
"$VTOKEN" init gen --generate 9a:rsa1024 --generate 9c:rsa3072 --generate 9d:p384 --generate 9e:x25519 \
  --generate 82:ed25519 --generate 95:p256 --subject "/CN=Alice Example/O=Example Ltd/C=HK" \
  --ca src/ca.key:src/ca.crt >/dev/null || fail "init with every algorithm"
"$VTOKEN" show gen --json >show.json
[ "$(j '[.slots[] | .slot + ":" + .key] | join(" ")')" = "9a:rsa1024 9c:rsa3072 9d:p384 9e:x25519 82:ed25519 95:p256" ] ||
  fail "generated: $(j '[.slots[] | .slot + ":" + .key] | join(" ")')"
[ "$(j '[.slots[].certificate.subject] | unique | join("|")')" = "/CN=Alice Example/O=Example Ltd/C=HK" ] ||
  fail "subject: $(j '[.slots[].certificate.subject] | unique | join("|")')"
for s in 9a 9c 9d 9e 82 95; do
  openssl verify -CAfile src/ca.crt gen/$s.crt.pem >/dev/null || fail "$s not issued by --ca"
done
"$VTOKEN" init gen2 --generate 9d:x25519 >/dev/null || fail "x25519 without a CA"
openssl x509 -in gen2/9d.crt.pem -noout -text | grep -q X25519 || fail "x25519 certificate"
pass "generate: all eight algorithms, --subject, --ca, X25519 with a throwaway issuer"

# ---- import from PKCS#12 and PEM --------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout src/ec.key -out src/ec.crt \
  -subj "/CN=Imported EC" -days 30 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout src/rsa.key -out src/rsa.crt -subj "/CN=Imported RSA" \
  -days 30 2>/dev/null
openssl pkcs12 -export -inkey src/rsa.key -in src/rsa.crt -out src/rsa.p12 -passout pass:s3cret
cat src/ec.key src/ec.crt >src/ec.pem
openssl pkey -in src/ec.key -aes256 -passout pass:s3cret -out src/ec-enc.key
cat src/ec-enc.key src/ec.crt >src/ec-enc.pem
openssl genpkey -algorithm ed25519 -out src/ed.key 2>/dev/null
"$VTOKEN" init imp --import 9a:src/rsa.p12 --import 9c:src/ec.pem --import 82:src/ed.key \
  --p12-pass s3cret --generate 9e:p256 >/dev/null || fail "import"
"$VTOKEN" show imp --json >show.json
[ "$(j '[.slots[] | .slot + ":" + .key + ":" + .origin] | join(" ")')" = \
  "9a:rsa2048:imported 9c:p256:imported 9e:p256:generated 82:ed25519:imported" ] ||
  fail "imported slots: $(j '[.slots[] | .slot + ":" + .key + ":" + .origin] | join(" ")')"
[ "$(j '.slots[] | select(.slot == "9a") | .certificate.subject')" = "/CN=Imported RSA" ] || fail "p12 cert"
# a key without a certificate gets one made for it, self-signed, so that PKCS#11 shows the key
[ "$(j '.slots[] | select(.slot == "82") | .certificate.subject + " by " + .certificate.issuer')" = \
  "/CN=vtoken Retired Key Management/O=vtoken by /CN=vtoken Retired Key Management/O=vtoken" ] ||
  fail "key without certificate: $(j '.slots[] | select(.slot == "82") | .certificate')"
openssl x509 -in imp/82.crt.pem -noout -pubkey | cmp -s - <(openssl pkey -in src/ed.key -pubout) ||
  fail "the certificate made for 82 is not for the imported key"
cmp -s <(openssl pkey -in src/rsa.key) <(openssl pkey -in imp/9a.key.pem) || fail "PKCS#12 key changed"
cmp -s <(openssl pkey -in src/ec.key) <(openssl pkey -in imp/9c.key.pem) || fail "PEM key changed"
cmp -s <(openssl x509 -in src/ec.crt) <(openssl x509 -in imp/9c.crt.pem) || fail "PEM cert changed"
"$VTOKEN" init imp2 --import 9d:src/ec-enc.pem --p12-pass s3cret >/dev/null || fail "encrypted PEM key"
cmp -s <(openssl pkey -in src/ec.key) <(openssl pkey -in imp2/9d.key.pem) || fail "encrypted PEM key changed"
pass "import: PKCS#12, PEM key with certificate, encrypted PEM key, bare key"

# ---- bad input: a clear error, non-zero exit, nothing written ----------------------------
openssl genpkey -algorithm ed25519 -out src/other.key 2>/dev/null
cat src/other.key src/ec.crt >src/mismatch.pem
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1536 -out src/rsa1536.key 2>/dev/null
refused() { # EXPECTED-MESSAGE ARGS... : init must fail, say EXPECTED-MESSAGE, write nothing
  local want=$1 before after
  shift
  before=$(listing)
  if "$VTOKEN" init "$@" >out.txt 2>err.txt; then fail "init $* succeeded"; fi
  grep -qF -- "$want" err.txt || fail "init $*: error '$(cat err.txt)' does not say '$want'"
  after=$(listing)
  [ "$before" = "$after" ] || fail "init $* changed files: $(diff <(echo "$before") <(echo "$after"))"
  [ ! -s out.txt ] || fail "init $* printed on stdout: $(cat out.txt)"
  echo "  refused: init $* -> $(cat err.txt)"
}
refused "wrong PKCS#12 password" bad --import 9a:src/rsa.p12 --p12-pass nope
refused "wrong PKCS#12 password" bad --import 9a:src/rsa.p12
refused "does not match the certificate" bad --import 9a:src/mismatch.pem
refused "no private key" bad --import 9a:src/ec-enc.pem
refused "no PIV algorithm" bad --import 9a:src/rsa1536.key
refused "No such file" bad --import 9a:src/missing.p12
refused "unknown slot '9b'" bad --generate 9b:rsa2048
refused "unknown slot '96'" bad --import 96:src/ec.pem
refused "unknown algorithm 'rsa512'" bad --generate 9a:rsa512
refused "given twice" bad --generate 9a:p256 --import 9a:src/ec.pem
refused "exists (use --force" piv1
refused "exists (use --force" piv1 --profile ecert
refused "policy" bad --profile ecert --pin 'abcdefgh'
refused "policy" bad --profile ecert --pin 'Abcdef1x'
refused "longer than 8" bad --profile ecert --pin 'Abcdef1#x'
refused "6 to 8 characters" bad --pin 12345
refused "PUK must have 6 to 8" bad --puk 123
refused "--retries must be 1..15" bad --retries 16
refused "unknown profile" bad --profile yubikey
refused "unknown compat 'yubikey4'" bad --compat yubikey4
refused "bad --subject" bad --subject "CN=no slash"
refused "does not match the CA certificate" bad --ca src/other.key:src/ca.crt
refused "not a card image" src --force
refused "IMAGE is missing" --profile piv
[ ! -e bad ] && [ ! -e bad.pin-envelope.txt ] || fail "a refused init left an image"
[ -z "$(find . -maxdepth 1 -name '.*.init-*')" ] || fail "a temporary directory was left behind"
pass "bad input refused with clear errors, nothing written"

# ---- --force replaces an image, all at once ----------------------------------------------
old_guid=$("$VTOKEN" show piv1 --json | jq -r .guid)
"$VTOKEN" init piv1 --force --generate 9c:ed25519 >/dev/null || fail "init --force"
"$VTOKEN" show piv1 --json >show.json
[ "$(j .guid)" != "$old_guid" ] || fail "--force kept the GUID"
[ "$(j '[.slots[].slot] | join(" ")')" = 9c ] || fail "--force kept old slots"
[ ! -e piv1/9a.key.pem ] || fail "old key left in the replaced image"
[ -z "$(find . -maxdepth 1 -name '.*.init-*')" ] || fail "the old image was left behind"
"$VTOKEN" init ecert --force --profile ecert >out.txt || fail "ecert --force"
grep -qxF "Initial PIN: $(sed -n 's/^Initial PIN: //p' out.txt)" ecert.pin-envelope.txt || fail "new envelope"
[ "$(sed -n 's/^Initial PIN: //p' out.txt)" != "$pin" ] || fail "same random PIN twice"
pass "--force replaces the image and its envelope"

# ---- an empty directory in a parent vtoken may not write (systemd's StateDirectory=) -------
if unshare -m true 2>/dev/null; then
  mkdir -p ro/img real
  unshare -m bash -c 'mount --bind ro ro && mount -o remount,ro,bind ro && mount --bind real ro/img &&
    "$0" init ro/img --generate 9a:p256 >out.txt 2>err.txt &&
    ! "$0" init ro/img2 2>>err.txt' "$VTOKEN" || fail "init in place: $(cat err.txt)"
  [ ! -s out.txt ] && fail "init in place said nothing"
  grep -q warning err.txt && fail "init in place warned: $(cat err.txt)"
  [ "$(mode real)" = 700 ] || fail "image filled in place is $(mode real)"
  "$VTOKEN" show real --json | jq -e '.slots[0].key == "p256"' >/dev/null || fail "image filled in place"
  pass "init fills an empty directory in place when its parent is read-only"
fi

# ---- show refuses a broken image, naming the file ----------------------------------------
cp -a piv2 broken
sed -i 's/^serial = .*/serial = twelve/' broken/card.ini
if "$VTOKEN" show broken >out.txt 2>err.txt; then fail "show of a corrupt card.ini succeeded"; fi
grep -q "broken/card.ini:[0-9]*: bad serial" err.txt || fail "show error: $(cat err.txt)"
cp -a piv2 broken2
rm broken2/state
if "$VTOKEN" show broken2 2>err.txt; then fail "show without state succeeded"; fi
grep -q "broken2/state: No such file" err.txt || fail "show error: $(cat err.txt)"
echo garbage >piv2/9c.key.pem
if "$VTOKEN" show piv2 --json >out.txt 2>err.txt; then fail "show of a corrupt key succeeded"; fi
grep -q "piv2/9c.key.pem: not an unencrypted PEM private key" err.txt || fail "show error: $(cat err.txt)"
[ "$(cat piv2/9c.key.pem)" = garbage ] || fail "show rewrote a file"
if "$VTOKEN" show nowhere 2>err.txt; then fail "show of a missing image succeeded"; fi
grep -q "nowhere: No such file" err.txt || fail "show error: $(cat err.txt)"
pass "show names the broken file and the reason, and writes nothing"

# ---- show tells the card's timing: its table, and the rows card.ini's [timing] changes ------
"$VTOKEN" init timed --timing yubikey5 --generate 9a:p256 >/dev/null
printf '\n[timing]\nsign-rsa2048 = 250\nverify = 20.5\n' >>timed/card.ini
"$VTOKEN" show timed >out.txt || fail "show of a timed card: $(cat out.txt)"
grep -qx 'Timing:         yubikey5: a YubiKey 5 NFC, .*; card.ini \[timing\] changes verify 20.500 ms, sign-rsa2048 250 ms' out.txt ||
  fail "show's timing line: $(grep Timing out.txt)"
"$VTOKEN" show timed --json | jq -e '.timing == "yubikey5" and .timing_changes == {"verify": 20.5, "sign-rsa2048": 250}' >/dev/null ||
  fail "show --json's timing: $("$VTOKEN" show timed --json | jq -c '{timing, timing_changes}')"
"$VTOKEN" init untimed --generate 9a:p256 >/dev/null
"$VTOKEN" show untimed | grep -qx 'Timing:         instant: answers at once (the default)' ||
  fail "show's timing line of an instant card: $("$VTOKEN" show untimed | grep Timing)"
"$VTOKEN" show untimed --json | jq -e '.timing == "instant" and .timing_changes == {}' >/dev/null ||
  fail "show --json's timing of an instant card"
pass "show names the card's timing table and the rows its [timing] changes"
