#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Keys made on the computer moved to the OpenPGP card with gpg's keytocard, then used from the
# card: a signature that verifies (timed against the same key in a local keyring), and ssh
# through gpg-agent's ssh support: ssh-add -L lists the card's authentication key, and an ssh
# login to an sshd of our own (own config, host key and port, inside `vtoken run`'s network
# namespace) works with it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pgp/gpg.sh"
source "$(dirname "$0")/ecert/common.sh"
command -v scdaemon >/dev/null || [ -x /usr/lib/gnupg/scdaemon ] ||
  skip "GnuPG's scdaemon is not installed (scripts/install-deps.sh installs it)"

"$VTOKEN" init "$T/card" --profile openpgp >/dev/null
port=$(free_port)
export T VT_LIB port
ssh-keygen -q -t ed25519 -N '' -C vtoken-test-host -f "$T/host_key"
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$T/host_key.pub")" >"$T/known_hosts"
cat >"$T/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $T/host_key
PidFile none
AuthorizedKeysFile $T/authorized_keys
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
EOF

cat >"$T/client.sh" <<'SH'
source "$VT_LIB"
source "$(dirname "$VT_LIB")/pgp/gpg.sh"
source "$ECERT_COMMON"
gpg_home "$T/gnupg"
gpg --batch --passphrase '' --quick-gen-key 'Local Key <local@example.org>' rsa2048 sign never 2>/dev/null
fpr=$(gpg --with-colons -K | awk -F: '/^fpr/ {print $10; exit}')
gpg --batch --passphrase '' --quick-add-key "$fpr" rsa2048 encr never 2>/dev/null
gpg --batch --passphrase '' --quick-add-key "$fpr" rsa2048 auth never 2>/dev/null
cp -a "$T/gnupg" "$T/local" # the same keys, staying in a local keyring
printf '%s\n' keytocard y 1 'key 1' keytocard 2 'key 1' 'key 2' keytocard 3 save |
  gpg --no-tty --command-fd 0 --status-fd 2 --edit-key "$fpr" >"$T/keytocard.txt" 2>&1 ||
  fail "keytocard: $(tail -n 20 "$T/keytocard.txt")"
gpg --card-status >"$T/status.txt" 2>&1
gpg -K >"$T/secret.txt" 2>&1

# One signature through the card and one with the local key, timed (after one each to start
# the agents).
printf 'vtoken signs this\n' >"$T/data"
sign_ms() { # HOME OUT
  local t0 t1
  t0=$(date +%s%N)
  GNUPGHOME=$1 gpg --batch --yes -u "$fpr" --sign -o "$2" "$T/data" 2>>"$T/sign.log" || return 1
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
sign_ms "$T/gnupg" "$T/warm.gpg" >/dev/null || fail "gpg --sign through the card: $(cat "$T/sign.log")"
sign_ms "$T/local" "$T/warm-local.gpg" >/dev/null || fail "gpg --sign locally: $(cat "$T/sign.log")"
echo "card $(sign_ms "$T/gnupg" "$T/data.gpg") local $(sign_ms "$T/local" "$T/data-local.gpg")" >"$T/timing"
gpg --verify "$T/data.gpg" >"$T/verify.txt" 2>&1 || fail "gpg --verify: $(cat "$T/verify.txt")"
GNUPGHOME="$T/local" gpgconf --kill all

# ssh through gpg-agent: the card's authentication key.
export SSH_AUTH_SOCK
SSH_AUTH_SOCK=$(gpgconf --list-dirs agent-ssh-socket)
ssh-add -L >"$T/ssh-add.txt" 2>&1 || fail "ssh-add -L: $(cat "$T/ssh-add.txt")"
grep cardno: "$T/ssh-add.txt" >"$T/authorized_keys"
sshd=(/usr/sbin/sshd -D -e -f "$T/sshd_config")
if [ "$(id -u)" = 0 ]; then
  sshd=(unshare --mount --propagation private sh -c \
    'mount -t tmpfs -o mode=0755 vt-sshd /run && mkdir -m 0755 /run/sshd && exec "$0" "$@"' "${sshd[@]}")
fi
serve "*Server listening on 127.0.0.1 port $port*" "$T/sshd.log" "${sshd[@]}" || fail "sshd did not start"
timeout 60 ssh -F /dev/null -o UserKnownHostsFile="$T/known_hosts" -o StrictHostKeyChecking=yes \
  -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no -o BatchMode=yes -p "$port" \
  "$(id -un)@127.0.0.1" 'echo "logged in as $(id -un)"' </dev/null >"$T/login.txt" 2>&1
echo "rc=$?" >>"$T/login.txt"
stop_server
gpgconf --kill all
SH
"$VTOKEN" run --card "$T/card" -- bash "$T/client.sh" >"$T/client.log" 2>&1 ||
  fail "the GnuPG session failed: $(tail -n 30 "$T/client.log")"

status=$(cat "$T/status.txt")
for k in Signature Encryption Authentication; do
  expect_match "$status" "$k key[ .]*: [0-9A-F ]{40,}" "keytocard put the $k key on the card"
done
expect_match "$(cat "$T/secret.txt")" 'Card serial no\. = FFFE' "the local secret keys became card stubs"
for k in 0 1 2; do
  expect_eq "$(show_json "$T/card" "d['openpgp']['keys'][$k]['origin']")" imported "key $k is imported"
done
expect_match "$(cat "$T/verify.txt")" 'Good signature from "Local Key' "the card's signature verifies"
read -r _ card_ms _ local_ms <"$T/timing"
pass "one gpg --sign: ${card_ms} ms through the card, ${local_ms} ms with the local key"
expect_match "$(cat "$T/ssh-add.txt")" '^ssh-rsa [A-Za-z0-9+/=]+ cardno:FFFE' \
  "ssh-add -L lists the card's authentication key"
login=$(cat "$T/login.txt")
expect_match "$login" "logged in as $(id -un)" "ssh logs in with the card's key through gpg-agent"
expect_match "$login" 'rc=0' "ssh exits 0"
