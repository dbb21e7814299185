/* SPDX-License-Identifier: Apache-2.0 */
/* PINs and passwords, whatever the applet: the rules a new one has to follow (its length and
 * the characters it is made of), and the reference data a card keeps of it instead of the
 * value (pin_hash.c). */
#ifndef VT_PIN_RULES_H
#define VT_PIN_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vt_pin_charset { VT_PIN_CHARS_ANY = 0, VT_PIN_CHARS_DIGITS, VT_PIN_CHARS_STRONG };

struct vt_pin_rules {
        uint8_t min_len; /* 6..8 for PIV */
        uint8_t max_len;
        uint8_t charset; /* enum vt_pin_charset; STRONG: upper, lower, digit and symbol */
};

/* Whether a value of len bytes follows rules: at least min_len long and one byte (min_len 0:
 * any length from 1), at most max_len and cap (max_len 0: cap), and of the charset: DIGITS
 * only 0-9; STRONG at least 8 printable ASCII characters with an upper-case and a lower-case
 * letter, a digit and a symbol; ANY anything. */
bool vt_pin_rules_allow(const struct vt_pin_rules *rules, size_t cap, const uint8_t *value,
                        size_t len);

/* A charset's name as card.ini, openpgp.ini and `vtoken show` spell it ("any", "digits",
 * "strong"); NULL for an unknown value. Parse: 0, or -1 for a name that is none of them. */
const char *vt_charset_name(uint8_t charset);
int vt_charset_parse(const char *name, uint8_t *charset);

/* Retry counters are 1..VT_TRIES_MAX (the e-Cert token's 15), whatever the applet. */
#define VT_TRIES_MAX 15

#define VT_PIN_SALT 16
#define VT_PIN_HASH 32

/* A PIN, PUK or password: salted hash of the value, tries left of at most max_tries. */
struct vt_secret {
        uint8_t salt[VT_PIN_SALT];
        uint8_t hash[VT_PIN_HASH];
        uint8_t tries_left;
        uint8_t max_tries; /* 1..15 */
};

/* A new random salt and the salted hash (PBKDF2-HMAC-SHA256) of a PIN or password of len
 * bytes; a card keeps these, never the value. */
void vt_pin_hash_set(uint8_t salt[VT_PIN_SALT], uint8_t hash[VT_PIN_HASH], const uint8_t *value,
                     size_t len);
/* Constant-time: whether value is the one hashed (an all-zero hash, a failed derivation,
 * matches nothing). */
bool vt_pin_hash_matches(const uint8_t salt[VT_PIN_SALT], const uint8_t hash[VT_PIN_HASH],
                         const uint8_t *value, size_t len);

/* The PBKDF2 iteration count of both; 0 restores the default (1000, what vtokend uses and every
 * image holds). For fuzz targets only, whose cards are made after they set it (tests/fuzz/: a
 * derivation costs a millisecond, more than a whole run): a hash made with one count never
 * matches under another. Not synchronised: set it before any card runs. */
void vt_pin_hash_set_iterations(unsigned iterations);

#endif
