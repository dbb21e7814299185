/* SPDX-License-Identifier: Apache-2.0 */
#include "keyops.h"

#include "piv_state.h"
#include "keygen.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <string.h>

#define TAG_RSA_N 0x81
#define TAG_RSA_E 0x82
#define TAG_POINT 0x86

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
        int n;
        if (EVP_PKEY_get_bn_param(key, name, &bn) != 1 || (n = BN_num_bytes(bn)) > VT_KEYOP_MAX) {
                w->err = true;
        } else {
                uint8_t buf[VT_KEYOP_MAX];
                BN_bn2bin(bn, buf);
                wr_tlv(w, tag, buf, (size_t)n);
        }
        BN_free(bn);
}

int vt_keyop_write_public(EVP_PKEY *key, uint8_t alg, uint32_t wrap, struct writer *w)
{
        uint8_t pub[2 * 66 + 1];
        size_t len = sizeof(pub);
        size_t mark = wr_open(w, wrap);
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

/* ---- import ------------------------------------------------------------------------------ */

#define TAG_IMPORT_P       0x01
#define TAG_IMPORT_Q       0x02
#define TAG_IMPORT_EC      0x06
#define TAG_IMPORT_ED25519 0x07
#define TAG_IMPORT_X25519  0x08

static BIGNUM *find_bn(struct reader data, uint32_t tag)
{
        struct reader v;
        if (rd_find(data, tag, &v) != 0 || v.left == 0 || v.left > VT_KEYOP_MAX)
                return NULL;
        return BN_bin2bn(v.p, (int)v.left, NULL);
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
        OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
        EVP_PKEY *key = NULL;
        if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
            EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) != 1)
                key = NULL;
        EVP_PKEY_CTX_free(ctx);
        OSSL_PARAM_free(params);
        return key;
}

/* The whole RSA private key from its primes, with e = 65537. */
static EVP_PKEY *import_rsa(struct reader data)
{
        BIGNUM *p = find_bn(data, TAG_IMPORT_P), *q = find_bn(data, TAG_IMPORT_Q);
        BIGNUM *n = BN_new(), *e = BN_new(), *d = BN_new(), *p1 = BN_new(), *q1 = BN_new();
        BIGNUM *phi = BN_new(), *dp = BN_new(), *dq = BN_new(), *qinv = BN_new();
        BN_CTX *bc = BN_CTX_new();
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        EVP_PKEY *key = NULL;
        if (p && q && n && e && d && p1 && q1 && phi && dp && dq && qinv && bc && bld &&
            BN_set_word(e, RSA_F4) && BN_mul(n, p, q, bc) && BN_sub(p1, p, BN_value_one()) &&
            BN_sub(q1, q, BN_value_one()) && BN_mul(phi, p1, q1, bc) &&
            BN_mod_inverse(d, e, phi, bc) && BN_mod(dp, d, p1, bc) && BN_mod(dq, d, q1, bc) &&
            BN_mod_inverse(qinv, q, p, bc) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv))
                key = from_params("RSA", bld);
        OSSL_PARAM_BLD_free(bld);
        BN_CTX_free(bc);
        BN_free(n);
        BN_free(e);
        BN_clear_free(p);
        BN_clear_free(q);
        BN_clear_free(d);
        BN_clear_free(p1);
        BN_clear_free(q1);
        BN_clear_free(phi);
        BN_clear_free(dp);
        BN_clear_free(dq);
        BN_clear_free(qinv);
        return key;
}

/* An EC private key with its public point d*G. */
static EVP_PKEY *import_ec(uint8_t alg, struct reader data)
{
        const char *curve = alg == VT_ALG_P256 ? "prime256v1" : "secp384r1";
        int nid = alg == VT_ALG_P256 ? NID_X9_62_prime256v1 : NID_secp384r1;
        size_t fs = alg == VT_ALG_P256 ? 32 : 48;
        struct reader v;
        if (rd_find(data, TAG_IMPORT_EC, &v) != 0 || v.left != fs)
                return NULL;
        EC_GROUP *group = EC_GROUP_new_by_curve_name(nid);
        EC_POINT *pub = group ? EC_POINT_new(group) : NULL;
        BIGNUM *d = BN_bin2bn(v.p, (int)v.left, NULL);
        BN_CTX *bc = BN_CTX_new();
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        uint8_t point[2 * 48 + 1];
        size_t plen = 0;
        EVP_PKEY *key = NULL;
        if (pub && d && bc && bld && !BN_is_zero(d) && BN_cmp(d, EC_GROUP_get0_order(group)) < 0 &&
            EC_POINT_mul(group, pub, d, NULL, NULL, bc) &&
            (plen = EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED, point,
                                       sizeof(point), bc)) > 0 &&
            OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) &&
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, plen))
                key = from_params("EC", bld);
        OSSL_PARAM_BLD_free(bld);
        BN_CTX_free(bc);
        BN_clear_free(d);
        EC_POINT_free(pub);
        EC_GROUP_free(group);
        return key;
}

static EVP_PKEY *import_raw(int type, uint32_t tag, struct reader data)
{
        struct reader v;
        if (rd_find(data, tag, &v) != 0 || v.left != 32)
                return NULL;
        return EVP_PKEY_new_raw_private_key(type, NULL, v.p, v.left);
}

EVP_PKEY *vt_keyop_import(uint8_t alg, struct reader data)
{
        EVP_PKEY *key = NULL;
        if (is_rsa(alg))
                key = import_rsa(data);
        else if (is_ec(alg))
                key = import_ec(alg, data);
        else if (alg == VT_ALG_ED25519)
                key = import_raw(EVP_PKEY_ED25519, TAG_IMPORT_ED25519, data);
        else if (alg == VT_ALG_X25519)
                key = import_raw(EVP_PKEY_X25519, TAG_IMPORT_X25519, data);
        if (key && vt_key_alg(key) != alg) { /* RSA primes of another size */
                EVP_PKEY_free(key);
                key = NULL;
        }
        return key;
}
