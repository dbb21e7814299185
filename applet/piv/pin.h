/* SPDX-License-Identifier: Apache-2.0 */
/* PIN and PUK values as PIV carries them: 8 bytes, the value padded with FF. The reference
 * data itself (salted hash, tries) is struct vt_secret of image.h. */
#ifndef VT_PIN_H
#define VT_PIN_H

#include "piv_state.h"

#include <stdbool.h>
#include <stdint.h>

#define VT_PIN_FIELD 8

/* Length of the value in an FF-padded field; -1 when empty or when FF padding is followed by
 * anything but FF. */
int vt_pin_length(const uint8_t padded[VT_PIN_FIELD]);

/* Whether a new PIN satisfies the card's rules: length within min..max, and the charset (digits
 * only; any; strong = at least 8 characters with upper case, lower case, digit and symbol). */
bool vt_pin_acceptable(const struct vt_pin_rules *rules, const uint8_t padded[VT_PIN_FIELD]);

/* Whether a value passes 5.7's PIN complexity: at least two different characters, and none of
 * the commonly used values Yubico blocks (123456, 123123, password, ...). */
bool vt_pin_complex(const uint8_t padded[VT_PIN_FIELD]);

/* A PUK: any 6 to 8 bytes. */
bool vt_puk_acceptable(const uint8_t padded[VT_PIN_FIELD]);

/* Pads a text value of up to 8 bytes with FF; -1 when it is longer. */
int vt_pin_pad(const char *value, uint8_t padded[VT_PIN_FIELD]);

#endif
