#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Curves on the OpenPGP card through gpg --card-edit: key-attr makes the keys Ed25519/Cv25519,
# generate makes them on the card, a signature verifies and a message encrypted to the card's
# Cv25519 key decrypts (X25519 on the card); then NIST P-384 (ECDSA, and ECDH whose answer is
# the shared point's X); last, generate with an off-card backup (GnuPG makes the keys, keeps a
# backup of the encryption key and imports all three to the card).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pgp/gpg.sh"
command -v scdaemon >/dev/null || [ -x /usr/lib/gnupg/scdaemon ] ||
  skip "GnuPG's scdaemon is not installed (scripts/install-deps.sh installs it)"

"$VTOKEN" init "$T/card" --profile openpgp >/dev/null
export T VT_LIB

cat >"$T/client.sh" <<'SH'
source "$VT_LIB"
source "$(dirname "$VT_LIB")/pgp/gpg.sh"
gpg_home "$T/gnupg"
printf 'vtoken signs this\n' >"$T/data"
# NAME: sign, verify, encrypt to NAME@example.org and decrypt; the results in $T/NAME.*
use_keys() {
  gpg --batch --yes -u "$1@example.org" --sign -o "$T/$1.sig" "$T/data" 2>>"$T/gpg.log" ||
    fail "gpg --sign ($1): $(tail -n 5 "$T/gpg.log")"
  gpg --verify "$T/$1.sig" >"$T/$1.verify" 2>&1
  gpg --batch --yes --trust-model always -r "$1@example.org" -e -o "$T/$1.msg" "$T/data" ||
    fail "gpg --encrypt ($1)"
  gpg --batch --yes -d -o "$T/$1.out" "$T/$1.msg" 2>"$T/$1.decrypt" ||
    fail "gpg --decrypt ($1): $(cat "$T/$1.decrypt")"
}
card_edit admin key-attr 2 1 2 1 2 1 quit >"$T/attr25519.txt"
gpg --card-status >"$T/status25519.txt" 2>&1
card_edit admin generate n 0 "Curve User" c25519@example.org "" quit >"$T/gen25519.txt" ||
  fail "generate: $(tail -n 20 "$T/gen25519.txt")"
use_keys c25519
card_edit admin key-attr 2 4 2 4 2 4 quit >"$T/attrp384.txt"
gpg --card-status >"$T/statusp384.txt" 2>&1
card_edit admin generate n y 0 "P384 User" p384@example.org "" quit >"$T/genp384.txt" ||
  fail "generate: $(tail -n 20 "$T/genp384.txt")"
use_keys p384
card_edit admin generate y y 0 "Backup User" backup@example.org "" quit >"$T/genbackup.txt" ||
  fail "generate with backup: $(tail -n 20 "$T/genbackup.txt")"
gpg --card-status >"$T/status-backup.txt" 2>&1
gpg -K backup@example.org >"$T/secret-backup.txt" 2>&1
gpgconf --kill all
SH
"$VTOKEN" run --card "$T/card" -- bash "$T/client.sh" >"$T/client.log" 2>&1 ||
  fail "the GnuPG session failed: $(tail -n 30 "$T/client.log")"

expect_match "$(cat "$T/status25519.txt")" 'Key attributes \.+: ed25519 cv25519 ed25519' \
  "key-attr sets Ed25519, Cv25519, Ed25519"
expect_match "$(cat "$T/c25519.verify")" 'Good signature from "Curve User' "an Ed25519 card signature verifies"
expect_match "$(cat "$T/c25519.decrypt")" 'encrypted with (255-bit ECDH|cv25519) key' "the message is for the Cv25519 key"
expect_eq "$(cat "$T/c25519.out")" "vtoken signs this" "the card's Cv25519 key decrypts it"
expect_match "$(cat "$T/statusp384.txt")" 'Key attributes \.+: nistp384 nistp384 nistp384' \
  "key-attr sets NIST P-384"
expect_match "$(cat "$T/p384.verify")" 'Good signature from "P384 User' "a P-384 card signature verifies"
expect_eq "$(cat "$T/p384.out")" "vtoken signs this" "the card's P-384 ECDH key decrypts"
expect_match "$(cat "$T/status-backup.txt")" 'General key info\.\.: pub +nistp384/[0-9A-F]+ [0-9-]+ Backup User' \
  "generate with an off-card backup puts the keys on the card"
ls "$T"/gnupg/sk_*.gpg >/dev/null 2>&1 || fail "no off-card backup file sk_*.gpg"
pass "GnuPG kept the off-card backup of the encryption key"
for k in 0 1 2; do
  expect_eq "$(show_json "$T/card" "d['openpgp']['keys'][$k]['algorithm']")" nistp384 "key $k is P-384 in the image"
done
expect_eq "$(show_json "$T/card" "d['openpgp']['keys'][1]['origin']")" imported \
  "the encryption key made with a backup comes to the card by import"
