/* SPDX-License-Identifier: Apache-2.0 */
/* Private keys from their raw parts, and public keys out of them. */
#include "crypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <string.h>

#define TAG_RSA_N 0x81
#define TAG_RSA_E 0x82
#define TAG_POINT 0x86

static BIGNUM *bn_of(struct reader b)
{
        return b.p && b.left > 0 && b.left <= VT_CRYPTO_MAX ? BN_bin2bn(b.p, (int)b.left, NULL)
                                                            : NULL;
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

/* The whole RSA private key from e, p and q: n, d and the CRT values are computed. */
static EVP_PKEY *import_rsa(const struct vt_key_parts *k)
{
        BIGNUM *e = k->e.left ? bn_of(k->e) : BN_new(), *p = bn_of(k->p), *q = bn_of(k->q);
        BIGNUM *n = BN_new(), *d = BN_new(), *p1 = BN_new(), *q1 = BN_new(), *phi = BN_new();
        BIGNUM *dp = BN_new(), *dq = BN_new(), *qinv = BN_new();
        BN_CTX *bc = BN_CTX_new();
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        EVP_PKEY *key = NULL;
        if (e && p && q && n && d && p1 && q1 && phi && dp && dq && qinv && bc && bld &&
            (k->e.left || BN_set_word(e, RSA_F4)) && BN_is_odd(e) && BN_mul(n, p, q, bc) &&
            BN_sub(p1, p, BN_value_one()) && BN_sub(q1, q, BN_value_one()) &&
            BN_mul(phi, p1, q1, bc) && BN_mod_inverse(d, e, phi, bc) && BN_mod(dp, d, p1, bc) &&
            BN_mod(dq, d, q1, bc) && BN_mod_inverse(qinv, q, p, bc) &&
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

/* An EC private key from its scalar, with its public point d*G. */
static EVP_PKEY *import_ec(const struct vt_crypto_info *a, struct reader priv)
{
        EC_GROUP *group = EC_GROUP_new_by_curve_name(OBJ_sn2nid(a->group));
        EC_POINT *pub = group ? EC_POINT_new(group) : NULL;
        BIGNUM *d = priv.left <= a->size ? bn_of(priv) : NULL;
        BN_CTX *bc = BN_CTX_new();
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        uint8_t point[VT_CRYPTO_POINT_MAX];
        size_t plen = 0;
        EVP_PKEY *key = NULL;
        if (pub && d && bc && bld && !BN_is_zero(d) && BN_cmp(d, EC_GROUP_get0_order(group)) < 0 &&
            EC_POINT_mul(group, pub, d, NULL, NULL, bc) &&
            (plen = EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED, point,
                                       sizeof(point), bc)) > 0 &&
            OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, a->group, 0) &&
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

/* Ed25519 and X25519 from the raw private key. */
static EVP_PKEY *import_raw(const struct vt_crypto_info *a, struct reader priv)
{
        uint8_t raw[32] = {0};
        EVP_PKEY *key;
        if (!priv.p || priv.left == 0 || priv.left > sizeof(raw))
                return NULL;
        /* a value with its leading zeros dropped, as an MPI has it */
        memcpy(raw + sizeof(raw) - priv.left, priv.p, priv.left);
        key = EVP_PKEY_new_raw_private_key_ex(NULL, a->group, NULL, raw, sizeof(raw));
        OPENSSL_cleanse(raw, sizeof(raw));
        return key;
}

EVP_PKEY *vt_crypto_import(enum vt_crypto_alg alg, const struct vt_key_parts *parts)
{
        const struct vt_crypto_info *a = vt_crypto_info(alg);
        EVP_PKEY *key = NULL;
        if (!a)
                return NULL;
        if (a->kind == VT_KIND_RSA)
                key = import_rsa(parts);
        else if (a->kind == VT_KIND_EC)
                key = import_ec(a, parts->priv);
        else
                key = import_raw(a, parts->priv);
        if (key && vt_crypto_alg_of_key(key) != alg) { /* RSA primes of another size */
                EVP_PKEY_free(key);
                key = NULL;
        }
        return key;
}

int vt_crypto_public_point(EVP_PKEY *key, uint8_t out[VT_CRYPTO_POINT_MAX], size_t *len)
{
        *len = VT_CRYPTO_POINT_MAX;
        if (EVP_PKEY_is_a(key, "EC"))
                return EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out,
                                                       VT_CRYPTO_POINT_MAX, len) == 1
                           ? 0
                           : -1;
        if (EVP_PKEY_is_a(key, "RSA"))
                return -1;
        return EVP_PKEY_get_raw_public_key(key, out, len) == 1 ? 0 : -1;
}

static void write_bn(struct writer *w, uint32_t tag, EVP_PKEY *key, const char *name)
{
        BIGNUM *bn = NULL;
        uint8_t buf[VT_CRYPTO_MAX] = {0};
        if (EVP_PKEY_get_bn_param(key, name, &bn) != 1 || BN_num_bytes(bn) > VT_CRYPTO_MAX)
                w->err = true;
        else
                wr_tlv(w, tag, buf, (size_t)BN_bn2bin(bn, buf));
        BN_free(bn);
}

int vt_crypto_write_public(EVP_PKEY *key, uint32_t wrap, struct writer *w)
{
        uint8_t pub[VT_CRYPTO_POINT_MAX];
        size_t len;
        size_t mark = wr_open(w, wrap);
        if (EVP_PKEY_is_a(key, "RSA")) {
                write_bn(w, TAG_RSA_N, key, OSSL_PKEY_PARAM_RSA_N);
                write_bn(w, TAG_RSA_E, key, OSSL_PKEY_PARAM_RSA_E);
        } else {
                if (vt_crypto_public_point(key, pub, &len) != 0)
                        return -1;
                wr_tlv(w, TAG_POINT, pub, len);
        }
        wr_close(w, mark);
        return w->err ? -1 : 0;
}
