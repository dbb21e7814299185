/* SPDX-License-Identifier: Apache-2.0 */
/* The rules a new PIN or password has to follow, whatever the applet: its length and the
 * characters it is made of. */
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

#endif
