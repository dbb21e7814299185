/* SPDX-License-Identifier: Apache-2.0 */
/* Key agreement: ECDH on the curves of the table, and X25519. */
#include "crypto.h"

#include <openssl/core_names.h>

/* The peer's public key on the curve of a. */
static EVP_PKEY *peer_key(const struct vt_crypto_info *a, const uint8_t *peer, size_t len)
{
        if (a->kind == VT_KIND_MONTGOMERY)
                return len == a->size
                           ? EVP_PKEY_new_raw_public_key_ex(NULL, a->group, NULL, peer, len)
                           : NULL;
        if (a->kind != VT_KIND_EC || len != 2 * (size_t)a->size + 1 || peer[0] != 0x04)
                return NULL;
        OSSL_PARAM params[] = {
            OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)a->group, 0),
            OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)peer, len),
            OSSL_PARAM_END,
        };
        EVP_PKEY *pk = NULL;
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
            EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
                pk = NULL;
        EVP_PKEY_CTX_free(ctx);
        return pk;
}

int vt_crypto_agree(EVP_PKEY *key, enum vt_crypto_alg alg, const uint8_t *peer, size_t peerlen,
                    uint8_t out[VT_CRYPTO_MAX], size_t *outlen)
{
        const struct vt_crypto_info *a = vt_crypto_info(alg);
        EVP_PKEY *pk;
        if (!a || vt_crypto_alg_of_key(key) != alg || !(pk = peer_key(a, peer, peerlen)))
                return VT_CRYPTO_BAD_INPUT;
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        int r = VT_CRYPTO_FAILED;
        *outlen = VT_CRYPTO_MAX;
        if (ctx && EVP_PKEY_derive_init(ctx) == 1) {
                /* a point off the curve or a small-order X25519 key fails here */
                r = EVP_PKEY_derive_set_peer(ctx, pk) == 1 && EVP_PKEY_derive(ctx, out, outlen) == 1
                        ? VT_CRYPTO_OK
                        : VT_CRYPTO_BAD_INPUT;
        }
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pk);
        return r;
}
