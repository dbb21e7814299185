#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# vtoken matrix --html: one self-contained page (no script, no external resource) with the
# table and each run's output, escaped, the failed runs marked. A real browser renders it:
# Debian's chromium, headless, dumps the DOM it built (the failed rows, and only they, carry
# class "failed"; COMMAND's markup stays text) and takes a screenshot, kept in the build
# directory as test-artifacts/matrix-report.png, in which the failed rows' red is seen where
# runs failed and nowhere on a page where all passed.
source "$(dirname "$0")/lib.sh"
M=$VTOKEN_BIN
CHROMIUM=$(command -v chromium || true)
[ -n "$CHROMIUM" ] || skip "chromium is not installed (scripts/install-deps.sh installs it)"
ART=${VT_BUILD:-$T}/test-artifacts
mkdir -p "$ART" "$T/home"

# chromium headless, with a profile of its own; stderr (its D-Bus complaints) kept for failures
browser() {
  HOME=$T/home timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$T/profile" --disable-extensions --disable-background-networking \
    --disable-sync --disable-dev-shm-usage "$@" 2>>"$T/chromium.log"
}
printf '<!DOCTYPE html><title>t</title><p id="probe">ok</p>\n' >"$T/probe.html"
if ! browser --dump-dom "file://$T/probe.html" | grep -q '<p id="probe">ok</p>'; then
  skip "chromium cannot run here: $(tail -n 3 "$T/chromium.log" | tr '\n' ' ')"
fi

cat >"$T/cmd.sh" <<'EOF'
#!/bin/sh
echo "card of $VTOKEN_PERSONALITY in $VTOKEN_CARD0_READER"
case $VTOKEN_PERSONALITY in
openpgp) printf '</pre><b id="injected">bold</b><script>document.title="pwned"</script> & \377\n'; exit 2 ;;
oath) echo "oath says no"; exit 1 ;;
esac
EOF
chmod 755 "$T/cmd.sh"
set +e
out=$("$M" matrix -p piv -p openpgp -p oath -j 2 --html "$T/report.html" -- "$T/cmd.sh" 2>&1)
rc=$?
set -e
expect_eq "$rc" 1 "the matrix failed (two runs did)"
[ -s "$T/report.html" ] || fail "no HTML report: $out"
cp "$T/report.html" "$ART/matrix-report.html"

# self-contained: nothing fetched, nothing run
expect_no_match "$(cat "$T/report.html")" '<script|<link|<img|<iframe|src=|url\(|@import|href="[a-z]+:' \
  "the page loads nothing and runs nothing"

# the DOM chromium built from it
dom=$(browser --dump-dom "file://$T/report.html") || fail "chromium did not render the page: $(tail -n 5 "$T/chromium.log")"
rows=$(grep -o '<tr class="[a-z]*" id="row-[0-9]*"><td class="name"><a href="#out-[0-9]*">[^<]*' <<<"$dom" |
  sed -E 's/<tr class="([a-z]*)".*>([^>]*)$/\2 \1/')
expect_eq "$rows" "piv passed
openpgp failed
oath failed" "the rendered table marks the failed rows, and only them"
expect_match "$dom" '<td class="status">FAILED \(exit status 2\)</td>' "a failed row says its status"
expect_match "$dom" '<section class="failed" id="out-1"><h3>openpgp: FAILED \(exit status 2\)</h3><pre>card of openpgp in ' \
  "each row's output, its section marked too"
expect_match "$dom" 'card of piv in ' "the passed row's output is there too"
expect_match "$dom" '&lt;/pre&gt;&lt;b id="injected"&gt;bold&lt;/b&gt;&lt;script&gt;' "COMMAND's markup is text on the page"
expect_no_match "$dom" '<b id="injected">|<script' "no element came from COMMAND's output"
expect_match "$dom" '<title>vtoken matrix: 1 passed, 2 failed</title>' "nothing ran: the title is the page's"

# what a person sees: the screenshot, kept as an artifact
reds() { # the pixels of the failed rows' status colour (#d01010) in a PNG
  python3 - "$1" <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
w, h, depth, ctype, _, _, interlace = ihdr
assert depth == 8 and ctype in (2, 6) and interlace == 0, f"unexpected PNG format {ihdr}"
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
prev, count, i = bytearray(stride), 0, 0
for _ in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        r, g, bl = line[x], line[x + 1], line[x + 2]
        count += r > 180 and g < 60 and bl < 60
    prev = line
print(count)
EOF
}
browser --screenshot="$ART/matrix-report.png" --window-size=1000,700 "file://$T/report.html" >/dev/null ||
  fail "chromium took no screenshot: $(tail -n 5 "$T/chromium.log")"
file "$ART/matrix-report.png" | grep -q 'PNG image data, 1000 x 700' || fail "the screenshot is no 1000x700 PNG"
red=$(reds "$ART/matrix-report.png")
[ "$red" -gt 500 ] || fail "the failed rows are not marked red on screen ($red red pixels)"
pass "the failed rows are red on screen ($red pixels; $ART/matrix-report.png)"
# the same page with every run passed has none of that red
"$M" matrix -p piv -p oath --html "$T/green.html" -- true >/dev/null || fail "a matrix of true failed"
browser --screenshot="$T/green.png" --window-size=1000,700 "file://$T/green.html" >/dev/null ||
  fail "chromium took no screenshot of the passed page"
expect_eq "$(reds "$T/green.png")" 0 "a page where all passed shows no failure red"
