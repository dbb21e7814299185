#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's Quick start on Debian 13 (trixie): scripts/quickstart.sh, then scripts/test.sh,
# run as a new user would, in a debootstrap chroot made from the Debian archive, on a copy of
# this checkout (its tracked and untracked files, no build directories). Exits with their status.
#
# The base system (debootstrap --variant=minbase) and the packages apt downloads into it are
# cached between runs on one machine under $VT_CHROOT_CACHE, with ccache's objects and the units
# clang-tidy found clean. So is the base with what scripts/install-deps.sh installed into it,
# keyed by that script's and debian/control's content: a run starts from
# it while the script is unchanged, and from a fresh copy of the base (install-deps.sh installing
# everything as on a fresh Debian 13, then kept) when the script changed, the base was made anew
# or the tree is a week old. The Quick start runs install-deps.sh either way. The base is made
# anew when it is more than a week old.
#
# Usage: scripts/test-debian13.sh   (as root; installs debootstrap when it is missing)
# Env: VT_CHROOT_CACHE  the cache (default /var/cache/vtoken-ci)
#      VT_CHROOT_MIRROR the Debian archive (default http://deb.debian.org/debian)
#      VT_CHROOT_KEEP=1 keep the chroot afterwards (its path is printed)
#      VT_SKIP_SANITIZERS=1, passed on to scripts/test.sh: the normal build only (for iterating;
#                       CI runs both builds)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
suite=trixie
cache=${VT_CHROOT_CACHE:-/var/cache/vtoken-ci}
mirror=${VT_CHROOT_MIRROR:-http://deb.debian.org/debian}
base=$cache/$suite-base

[ "$(id -u)" -eq 0 ] || { echo "test-debian13: needs root (debootstrap, chroot, mounts)" >&2; exit 1; }
if ! command -v debootstrap >/dev/null || [ ! -e /usr/share/debootstrap/scripts/$suite ]; then
  echo "== installing debootstrap"
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap
fi

mkdir -p "$cache/$suite-apt-archives/partial"
if [ -z "$(find "$base/.vtoken-base-complete" -mtime -7 2>/dev/null)" ]; then
  echo "== debootstrap $suite into $base"
  rm -rf "$base.tmp" "$base"
  debootstrap --variant=minbase "$suite" "$base.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    { tail -n 30 "$cache/debootstrap.log"; exit 1; }
  touch "$base.tmp/.vtoken-base-complete"
  mv "$base.tmp" "$base"
else
  echo "== debootstrap $suite: cached in $base"
fi

root=$(mktemp -d /var/tmp/vtoken-$suite.XXXXXX)
if [ -z "${VT_CHROOT_KEEP:-}" ]; then trap 'rm -rf --one-file-system "$root" "$root.src" "${ready:-}.tmp"' EXIT; fi
key=$(cat scripts/install-deps.sh debian/control | sha256sum | cut -c1-16)
ready=$cache/$suite-ready-$key
if [ -n "$(find "$ready/.vtoken-ready" -mtime -7 -newer "$base/.vtoken-base-complete" 2>/dev/null)" ]; then
  echo "== packages: cached in $ready (made by this scripts/install-deps.sh)"
  cp -a "$ready/." "$root/"
  fresh=
else
  cp -a "$base/." "$root/"
  fresh=1
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" # apt reaches the archive with the host's resolver
[ -e "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n' >"$root/etc/hosts"
mkdir "$root/src"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -c | tar -x -C "$root/src"
echo "== Debian $(cat "$root/etc/debian_version") in $root"

# Everything is mounted in a mount namespace of its own: the mounts vanish with it, also when
# this script is killed, and none of them propagates to the host (removing $root afterwards
# cannot reach the host's /dev or /sys).
export root cache suite
in_chroot() { # COMMAND, run by bash in the chroot
  CMD=$1 unshare --mount --propagation private bash -euo pipefail -c '
  # / onto itself: the chroot'\''s root becomes a mount point, as a real root is; vtoken run
  # makes the mounts of its private namespace private from "/", which needs a mount point.
  mount --bind "$root" "$root"
  # proc: pcscd, ps, pgrep, vtoken run (/proc/self/fd, uid maps) and the tests read it.
  mount -t proc proc "$root/proc"
  # sys, with the cgroup hierarchy: systemd'\''s tools that the tests run (journald,
  # systemd-analyze verify) look up the cgroup they run in under /sys/fs/cgroup.
  mount -t sysfs sysfs "$root/sys"
  mount --rbind /sys/fs/cgroup "$root/sys/fs/cgroup"
  # dev: /dev/null, /dev/urandom (keys), /dev/pts (ssh, script) and /dev/shm, the host'\''s own.
  mount --rbind /dev "$root/dev"
  # the packages apt downloads, kept for the next run; so are ccache'\''s objects and the
  # units clang-tidy found clean (tests/lint_tidy.py), each keyed by its exact input
  mount --bind "$cache/$suite-apt-archives" "$root/var/cache/apt/archives"
  mkdir -p "$cache/$suite-ccache" "$cache/$suite-clang-tidy" "$root/root/.cache/ccache" \
    "$root/root/.cache/vtoken/clang-tidy"
  mount --bind "$cache/$suite-ccache" "$root/root/.cache/ccache"
  mount --bind "$cache/$suite-clang-tidy" "$root/root/.cache/vtoken/clang-tidy"
  exec chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 TERM=dumb CI="${CI:-}" VT_SKIP_SANITIZERS="${VT_SKIP_SANITIZERS:-}" \
    bash -c "$CMD"
'
}
if [ -n "$fresh" ]; then
  # the packages into a fresh base, then the tree kept for the next runs (the mounts were the
  # namespace's: none is in the copy)
  echo "== scripts/install-deps.sh into a fresh base"
  in_chroot "cd /src && scripts/install-deps.sh"
  mv "$root/src" "$root.src" # the tree without this checkout
  rm -rf "$cache/$suite-ready-"* && cp -a "$root/." "$ready.tmp/" && touch "$ready.tmp/.vtoken-ready" &&
    mv "$ready.tmp" "$ready" && echo "== kept in $ready for the next runs"
  mv "$root.src" "$root/src"
fi
exec_status=0
in_chroot "cd /src && scripts/quickstart.sh && scripts/test.sh" || exec_status=$?
[ -z "${VT_CHROOT_KEEP:-}" ] || echo "== the chroot stays in $root"
echo "== Debian 13 ($suite): $([ "$exec_status" -eq 0 ] && echo passed || echo "FAILED (status $exec_status)")"
exit "$exec_status"
