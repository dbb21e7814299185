/* SPDX-License-Identifier: Apache-2.0 */
/* PIN and password reference data: a salted PBKDF2-HMAC-SHA256 of the value. */
#include "pin_rules.h"

#include <openssl/evp.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <string.h>

/* A card compares one PIN per command; 1000 iterations cost about a millisecond. */
#define PIN_KDF_ITERATIONS 1000

static unsigned iterations = PIN_KDF_ITERATIONS;

void vt_pin_hash_set_iterations(unsigned n)
{
        iterations = n && n <= INT32_MAX ? n : PIN_KDF_ITERATIONS;
}

static void derive(const uint8_t salt[VT_PIN_SALT], const uint8_t *value, size_t len,
                   uint8_t out[VT_PIN_HASH])
{
        static const uint8_t empty = 0;
        if (len > INT32_MAX ||
            PKCS5_PBKDF2_HMAC(len ? (const char *)value : (const char *)&empty, (int)len, salt,
                              VT_PIN_SALT, (int)iterations, EVP_sha256(), VT_PIN_HASH, out) != 1)
                memset(out, 0, VT_PIN_HASH); /* an all-zero hash never matches */
}

void vt_pin_hash_set(uint8_t salt[VT_PIN_SALT], uint8_t hash[VT_PIN_HASH], const uint8_t *value,
                     size_t len)
{
        if (RAND_bytes(salt, VT_PIN_SALT) != 1)
                memset(salt, 0, VT_PIN_SALT);
        derive(salt, value, len, hash);
}

bool vt_pin_hash_matches(const uint8_t salt[VT_PIN_SALT], const uint8_t hash[VT_PIN_HASH],
                         const uint8_t *value, size_t len)
{
        static const uint8_t zero[VT_PIN_HASH];
        uint8_t h[VT_PIN_HASH];
        derive(salt, value, len, h);
        bool ok =
            CRYPTO_memcmp(h, hash, VT_PIN_HASH) == 0 && CRYPTO_memcmp(h, zero, VT_PIN_HASH) != 0;
        OPENSSL_cleanse(h, sizeof(h));
        return ok;
}
