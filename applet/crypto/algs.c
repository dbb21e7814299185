/* SPDX-License-Identifier: Apache-2.0 */
/* The table of key algorithms: names, lookups, the algorithm of a key, generation. */
#include "crypto.h"

#include <openssl/core_names.h>

#include <string.h>

/* clang-format off */
static const struct vt_crypto_info algs[] = {
    {VT_CRYPTO_RSA1024, "rsa1024", VT_KIND_RSA, 1024, "RSA", 128},
    {VT_CRYPTO_RSA2048, "rsa2048", VT_KIND_RSA, 2048, "RSA", 256},
    {VT_CRYPTO_RSA3072, "rsa3072", VT_KIND_RSA, 3072, "RSA", 384},
    {VT_CRYPTO_RSA4096, "rsa4096", VT_KIND_RSA, 4096, "RSA", 512},
    {VT_CRYPTO_P256, "p256", VT_KIND_EC, 256, "prime256v1", 32},
    {VT_CRYPTO_P384, "p384", VT_KIND_EC, 384, "secp384r1", 48},
    {VT_CRYPTO_BP256, "bp256", VT_KIND_EC, 256, "brainpoolP256r1", 32},
    {VT_CRYPTO_BP384, "bp384", VT_KIND_EC, 384, "brainpoolP384r1", 48},
    {VT_CRYPTO_ED25519, "ed25519", VT_KIND_EDDSA, 255, "ED25519", 32},
    {VT_CRYPTO_X25519, "x25519", VT_KIND_MONTGOMERY, 255, "X25519", 32},
};
/* clang-format on */

#define N_ALGS (sizeof(algs) / sizeof(algs[0]))

const struct vt_crypto_info *vt_crypto_info(enum vt_crypto_alg alg)
{
        for (size_t i = 0; i < N_ALGS; i++)
                if (algs[i].alg == alg)
                        return &algs[i];
        return NULL;
}

/* OpenSSL names NIST curves two ways (P-256 and prime256v1). */
static bool same_group(const char *group, const char *row)
{
        return strcmp(group, row) == 0 ||
               (strcmp(group, "P-256") == 0 && !strcmp(row, "prime256v1")) ||
               (strcmp(group, "P-384") == 0 && !strcmp(row, "secp384r1"));
}

enum vt_crypto_alg vt_crypto_alg_of_key(const EVP_PKEY *key)
{
        char group[64] = "";
        if (!key)
                return VT_CRYPTO_NONE;
        if (EVP_PKEY_is_a(key, "EC") &&
            EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                           NULL) != 1)
                return VT_CRYPTO_NONE;
        for (size_t i = 0; i < N_ALGS; i++) {
                const struct vt_crypto_info *a = &algs[i];
                bool match = false;
                switch (a->kind) {
                case VT_KIND_RSA:
                        match = EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) == a->bits;
                        break;
                case VT_KIND_EC:
                        match = EVP_PKEY_is_a(key, "EC") && same_group(group, a->group);
                        break;
                default:
                        match = EVP_PKEY_is_a(key, a->group);
                        break;
                }
                if (match)
                        return a->alg;
        }
        return VT_CRYPTO_NONE;
}

static vt_key_source_fn *key_source;

void vt_crypto_set_key_source(vt_key_source_fn *source)
{
        key_source = source;
}

EVP_PKEY *vt_crypto_generate(enum vt_crypto_alg alg)
{
        const struct vt_crypto_info *a = vt_crypto_info(alg);
        if (!a)
                return NULL;
        if (key_source)
                return key_source(alg);
        switch (a->kind) {
        case VT_KIND_RSA:
                return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)a->bits);
        case VT_KIND_EC:
                return EVP_PKEY_Q_keygen(NULL, NULL, "EC", a->group);
        default:
                return EVP_PKEY_Q_keygen(NULL, NULL, a->group);
        }
}
