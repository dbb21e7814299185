/* SPDX-License-Identifier: Apache-2.0 */
/* What the card fuzz targets share (fuzz_cardlib.c): a card carrying every applet (PIV, the
 * YubiKey management AID, OpenPGP, OATH, FIDO), keys made once (fuzz_keys.c), a store that
 * refuses the commits an input names, and the run of an input's command APDUs with the check of
 * commit-then-apply at its end. The targets differ in the preamble an input's first byte picks.
 *
 * Input: one byte of flags, then records of a 2-byte big-endian length and that many bytes of
 * command APDU; a record of length 0 resets the card. Bits 0 and 1 of the flags are the
 * target's (its preamble); bits 2..7 make the store refuse commits: after the preamble, commit
 * k fails when bit 2 + k % 6 is set.
 *
 * What costs more than a run is made cheap through the crypto layer's interface, the applets
 * unchanged: key generation hands out keys made once (fuzz_keys.c, vt_crypto_set_key_source),
 * and PINs are hashed with one PBKDF2 iteration instead of 1000 (vt_pin_hash_set_iterations). */
#ifndef VT_FUZZ_CARDLIB_H
#define VT_FUZZ_CARDLIB_H

#include "card.h"

#include <stddef.h>
#include <stdint.h>

/* The card the input runs on, and the answer buffer of fuzz_send. */
extern struct vt_card fuzz_card;
extern uint8_t fuzz_out[VT_RAPDU_MAX];

/* The PIV management key (3DES, 24 bytes) of the card. */
extern const uint8_t fuzz_mgm_key[24];

/* Sends n bytes of command APDU; the answer's length (the answer in fuzz_out). */
size_t fuzz_send(const char *apdu, size_t n);
/* As fuzz_send, and aborts unless the answer ends in 9000: a preamble that fails tests nothing. */
void fuzz_send_ok(const char *apdu, size_t n);

/* Runs one input: preamble(flags & 3) on a fresh card, then the records (see above), then the
 * checks. Always 0 (libFuzzer's convention); aborts on a failed check. */
int fuzz_card_run(const uint8_t *data, size_t size, void (*preamble)(unsigned flags));

#endif
