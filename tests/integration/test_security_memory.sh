#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What memory keeps: once a VERIFY is answered, vtokend's memory holds its PIN nowhere (the
# receive buffer, the command the daemon kept for its trace, the card's own buffers).
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to read the daemon's memory"
# ASan's allocator keeps the heap in regions of its own and freed blocks in quarantine: the scan
# is meaningful in the normal build, whose run checks it (its positive control fails here)
if grep -qxF "VT_SANITIZE:BOOL=ON" "$VT_BUILD/CMakeCache.txt" 2>/dev/null; then
  skip "vtokend's memory is scanned in the normal build, not under ASan"
fi

# scan PID HEX: prints every offset of the bytes HEX in PID's writable memory
cat >"$T/scan.py" <<'PY'
import re, sys
pid, needle = sys.argv[1], bytes.fromhex(sys.argv[2])
hits = []
with open("/proc/%s/maps" % pid) as maps, open("/proc/%s/mem" % pid, "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) rw", line)
        if not m:
            continue
        lo, hi = int(m.group(1), 16), int(m.group(2), 16)
        try:
            mem.seek(lo)
            data = mem.read(hi - lo)
        except OSError:
            continue
        hits += ["%x %s" % (lo + i.start(), line.split()[-1]) for i in re.finditer(re.escape(needle), data)]
print("\n".join(hits))
PY
export T
out=$("$VTOKEN" run --card "$T/card" -- bash -c '
  source "$VT_LIB"
  coproc SC { "$APDU_SESSION" "Virtual PCD 00 00"; }
  send() { echo "$1" >&"${SC[1]}"; read -r line <&"${SC[0]}"; echo "$line"; }
  send "00 A4 04 00 05 A0 00 00 03 08" >/dev/null
  # a wrong PIN in one command, and a second one in two chained parts
  send "00 20 00 80 08 37 33 39 31 38 32 FF FF"
  pid=$(pidof vtokend)
  [[ $pid =~ ^[0-9]+$ ]] || fail "not one vtokend to scan: pidof says \"$pid\""
  # the positive control: what the daemon surely holds (its image path) is found, so an empty
  # answer below means the PIN is gone, not that the scanner read nothing
  echo "control: $(python3 "$T/scan.py" "$pid" "$(printf %s "$T/card" | od -An -tx1 | tr -d " \n")" | head -n1)"
  echo "first PIN: $(python3 "$T/scan.py" "$pid" 373339313832)"
  send "10 20 00 80 04 35 31 36 34"
  send "00 20 00 80 04 32 38 FF FF"
  echo "second PIN: $(python3 "$T/scan.py" "$pid" 35313634)"
  echo "second PIN, second part: $(python3 "$T/scan.py" "$pid" 3238ffff)"
' 2>&1)
echo "$out"
expect_match "$out" '^< 63 C[0-9A-F]$' "the wrong PIN was answered"
expect_match "$out" '^control: [0-9a-f]+ ' "the scanner finds the image path in vtokend's memory"
expect_match "$out" '^first PIN: $' "the PIN of a VERIFY is nowhere in vtokend's memory once answered"
expect_match "$out" '^second PIN: $' "nor the parts of a chained one"
expect_match "$out" '^second PIN, second part: $' "to the last"
