/* SPDX-License-Identifier: Apache-2.0 */
/* RSA decryption with PKCS#1 v1.5 padding (a raw RSA operation is vt_crypto_sign's). */
#include "crypto.h"

#include <openssl/rsa.h>

int vt_crypto_rsa_decrypt(EVP_PKEY *key, const uint8_t *in, size_t inlen,
                          uint8_t out[VT_CRYPTO_MAX], size_t *outlen)
{
        if (!EVP_PKEY_is_a(key, "RSA") || inlen != (size_t)EVP_PKEY_get_size(key) ||
            inlen > VT_CRYPTO_MAX)
                return VT_CRYPTO_BAD_INPUT;
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        int r = VT_CRYPTO_BAD_INPUT;
        *outlen = VT_CRYPTO_MAX;
        if (!ctx || EVP_PKEY_decrypt_init(ctx) != 1 ||
            EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1)
                r = VT_CRYPTO_FAILED;
        else if (EVP_PKEY_decrypt(ctx, out, outlen, in, inlen) == 1)
                r = VT_CRYPTO_OK; /* a bad padding fails here */
        EVP_PKEY_CTX_free(ctx);
        return r;
}
