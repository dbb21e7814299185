# Shared helpers for integration tests (sourced). Each test runs real pcscd, vpcd, vtokend and
# clients inside `vtoken run`'s private namespaces, so tests run in parallel without clashes.
set -euo pipefail

: "${VTOKEN:?set by ctest: path of vtoken}"
: "${VTOKEND:?set by ctest: path of vtokend}"
: "${VT_SRC:?set by ctest: source directory}"
export VTOKEND

OPENSC_MODULE=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
[ -e "$OPENSC_MODULE" ] || OPENSC_MODULE=$(dpkg -L opensc-pkcs11 2>/dev/null | grep '/opensc-pkcs11.so$' | head -n1)
export OPENSC_MODULE

T=$(mktemp -d "${TMPDIR:-/tmp}/vt-test.XXXXXX")
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
# vtoken run makes its private environment's directory under TMPDIR: keep it in ours, so a test
# can tell its own processes from those of tests running beside it.
export TMPDIR="$T"
# Each test gets its own OpenSC cache, so parallel tests and cards never mix.
export XDG_CACHE_HOME="$T/cache"
export OPENSC_CONF="$T/opensc.conf"
printf 'app default {\n  framework pkcs15 {\n    use_file_caching = no;\n  }\n}\n' >"$OPENSC_CONF"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

pass() {
  echo "ok - $*"
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
  [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
  pass "$3"
}

# expect_match TEXT REGEX WHAT
expect_match() {
  grep -Eq -- "$2" <<<"$1" || fail "$3: '$2' not found in:
$1"
  pass "$3"
}

expect_no_match() {
  if grep -Eq -- "$2" <<<"$1"; then fail "$3: '$2' unexpectedly found in:
$1"; fi
  pass "$3"
}
