#include "keyops.h"

#include "image.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <string.h>

#define TAG_PUBLIC_KEY 0x7F49
#define TAG_RSA_N      0x81
#define TAG_RSA_E      0x82
#define TAG_POINT      0x86

int vt_keyop_alg_known(uint8_t alg)
{
        switch (alg) {
        case VT_ALG_RSA1024:
        case VT_ALG_RSA2048:
        case VT_ALG_RSA3072:
        case VT_ALG_RSA4096:
        case VT_ALG_P256:
        case VT_ALG_P384:
        case VT_ALG_ED25519:
        case VT_ALG_X25519:
                return 1;
        default:
                return 0;
        }
}

static int is_rsa(uint8_t alg)
{
        return alg == VT_ALG_RSA1024 || alg == VT_ALG_RSA2048 || alg == VT_ALG_RSA3072 ||
               alg == VT_ALG_RSA4096;
}

static int is_ec(uint8_t alg)
{
        return alg == VT_ALG_P256 || alg == VT_ALG_P384;
}

static size_t field_size(EVP_PKEY *key)
{
        return ((size_t)EVP_PKEY_get_bits(key) + 7) / 8;
}

static int rsa_raw(EVP_PKEY *key, const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
        if (inlen != (size_t)EVP_PKEY_get_size(key) || inlen > VT_KEYOP_MAX)
                return VT_KEYOP_BAD_INPUT;
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        int r = VT_KEYOP_FAILED;
        *outlen = VT_KEYOP_MAX;
        if (ctx && EVP_PKEY_decrypt_init(ctx) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1)
                /* the only way a raw operation fails is an input not below the modulus */
                r = EVP_PKEY_decrypt(ctx, out, outlen, in, inlen) == 1 ? VT_KEYOP_OK
                                                                       : VT_KEYOP_BAD_INPUT;
        EVP_PKEY_CTX_free(ctx);
        return r;
}

static int ecdsa(EVP_PKEY *key, const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
        uint8_t hash[66] = {0};
        size_t fs = field_size(key);
        if (fs > sizeof(hash) || inlen == 0)
                return VT_KEYOP_BAD_INPUT;
        if (inlen >= fs)
                memcpy(hash, in, fs); /* the leftmost bits, as ECDSA truncates */
        else
                memcpy(hash + fs - inlen, in, inlen);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        int r = VT_KEYOP_FAILED;
        *outlen = VT_KEYOP_MAX;
        if (ctx && EVP_PKEY_sign_init(ctx) == 1 && EVP_PKEY_sign(ctx, out, outlen, hash, fs) == 1)
                r = VT_KEYOP_OK;
        EVP_PKEY_CTX_free(ctx);
        return r;
}

static int ed25519(EVP_PKEY *key, const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        int r = VT_KEYOP_FAILED;
        *outlen = VT_KEYOP_MAX;
        if (ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
            EVP_DigestSign(ctx, out, outlen, in, inlen) == 1)
                r = VT_KEYOP_OK;
        EVP_MD_CTX_free(ctx);
        return r;
}

int vt_keyop_private(EVP_PKEY *key, uint8_t alg, const uint8_t *in, size_t inlen,
                     uint8_t out[VT_KEYOP_MAX], size_t *outlen)
{
        if (is_rsa(alg))
                return rsa_raw(key, in, inlen, out, outlen);
        if (is_ec(alg))
                return ecdsa(key, in, inlen, out, outlen);
        if (alg == VT_ALG_ED25519)
                return ed25519(key, in, inlen, out, outlen);
        return VT_KEYOP_BAD_INPUT; /* X25519 cannot sign */
}

/* The peer's public key as an EVP_PKEY of the same type as key. */
static EVP_PKEY *peer_key(EVP_PKEY *key, uint8_t alg, const uint8_t *peer, size_t peerlen)
{
        if (alg == VT_ALG_X25519)
                return peerlen == 32 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32)
                                     : NULL;
        if (peerlen != 2 * field_size(key) + 1 || peer[0] != 0x04)
                return NULL;
        char group[32];
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                           NULL) != 1)
                return NULL;
        OSSL_PARAM params[] = {
            OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
            OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)peer, peerlen),
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

int vt_keyop_agree(EVP_PKEY *key, uint8_t alg, const uint8_t *peer, size_t peerlen,
                   uint8_t out[VT_KEYOP_MAX], size_t *outlen)
{
        if (!is_ec(alg) && alg != VT_ALG_X25519)
                return VT_KEYOP_BAD_INPUT;
        EVP_PKEY *pk = peer_key(key, alg, peer, peerlen);
        if (!pk)
                return VT_KEYOP_BAD_INPUT;
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        int r = VT_KEYOP_FAILED;
        *outlen = VT_KEYOP_MAX;
        if (ctx && EVP_PKEY_derive_init(ctx) == 1) {
                /* a point off the curve or a small-order X25519 key fails here */
                r = EVP_PKEY_derive_set_peer(ctx, pk) == 1 && EVP_PKEY_derive(ctx, out, outlen) == 1
                        ? VT_KEYOP_OK
                        : VT_KEYOP_BAD_INPUT;
        }
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pk);
        return r;
}

static void write_bn(struct writer *w, uint32_t tag, EVP_PKEY *key, const char *name)
{
        BIGNUM *bn = NULL;
        uint8_t buf[VT_KEYOP_MAX];
        int n;
        if (EVP_PKEY_get_bn_param(key, name, &bn) != 1 || (n = BN_num_bytes(bn)) > VT_KEYOP_MAX) {
                w->err = true;
        } else {
                BN_bn2bin(bn, buf);
                wr_tlv(w, tag, buf, (size_t)n);
        }
        BN_free(bn);
}

int vt_keyop_write_public(EVP_PKEY *key, uint8_t alg, struct writer *w)
{
        uint8_t pub[2 * 66 + 1];
        size_t len = sizeof(pub);
        size_t mark = wr_open(w, TAG_PUBLIC_KEY);
        if (is_rsa(alg)) {
                write_bn(w, TAG_RSA_N, key, OSSL_PKEY_PARAM_RSA_N);
                write_bn(w, TAG_RSA_E, key, OSSL_PKEY_PARAM_RSA_E);
        } else if (is_ec(alg)) {
                if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
                                                    sizeof(pub), &len) != 1)
                        return -1;
                wr_tlv(w, TAG_POINT, pub, len);
        } else {
                if (EVP_PKEY_get_raw_public_key(key, pub, &len) != 1)
                        return -1;
                wr_tlv(w, TAG_POINT, pub, len);
        }
        wr_close(w, mark);
        return w->err ? -1 : 0;
}
