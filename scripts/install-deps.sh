#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages vtoken needs to build, run and test, skipping what is there, then
# the Build-Depends of its Debian package (debian/control) as the README says: apt-get build-dep.
# Works on Debian 12 (bookworm) and 13 (trixie): where the two name a package differently, the
# one apt offers is taken (decided by the package lists, not by the release's name).
# Usage: scripts/install-deps.sh   (as root, or with sudo available)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build
  build-essential cmake pkg-config clang clang-format clang-tidy cppcheck
  ccache # scripts/quickstart.sh and test.sh compile through it when present: CI's builds again
  libpcsclite-dev libsystemd-dev libssl-dev libinih-dev libcmocka-dev libp11-kit-dev
  # the PC/SC stack the cards plug into
  pcscd vsmartcard-vpcd pcsc-tools
  # clients the tests drive
  opensc opensc-pkcs11 yubico-piv-tool yubikey-manager softhsm2
  ykcs11
  python3-fido2 # FIDO2 and U2F over PC/SC (tests/integration/test_fido_python.sh)
  gnutls-bin libnss3-tools libengine-pkcs11-openssl openssl firefox-esr
  gnupg scdaemon
  openssh-client openssh-server curl
  # test tools
  iproute2 util-linux procps psmisc systemd strace man-db file groff-base python3
  jq xxd
  libxml2-utils # xmllint: vtoken matrix's JUnit report checked against tests/data/junit.xsd
  chromium      # vtoken matrix's HTML report rendered headless (tests/integration/test_matrix_html.sh)
  oathtool faketime # OATH codes checked by an implementation of their own, at times the test sets
  # vtoken run without namespaces (a seccomp filter refuses them), the pytest plugin's examples,
  # the GitHub action's YAML, the Containerfile built and run by podman on a debootstrap base
  python3-seccomp python3-pytest python3-yaml podman runc debootstrap
  bash-completion # its completionsdir (bash-completion.pc), and the test of vtoken's completion
  # the Debian package (tests/integration/test_package.sh): dpkg-buildpackage and lintian; its
  # Build-Depends (debian/control) come below, through apt-get build-dep
  dpkg-dev lintian
  # benchmarks: a PKCS#11 header for the signing loop, plots
  libp11-kit-dev gnuplot-nox
)
# One of each group, the first that apt offers:
alternatives=(
  # the sanitizer and fuzzer runtimes of the default clang (libclang-rt-14-dev on Debian 12
  # before the unversioned name came; Debian 13's clang 19 has only the unversioned name)
  "libclang-rt-dev libclang-rt-14-dev"
)
# Installed where apt offers them:
optional=(
  systemd-dev # Debian 13: systemd.pc (the unit directories) moved here from systemd
)

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
updated=
apt_update() { [ -n "$updated" ] || { "${sudo[@]}" apt-get update -q && updated=1; }; }
offered() { apt-cache show --no-all-versions "$1" >/dev/null 2>&1; }
installed() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

# Without package lists (a fresh system) apt offers nothing: read them first.
offered cmake || apt_update
for group in "${alternatives[@]}"; do
  chosen=
  for p in $group; do installed "$p" && { chosen=$p; break; }; done
  for p in $group; do [ -n "$chosen" ] || ! offered "$p" || chosen=$p; done
  [ -n "$chosen" ] || { echo "install-deps: apt offers none of: $group" >&2; exit 1; }
  packages+=("$chosen")
done
for p in "${optional[@]}"; do
  if offered "$p"; then packages+=("$p"); fi
done

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  apt_update
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if dpkg-checkbuilddeps >/dev/null 2>&1; then
  echo "install-deps: the Build-Depends of debian/control present"
else
  echo "install-deps: apt-get build-dep ./ (the Build-Depends of debian/control)"
  apt_update
  "${sudo[@]}" apt-get build-dep -y -q --no-install-recommends ./
fi
