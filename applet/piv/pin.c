/* SPDX-License-Identifier: Apache-2.0 */
/* PIN and PUK values as PIV pads them: their reference data is the crypto layer's salted hash
 * of the padded value, the rules a new PIN follows the crypto layer's with PIV's lengths. */
#include "pin.h"

#include "pin_rules.h"

#include <string.h>

#define PIN_PAD 0xFF

void vt_secret_set(struct vt_secret *s, const uint8_t padded[VT_PIN_FIELD])
{
        vt_pin_hash_set(s->salt, s->hash, padded, VT_PIN_FIELD);
}

bool vt_secret_matches(const struct vt_secret *s, const uint8_t padded[VT_PIN_FIELD])
{
        return vt_pin_hash_matches(s->salt, s->hash, padded, VT_PIN_FIELD);
}

int vt_pin_length(const uint8_t padded[VT_PIN_FIELD])
{
        int n = 0;
        while (n < VT_PIN_FIELD && padded[n] != PIN_PAD)
                n++;
        for (int i = n; i < VT_PIN_FIELD; i++)
                if (padded[i] != PIN_PAD)
                        return -1;
        return n > 0 ? n : -1;
}

bool vt_pin_acceptable(const struct vt_pin_rules *rules, const uint8_t padded[VT_PIN_FIELD])
{
        struct vt_pin_rules r = *rules;
        int n = vt_pin_length(padded);
        if (!r.min_len)
                r.min_len = 6;
        return n > 0 && vt_pin_rules_allow(&r, VT_PIN_FIELD, padded, (size_t)n);
}

/* Commonly used values, as in Yubico's 5.7 PIN complexity blocklist (the part of it that fits a
 * PIV PIN of 6 to 8 characters). */
static const char *const common_pins[] = {
    "123456",   "123123",   "654321",   "123321",   "112233",   "121212",   "520520",
    "123654",   "159753",   "1234567",  "7654321",  "12345678", "87654321", "11223344",
    "12341234", "password", "Password", "passw0rd", "abc123",   "abcdef",   "qwerty",
    "qwertyui", "iloveyou", "letmein",  "monkey",   "dragon",   "trustno1", "sunshine",
};

bool vt_pin_complex(const uint8_t padded[VT_PIN_FIELD])
{
        int n = vt_pin_length(padded);
        bool varied = false;
        if (n < 0)
                return false;
        for (int i = 1; i < n; i++)
                varied |= padded[i] != padded[0];
        if (!varied)
                return false;
        for (size_t i = 0; i < sizeof(common_pins) / sizeof(common_pins[0]); i++)
                if (strlen(common_pins[i]) == (size_t)n &&
                    memcmp(common_pins[i], padded, (size_t)n) == 0)
                        return false;
        return true;
}

bool vt_puk_acceptable(const uint8_t padded[VT_PIN_FIELD])
{
        return vt_pin_length(padded) >= 6;
}

int vt_pin_pad(const char *value, uint8_t padded[VT_PIN_FIELD])
{
        size_t n = strlen(value);
        if (n > VT_PIN_FIELD)
                return -1;
        memset(padded, PIN_PAD, VT_PIN_FIELD);
        memcpy(padded, value, n); /* NOLINT(bugprone-not-null-terminated-result): FF-padded */
        return 0;
}
