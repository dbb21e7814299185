#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package: cpack builds it; it holds the binaries, units, sysusers entry, man
# pages and the sample configuration as a conffile, and depends on the PC/SC stack. Then it
# is installed, removed and purged with dpkg in a throwaway root (an overlay of this system
# in a private mount namespace; the host is not touched): the user is created, nothing is
# enabled or started, the installed units verify, and purge leaves no card images.
# Needs: cmake, dpkg, gzip, groff-base, systemd, util-linux; root for the install part.
# Env: VT_SRC (source dir), VT_BUILD (a build dir, reused unless it is a sanitizer build).
set -euo pipefail

: "${VT_SRC:?VT_SRC must name the source directory}"
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
ok() { printf 'ok - %s\n' "$*"; }

for pkg in cmake dpkg gzip groff-base systemd util-linux; do
    dpkg -s "$pkg" >/dev/null 2>&1 || fail "Debian package '$pkg' is missing: apt-get install $pkg"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# cpack installs with prefix /usr whatever the build directory's prefix. Reuse VT_BUILD unless
# it is a sanitizer build (no package of those); otherwise build the tree afresh, without tests.
build=${VT_BUILD:-}
if [ -z "$build" ] || [ ! -f "$build/CPackConfig.cmake" ] ||
    grep -qxF "VT_SANITIZE:BOOL=ON" "$build/CMakeCache.txt"; then
    build=$tmp/build
    echo "== fresh build in $build"
    cmake -S "$VT_SRC" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
        >"$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log"; fail "configure"; }
    cmake --build "$build" -j"$(nproc)" >"$tmp/build.log" 2>&1 || { tail -n 40 "$tmp/build.log"; fail "build"; }
fi

echo "== cmake --install --prefix: the units name the installed daemon and configuration"
DESTDIR="$tmp/dest" cmake --install "$build" --prefix /opt/vt >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; fail "cmake --install"; }
unit=$(find "$tmp/dest" -name vtokend.service) && [ -n "$unit" ] || fail "cmake --install put no vtokend.service"
grep -qxF "ExecStart=/opt/vt/bin/vtokend --config /opt/vt/etc/vtoken/vtokend.conf" "$unit" ||
    fail "installed unit does not start /opt/vt/bin/vtokend: $(grep ExecStart "$unit")"
for f in bin/vtokend bin/vtoken etc/vtoken/vtokend.conf share/man/man8/vtokend.8.gz; do
    [ -e "$tmp/dest/opt/vt/$f" ] || fail "cmake --install --prefix /opt/vt put no $f"
done
ok "cmake --install --prefix /opt/vt"
echo "== cpack"
if ! (cd "$build" && cpack -G DEB -B "$tmp/pkg") >"$tmp/cpack.log" 2>&1; then
    cat "$tmp/cpack.log"
    find "$tmp/pkg" -name '*Output.log' -exec tail -n 30 {} +
    fail "cpack"
fi
debs=("$tmp"/pkg/vtoken_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "cpack made no single vtoken_*.deb: $(ls "$tmp/pkg")"
deb=${debs[0]}
ok "built $(basename "$deb")"

echo "== control data"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = vtoken ] || fail "Package is '$(field Package)'"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture is '$(field Architecture)'"
[ -n "$(field Maintainer)" ] && [ -n "$(field Description)" ] || fail "no Maintainer or Description"
depends=$(field Depends)
for dep in pcscd vsmartcard-vpcd libpcsclite1 libsystemd0 libssl3 libinih1; do
    grep -qE "(^|, )$dep( |,|$)" <<<"$depends" || fail "Depends lacks $dep: $depends"
done
ok "Depends: $depends"

mkdir "$tmp/ctrl"
dpkg-deb -e "$deb" "$tmp/ctrl"
[ "$(cat "$tmp/ctrl/conffiles")" = /etc/vtoken/vtokend.conf ] ||
    fail "conffiles is not exactly /etc/vtoken/vtokend.conf: $(cat "$tmp/ctrl/conffiles")"
for script in postinst prerm postrm; do
    [ -x "$tmp/ctrl/$script" ] || fail "no executable $script"
    sh -n "$tmp/ctrl/$script" || fail "$script is not valid sh"
done
# The package enables and starts nothing: no systemctl enable/start/restart, no deb-systemd-*.
if grep -nE 'systemctl[^#]* (enable|start|restart|reenable)|deb-systemd-(helper|invoke)' "$tmp/ctrl/postinst"; then
    fail "postinst enables or starts a service"
fi
grep -q systemd-sysusers "$tmp/ctrl/postinst" || fail "postinst does not create the user with systemd-sysusers"
ok "conffiles and maintainer scripts"

echo "== contents"
dpkg-deb -c "$deb" | awk '{print $1, $NF}' >"$tmp/contents"
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /usr/lib/systemd/system)
sysusersdir=$(pkg-config --variable=sysusersdir systemd 2>/dev/null || echo /usr/lib/sysusers.d)
expect_file() { # MODE-REGEX PATH
    grep -qE "^$1 \\.$2\$" "$tmp/contents" || fail "package lacks $2 (mode $1): $(grep -F "$2" "$tmp/contents")"
}
expect_file '-rwxr-xr-x' /usr/bin/vtokend
expect_file '-rwxr-xr-x' /usr/bin/vtoken
expect_file '-rw-r--r--' "$unitdir/vtokend.service"
expect_file '-rw-r--r--' "$unitdir/vtokend@.service"
expect_file '-rw-r--r--' "$sysusersdir/vtoken.conf"
expect_file '-rw-r--r--' /etc/vtoken/vtokend.conf
expect_file '-rw-r--r--' /usr/share/man/man1/vtoken.1.gz
expect_file '-rw-r--r--' /usr/share/man/man5/vtokend.conf.5.gz
expect_file '-rw-r--r--' /usr/share/man/man8/vtokend.8.gz
expect_file '-rw-r--r--' /usr/share/doc/vtoken/README.md
completionsdir=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null || echo /usr/share/bash-completion/completions)
expect_file '-rw-r--r--' "$completionsdir/vtoken"
expect_file '-rw-r--r--' "$completionsdir/vtokend"
if grep -E ' \./(usr/local|usr/etc|home|tmp|build)' "$tmp/contents"; then fail "files outside FHS places"; fi
ok "binaries, units, sysusers, conffile, man pages and guides in their places"

mkdir "$tmp/x"
dpkg-deb -x "$deb" "$tmp/x"
grep -qxF "ExecStart=/usr/bin/vtokend --config /etc/vtoken/vtokend.conf" "$tmp/x$unitdir/vtokend.service" ||
    fail "the packaged unit does not start /usr/bin/vtokend with /etc/vtoken/vtokend.conf"
version=$("$tmp/x/usr/bin/vtokend" --version)
[ "$version" = "vtokend $(field Version)" ] || fail "vtokend --version says '$version', package $(field Version)"
"$tmp/x/usr/bin/vtokend" --check-config --config "$tmp/x/etc/vtoken/vtokend.conf" >/dev/null ||
    fail "the packaged vtokend.conf does not validate"
for page in "$tmp"/x/usr/share/man/man*/*.gz; do
    warnings=$(zcat "$page" | groff -man -ww -z 2>&1)
    [ -z "$warnings" ] || fail "$(basename "$page"): $warnings"
done
ok "the packaged daemon runs, its configuration validates, its man pages render cleanly"

echo "== install, remove, purge in a throwaway root"
if [ "$(id -u)" -ne 0 ] || ! grep -qw overlay /proc/filesystems; then
    echo "SKIP: installing needs root and overlayfs; the contents were checked"
    echo "PASS"
    exit 0
fi
force=()
provided=$(dpkg-query -W -f='${Provides}\n' | tr ',' '\n' | sed -E 's/^ *//; s/ .*//')
for dep in pcscd vsmartcard-vpcd libpcsclite1 libsystemd0 libssl3 libinih1; do
    # Debian 13's libssl3t64 provides libssl3
    dpkg -s "$dep" >/dev/null 2>&1 || grep -qxF "$dep" <<<"$provided" || force=(--force-depends)
done
[ ${#force[@]} -eq 0 ] || echo "note: dependencies missing on this host, installing with --force-depends"
passwd_before=$(sha256sum /etc/passwd /etc/group)
mkdir "$tmp/ov"
export DEB="$deb" OV="$tmp/ov" UNITDIR="$unitdir" FORCE="${force[*]}"
unshare --mount --propagation private bash -euo pipefail -c '
    fail() { printf "FAIL: %s\n" "$*" >&2; exit 1; }
    ok() { printf "ok - %s\n" "$*"; }
    mount -t tmpfs tmpfs "$OV"
    mkdir "$OV/upper" "$OV/work" "$OV/root"
    mount -t overlay overlay -o "lowerdir=/,upperdir=$OV/upper,workdir=$OV/work" "$OV/root"
    R=$OV/root
    mount --rbind /dev "$R/dev"
    mount -t proc proc "$R/proc"
    mount -t tmpfs tmpfs "$R/run"   # no /run/systemd/system: no service manager in this root
    mount -t tmpfs tmpfs "$R/tmp"

    dpkg --root="$R" $FORCE -i "$DEB" >"$OV/install.log" 2>&1 || { cat "$OV/install.log"; fail "dpkg -i"; }
    dpkg --root="$R" -s vtoken | grep -qx "Status: install ok installed" || fail "not installed"
    user=$(grep "^vtoken:" "$R/etc/passwd") || fail "postinst created no user vtoken"
    ok "installed; user $user"
    chroot "$R" /usr/bin/vtokend --check-config --config /etc/vtoken/vtokend.conf >/dev/null ||
        fail "installed vtokend rejects the installed configuration"

    for unit in vtokend.service vtokend@x.service; do
        state=$(systemctl --root="$R" is-enabled "$unit" 2>&1 || true)
        [ "$state" = disabled ] || fail "$unit is $state after installation, not disabled"
    done
    if ls "$R"/etc/systemd/system/*.wants/ 2>/dev/null | grep vtokend; then fail "enablement links exist"; fi
    for exe in /proc/[0-9]*/exe; do
        [ "$(readlink "$exe" 2>/dev/null)" != "$R/usr/bin/vtokend" ] || fail "vtokend was started: $exe"
    done
    ok "nothing enabled, nothing started"

    out=$(MANPATH="$R/usr/share/man" systemd-analyze verify --root="$R" vtokend.service vtokend@x.service 2>&1) ||
        { echo "$out"; fail "installed units do not verify"; }
    if grep vtokend <<<"$out"; then fail "installed units draw warnings"; fi
    ok "installed units verify"

    echo "; edited by the administrator" >>"$R/etc/vtoken/vtokend.conf"
    dpkg --root="$R" $FORCE -i "$DEB" >"$OV/upgrade.log" 2>&1 || { cat "$OV/upgrade.log"; fail "dpkg -i again"; }
    grep -q "edited by the administrator" "$R/etc/vtoken/vtokend.conf" || fail "an upgrade lost the edited conffile"
    state=$(systemctl --root="$R" is-enabled vtokend.service 2>&1 || true)
    [ "$state" = disabled ] || fail "vtokend.service is $state after an upgrade"
    ok "an upgrade keeps the edited configuration and enables nothing"

    mkdir -p "$R/var/lib/vtoken/default" && touch "$R/var/lib/vtoken/default/card.ini"
    dpkg --root="$R" -r vtoken >"$OV/remove.log" 2>&1 || { cat "$OV/remove.log"; fail "dpkg -r"; }
    [ ! -e "$R/usr/bin/vtokend" ] || fail "vtokend left after remove"
    grep -q "edited by the administrator" "$R/etc/vtoken/vtokend.conf" || fail "remove lost the edited conffile"
    [ -e "$R/var/lib/vtoken/default/card.ini" ] || fail "remove deleted card images"
    ok "remove keeps the configuration and the card images"

    dpkg --root="$R" -P vtoken >"$OV/purge.log" 2>&1 || { cat "$OV/purge.log"; fail "dpkg -P"; }
    [ ! -e "$R/etc/vtoken/vtokend.conf" ] || fail "purge left the conffile"
    [ ! -e "$R/var/lib/vtoken" ] || fail "purge left /var/lib/vtoken"
    ok "purge removes the configuration and the card images"
'
[ "$(sha256sum /etc/passwd /etc/group)" = "$passwd_before" ] || fail "the host's /etc/passwd or /etc/group changed"
ok "host untouched"
echo "PASS"
