#!/usr/bin/env bash
# Installs the Debian 12 packages vtoken needs to build, run and test, skipping what is there.
# Usage: scripts/install-deps.sh   (as root, or with sudo available)
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config clang libclang-rt-14-dev clang-format clang-tidy cppcheck
  libpcsclite-dev libsystemd-dev libssl-dev libinih-dev libcmocka-dev
  # the PC/SC stack the cards plug into
  pcscd vsmartcard-vpcd pcsc-tools
  # clients the tests drive
  opensc opensc-pkcs11 yubico-piv-tool yubikey-manager softhsm2
  ykcs11
  gnutls-bin libnss3-tools libengine-pkcs11-openssl openssl firefox-esr
  openssh-client openssh-server curl
  # test and packaging tools
  iproute2 util-linux procps psmisc systemd strace man-db dpkg-dev fakeroot file groff-base python3
  jq xxd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
