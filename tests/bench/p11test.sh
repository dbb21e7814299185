#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# OpenSC's p11test for the benchmarks (compare.sh --p11test). Debian does not package it: this
# fetches the source package of the installed opensc version from the Debian archive
# (deb.debian.org, its SHA-256 checked against the .dsc), builds src/tests/p11test alone and
# caches the binary in the build tree; later calls only print its path. Nothing of OpenSC's is
# kept in this repository.
# Usage: p11test.sh [--build DIR]   prints the path of the p11test binary on stdout
# The build needs gcc, make, autoconf, automake, libtool, pkg-config, dpkg-dev, curl,
# libcmocka-dev, libssl-dev and libpcsclite-dev: installed with apt-get when run as root,
# otherwise named in the error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${VT_BUILD:-$here/../../build}
while [ $# -gt 0 ]; do
  case $1 in
  --build) build=$2; shift ;;
  -h | --help) sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "p11test.sh: unknown option $1 (usage: p11test.sh [--build DIR])" >&2; exit 64 ;;
  esac
  shift
done
version=$(dpkg-query -W -f='${Version}' opensc 2>/dev/null) || {
  echo "p11test.sh: opensc is not installed (apt-get install opensc): p11test is built for its version" >&2
  exit 1
}
cache=$(realpath -m "$build")/p11test # absolute: the build below changes directory
bin=$cache/p11test-${version//[:~+]/_}
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

need=(gcc make autoconf automake libtool pkg-config dpkg-dev curl libcmocka-dev libssl-dev libpcsclite-dev)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y --no-install-recommends "${missing[@]}" >&2
  else
    echo "p11test.sh: missing ${missing[*]}: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

mkdir -p "$cache"
W=$(mktemp -d "$cache/src.XXXXXX"); trap 'rm -rf "$W"' EXIT
# The installed version's source first; a mirror that serves the security archive's binaries
# but not its sources has only the release's: then the newest of the other versions apt knows
# (a security update changes the library, not its test), named in the messages.
tried=() got=
for v in "$version" $(apt-cache madison opensc 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' |
  grep -vxF "$version"); do
  upstream=${v#*:} # the pool's file names carry no epoch
  dsc=opensc_$upstream.dsc
  tried+=("$dsc")
  for archive in https://deb.debian.org/debian https://deb.debian.org/debian-security; do
    base=$archive/pool/main/o/opensc
    [ "$archive" = https://deb.debian.org/debian ] || base=$archive/pool/updates/main/o/opensc
    if curl -sfL -o "$W/$dsc" "$base/$dsc"; then got=$base; break 2; fi
  done
done
[ -n "$got" ] || { echo "p11test.sh: none of ${tried[*]} found on deb.debian.org (debian, debian-security)" >&2; exit 1; }
[ "$v" = "$version" ] ||
  echo "p11test.sh: the source of opensc $version is not on deb.debian.org: p11test of $v instead" >&2
sed -n '/^Checksums-Sha256:/,/^[A-Z]/p' "$W/$dsc" | awk '/^ / { print $1 "  " $3 }' >"$W/sums"
[ -s "$W/sums" ] || { echo "p11test.sh: $got/$dsc has no Checksums-Sha256" >&2; exit 1; }
while read -r _ f; do
  curl -sfL -o "$W/$f" "$got/$f" || { echo "p11test.sh: cannot download $got/$f" >&2; exit 1; }
done <"$W/sums"
(cd "$W" && sha256sum --quiet -c sums) || { echo "p11test.sh: checksum mismatch in $got (see $dsc)" >&2; exit 1; }
echo "p11test.sh: building p11test of opensc $v (from $got)" >&2
dpkg-source --no-check -x "$W/$dsc" "$W/opensc" >/dev/null
cd "$W/opensc"
[ -x configure ] || autoreconf -fi >"$W/log" 2>&1 || { cat "$W/log" >&2; exit 1; }
./configure --disable-doc --disable-man --disable-notify --disable-zlib --disable-readline \
  --disable-sm --enable-openssl --enable-cmocka >"$W/log" 2>&1 || { tail -20 "$W/log" >&2; exit 1; }
make -C src/tests/p11test p11test >"$W/log" 2>&1 || { tail -20 "$W/log" >&2; exit 1; }
install -m 0755 src/tests/p11test/p11test "$bin"
echo "$v" >"$bin.source" # the version of the source it was built from
echo "$bin"
