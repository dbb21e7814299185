#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The OpenPGP card's passwords through gpg --card-edit, as a holder and an administrator use
# them: change the PIN and the admin PIN, set a reset code, block the PIN with wrong ones and
# unblock it with the reset code and with the admin PIN, then factory-reset (which blocks the
# admin PIN, terminates and reactivates the application): the card is back to 123456 and
# 12345678, without keys or name. Every counter as gpg --card-status and the image show it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pgp/gpg.sh"
command -v scdaemon >/dev/null || [ -x /usr/lib/gnupg/scdaemon ] ||
  skip "GnuPG's scdaemon is not installed (scripts/install-deps.sh installs it)"

"$VTOKEN" init "$T/card" --profile openpgp >/dev/null
export T VT_LIB

cat >"$T/client.sh" <<'SH'
source "$VT_LIB"
source "$(dirname "$VT_LIB")/pgp/gpg.sh"
gpg_home "$T/gnupg"
counters() { gpg --card-status 2>/dev/null | sed -n 's/^PIN retry counter : //p'; }
pins() { echo "$1" >"$T/pins/pin"; echo "$2" >"$T/pins/new-pin"; }

pins 123456 'hunter2-pin'
card_edit admin passwd 1 q quit >"$T/passwd1.txt"
expect_match "$(cat "$T/passwd1.txt")" 'SC_OP_SUCCESS' "passwd 1 changes the PIN"
pins 'hunter2-pin' x
card_edit verify quit >"$T/verify1.txt"
expect_eq "$(counters)" "3 0 3" "the new PIN verifies"

echo 12345678 >"$T/pins/admin"
echo 'admin-87654321' >"$T/pins/new-admin"
card_edit admin passwd 3 q quit >"$T/passwd3.txt"
expect_match "$(cat "$T/passwd3.txt")" 'SC_OP_SUCCESS' "passwd 3 changes the admin PIN"
echo 'admin-87654321' >"$T/pins/admin"
echo 'reset-code-1' >"$T/pins/reset-code"
card_edit admin passwd 4 q quit >"$T/passwd4.txt"
expect_match "$(cat "$T/passwd4.txt")" 'SC_OP_SUCCESS' "passwd 4 sets a reset code with the new admin PIN"
expect_eq "$(counters)" "3 3 3" "the reset code has its three tries"

# Three wrong PINs block it; the reset code unblocks it to a new PIN.
pins 000000 x
for i in 1 2 3; do card_edit verify quit >/dev/null; done
expect_eq "$(counters)" "0 3 3" "three wrong PINs block the PIN"
# Blocked means blocked: the right PIN is refused too, and the counter stays at 0.
pins 'hunter2-pin' x
card_edit verify quit >"$T/verify-blocked.txt"
# gpg sends the VERIFY (a card that took it would end in no SC_OP_FAILURE, not in a counter)
expect_match "$(cat "$T/verify-blocked.txt")" 'SC_OP_FAILURE' "the right PIN is refused while the PIN is blocked"
expect_eq "$(counters)" "0 3 3" "the right PIN leaves a blocked PIN blocked"
pins x 'after-reset-code'
card_edit unblock quit >"$T/unblock.txt"
expect_match "$(cat "$T/unblock.txt")" 'SC_OP_SUCCESS' "unblock takes the reset code and a new PIN"
expect_eq "$(counters)" "3 3 3" "the PIN is unblocked"
pins 'after-reset-code' x
card_edit verify quit >/dev/null
expect_eq "$(counters)" "3 3 3" "the PIN set with the reset code verifies"

# The administrator unblocks too (passwd 2).
pins x 'after-admin-unblock'
card_edit admin passwd 2 q quit >"$T/passwd2.txt"
expect_match "$(cat "$T/passwd2.txt")" 'SC_OP_SUCCESS' "passwd 2 sets a new PIN with the admin PIN"
pins 'after-admin-unblock' x
card_edit verify quit >/dev/null
expect_eq "$(counters)" "3 3 3" "the PIN the administrator set verifies"

# factory-reset: everything back as the card shipped.
card_edit admin name Doe Jane quit >/dev/null
card_edit admin factory-reset y yes quit >"$T/reset.txt"
gpg --card-status >"$T/status-reset.txt" 2>&1
expect_match "$(cat "$T/status-reset.txt")" 'Name of cardholder: \[not set\]' "factory-reset removes the name"
expect_eq "$(counters)" "3 0 3" "factory-reset: PIN and admin PIN with 3 tries, no reset code"
pins 123456 x
echo 12345678 >"$T/pins/admin"
card_edit admin name Roe Richard quit >"$T/after-reset.txt"
expect_match "$(gpg --card-status 2>&1)" 'Name of cardholder: Richard Roe' "the default admin PIN works again"
gpgconf --kill all
SH
"$VTOKEN" run --card "$T/card" -- bash "$T/client.sh" >"$T/client.log" 2>&1 ||
  fail "the GnuPG session failed: $(tail -n 40 "$T/client.log")"
cat "$T/client.log"
grep -q '^FAIL' "$T/client.log" && fail "see above"
expect_eq "$(show_json "$T/card" "d['openpgp']['terminated']")" false "the image's application is active"
expect_eq "$(show_json "$T/card" "d['openpgp']['rc']['set']")" false "the image has no reset code"
pass "the image holds the factory state"
