#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The systemd units, as `cmake --install` writes them, pass `systemd-analyze verify` with no
# diagnostic (systemd 252 only warns, exit 0, on unknown keys and bad values: any line about
# our units fails the test); a broken copy of a unit is caught, so the check can fail; the
# service contract is in the units; the exposure stays under a budget; the sysusers entry
# and the configuration the units name are valid.
# Needs: systemd (systemd-analyze, systemd-sysusers), man-db (Documentation= links), strace,
# procps, opensc, opensc-pkcs11, pcscd, vsmartcard-vpcd (the system call check).
# Env: VT_SRC (source dir), VTOKEND and VTOKEN (the built programs) or VT_BUILD.
set -euo pipefail

: "${VT_SRC:?VT_SRC must name the source directory}"
VTOKEND=${VTOKEND:-${VT_BUILD:-}/vtokend}
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

for pkg in systemd man-db; do
    dpkg -s "$pkg" >/dev/null 2>&1 || fail "Debian package '$pkg' is missing: apt-get install $pkg"
done
[ -x "$VTOKEND" ] || fail "no vtokend at '$VTOKEND' (set VTOKEND or VT_BUILD)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The units as installed, except that ExecStart names the vtokend of this build (verify
# checks that the program exists and is executable).
install_units() { # DIR
    mkdir -p "$1"
    for unit in vtokend.service vtokend@.service; do
        sed "s|/usr/bin/vtokend|$VTOKEND|g" "$VT_SRC/systemd/$unit" >"$1/$unit"
    done
}
install_units "$tmp/units"

# Documentation=man:... is checked with man(1): offer the pages of this tree.
for page in vtoken.1 vtokend.conf.5 vtokend.8; do
    mkdir -p "$tmp/man/man${page##*.}"
    cp "$VT_SRC/docs/man/$page" "$tmp/man/man${page##*.}/"
done
export MANPATH="$tmp/man"

# verify DIR: 0 when systemd-analyze accepts both units without a word about them.
verify() {
    local out rc=0
    out=$(cd "$1" && systemd-analyze verify ./vtokend.service ./vtokend@check.service 2>&1) || rc=$?
    if [ "$rc" -ne 0 ] || grep -q vtokend <<<"$out"; then
        printf '%s\n' "$out"
        return 1
    fi
}

echo "== systemd-analyze verify"
verify "$tmp/units" || fail "systemd-analyze verify reports problems in the units"

echo "== a broken unit is caught"
break_unit() { # NAME UNIT SED-EXPRESSION
    install_units "$tmp/broken-$1"
    sed -i "$3" "$tmp/broken-$1/$2"
    cmp -s "$tmp/units/$2" "$tmp/broken-$1/$2" && fail "breaking '$1' changed nothing"
    if verify "$tmp/broken-$1" >"$tmp/broken-$1.log"; then
        fail "systemd-analyze verify accepts a unit with $1"
    fi
    echo "caught $1: $(grep -m1 vtokend "$tmp/broken-$1.log")"
}
break_unit "a bad value" vtokend.service 's/^Type=notify$/Type=notifyy/'
break_unit "an unknown key" vtokend@.service 's/^ProtectSystem=/ProtectSytem=/'
break_unit "a missing program" vtokend.service "s|^ExecStart=$VTOKEND|ExecStart=/nonexistent/vtokend|"

echo "== the service contract"
expect() { # UNIT LINE...
    local unit=$1 line
    shift
    for line in "$@"; do
        grep -qxF -- "$line" "$VT_SRC/systemd/$unit" || fail "$unit lacks the line '$line'"
    done
}
common=(
    "Type=notify" "NotifyAccess=main" "Restart=on-failure" "RestartPreventExitStatus=64 78" "Wants=pcscd.socket" "After=pcscd.socket"
    "User=vtoken" "StateDirectory=vtoken" "ConfigurationDirectory=vtoken" "LogsDirectory=vtoken"
    "ExecReload=/bin/kill -HUP \$MAINPID" "IPAddressAllow=localhost" "IPAddressDeny=any"
    "WantedBy=multi-user.target"
    # pcscd.service of pcsc-lite 2.x (PrivateUsers=identity needs systemd 257: =yes here)
    "ProtectProc=invisible" "CapabilityBoundingSet=" "NoNewPrivileges=yes" "UMask=0077"
    "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" "PrivateUsers=yes"
    "ProtectHostname=yes" "ProtectClock=yes" "ProtectKernelTunables=yes"
    "ProtectKernelModules=yes" "ProtectKernelLogs=yes" "ProtectControlGroups=yes"
    "RestrictNamespaces=yes" "LockPersonality=yes" "MemoryDenyWriteExecute=yes"
    "RestrictRealtime=yes" "RestrictSUIDSGID=yes" "SystemCallFilter=@system-service"
    "SystemCallFilter=~@resources @privileged" "SystemCallArchitectures=native"
)
expect vtokend.service "${common[@]}" "RuntimeDirectory=vtoken" \
    "ExecStart=/usr/bin/vtokend --config /etc/vtoken/vtokend.conf"
expect vtokend@.service "${common[@]}" "RuntimeDirectory=vtoken/%i" \
    "ExecStart=/usr/bin/vtokend --config /etc/vtoken/%i.conf"
for unit in vtokend.service vtokend@.service; do
    grep -qE '^WatchdogSec=[1-9]' "$VT_SRC/systemd/$unit" || fail "$unit has no WatchdogSec"
    grep -qE '^(DynamicUser|PrivateNetwork)=yes' "$VT_SRC/systemd/$unit" &&
        fail "$unit: DynamicUser or PrivateNetwork would break the image owner or vpcd"
done

echo "== exposure (systemd-analyze security, budget 1.5)"
for unit in vtokend.service vtokend@check.service; do
    (cd "$tmp/units" && systemd-analyze security --offline=yes --threshold=15 "./$unit" 2>&1) |
        tail -n 1 | tee "$tmp/security.log"
    grep -q 'Overall exposure level' "$tmp/security.log" || fail "no exposure level for $unit"
    (cd "$tmp/units" && systemd-analyze security --offline=yes --threshold=15 "./$unit" >/dev/null 2>&1) ||
        fail "$unit is more exposed than 1.5"
done

echo "== the sysusers entry"
mkdir -p "$tmp/root/etc"
systemd-sysusers --root="$tmp/root" "$VT_SRC/systemd/vtoken.sysusers" 2>&1
user=$(grep '^vtoken:' "$tmp/root/etc/passwd") || fail "sysusers created no user vtoken"
IFS=: read -r _ _ uid _ _ home shell <<<"$user"
[ "$uid" -gt 0 ] && [ "$uid" -lt 1000 ] || fail "vtoken is not a system user: uid $uid"
[ "$home" = /var/lib/vtoken ] || fail "vtoken's home is $home, not the StateDirectory"
case "$shell" in */nologin) ;; *) fail "vtoken has a login shell: $shell" ;; esac
grep -q '^vtoken:' "$tmp/root/etc/group" || fail "sysusers created no group vtoken"

echo "== the daemon's system calls and socket families pass the unit's filters"
# No service manager here, so the sandbox cannot be applied; instead vtokend runs under strace
# in a private PC/SC environment (image created from the profile, a client lists and signs,
# a reload, the control socket) and every system call it made must be in the unit's
# SystemCallFilter=, every socket family in RestrictAddressFamilies=.
filter_names() { # @GROUP or NAME...: the system call names, groups expanded
    local x
    for x in "$@"; do
        case $x in
        @*) filter_names $(systemd-analyze syscall-filter "$x" | sed -n 's/^ \{1,\}\([@a-z0-9_-]\{1,\}\)$/\1/p') ;;
        *) echo "$x" ;;
        esac
    done
}
unit_values() { # KEY: the values of KEY= in vtokend.service, one a line
    sed -n "s/^$1=//p" "$VT_SRC/systemd/vtokend.service" | tr ' ' '\n' | sed '/^$/d'
}
# A SystemCallFilter= line starting with ~ denies all its names; the others allow theirs.
allow=$(filter_names $(sed -n 's/^SystemCallFilter=\([^~]\)/\1/p' "$VT_SRC/systemd/vtokend.service") | sort -u)
deny=$(filter_names $(sed -n 's/^SystemCallFilter=~//p' "$VT_SRC/systemd/vtokend.service") | sort -u)
[ "$(wc -l <<<"$allow")" -gt 100 ] || fail "could not expand the unit's SystemCallFilter="
VTOKEN=${VTOKEN:-$(dirname "$VTOKEND")/vtoken}
module=$(dpkg -L opensc-pkcs11 2>/dev/null | grep -m1 '/opensc-pkcs11\.so$') || true
for pkg in strace procps opensc pcscd vsmartcard-vpcd; do
    dpkg -s "$pkg" >/dev/null 2>&1 || fail "Debian package '$pkg' is missing: apt-get install $pkg"
done
[ -n "$module" ] || fail "Debian package 'opensc-pkcs11' is missing: apt-get install opensc-pkcs11"
mkdir "$tmp/strace"
printf '#!/bin/sh\nexec strace -f -y -qq -ff -o %q %q "$@"\n' "$tmp/strace/trace" "$VTOKEND" >"$tmp/vtokend-strace"
chmod +x "$tmp/vtokend-strace"
echo hello >"$tmp/data"
mkdir -m 0700 "$tmp/state"
VTOKEND="$tmp/vtokend-strace" "$VTOKEN" run --transport vpcd --card "$tmp/state/card" -- sh -c '
    set -e
    pkcs11-tool --module "$1" -L >/dev/null
    pkcs11-tool --module "$1" --login --pin 123456 --sign -m ECDSA --id 02 -i "$2" -o "$2.sig" 2>/dev/null
    kill -HUP "$(pgrep -x vtokend)"
    "$3" ctl status >/dev/null
' sh "$module" "$tmp/data" "$VTOKEN" >"$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "vtoken run under strace"; }
used=$(cat "$tmp"/strace/trace.* | sed -n 's/^\([a-z_0-9]\{1,\}\)(.*/\1/p' | sort -u)
[ "$(wc -l <<<"$used")" -gt 20 ] || fail "strace saw too few system calls: $used"
outside=$(comm -23 <(echo "$used") <(echo "$allow"))
denied=$(comm -12 <(echo "$used") <(echo "$deny"))
[ -z "$outside$denied" ] ||
    fail "vtokend makes system calls the unit forbids: ${outside//$'\n'/ } ${denied//$'\n'/ }"
families=$(cat "$tmp"/strace/trace.* | sed -n 's/^socket(\(AF_[A-Z0-9]*\).*/\1/p' | sort -u)
for family in $families; do
    unit_values RestrictAddressFamilies | grep -qx "$family" ||
        fail "vtokend opens $family sockets, not in RestrictAddressFamilies="
done
echo "ok - $(wc -l <<<"$used") system calls, families ${families//$'\n'/ }: all allowed by the unit"

# ProtectSystem=strict and ProtectHome=yes leave it the state directory (images, made beside
# their place and renamed into it) and the control socket (RuntimeDirectory=) to write;
# MemoryDenyWriteExecute=yes forbids writable code.
python3 - "$tmp/state" "$tmp"/strace/trace.* <<'PY' || fail "vtokend does what the unit's sandbox forbids"
import re, sys
state, traces = sys.argv[1], sys.argv[2:]
writes = re.compile(r'^(open|openat|creat|mkdir|mkdirat|rename|renameat2?|unlink|unlinkat|rmdir|'
                    r'chmod|fchmodat|link|linkat|symlink|symlinkat|truncate|mknod|mknodat|bind)\(')
control, bad = None, []
inside = lambda p: p == state or p.startswith(state + '/')
for name in traces:
    for line in open(name, errors='replace'):
        call, _, result = line.rpartition(') = ')  # a call that failed here fails there too
        if result.startswith('-1'):
            continue
        if re.match(r'^(mmap|mprotect|pkey_mprotect)\(', call) and 'PROT_EXEC' in call and (
                'PROT_WRITE' in call or not call.startswith('mmap')):
            bad.append('writable or late code: ' + line.strip())
        m = writes.match(call)
        if not m or (m.group(1).startswith('open') and not re.search(r'O_(WRONLY|RDWR|CREAT)', call)):
            continue
        if m.group(1) == 'bind':
            control = re.search(r'sun_path="([^"]*)"', call).group(1)
            continue
        # each path argument: "abs", AT_FDCWD<cwd> "rel" (cwd is / under systemd), fd</dir> "rel"
        for dirfd, path in re.findall(r'(?:(AT_FDCWD<[^>]*>|\d+<[^>]*>), )?"([^"]*)"', call):
            where = path if path.startswith('/') or not dirfd.startswith(tuple('0123456789')) \
                else dirfd.split('<', 1)[1][:-1] + '/' + path
            if where != control and not inside(where):
                bad.append('write outside the state directory: ' + line.strip())
for b in bad[:10]:
    print(b)
sys.exit(1 if bad else 0)
PY
echo "ok - writes only below its state directory and to its control socket, no writable code"

echo "== the configuration the units name"
"$VTOKEND" --check-config --config "$VT_SRC/config/vtokend.conf" ||
    fail "the shipped vtokend.conf does not validate"
printf '[card broken]\nimage = /x\n' >"$tmp/bad.conf"
rc=0
"$VTOKEND" --check-config --config "$tmp/bad.conf" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "ExecReload's --check-config accepts a file without vpcd="

echo "PASS"
