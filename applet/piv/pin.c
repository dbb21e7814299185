/* SPDX-License-Identifier: Apache-2.0 */
/* PIN and PUK reference data: a salted PBKDF2-HMAC-SHA256 of the padded value, never the
 * value itself; and the rules a new PIN has to follow. */
#include "pin.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <string.h>

/* A card compares one PIN per command; 1000 iterations cost about a millisecond. */
#define PIN_KDF_ITERATIONS 1000
#define PIN_PAD            0xFF

static void derive(const uint8_t salt[16], const uint8_t padded[VT_PIN_FIELD], uint8_t out[32])
{
        if (PKCS5_PBKDF2_HMAC((const char *)padded, VT_PIN_FIELD, salt, 16, PIN_KDF_ITERATIONS,
                              EVP_sha256(), 32, out) != 1)
                memset(out, 0, 32); /* an all-zero hash never matches a real derivation */
}

void vt_secret_set(struct vt_secret *s, const uint8_t padded[VT_PIN_FIELD])
{
        if (RAND_bytes(s->salt, sizeof(s->salt)) != 1)
                memset(s->salt, 0, sizeof(s->salt));
        derive(s->salt, padded, s->hash);
}

bool vt_secret_matches(const struct vt_secret *s, const uint8_t padded[VT_PIN_FIELD])
{
        static const uint8_t zero[32];
        uint8_t h[32];
        derive(s->salt, padded, h);
        bool ok =
            CRYPTO_memcmp(h, s->hash, sizeof(h)) == 0 && CRYPTO_memcmp(h, zero, sizeof(h)) != 0;
        OPENSSL_cleanse(h, sizeof(h));
        return ok;
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

static bool is_symbol(uint8_t c)
{
        return c >= 0x21 && c <= 0x7E && !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') &&
               !(c >= 'A' && c <= 'Z');
}

static bool charset_ok(uint8_t charset, const uint8_t *v, int n)
{
        bool upper = false, lower = false, digit = false, symbol = false, other = false;
        for (int i = 0; i < n; i++) {
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

bool vt_pin_acceptable(const struct vt_pin_rules *rules, const uint8_t padded[VT_PIN_FIELD])
{
        int n = vt_pin_length(padded);
        int min = rules->min_len ? rules->min_len : 6;
        int max = rules->max_len && rules->max_len < VT_PIN_FIELD ? rules->max_len : VT_PIN_FIELD;
        if (n < min || n > max)
                return false;
        return charset_ok(rules->charset, padded, n);
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
