#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Beyond the e-Cert guide: ssh public-key login with the key on the virtual e-Cert token. The
# authorized key is taken from the token with `ssh-keygen -D opensc-pkcs11.so`; an sshd of our own
# (own config, host key and port) listens on 127.0.0.1 inside `vtoken run`'s network namespace;
# `ssh -I opensc-pkcs11.so` logs in, asking for the token password through SSH_ASKPASS. Without
# the token, or with a wrong password, the login is refused.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ecert/common.sh"

img="$T/ecert"
"$VTOKEN" init "$img" --profile ecert >/dev/null
envelope_pin "$img" >"$T/pin"
echo 'Wr0ng#pw' >"$T/badpin"
port=$(free_port)
export T port

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
# SSH_ASKPASS programs: print the token password (ssh asks "Enter PIN for 'CHAN Tai Man': ")
for f in pin badpin; do
  printf '#!/bin/sh\necho "$1" >>"%s/askpass.prompts"\ncat "%s/%s"\n' "$T" "$T" "$f" >"$T/askpass-$f"
  chmod 755 "$T/askpass-$f"
done

cat >"$T/ssh.sh" <<'EOF'
set -u
source "$ECERT_COMMON"
ssh-keygen -D "$OPENSC_MODULE" >"$T/authorized_keys" 2>"$T/keygen.err" || exit 1
head -n1 "$T/authorized_keys" >"$T/id_ecert.pub"

# sshd as root wants its privilege-separation directory /run/sshd: give it a private /run in a
# mount namespace of its own (the PC/SC socket under the real /run stays visible to clients).
# sshd -D -e logs "Server listening on 127.0.0.1 port N." once it listens.
sshd=(/usr/sbin/sshd -D -e -f "$T/sshd_config")
if [ "$(id -u)" = 0 ]; then
  sshd=(unshare --mount --propagation private sh -c \
    'mount -t tmpfs -o mode=0755 vt-sshd /run && mkdir -m 0755 /run/sshd && exec "$0" "$@"' "${sshd[@]}")
fi
serve "*Server listening on 127.0.0.1 port $port*" "$T/sshd.log" "${sshd[@]}" || exit 1

ssh_() { # OUT ASKPASS ARGS
  out=$1 askpass=$2; shift 2
  SSH_AUTH_SOCK= SSH_ASKPASS="$askpass" SSH_ASKPASS_REQUIRE=force DISPLAY= \
    timeout 60 ssh -F /dev/null -o UserKnownHostsFile="$T/known_hosts" -o StrictHostKeyChecking=yes \
    -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no -o ConnectTimeout=20 \
    -p "$port" "$@" "$(id -un)@127.0.0.1" 'echo "logged in as $(id -un) on $SSH_CONNECTION"' \
    </dev/null >"$T/$out" 2>&1
  echo "rc=$?" >>"$T/$out"
}
ssh_ login "$T/askpass-pin" -I "$OPENSC_MODULE"
ssh_ login-idonly "$T/askpass-pin" -I "$OPENSC_MODULE" -o IdentitiesOnly=yes -i "$T/id_ecert.pub"
ssh_ no-token "$T/askpass-pin" -o IdentitiesOnly=yes -i "$T/id_ecert.pub"
ssh_ bad-pin "$T/askpass-badpin" -I "$OPENSC_MODULE"
stop_server
exit 0
EOF
"$VTOKEN" run --card "$img" -- bash "$T/ssh.sh" >"$T/ssh.out" 2>&1 ||
  fail "the ssh session failed: $(cat "$T/ssh.out" "$T/keygen.err" 2>/dev/null)"

# The authorized keys are the public keys of the e-Cert certificates in the image.
for slot in 9a 9c; do
  want=$(openssl x509 -in "$img/$slot.crt.pem" -noout -pubkey | ssh-keygen -i -m PKCS8 -f /dev/stdin | cut -d' ' -f1,2)
  grep -qF -- "$want" "$T/authorized_keys" || fail "ssh-keygen -D does not give the $slot key: $(cat "$T/authorized_keys")"
  pass "ssh-keygen -D gives the public key of the $slot e-Cert"
done

user=$(id -un)
for out in login login-idonly; do
  expect_match "$(cat "$T/$out")" "^logged in as $user on 127.0.0.1 " "ssh -I opensc-pkcs11.so logs in ($out)"
  expect_match "$(cat "$T/$out")" 'rc=0' "ssh exits 0 ($out)"
done
expect_match "$(cat "$T/askpass.prompts")" "PIN for 'CHAN Tai Man'" "ssh asks for the token's PIN through SSH_ASKPASS"
fpr=$(ssh-keygen -lf "$T/id_ecert.pub" | cut -d' ' -f2)
accepted=$(grep -F "ssh2: RSA $fpr" "$T/sshd.log" | grep -c "^Accepted publickey for $user from 127.0.0.1 port " || true)
expect_eq "$accepted" 2 "sshd accepted the token's 9A key for both logins"

expect_match "$(cat "$T/no-token")" 'Permission denied \(publickey\)' "without the token the login is refused"
expect_no_match "$(cat "$T/no-token")" 'logged in as' "  ... and no command runs"
expect_match "$(cat "$T/bad-pin")" 'Permission denied \(publickey\)' "with a wrong token password the login is refused"
expect_no_match "$(cat "$T/bad-pin")" 'logged in as' "  ... and no command runs"
expect_pin_tries_counted "$img" 15
