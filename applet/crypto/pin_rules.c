/* SPDX-License-Identifier: Apache-2.0 */
#include "pin_rules.h"

#include <string.h>

static bool is_symbol(uint8_t c)
{
        return c >= 0x21 && c <= 0x7E && !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') &&
               !(c >= 'A' && c <= 'Z');
}

static bool charset_ok(uint8_t charset, const uint8_t *v, size_t n)
{
        bool upper = false, lower = false, digit = false, symbol = false, other = false;
        for (size_t i = 0; i < n; i++) {
                uint8_t c = v[i];
                upper |= c >= 'A' && c <= 'Z';
                lower |= c >= 'a' && c <= 'z';
                digit |= c >= '0' && c <= '9';
                symbol |= is_symbol(c);
                other |= c < 0x21 || c > 0x7E;
        }
        switch (charset) {
        case VT_PIN_CHARS_DIGITS:
                return !upper && !lower && !symbol && !other;
        case VT_PIN_CHARS_STRONG:
                return n >= 8 && upper && lower && digit && symbol && !other;
        default:
                return true;
        }
}

bool vt_pin_rules_allow(const struct vt_pin_rules *rules, size_t cap, const uint8_t *value,
                        size_t len)
{
        size_t max = rules->max_len && rules->max_len < cap ? rules->max_len : cap;
        if (len == 0 || len < rules->min_len || len > max)
                return false;
        return charset_ok(rules->charset, value, len);
}

static const char *const charsets[] = {"any", "digits", "strong"};

const char *vt_charset_name(uint8_t charset)
{
        return charset < sizeof(charsets) / sizeof(charsets[0]) ? charsets[charset] : NULL;
}

int vt_charset_parse(const char *name, uint8_t *charset)
{
        for (size_t i = 0; i < sizeof(charsets) / sizeof(charsets[0]); i++)
                if (strcmp(name, charsets[i]) == 0) {
                        *charset = (uint8_t)i;
                        return 0;
                }
        return -1;
}
