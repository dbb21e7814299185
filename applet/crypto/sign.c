/* SPDX-License-Identifier: Apache-2.0 */
/* Signatures: RSA (raw or PKCS#1 v1.5), ECDSA (DER or r || s) and EdDSA. */
#include "crypto.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include <string.h>

/* The private RSA operation with a padding: raw (the input as long as the modulus; it fails
 * only for an input not below the modulus) or PKCS#1 v1.5 type 1. */
static int rsa_sign(EVP_PKEY *key, bool raw, const uint8_t *in, size_t inlen, uint8_t *out,
                    size_t *outlen)
{
        size_t size = (size_t)EVP_PKEY_get_size(key);
        /* PKCS#1 v1.5 type 1 padding takes 11 bytes */
        if (size > VT_CRYPTO_MAX || (raw ? inlen != size : inlen == 0 || inlen + 11 > size))
                return VT_CRYPTO_BAD_INPUT;
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        int r = VT_CRYPTO_FAILED;
        *outlen = VT_CRYPTO_MAX;
        if (ctx && raw && EVP_PKEY_decrypt_init(ctx) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1)
                r = EVP_PKEY_decrypt(ctx, out, outlen, in, inlen) == 1 ? VT_CRYPTO_OK
                                                                       : VT_CRYPTO_BAD_INPUT;
        else if (ctx && !raw && EVP_PKEY_sign_init(ctx) == 1 &&
                 EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
                 EVP_PKEY_sign(ctx, out, outlen, in, inlen) == 1)
                r = VT_CRYPTO_OK;
        EVP_PKEY_CTX_free(ctx);
        return r;
}

/* DER's SEQUENCE { r, s } as r || s, each size bytes. */
static int der_to_plain(const uint8_t *der, size_t derlen, int size, uint8_t *out, size_t *outlen)
{
        const uint8_t *p = der;
        ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
        int r = VT_CRYPTO_FAILED;
        if (sig && BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, size) == size &&
            BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + size, size) == size) {
                *outlen = 2 * (size_t)size;
                r = VT_CRYPTO_OK;
        }
        ECDSA_SIG_free(sig);
        return r;
}

static int ecdsa(EVP_PKEY *key, const struct vt_crypto_info *a, bool plain, const uint8_t *in,
                 size_t inlen, uint8_t *out, size_t *outlen)
{
        uint8_t hash[66] = {0}, der[VT_CRYPTO_MAX];
        size_t fs = a->size, derlen = sizeof(der);
        if (fs > sizeof(hash) || inlen == 0)
                return VT_CRYPTO_BAD_INPUT;
        if (inlen >= fs)
                memcpy(hash, in, fs); /* the leftmost bits, as ECDSA truncates */
        else
                memcpy(hash + fs - inlen, in, inlen);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        int r = VT_CRYPTO_FAILED;
        if (ctx && EVP_PKEY_sign_init(ctx) == 1 &&
            EVP_PKEY_sign(ctx, der, &derlen, hash, fs) == 1) {
                if (plain) {
                        r = der_to_plain(der, derlen, (int)fs, out, outlen);
                } else {
                        memcpy(out, der, derlen);
                        *outlen = derlen;
                        r = VT_CRYPTO_OK;
                }
        }
        EVP_PKEY_CTX_free(ctx);
        return r;
}

static int eddsa(EVP_PKEY *key, const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        int r = VT_CRYPTO_FAILED;
        *outlen = VT_CRYPTO_MAX;
        if (ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
            EVP_DigestSign(ctx, out, outlen, in, inlen) == 1)
                r = VT_CRYPTO_OK;
        EVP_MD_CTX_free(ctx);
        return r;
}

int vt_crypto_sign(EVP_PKEY *key, enum vt_crypto_alg alg, unsigned form, const uint8_t *in,
                   size_t inlen, uint8_t out[VT_CRYPTO_MAX], size_t *outlen)
{
        const struct vt_crypto_info *a = vt_crypto_info(alg);
        if (!a || vt_crypto_alg_of_key(key) != alg)
                return VT_CRYPTO_BAD_INPUT;
        switch (a->kind) {
        case VT_KIND_RSA:
                return rsa_sign(key, form & VT_SIGN_RSA_RAW, in, inlen, out, outlen);
        case VT_KIND_EC:
                return ecdsa(key, a, form & VT_SIGN_EC_PLAIN, in, inlen, out, outlen);
        case VT_KIND_EDDSA:
                return eddsa(key, in, inlen, out, outlen);
        default:
                return VT_CRYPTO_BAD_INPUT; /* X25519 cannot sign */
        }
}
