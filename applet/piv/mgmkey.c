/* SPDX-License-Identifier: Apache-2.0 */
#include "mgmkey.h"

#include "piv_state.h"

#include <openssl/evp.h>

static const EVP_CIPHER *cipher(uint8_t alg)
{
        switch (alg) {
        case VT_ALG_3DES:
                return EVP_des_ede3_ecb();
        case VT_ALG_AES128:
                return EVP_aes_128_ecb();
        case VT_ALG_AES192:
                return EVP_aes_192_ecb();
        case VT_ALG_AES256:
                return EVP_aes_256_ecb();
        default:
                return NULL;
        }
}

size_t vt_mgm_block_size(uint8_t alg)
{
        const EVP_CIPHER *c = cipher(alg);
        return c ? (size_t)EVP_CIPHER_get_block_size(c) : 0;
}

size_t vt_mgm_key_len(uint8_t alg)
{
        const EVP_CIPHER *c = cipher(alg);
        return c ? (size_t)EVP_CIPHER_get_key_length(c) : 0;
}

int vt_mgm_encrypt(uint8_t alg, const uint8_t *key, size_t keylen, const uint8_t *in, uint8_t *out)
{
        const EVP_CIPHER *c = cipher(alg);
        if (!c || keylen != (size_t)EVP_CIPHER_get_key_length(c))
                return -1;
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int n = 0, r = -1;
        int bs = EVP_CIPHER_get_block_size(c);
        if (ctx && EVP_EncryptInit_ex(ctx, c, NULL, key, NULL) == 1 &&
            EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
            EVP_EncryptUpdate(ctx, out, &n, in, bs) == 1 && n == bs)
                r = 0;
        EVP_CIPHER_CTX_free(ctx);
        return r;
}
