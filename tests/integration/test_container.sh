#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Containerfile, built and run with podman on Debian 12 and Debian 13 bases: its command
# signs with a fresh card as an unprivileged user, with the runtime's default privileges (no
# --privileged, no added capability, the default seccomp profile). No registry is reachable
# here, so each base image is a debootstrap tree (cached under $VT_CHROOT_CACHE, as
# scripts/test-debian13.sh caches Debian 13's) imported with `podman import`; podman's layer
# cache keeps the packages layer between runs, so a run rebuilds only vtoken. podman runs with
# runc and cgroupfs (what works on this kind of machine) and no default ulimits.
# Env: VT_CONTAINER_SUITES (default "bookworm trixie"), VT_CHROOT_CACHE, VT_CHROOT_MIRROR.
source "$(dirname "$0")/lib.sh"
# it builds vtoken from the source, not from this build: the normal build's run checks it
if grep -qxF "VT_SANITIZE:BOOL=ON" "$VT_BUILD/CMakeCache.txt" 2>/dev/null; then
  skip "built from the source, not from this sanitizer build; the normal build's run checks it"
fi
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, podman's storage)"
command -v podman >/dev/null || skip "podman is not installed"
if ischroot 2>/dev/null; then skip "in a chroot (scripts/test-debian13.sh): podman needs a real root"; fi
command -v debootstrap >/dev/null || skip "debootstrap is not installed"
cache=${VT_CHROOT_CACHE:-/var/cache/vtoken-ci}
mirror=${VT_CHROOT_MIRROR:-http://deb.debian.org/debian}
printf '[containers]\ndefault_ulimits = []\n' >"$T/containers.conf"
export CONTAINERS_CONF=$T/containers.conf
pod() { podman --runtime /usr/sbin/runc --cgroup-manager cgroupfs "$@"; }

# the build context: this checkout's tracked and untracked files, no build directories
mkdir "$T/ctx"
(cd "$VT_SRC" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -c) | tar -x -C "$T/ctx"

for suite in ${VT_CONTAINER_SUITES:-bookworm trixie}; do
  base=$cache/$suite-base
  if [ -z "$(find "$base/.vtoken-base-complete" -mtime -7 2>/dev/null)" ]; then
    echo "== debootstrap $suite into $base"
    rm -rf "$base.tmp" "$base"
    mkdir -p "$cache"
    debootstrap --variant=minbase "$suite" "$base.tmp" "$mirror" >"$T/debootstrap.log" 2>&1 ||
      fail "debootstrap $suite: $(tail -n 20 "$T/debootstrap.log")"
    touch "$base.tmp/.vtoken-base-complete"
    mv "$base.tmp" "$base"
  fi
  stamp=$(stat -c %Y "$base/.vtoken-base-complete")
  image=localhost/vtoken-base:$suite-$stamp
  if ! pod image exists "$image"; then
    tar -C "$base" --exclude=./.vtoken-base-complete -c . | pod import - "$image" >/dev/null ||
      fail "podman import of $base"
  fi
  start=$SECONDS
  pod build --network host --build-arg BASE="$image" -t "localhost/vtoken-test:$suite" \
    -f "$T/ctx/Containerfile" "$T/ctx" >"$T/build.$suite.log" 2>&1 ||
    fail "podman build on $suite: $(tail -n 30 "$T/build.$suite.log")"
  size=$(pod image inspect --format '{{.Size}}' "localhost/vtoken-test:$suite")
  echo "# $suite: image built in $((SECONDS - start)) s, $((size / 1000000)) MB"
  out=$(pod run --rm "localhost/vtoken-test:$suite" 2>&1) || fail "the container's command failed on $suite: $out"
  echo "$out"
  expect_match "$out" '^vtoken: signed with Virtual PCD 00 00 \(256 bytes\), isolation (namespaces|none)$' \
    "$suite: the container's command signs with a fresh card, as an unprivileged user"
  # and without namespaces, as where the runtime's profile refuses them
  out=$(pod run --rm "localhost/vtoken-test:$suite" vtoken run --isolation none --fresh ecert -- \
    sh -c 'opensc-tool -l; echo "isolation $VTOKEN_ISOLATION"' 2>&1) || fail "--isolation none in the container on $suite: $out"
  expect_match "$out" 'Yes +Virtual PCD 00 00' "$suite: a card without namespaces, in the container"
  expect_match "$out" '^isolation none$' "$suite: told so"
  # the container's user: not root, and no capability
  who=$(pod run --rm "localhost/vtoken-test:$suite" sh -c 'id -u; grep CapEff /proc/self/status')
  expect_match "$who" '^[1-9][0-9]*$' "$suite: the command runs as a user other than root"
  expect_match "$who" 'CapEff:\s+0+$' "$suite: with no capability"
done
