/* SPDX-License-Identifier: Apache-2.0 */
#include "pgp_crypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <string.h>

#define TAG_PUBLIC  0x7F49
#define TAG_RSA_N   0x81
#define TAG_RSA_E   0x82
#define TAG_POINT   0x86
#define TAG_E       0x91
#define TAG_P       0x92 /* also a curve's private key */
#define TAG_Q       0x93
#define TAG_EC_PUB  0x99
#define TAG_ECDH    0xA6
#define DJB_PREFIX  0x40 /* OpenPGP's prefix of a native Curve25519 point */
#define EC_POINT_MX (2 * 48 + 1)

EVP_PKEY *pgp_key_generate(const struct pgp_alg *alg)
{
        if (alg->rsa_bits)
                return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)alg->rsa_bits);
        if (alg->oid_len && strcmp(alg->group, "ED25519") != 0 && strcmp(alg->group, "X25519") != 0)
                return EVP_PKEY_Q_keygen(NULL, NULL, "EC", alg->group);
        return EVP_PKEY_Q_keygen(NULL, NULL, alg->group);
}

static bool is_ec(const struct pgp_alg *alg)
{
        return !alg->rsa_bits && strcmp(alg->group, "ED25519") != 0 &&
               strcmp(alg->group, "X25519") != 0;
}

static void write_bn(struct writer *w, uint32_t tag, EVP_PKEY *key, const char *name)
{
        BIGNUM *bn = NULL;
        uint8_t buf[VT_KEYOP_MAX] = {0};
        if (EVP_PKEY_get_bn_param(key, name, &bn) != 1 || BN_num_bytes(bn) > VT_KEYOP_MAX)
                w->err = true;
        else
                wr_tlv(w, tag, buf, (size_t)BN_bn2bin(bn, buf));
        BN_free(bn);
}

int pgp_write_public(EVP_PKEY *key, const struct pgp_alg *alg, struct writer *w)
{
        uint8_t pub[EC_POINT_MX];
        size_t len = sizeof(pub);
        size_t mark = wr_open(w, TAG_PUBLIC);
        if (alg->rsa_bits) {
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

/* ---- signatures ---------------------------------------------------------------------------- */

static int rsa_sign(EVP_PKEY *key, const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        size_t size = (size_t)EVP_PKEY_get_size(key);
        int r = VT_KEYOP_FAILED;
        /* PKCS#1 v1.5 type 1 padding takes 11 bytes */
        if (inlen == 0 || inlen + 11 > size || size > VT_KEYOP_MAX)
                r = VT_KEYOP_BAD_INPUT;
        else if (ctx && EVP_PKEY_sign_init(ctx) == 1 &&
                 EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
                 (*outlen = VT_KEYOP_MAX, EVP_PKEY_sign(ctx, out, outlen, in, inlen) == 1))
                r = VT_KEYOP_OK;
        EVP_PKEY_CTX_free(ctx);
        return r;
}

static int ecdsa_sign(EVP_PKEY *key, const struct pgp_alg *alg, const uint8_t *in, size_t inlen,
                      uint8_t *out, size_t *outlen)
{
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        uint8_t der[VT_KEYOP_MAX];
        size_t derlen = sizeof(der);
        const uint8_t *p = der;
        ECDSA_SIG *sig = NULL;
        int r = VT_KEYOP_FAILED;
        if (inlen == 0 || inlen > 64) {
                r = VT_KEYOP_BAD_INPUT;
        } else if (ctx && EVP_PKEY_sign_init(ctx) == 1 &&
                   EVP_PKEY_sign(ctx, der, &derlen, in, inlen) == 1 &&
                   (sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) &&
                   BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, alg->field) == alg->field &&
                   BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + alg->field, alg->field) ==
                       alg->field) {
                *outlen = 2 * (size_t)alg->field;
                r = VT_KEYOP_OK;
        }
        ECDSA_SIG_free(sig);
        EVP_PKEY_CTX_free(ctx);
        return r;
}

static int eddsa_sign(EVP_PKEY *key, const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        int r = VT_KEYOP_FAILED;
        *outlen = VT_KEYOP_MAX;
        if (m && EVP_DigestSignInit(m, NULL, NULL, NULL, key) == 1 &&
            EVP_DigestSign(m, out, outlen, in, inlen) == 1)
                r = VT_KEYOP_OK;
        EVP_MD_CTX_free(m);
        return r;
}

int pgp_sign(EVP_PKEY *key, const struct pgp_alg *alg, const uint8_t *in, size_t inlen,
             uint8_t out[VT_KEYOP_MAX], size_t *outlen)
{
        if (alg->rsa_bits)
                return rsa_sign(key, in, inlen, out, outlen);
        if (is_ec(alg))
                return ecdsa_sign(key, alg, in, inlen, out, outlen);
        if (strcmp(alg->group, "ED25519") == 0)
                return eddsa_sign(key, in, inlen, out, outlen);
        return VT_KEYOP_BAD_INPUT; /* X25519 cannot sign */
}

/* ---- decryption ---------------------------------------------------------------------------- */

static int rsa_decipher(EVP_PKEY *key, const uint8_t *in, size_t inlen, uint8_t *out,
                        size_t *outlen)
{
        EVP_PKEY_CTX *ctx;
        int r = VT_KEYOP_BAD_INPUT;
        /* the padding indicator 00, then the cryptogram as long as the modulus */
        if (inlen != (size_t)EVP_PKEY_get_size(key) + 1 || in[0] != 0x00)
                return VT_KEYOP_BAD_INPUT;
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        *outlen = VT_KEYOP_MAX;
        if (ctx && EVP_PKEY_decrypt_init(ctx) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
            EVP_PKEY_decrypt(ctx, out, outlen, in + 1, inlen - 1) == 1)
                r = VT_KEYOP_OK;
        EVP_PKEY_CTX_free(ctx);
        return r;
}

static EVP_PKEY *peer_of(const struct pgp_alg *alg, const uint8_t *pt, size_t len)
{
        if (!is_ec(alg)) {
                if (len == 33 && pt[0] == DJB_PREFIX)
                        pt++, len--;
                return len == 32 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pt, 32)
                                 : NULL;
        }
        if (len != 2 * (size_t)alg->field + 1 || pt[0] != 0x04)
                return NULL;
        OSSL_PARAM params[] = {
            OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)alg->group, 0),
            OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pt, len),
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

static int ecdh(EVP_PKEY *key, const struct pgp_alg *alg, const uint8_t *in, size_t inlen,
                uint8_t *out, size_t *outlen)
{
        struct reader r = rd_init(in, inlen), a6, pub, pt;
        uint32_t tag;
        EVP_PKEY *peer;
        EVP_PKEY_CTX *ctx;
        int res = VT_KEYOP_BAD_INPUT;
        if (rd_tlv(&r, &tag, &a6) != 0 || tag != TAG_ECDH || rd_tlv(&a6, &tag, &pub) != 0 ||
            tag != TAG_PUBLIC || rd_find(pub, TAG_POINT, &pt) != 0 ||
            !(peer = peer_of(alg, pt.p, pt.left)))
                return VT_KEYOP_BAD_INPUT;
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        *outlen = VT_KEYOP_MAX;
        if (!ctx || EVP_PKEY_derive_init(ctx) != 1)
                res = VT_KEYOP_FAILED;
        else if (EVP_PKEY_derive_set_peer(ctx, peer) == 1 && EVP_PKEY_derive(ctx, out, outlen) == 1)
                res = VT_KEYOP_OK; /* a point off the curve fails above */
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(peer);
        return res;
}

int pgp_decipher(EVP_PKEY *key, const struct pgp_alg *alg, const uint8_t *in, size_t inlen,
                 uint8_t out[VT_KEYOP_MAX], size_t *outlen)
{
        if (alg->rsa_bits)
                return rsa_decipher(key, in, inlen, out, outlen);
        if (alg->dec_type != PGP_ATTR_ECDH)
                return VT_KEYOP_BAD_INPUT;
        return ecdh(key, alg, in, inlen, out, outlen);
}

/* ---- import -------------------------------------------------------------------------------- */

/* One tag and length of an extended header list (no value follows). */
static int rd_tag_len(struct reader *r, uint32_t *tag, size_t *len)
{
        struct reader s = *r;
        uint8_t b, n;
        *tag = 0;
        if (rd_u8(&s, &b) != 0)
                return -1;
        *tag = b;
        if ((b & 0x1F) == 0x1F) {
                if (rd_u8(&s, &b) != 0)
                        return -1;
                *tag = *tag << 8 | b;
        }
        if (rd_u8(&s, &n) != 0)
                return -1;
        if (n < 0x80) {
                *len = n;
        } else if (n == 0x81 || n == 0x82) {
                *len = 0;
                for (int i = 0x80; i < n; i++) {
                        if (rd_u8(&s, &b) != 0)
                                return -1;
                        *len = *len << 8 | b;
                }
        } else {
                return -1;
        }
        *r = s;
        return 0;
}

#define IMPORT_PARTS 8

struct part {
        uint32_t tag;
        const uint8_t *p;
        size_t len;
};

/* Cuts data along the template; -1 when they do not fit each other. */
static int cut(struct reader tmpl, struct reader data, struct part parts[IMPORT_PARTS], size_t *n)
{
        *n = 0;
        while (tmpl.left) {
                struct part *pt = &parts[*n];
                if (*n == IMPORT_PARTS || rd_tag_len(&tmpl, &pt->tag, &pt->len) != 0 ||
                    rd_bytes(&data, pt->len, &pt->p) != 0)
                        return -1;
                (*n)++;
        }
        return data.left == 0 ? 0 : -1;
}

static const struct part *part_of(const struct part *parts, size_t n, uint32_t tag)
{
        for (size_t i = 0; i < n; i++)
                if (parts[i].tag == tag && parts[i].len > 0)
                        return &parts[i];
        return NULL;
}

static BIGNUM *bn_of(const struct part *pt)
{
        return pt && pt->len <= VT_KEYOP_MAX ? BN_bin2bn(pt->p, (int)pt->len, NULL) : NULL;
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

/* RSA from e, p and q: n, d and the CRT values are computed. */
static EVP_PKEY *import_rsa(const struct part *parts, size_t np)
{
        BIGNUM *e = bn_of(part_of(parts, np, TAG_E)), *p = bn_of(part_of(parts, np, TAG_P));
        BIGNUM *q = bn_of(part_of(parts, np, TAG_Q));
        BIGNUM *n = BN_new(), *d = BN_new(), *p1 = BN_new(), *q1 = BN_new(), *phi = BN_new();
        BIGNUM *dp = BN_new(), *dq = BN_new(), *qinv = BN_new();
        BN_CTX *bc = BN_CTX_new();
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        EVP_PKEY *key = NULL;
        if (e && p && q && n && d && p1 && q1 && phi && dp && dq && qinv && bc && bld &&
            BN_is_odd(e) && BN_mul(n, p, q, bc) && BN_sub(p1, p, BN_value_one()) &&
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

/* An EC key from its scalar, with the public point d*G. */
static EVP_PKEY *import_ec(const struct pgp_alg *alg, const struct part *d_part)
{
        EC_GROUP *group = EC_GROUP_new_by_curve_name(OBJ_sn2nid(alg->group));
        EC_POINT *pub = group ? EC_POINT_new(group) : NULL;
        BIGNUM *d = d_part->len <= alg->field ? bn_of(d_part) : NULL;
        BN_CTX *bc = BN_CTX_new();
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        uint8_t point[EC_POINT_MX];
        size_t plen = 0;
        EVP_PKEY *key = NULL;
        if (pub && d && bc && bld && !BN_is_zero(d) && BN_cmp(d, EC_GROUP_get0_order(group)) < 0 &&
            EC_POINT_mul(group, pub, d, NULL, NULL, bc) &&
            (plen = EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED, point,
                                       sizeof(point), bc)) > 0 &&
            OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, alg->group, 0) &&
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
static EVP_PKEY *import_raw(const struct pgp_alg *alg, const struct part *d_part)
{
        int type = strcmp(alg->group, "ED25519") == 0 ? EVP_PKEY_ED25519 : EVP_PKEY_X25519;
        uint8_t raw[32] = {0};
        EVP_PKEY *key;
        if (d_part->len > sizeof(raw))
                return NULL;
        /* a value with its leading zeros dropped, as an MPI has it */
        memcpy(raw + sizeof(raw) - d_part->len, d_part->p, d_part->len);
        key = EVP_PKEY_new_raw_private_key(type, NULL, raw, sizeof(raw));
        OPENSSL_cleanse(raw, sizeof(raw));
        return key;
}

/* Whether the public key given with an import (99) is the private key's. */
static bool public_fits(EVP_PKEY *key, const struct pgp_alg *alg, const struct part *pub)
{
        uint8_t buf[EC_POINT_MX];
        size_t len = sizeof(buf);
        const uint8_t *p = pub->p;
        size_t plen = pub->len;
        int ok = is_ec(alg) ? EVP_PKEY_get_octet_string_param(
                                  key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf, sizeof(buf), &len)
                            : EVP_PKEY_get_raw_public_key(key, buf, &len);
        if (!is_ec(alg) && plen == 33 && p[0] == DJB_PREFIX)
                p++, plen--;
        return ok == 1 && plen == len && memcmp(p, buf, len) == 0;
}

EVP_PKEY *pgp_key_import(const struct pgp_alg *alg, struct reader tmpl, struct reader data)
{
        struct part parts[IMPORT_PARTS];
        const struct part *d, *pub;
        size_t np;
        EVP_PKEY *key = NULL;
        if (cut(tmpl, data, parts, &np) != 0)
                return NULL;
        if (alg->rsa_bits) {
                key = import_rsa(parts, np);
        } else if ((d = part_of(parts, np, TAG_P))) {
                key = is_ec(alg) ? import_ec(alg, d) : import_raw(alg, d);
                if (key && (pub = part_of(parts, np, TAG_EC_PUB)) && !public_fits(key, alg, pub)) {
                        EVP_PKEY_free(key);
                        key = NULL;
                }
        }
        /* RSA primes of another size */
        if (key && pgp_alg_of_key(key, PGP_SIG) != alg && pgp_alg_of_key(key, PGP_DEC) != alg) {
                EVP_PKEY_free(key);
                key = NULL;
        }
        return key;
}
