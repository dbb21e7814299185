#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package, made the Debian way: dpkg-buildpackage on a copy of the source builds the
# source package, vtoken and vtoken-dbgsym with debhelper (debian/). vtoken holds the binaries,
# the units, the sysusers.d and tmpfiles.d entries, the man pages, the sample configuration as
# a conffile, a DEP-5 copyright and the changelog; its maintainer scripts are debhelper's (no
# systemctl written by hand); lintian finds no error and no warning. Then it is installed (with
# apt-get, as the README says), upgraded to a second build (a +test1 changelog entry), removed
# and purged in a throwaway root (an overlay of this system in a private mount namespace; the
# host is not touched): the user and /var/lib/vtoken are created, vtokend --check-config and
# vtoken --version run from the installed root, nothing is enabled or started, an
# administrator's enablement and edits survive the upgrade, and purge leaves no card images.
# Needs: the package's Build-Depends (apt-get build-dep ./), dpkg-dev, lintian, groff-base,
# systemd, util-linux; root and overlayfs for the install part.
# Env: VT_SRC (source dir), VT_BUILD (the ctest build dir; cmake --install --prefix is checked
# there).
set -euo pipefail

: "${VT_SRC:?VT_SRC must name the source directory}"
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
ok() { printf 'ok - %s\n' "$*"; }
start=$SECONDS

# The package does not depend on the build directory: the sanitizer build's run of the suite
# would build and check the very same package again.
if [ -n "${VT_BUILD:-}" ] && grep -qxF "VT_SANITIZE:BOOL=ON" "$VT_BUILD/CMakeCache.txt" 2>/dev/null; then
    echo "SKIP: the package is built from the source, not from this sanitizer build; the normal build's run checks it"
    exit 77
fi
for pkg in dpkg-dev lintian groff-base systemd util-linux; do
    dpkg -s "$pkg" >/dev/null 2>&1 || fail "Debian package '$pkg' is missing: apt-get install $pkg"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -n "${VT_BUILD:-}" ] && [ -f "$VT_BUILD/cmake_install.cmake" ]; then
    echo "== cmake --install --prefix: the units name the installed daemon and configuration"
    DESTDIR="$tmp/dest" cmake --install "$VT_BUILD" --prefix /opt/vt >"$tmp/install.log" 2>&1 ||
        { cat "$tmp/install.log"; fail "cmake --install"; }
    unit=$(find "$tmp/dest" -name vtokend.service) && [ -n "$unit" ] || fail "cmake --install put no vtokend.service"
    grep -qxF "ExecStart=/opt/vt/bin/vtokend --config /opt/vt/etc/vtoken/vtokend.conf" "$unit" ||
        fail "installed unit does not start /opt/vt/bin/vtokend: $(grep ExecStart "$unit")"
    for f in bin/vtokend bin/vtoken etc/vtoken/vtokend.conf share/man/man8/vtokend.8.gz; do
        [ -e "$tmp/dest/opt/vt/$f" ] || fail "cmake --install --prefix /opt/vt put no $f"
    done
    ok "cmake --install --prefix /opt/vt"
fi

echo "== dpkg-buildpackage on a copy of the source"
# The copy leaves out version control and build directories (those holding a CMakeCache.txt).
excludes=(--exclude=./.git)
while IFS= read -r cache; do
    excludes+=(--exclude="./$(dirname "${cache#"$VT_SRC"/}")")
done < <(find "$VT_SRC" -maxdepth 3 -name CMakeCache.txt)
mkdir "$tmp/src"
tar -C "$VT_SRC" "${excludes[@]}" -c . | tar -x -C "$tmp/src"
(cd "$tmp/src" && dpkg-checkbuilddeps) 2>&1 ||
    fail "the package's Build-Depends are not installed: apt-get build-dep ./ (in $VT_SRC)"
build_pkg() { # LOG [DPKG-BUILDPACKAGE-OPTION...]
    local log=$1
    shift
    (cd "$tmp/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -uc -us "$@") \
        >"$tmp/$log" 2>&1 || { tail -n 40 "$tmp/$log"; fail "dpkg-buildpackage $*: see above"; }
}
# The source package too (3.0 (native)), for lintian's checks of debian/ itself.
build_pkg build.log
version=$(cd "$tmp/src" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
deb=$tmp/vtoken_${version}_$arch.deb
dbgsym=$tmp/vtoken-dbgsym_${version}_$arch.deb
[ -f "$deb" ] && [ -f "$dbgsym" ] && [ -f "$tmp/vtoken_$version.dsc" ] ||
    fail "dpkg-buildpackage made no vtoken, vtoken-dbgsym and source package $version: $(ls "$tmp")"
ok "built $(basename "$deb"), $(basename "$dbgsym") and vtoken_$version.dsc in $((SECONDS - start)) s"

# The upgrade: the same tree with one more changelog entry, built without cleaning (the
# compiled programs are reused; every binary-package step runs again).
{
    printf 'vtoken (%s+test1) unstable; urgency=medium\n\n  * An upgrade for test_package.\n\n' "$version"
    printf ' -- vtoken developers <vtoken@lists.vtoken.dev>  %s\n\n' "$(date -R)"
    cat "$tmp/src/debian/changelog"
} >"$tmp/changelog" && mv "$tmp/changelog" "$tmp/src/debian/changelog"
build_pkg build2.log -b -nc
deb2=$tmp/vtoken_${version}+test1_$arch.deb
[ -f "$deb2" ] || fail "the second build made no $(basename "$deb2"): $(ls "$tmp")"
ok "built $(basename "$deb2") for the upgrade ($((SECONDS - start)) s)"

echo "== lintian (Debian $(cat /etc/debian_version), lintian $(dpkg-query -W -f='${Version}' lintian))"
# The source and binary packages: every tag lintian shows, overridden ones with their reason;
# an error or a warning fails.
# (--fail-on none: with --show-overrides lintian's status counts overridden tags too.)
lintian -I -E --pedantic --show-overrides --fail-on none "$tmp/vtoken_${version}_$arch.changes" \
    >"$tmp/lintian.log" 2>&1 || { cat "$tmp/lintian.log"; fail "lintian failed"; }
grep -v 'running with root privileges is not recommended' "$tmp/lintian.log" | sed 's/^/   /' || true
if grep -qE '^[EW]: ' "$tmp/lintian.log"; then fail "lintian reports errors or warnings (above)"; fi
ok "lintian: no error, no warning ($((SECONDS - start)) s)"

echo "== control data"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = vtoken ] || fail "Package is '$(field Package)'"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture is '$(field Architecture)'"
[ "$(dpkg-deb -f "$dbgsym" Package)" = vtoken-dbgsym ] || fail "the dbgsym package is '$(dpkg-deb -f "$dbgsym" Package)'"
grep -qE '\./usr/lib/debug/\.build-id/.*\.debug$' <<<"$(dpkg-deb -c "$dbgsym")" || fail "vtoken-dbgsym holds no debug symbols"
depends=$(field Depends)
for dep in pcscd vsmartcard-vpcd 'libssl3(t64)?' libpcsclite1 libsystemd0 libinih1 libc6 \
    'systemd \| systemd-standalone-sysusers'; do
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
    # What is not debhelper's own (between its "Automatically added" markers) calls no systemctl.
    own=$(sed '/^# Automatically added by dh_/,/^# End automatically added section/d' "$tmp/ctrl/$script")
    if grep -nE "^[^#]*systemctl" <<<"$own"; then fail "$script calls systemctl by hand"; fi
done
grep -q '^# Automatically added by dh_installsysusers' "$tmp/ctrl/postinst" &&
    grep -q '^# Automatically added by dh_installtmpfiles' "$tmp/ctrl/postinst" &&
    grep -q '^# Automatically added by dh_installsystemd' "$tmp/ctrl/postinst" ||
    fail "postinst lacks debhelper's sysusers, tmpfiles or systemd part"
ok "conffiles; maintainer scripts from debhelper, no systemctl of their own"

echo "== contents"
dpkg-deb -c "$deb" | awk '{print $1, $NF}' >"$tmp/contents"
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
expect_file() { # MODE-REGEX PATH
    grep -qE "^$1 \\.$2\$" "$tmp/contents" || fail "package lacks $2 (mode $1): $(grep -F "$2" "$tmp/contents")"
}
expect_file '-rwxr-xr-x' /usr/bin/vtokend
expect_file '-rwxr-xr-x' /usr/bin/vtoken
expect_file '-rw-r--r--' "$unitdir/vtokend.service"
expect_file '-rw-r--r--' "$unitdir/vtokend@.service"
expect_file '-rw-r--r--' /usr/lib/sysusers.d/vtoken.conf
expect_file '-rw-r--r--' /usr/lib/tmpfiles.d/vtoken.conf
expect_file '-rw-r--r--' /etc/vtoken/vtokend.conf
expect_file '-rw-r--r--' /usr/share/man/man1/vtoken.1.gz
expect_file '-rw-r--r--' /usr/share/man/man5/vtokend.conf.5.gz
expect_file '-rw-r--r--' /usr/share/man/man8/vtokend.8.gz
expect_file '-rw-r--r--' /usr/share/doc/vtoken/copyright
expect_file '-rw-r--r--' /usr/share/doc/vtoken/changelog.gz
expect_file '-rw-r--r--' /usr/share/doc/vtoken/README.md.gz
completionsdir=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null || echo /usr/share/bash-completion/completions)
expect_file '-rw-r--r--' "$completionsdir/vtoken"
expect_file '-rw-r--r--' "$completionsdir/vtokend"
# vtoken's reader driver where Debian's pcscd finds serial drivers, its reader.conf.d entry an
# example only (pcscd reads /etc/reader.conf.d: nothing there is shipped)
expect_file '-rw.r-.r-.' /usr/lib/pcsc/drivers/serial/libifdvtoken.so
expect_file '-rw-r--r--' /usr/share/doc/vtoken/examples/reader.conf.d-vtoken
expect_file '-rwxr-xr-x' /usr/share/doc/vtoken/examples/ecert/client_auth_server.py # the e-Cert guide's
expect_file '-rwxr-xr-x' /usr/share/doc/vtoken/examples/ecert/firefox_marionette.py
if grep -F ./etc/reader.conf.d "$tmp/contents"; then fail "the package enables a reader in /etc/reader.conf.d"; fi
if grep -E ' \./(usr/local|usr/etc|home|tmp|build|opt)' "$tmp/contents"; then fail "files outside FHS places"; fi
ok "binaries, units, sysusers and tmpfiles entries, conffile, man pages, bash completion, copyright, changelog, the reader driver and its example"

mkdir "$tmp/x"
dpkg-deb -x "$deb" "$tmp/x"
grep -qxF "ExecStart=/usr/bin/vtokend --config /etc/vtoken/vtokend.conf" "$tmp/x$unitdir/vtokend.service" ||
    fail "the packaged unit does not start /usr/bin/vtokend with /etc/vtoken/vtokend.conf"
grep -qxF 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' \
    "$tmp/x/usr/share/doc/vtoken/copyright" &&
    grep -qxF 'License: Apache-2.0' "$tmp/x/usr/share/doc/vtoken/copyright" &&
    grep -qF '/usr/share/common-licenses/Apache-2.0' "$tmp/x/usr/share/doc/vtoken/copyright" ||
    fail "copyright is not DEP-5 with the Apache-2.0 license"
zcat "$tmp/x/usr/share/doc/vtoken/changelog.gz" | grep -q "^vtoken ($version) " ||
    fail "the changelog has no entry for $version"
for page in "$tmp"/x/usr/share/man/man*/*.gz; do
    warnings=$(zcat "$page" | groff -man -ww -z 2>&1)
    [ -z "$warnings" ] || fail "$(basename "$page"): $warnings"
done
ok "the unit, copyright, changelog and man pages as they should be"

echo "== install, upgrade, remove, purge in a throwaway root"
if [ "$(id -u)" -ne 0 ] || ! grep -qw overlay /proc/filesystems; then
    # a part skipped: ctest counts the test as passed for what ran, scripts/test.sh names the rest
    echo "SKIP-PART: installing needs root and overlayfs; the package was built and checked ($((SECONDS - start)) s)"
    exit 0
fi
# The first installation is the README's "apt-get install ../vtoken_*.deb", inside the root,
# from what this system has; without the dependencies, dpkg --force-depends.
force=()
for dep in pcscd vsmartcard-vpcd; do
    dpkg -s "$dep" >/dev/null 2>&1 || force=(--force-depends)
done
[ ${#force[@]} -eq 0 ] || echo "note: dependencies missing on this host, installing with dpkg --force-depends"
passwd_before=$(sha256sum /etc/passwd /etc/group)
mkdir "$tmp/ov"
upstream=${version%%-*}
export DEB="$deb" DEB2="$deb2" VERSION="$version" UPSTREAM="$upstream" OV="$tmp/ov" UNITDIR="$unitdir" \
    FORCE="${force[*]}"
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
    # man-db'\''s trigger would rebuild the whole manual index after each dpkg run (seconds)
    rm -f "$R/var/lib/man-db/auto-update"
    installed_version() { dpkg-query --root="$R" -W -f="\${Status} \${Version}" vtoken 2>/dev/null || true; }

    if [ -z "$FORCE" ]; then
        cp "$DEB" "$R/tmp/"
        DEBIAN_FRONTEND=noninteractive chroot "$R" apt-get install -y -q "/tmp/${DEB##*/}" \
            >"$OV/install.log" 2>&1 || { cat "$OV/install.log"; fail "apt-get install ${DEB##*/}"; }
    else
        dpkg --root="$R" $FORCE -i "$DEB" >"$OV/install.log" 2>&1 || { cat "$OV/install.log"; fail "dpkg -i"; }
    fi
    [ "$(installed_version)" = "install ok installed $VERSION" ] || fail "not installed: $(installed_version)"
    user=$(grep "^vtoken:" "$R/etc/passwd") || fail "postinst created no user vtoken (sysusers.d)"
    state=$(chroot "$R" stat -c "%U:%G %a" /var/lib/vtoken) || fail "postinst created no /var/lib/vtoken (tmpfiles.d)"
    [ "$state" = "vtoken:vtoken 700" ] || fail "/var/lib/vtoken is $state, not vtoken:vtoken 700"
    ok "installed $VERSION in $SECONDS s; user $user; /var/lib/vtoken $state"

    out=$(chroot "$R" /usr/bin/vtoken --version) || fail "the installed vtoken --version failed"
    [ "$out" = "vtoken $UPSTREAM" ] || fail "vtoken --version says \"$out\", the package is $VERSION"
    out=$(chroot "$R" /usr/bin/vtokend --version) || fail "the installed vtokend --version failed"
    [ "$out" = "vtokend $UPSTREAM" ] || fail "vtokend --version says \"$out\", the package is $VERSION"
    chroot "$R" /usr/bin/vtokend --check-config --config /etc/vtoken/vtokend.conf ||
        fail "the installed vtokend rejects the installed configuration"
    ok "installed vtoken --version, vtokend --version and vtokend --check-config"

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
    systemctl --root="$R" enable vtokend.service 2>/dev/null
    mkdir -p "$R/var/lib/vtoken/default" && touch "$R/var/lib/vtoken/default/card.ini"
    dpkg --root="$R" $FORCE -i "$DEB2" >"$OV/upgrade.log" 2>&1 || { cat "$OV/upgrade.log"; fail "dpkg -i (upgrade)"; }
    [ "$(installed_version)" = "install ok installed $VERSION+test1" ] || fail "not upgraded: $(installed_version)"
    grep -q "edited by the administrator" "$R/etc/vtoken/vtokend.conf" || fail "an upgrade lost the edited conffile"
    state=$(systemctl --root="$R" is-enabled vtokend.service 2>&1 || true)
    [ "$state" = enabled ] || fail "vtokend.service, enabled by the administrator, is $state after an upgrade"
    state=$(systemctl --root="$R" is-enabled vtokend@x.service 2>&1 || true)
    [ "$state" = disabled ] || fail "vtokend@x.service is $state after an upgrade"
    [ -e "$R/var/lib/vtoken/default/card.ini" ] || fail "an upgrade deleted card images"
    ok "upgraded to $VERSION+test1: the edited configuration, the enablement and the card images stay"

    dpkg --root="$R" -r vtoken >"$OV/remove.log" 2>&1 || { cat "$OV/remove.log"; fail "dpkg -r"; }
    [ ! -e "$R/usr/bin/vtokend" ] || fail "vtokend left after remove"
    grep -q "edited by the administrator" "$R/etc/vtoken/vtokend.conf" || fail "remove lost the edited conffile"
    [ -e "$R/var/lib/vtoken/default/card.ini" ] || fail "remove deleted card images"
    ok "remove keeps the configuration and the card images"

    dpkg --root="$R" -P vtoken >"$OV/purge.log" 2>&1 || { cat "$OV/purge.log"; fail "dpkg -P"; }
    [ -z "$(installed_version)" ] || fail "still known to dpkg after purge: $(installed_version)"
    [ ! -e "$R/etc/vtoken/vtokend.conf" ] || fail "purge left the conffile"
    [ ! -e "$R/var/lib/vtoken" ] || fail "purge left /var/lib/vtoken"
    if ls "$R"/etc/systemd/system/*.wants/ 2>/dev/null | grep vtokend; then fail "purge left enablement links"; fi
    ok "purge removes the configuration, the enablement and the card images ($SECONDS s)"
'
[ "$(sha256sum /etc/passwd /etc/group)" = "$passwd_before" ] || fail "the host's /etc/passwd or /etc/group changed"
ok "host untouched"
echo "PASS ($((SECONDS - start)) s)"
