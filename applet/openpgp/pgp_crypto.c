/* SPDX-License-Identifier: Apache-2.0 */
#include "pgp_crypto.h"

#include <openssl/crypto.h>

#include <string.h>

#define TAG_PUBLIC 0x7F49
#define TAG_POINT  0x86
#define TAG_E      0x91
#define TAG_P      0x92 /* also a curve's private key */
#define TAG_Q      0x93
#define TAG_EC_PUB 0x99
#define TAG_ECDH   0xA6
#define DJB_PREFIX 0x40 /* OpenPGP's prefix of a native Curve25519 point */

static enum vt_crypto_kind kind_of(const struct pgp_alg *alg)
{
        return vt_crypto_info(alg->alg)->kind;
}

EVP_PKEY *pgp_key_generate(const struct pgp_alg *alg)
{
        return vt_crypto_generate(alg->alg);
}

int pgp_write_public(EVP_PKEY *key, struct writer *w)
{
        return vt_crypto_write_public(key, TAG_PUBLIC, w);
}

int pgp_sign(EVP_PKEY *key, const struct pgp_alg *alg, const uint8_t *in, size_t inlen,
             uint8_t out[VT_CRYPTO_MAX], size_t *outlen)
{
        /* a hash of at most SHA-512 for ECDSA */
        if (kind_of(alg) == VT_KIND_EC && inlen > 64)
                return VT_CRYPTO_BAD_INPUT;
        return vt_crypto_sign(key, alg->alg, VT_SIGN_EC_PLAIN, in, inlen, out, outlen);
}

/* A Curve25519 point may come with OpenPGP's prefix 40. */
static struct reader strip_djb(const struct pgp_alg *alg, const uint8_t *p, size_t len)
{
        if (kind_of(alg) != VT_KIND_EC && len == 33 && p[0] == DJB_PREFIX)
                return rd_init(p + 1, 32);
        return rd_init(p, len);
}

/* ECDH with A6 { 7F49 { 86 point } }. */
static int ecdh(EVP_PKEY *key, const struct pgp_alg *alg, const uint8_t *in, size_t inlen,
                uint8_t *out, size_t *outlen)
{
        struct reader r = rd_init(in, inlen), a6, pub, pt;
        uint32_t tag;
        if (rd_tlv(&r, &tag, &a6) != 0 || tag != TAG_ECDH || rd_tlv(&a6, &tag, &pub) != 0 ||
            tag != TAG_PUBLIC || rd_find(pub, TAG_POINT, &pt) != 0)
                return VT_CRYPTO_BAD_INPUT;
        struct reader peer = strip_djb(alg, pt.p, pt.left);
        return vt_crypto_agree(key, alg->alg, peer.p, peer.left, out, outlen);
}

int pgp_decipher(EVP_PKEY *key, const struct pgp_alg *alg, const uint8_t *in, size_t inlen,
                 uint8_t out[VT_CRYPTO_MAX], size_t *outlen)
{
        if (kind_of(alg) == VT_KIND_RSA) {
                /* the padding indicator 00, then the cryptogram as long as the modulus */
                if (inlen < 1 || in[0] != 0x00)
                        return VT_CRYPTO_BAD_INPUT;
                return vt_crypto_rsa_decrypt(key, in + 1, inlen - 1, out, outlen);
        }
        if (alg->dec_type != PGP_ATTR_ECDH)
                return VT_CRYPTO_BAD_INPUT;
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

static struct reader bytes_of(const struct part *pt)
{
        return pt ? rd_init(pt->p, pt->len) : rd_init(NULL, 0);
}

/* Whether the public key given with an import (99) is the private key's. */
static bool public_fits(EVP_PKEY *key, const struct pgp_alg *alg, const struct part *pub)
{
        uint8_t buf[VT_CRYPTO_POINT_MAX];
        size_t len;
        struct reader given = strip_djb(alg, pub->p, pub->len);
        return vt_crypto_public_point(key, buf, &len) == 0 && given.left == len &&
               memcmp(given.p, buf, len) == 0;
}

EVP_PKEY *pgp_key_import(const struct pgp_alg *alg, struct reader tmpl, struct reader data)
{
        struct part parts[IMPORT_PARTS];
        const struct part *pub;
        struct vt_key_parts k = {0};
        size_t np;
        EVP_PKEY *key;
        if (cut(tmpl, data, parts, &np) != 0)
                return NULL;
        if (kind_of(alg) == VT_KIND_RSA) {
                k.e = bytes_of(part_of(parts, np, TAG_E));
                k.p = bytes_of(part_of(parts, np, TAG_P));
                k.q = bytes_of(part_of(parts, np, TAG_Q));
                if (!k.e.left) /* e is not optional here */
                        return NULL;
        } else {
                k.priv = bytes_of(part_of(parts, np, TAG_P));
        }
        key = vt_crypto_import(alg->alg, &k);
        if (key && kind_of(alg) != VT_KIND_RSA && (pub = part_of(parts, np, TAG_EC_PUB)) &&
            !public_fits(key, alg, pub)) {
                EVP_PKEY_free(key);
                key = NULL;
        }
        return key;
}
