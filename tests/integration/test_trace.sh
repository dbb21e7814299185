#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# APDU traces: `vtoken run --trace FILE` traces every APDU of a full login-and-sign, PIN change
# and management-key authentication, one line each with time and duration, and never shows a
# PIN or a management-key exchange; `vtoken ctl trace CARD on FILE.jsonl` writes JSON lines.
source "$(dirname "$0")/lib.sh"

echo "data to sign" >"$T/data"
export T
out=$("$VTOKEN" run --card "$T/card" --reader-name "Yubico YubiKey CCID" --trace "$T/trace.txt" -- bash -c '
  set -eu
  source "$VT_LIB"
  card_sign && echo "signed"
  pkcs11-tool --module "$OPENSC_MODULE" --login --pin 123456 --change-pin --new-pin 86427531 && echo "PIN changed"
  pkcs11-tool --module "$OPENSC_MODULE" --login --pin 86427531 --change-pin --new-pin 123456 && echo "PIN changed back"
  yubico-piv-tool -a set-chuid && echo "management key used"
  # a new random management key, PIN-protected: ykman keeps it in object 5FC109
  ykman --reader "CCID 00 00" piv access change-management-key -m 010203040506070801020304050607080102030405060708 \
    --generate --protect -P 123456 -f && echo "management key changed and protected"
  ykman --reader "CCID 00 00" piv objects generate CHUID -P 123456 && echo "protected key read back"
  "$VTOKEN" ctl status --json >"$T/status.json"
  "$VTOKEN" ctl trace card0 on "$T/trace.jsonl"
  card_sign && echo "signed again"
  "$VTOKEN" ctl trace card0 off
  "$VTOKEN" ctl status --json >"$T/status2.json"
  opensc-tool -n >/dev/null
' 2>&1)
echo "$out"
expect_match "$out" '^signed$' "pkcs11-tool logs in and signs with tracing on"
expect_match "$out" '^PIN changed back$' "the PIN is changed and changed back"
expect_match "$out" '^management key used$' "yubico-piv-tool authenticates with the management key"
expect_match "$out" '^management key changed and protected$' "ykman sets a PIN-protected management key"
newkey=$(sed -n 's/^key = //p' "$T/card/state")
[ -n "$newkey" ] && [ "$newkey" != 010203040506070801020304050607080102030405060708 ] || fail "no new management key"
trace=$(cat "$T/trace.txt")
echo "--- trace (first lines)"
head -n 5 <<<"$trace"

commands=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cards"][0]["commands"])' "$T/status.json")
commands2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cards"][0]["commands"])' "$T/status2.json")
[ "$commands" -gt 20 ] || fail "too few commands: $commands"
# `trace card0 on FILE.jsonl` moved the card's trace from the --trace file to FILE.jsonl
expect_eq "$(wc -l <"$T/trace.txt")" "$commands" "the --trace file has one line per command the card served"
expect_eq "$(($(wc -l <"$T/trace.txt") + $(wc -l <"$T/trace.jsonl")))" "$commands2" \
  "with the JSON trace, every command served is traced exactly once"

expect_match "$trace" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z card0 SELECT 00 A4 04 00 ' \
  "each line starts with a UTC timestamp, the card and the command's name"
expect_match "$trace" ' -> .*SW 90 00 \([0-9]+\.[0-9]{3} ms\)$' "each line ends with the status word and the duration"
expect_match "$trace" 'card0 VERIFY 00 20 00 80 08 <redacted 8 bytes> -> SW 90 00' "VERIFY is traced with its data redacted"
expect_match "$trace" 'card0 CHANGE REFERENCE DATA 00 24 00 80 10 <redacted 16 bytes> -> SW 90 00' \
  "CHANGE REFERENCE DATA is traced with its data redacted"
expect_match "$trace" 'card0 GENERAL AUTHENTICATE 10 87 07 9A FF 7C 82 01 06 ' "the chained signature command is traced in full"
expect_match "$trace" 'card0 GENERAL AUTHENTICATE 00 87 07 9A [0-9A-F ]+ -> 7C 82 01 04 ' "the signature is traced"
# yubico-piv-tool 2.7 (Debian 13) appends Le to these commands; 2.2 (Debian 12) does not. Le
# is printed apart, never counted into the redacted data.
expect_match "$trace" 'card0 GENERAL AUTHENTICATE 00 87 03 9B 04 <redacted 4 bytes> (Le 00 )?-> <redacted 12 bytes> SW 90 00' \
  "the management-key challenge is redacted both ways"
expect_match "$trace" 'card0 GENERAL AUTHENTICATE 00 87 03 9B 16 <redacted 22 bytes> (Le 00 )?-> <redacted 12 bytes> SW 90 00' \
  "the management-key response is redacted both ways"

# Never the PIN (old or new), in hex or ASCII, in any of the traces (timestamps and
# durations left out: their digits could match by chance)
for f in "$T/trace.txt" "$T/trace.jsonl"; do
  text=$(cut -d' ' -f2- "$f" | sed -E 's/\([0-9.]+ ms\)//; s/"(time|duration_us)":("[^"]*"|[0-9]+)//g')
  flat=$(tr -d ' \n' <<<"$text")
  for pin in 123456 86427531; do
    hex=$(printf '%s' "$pin" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
    expect_no_match "$flat" "$hex" "$(basename "$f") does not contain PIN $pin in hex"
    expect_no_match "$text" "$pin" "$(basename "$f") does not contain PIN $pin in ASCII"
  done
  mgm=010203040506070801020304050607080102030405060708
  expect_no_match "$flat" "$mgm" "$(basename "$f") does not contain the management key"
  expect_no_match "$flat" "$newkey" "$(basename "$f") does not contain the new, PIN-protected management key"
done
expect_match "$trace" 'SET MANAGEMENT KEY 00 FF FF FF (00 00 )?1B <redacted 27 bytes> -> SW 90 00' \
  "SET MANAGEMENT KEY is traced with its data redacted"
expect_match "$trace" 'PUT DATA 00 DB 3F FF (00 00 )?[0-9A-F]{2} <redacted [0-9]+ bytes> -> SW 90 00' \
  "PUT DATA of the protected management key is redacted"
expect_match "$trace" 'GET DATA 00 CB 3F FF (00 00 )?05 5C 03 5F C1 09 [0-9A-F ]*-> <redacted [0-9]+ bytes> SW 90 00' \
  "GET DATA of the protected management key shows no data"

# JSON lines from `vtoken ctl trace card0 on FILE.jsonl`
python3 - "$T/trace.jsonl" <<'PY' || fail "the JSON-lines trace is not what it should be"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) > 20, len(lines)
names = [l["command_name"] for l in lines]
assert "SELECT" in names and "GENERAL AUTHENTICATE" in names, names
verify = [l for l in lines if l["command_name"] == "VERIFY" and l["command_redacted"]]
assert verify and all(l["command"] == "0020008008" and l["command_redacted"] == 8 for l in verify), verify
assert all(l["card"] == "card0" and l["time"].endswith("Z") and isinstance(l["duration_us"], int) for l in lines)
assert all(len(l["sw"]) == 4 for l in lines)
sign = [l for l in lines if l["command"].startswith("0087079A")]
assert sign and sign[-1]["sw"][:2] in ("90", "61") and sign[-1]["response"].startswith("7C820104"), sign
print("json ok:", len(lines), "lines")
PY
pass "vtoken ctl trace writes JSON lines with names, redaction, status words and durations"

# `trace = FILE` in [daemon] taken up by SIGHUP for the running cards, and dropped again
out=$("$VTOKEN" run --card "$T/card" -- bash -c '
  set -eu
  source "$VT_LIB"
  conf=$VTOKEN_RUN_DIR/vtokend.conf
  sed -i "/^\[daemon\]/a trace = $T/reload.trace" "$conf"
  kill -HUP "$(pidof vtokend)"
  wait_until 10 "SIGHUP gave the card the trace file" -- card_status_is card0 trace "$T/reload.trace"
  "$VTOKEN" ctl status
  opensc-tool -s "00 A4 04 00 05 A0 00 00 03 08" >/dev/null
  sed -i "/^trace = /d" "$conf"
  kill -HUP "$(pidof vtokend)"
  wait_until 10 "SIGHUP took the trace file away" -- card_status_is card0 trace null
  "$VTOKEN" ctl status
  opensc-tool -s "00 A4 04 00 05 A0 00 00 03 08" >/dev/null
' 2>&1) || fail "trace file from the configuration: $out"
echo "$out"
expect_match "$out" "card0: .*, trace $T/reload.trace," "a trace file added to the configuration applies to running cards on SIGHUP"
expect_match "$out" "card0: .*, trace off," "and is dropped again when removed from it"
expect_eq "$(grep -c 'card0 SELECT 00 A4 04 00 05 A0 00 00 03 08 ' "$T/reload.trace")" 1 \
  "exactly the SELECT sent while the configuration named the trace is traced"
