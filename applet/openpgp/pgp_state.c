/* SPDX-License-Identifier: Apache-2.0 */
/* The OpenPGP state in memory: the algorithm and data-object tables, factory condition,
 * copies, and passwords as salted hashes. */
#include "pgp_state.h"

#include <openssl/crypto.h>

#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* clang-format off */
const struct pgp_alg pgp_algs[] = {
    {"rsa2048", PGP_ATTR_RSA, PGP_ATTR_RSA, VT_CRYPTO_RSA2048, {0}, 0},
    {"rsa3072", PGP_ATTR_RSA, PGP_ATTR_RSA, VT_CRYPTO_RSA3072, {0}, 0},
    {"rsa4096", PGP_ATTR_RSA, PGP_ATTR_RSA, VT_CRYPTO_RSA4096, {0}, 0},
    {"nistp256", PGP_ATTR_ECDSA, PGP_ATTR_ECDH, VT_CRYPTO_P256,
     {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07}, 8},
    {"nistp384", PGP_ATTR_ECDSA, PGP_ATTR_ECDH, VT_CRYPTO_P384,
     {0x2B, 0x81, 0x04, 0x00, 0x22}, 5},
    {"brainpoolP256r1", PGP_ATTR_ECDSA, PGP_ATTR_ECDH, VT_CRYPTO_BP256,
     {0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07}, 9},
    {"brainpoolP384r1", PGP_ATTR_ECDSA, PGP_ATTR_ECDH, VT_CRYPTO_BP384,
     {0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0B}, 9},
    {"ed25519", PGP_ATTR_EDDSA, 0, VT_CRYPTO_ED25519,
     {0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01}, 9},
    {"cv25519", 0, PGP_ATTR_ECDH, VT_CRYPTO_X25519,
     {0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01}, 10},
};
const size_t pgp_n_algs = N(pgp_algs);

const struct pgp_do_info pgp_dos[PGP_N_DOS] = {
    [PGP_DO_NAME] = {0x005B, "name", 39, PGP_ALWAYS, PGP_PW3, false},
    [PGP_DO_LANG] = {0x5F2D, "lang", 8, PGP_ALWAYS, PGP_PW3, false},
    [PGP_DO_SEX] = {0x5F35, "sex", 1, PGP_ALWAYS, PGP_PW3, false},
    [PGP_DO_URL] = {0x5F50, "url", 255, PGP_ALWAYS, PGP_PW3, false},
    [PGP_DO_LOGIN] = {0x005E, "login", 254, PGP_ALWAYS, PGP_PW3, false},
    [PGP_DO_PRIV1] = {0x0101, "private1", 254, PGP_ALWAYS, PGP_PW1, false},
    [PGP_DO_PRIV2] = {0x0102, "private2", 254, PGP_ALWAYS, PGP_PW3, false},
    [PGP_DO_PRIV3] = {0x0103, "private3", 254, PGP_PW1, PGP_PW1, true},
    [PGP_DO_PRIV4] = {0x0104, "private4", 254, PGP_PW3, PGP_PW3, true},
    [PGP_DO_CERT_AUT] = {0x7F21, "cert-aut", 2048, PGP_ALWAYS, PGP_PW3, false},
    [PGP_DO_CERT_DEC] = {0x7F21, "cert-dec", 2048, PGP_ALWAYS, PGP_PW3, false},
    [PGP_DO_CERT_SIG] = {0x7F21, "cert-sig", 2048, PGP_ALWAYS, PGP_PW3, false},
};
/* clang-format on */

static const char *const key_names[PGP_KEYS] = {"sig", "dec", "aut"};

const char *pgp_key_name(int ref)
{
        return ref >= 0 && ref < PGP_KEYS ? key_names[ref] : "?";
}

const struct pgp_alg *pgp_alg_by_name(const char *name)
{
        for (size_t i = 0; i < pgp_n_algs; i++)
                if (strcmp(pgp_algs[i].name, name) == 0)
                        return &pgp_algs[i];
        return NULL;
}

static uint8_t type_for(const struct pgp_alg *alg, int ref)
{
        return ref == PGP_DEC ? alg->dec_type : alg->type;
}

const struct pgp_alg *pgp_alg_of_attr(const uint8_t *attr, size_t len, int ref)
{
        if (len < 1)
                return NULL;
        for (size_t i = 0; i < pgp_n_algs; i++) {
                const struct pgp_alg *a = &pgp_algs[i];
                if (type_for(a, ref) == 0 || type_for(a, ref) != attr[0])
                        continue;
                if (!a->oid_len) {
                        /* 01, modulus bits, exponent bits (17..32), format (00..03) */
                        if (len == 6 && (attr[1] << 8 | attr[2]) == vt_crypto_info(a->alg)->bits &&
                            (attr[3] << 8 | attr[4]) >= 17 && (attr[3] << 8 | attr[4]) <= 32 &&
                            attr[5] <= 3)
                                return a;
                        continue;
                }
                /* type, OID, and an optional FF: the public key comes with an import */
                size_t oid_len = len - 1;
                if (oid_len == (size_t)a->oid_len + 1 && attr[len - 1] == 0xFF)
                        oid_len--;
                if (oid_len == a->oid_len && memcmp(attr + 1, a->oid, oid_len) == 0)
                        return a;
        }
        return NULL;
}

size_t pgp_attr_of_alg(const struct pgp_alg *alg, int ref, uint8_t out[PGP_ATTR_MAX])
{
        out[0] = type_for(alg, ref);
        if (!alg->oid_len) {
                uint16_t bits = vt_crypto_info(alg->alg)->bits;
                out[1] = (uint8_t)(bits >> 8);
                out[2] = (uint8_t)bits;
                out[3] = 0x00;
                out[4] = 0x20; /* a 32-bit exponent field */
                out[5] = 0x00; /* standard format: e, p, q */
                return 6;
        }
        memcpy(out + 1, alg->oid, alg->oid_len);
        return 1 + (size_t)alg->oid_len;
}

const struct pgp_alg *pgp_alg_of_key(EVP_PKEY *key, int ref)
{
        enum vt_crypto_alg c = vt_crypto_alg_of_key(key);
        for (size_t i = 0; c != VT_CRYPTO_NONE && i < pgp_n_algs; i++)
                if (type_for(&pgp_algs[i], ref) != 0 && pgp_algs[i].alg == c)
                        return &pgp_algs[i];
        return NULL;
}

/* ---- passwords ------------------------------------------------------------------------- */

void pgp_pw_set(struct pgp_pw *pw, const uint8_t *value, size_t len)
{
        pw->s.tries_left = len ? pw->s.max_tries : 0;
        pw->len = (uint8_t)len;
        if (!len) {
                memset(pw->s.salt, 0, sizeof(pw->s.salt));
                memset(pw->s.hash, 0, sizeof(pw->s.hash));
                return;
        }
        vt_pin_hash_set(pw->s.salt, pw->s.hash, value, len);
}

bool pgp_pw_matches(const struct pgp_pw *pw, const uint8_t *value, size_t len)
{
        if (pw->len == 0 || len > PGP_PW_MAX)
                return false;
        /* the length is compared after the hash, so a wrong one costs the same time */
        return vt_pin_hash_matches(pw->s.salt, pw->s.hash, value, len) && len == pw->len;
}

bool pgp_pw_acceptable(const struct vt_pin_rules *rules, const uint8_t *value, size_t len)
{
        return vt_pin_rules_allow(rules, PGP_PW_MAX, value, len);
}

/* ---- the state ------------------------------------------------------------------------- */

void pgp_state_factory(struct vt_pgp_state *st)
{
        const struct pgp_alg *rsa = pgp_alg_by_name("rsa2048");
        for (int i = 0; i < PGP_KEYS; i++) {
                struct pgp_key *k = &st->keys[i];
                EVP_PKEY_free(k->key);
                memset(k, 0, sizeof(*k));
                k->attr_len = pgp_attr_of_alg(rsa, i, k->attr);
        }
        for (int i = 0; i < PGP_N_DOS; i++)
                pgp_state_set_do(st, i, NULL, 0);
        st->terminated = false;
        st->pw1_multi = true;
        st->sig_count = 0;
        pgp_pw_set(&st->pw1, (const uint8_t *)"123456", 6);
        pgp_pw_set(&st->pw3, (const uint8_t *)"12345678", 8);
        pgp_pw_set(&st->rc, NULL, 0);
}

struct vt_pgp_state *pgp_state_new(uint16_t manufacturer, uint32_t serial)
{
        struct vt_pgp_state *st = calloc(1, sizeof(*st));
        if (!st)
                return NULL;
        st->manufacturer = manufacturer;
        st->serial = serial;
        st->pw1.s.max_tries = st->rc.s.max_tries = st->pw3.s.max_tries = 3;
        st->pw1_rules = (struct vt_pin_rules){6, PGP_PW_MAX, VT_PIN_CHARS_ANY};
        st->pw3_rules = (struct vt_pin_rules){8, PGP_PW_MAX, VT_PIN_CHARS_ANY};
        pgp_state_factory(st);
        return st;
}

static void free_content(struct vt_pgp_state *st)
{
        for (int i = 0; i < PGP_KEYS; i++)
                EVP_PKEY_free(st->keys[i].key);
        for (int i = 0; i < PGP_N_DOS; i++) {
                OPENSSL_cleanse(st->dos[i].data, st->dos[i].len);
                free(st->dos[i].data);
        }
}

void pgp_state_free(struct vt_pgp_state *st)
{
        if (!st)
                return;
        free_content(st);
        OPENSSL_cleanse(st, sizeof(*st));
        free(st);
}

int pgp_state_set_do(struct vt_pgp_state *st, int index, const uint8_t *data, size_t len)
{
        struct pgp_blob *b = &st->dos[index];
        uint8_t *copy = NULL;
        if (len && !(copy = malloc(len)))
                return -1;
        if (len)
                memcpy(copy, data, len);
        OPENSSL_cleanse(b->data, b->len);
        free(b->data);
        b->data = copy;
        b->len = len;
        return 0;
}

struct vt_pgp_state *pgp_state_clone(const struct vt_pgp_state *st)
{
        struct vt_pgp_state *c = malloc(sizeof(*c));
        if (!c)
                return NULL;
        *c = *st;
        for (int i = 0; i < PGP_N_DOS; i++)
                c->dos[i] = (struct pgp_blob){0};
        for (int i = 0; i < PGP_KEYS; i++)
                if (c->keys[i].key && EVP_PKEY_up_ref(c->keys[i].key) != 1)
                        c->keys[i].key = NULL;
        for (int i = 0; i < PGP_KEYS; i++)
                if (st->keys[i].key && !c->keys[i].key)
                        goto fail;
        for (int i = 0; i < PGP_N_DOS; i++)
                if (pgp_state_set_do(c, i, st->dos[i].data, st->dos[i].len) < 0)
                        goto fail;
        return c;
fail:
        pgp_state_free(c);
        return NULL;
}

void pgp_state_move(struct vt_pgp_state *dst, struct vt_pgp_state *src)
{
        free_content(dst);
        *dst = *src;
        OPENSSL_cleanse(src, sizeof(*src));
        free(src);
}
