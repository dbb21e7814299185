/* SPDX-License-Identifier: Apache-2.0 */
#include "fido_pin.h"

#include "cbor.h"
#include "fido_crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <string.h>

#define PIN_GET_RETRIES                   0x01
#define PIN_GET_KEY_AGREEMENT             0x02
#define PIN_SET                           0x03
#define PIN_CHANGE                        0x04
#define PIN_GET_TOKEN                     0x05
#define PIN_GET_TOKEN_PERMS               0x09
#define PIN_FAILS_PER_POWER               3
#define PADDED_PIN                        64
#define CTAP2_ERR_UNAUTHORIZED_PERMISSION 0x40

/* The keys a protocol derives from the ECDH secret. */
struct shared {
        int proto;
        uint8_t hmac[32], aes[32];
};

static int hkdf(const uint8_t *z, const char *info, uint8_t out[32])
{
        static const uint8_t salt[32] = {0};
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
        size_t n = 32;
        int ok = c && EVP_PKEY_derive_init(c) == 1 &&
                 EVP_PKEY_CTX_set_hkdf_md(c, EVP_sha256()) == 1 &&
                 EVP_PKEY_CTX_set1_hkdf_salt(c, salt, sizeof(salt)) == 1 &&
                 EVP_PKEY_CTX_set1_hkdf_key(c, z, 32) == 1 &&
                 EVP_PKEY_CTX_add1_hkdf_info(c, (const uint8_t *)info, (int)strlen(info)) == 1 &&
                 EVP_PKEY_derive(c, out, &n) == 1 && n == 32;
        EVP_PKEY_CTX_free(c);
        return ok ? 0 : -1;
}

static int key_agreement(struct vt_fido *f)
{
        if (!f->ka)
                f->ka = fido_keygen(FIDO_ALG_ES256);
        return f->ka ? 0 : -1;
}

/* The platform's COSE key, ECDH with ours, and the protocol's keys. */
static int shared_of(struct vt_fido *f, struct reader cose, int proto, struct shared *s)
{
        struct reader x = rd_init(NULL, 0), y = rd_init(NULL, 0);
        const uint8_t *xp, *yp;
        size_t n, xl, yl, zl = 32;
        uint8_t pt[65] = {0x04}, z[32];
        EVP_PKEY *peer = NULL;
        EVP_PKEY_CTX *c = NULL;
        int r = -1;
        if (cbor_map(&cose, &n) != 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                int64_t k;
                struct reader v;
                if (cbor_int(&cose, &k) != 0 || cbor_skip(&cose, &v) != 0)
                        return -1;
                if (k == -2)
                        x = v;
                else if (k == -3)
                        y = v;
        }
        if (cbor_bytes(&x, &xp, &xl) != 0 || cbor_bytes(&y, &yp, &yl) != 0 || xl != 32 ||
            yl != 32 || key_agreement(f) != 0)
                return -1;
        memcpy(pt + 1, xp, 32);
        memcpy(pt + 33, yp, 32);
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"P-256", 0),
            OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)),
            OSSL_PARAM_construct_end()};
        c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        if (!c || EVP_PKEY_fromdata_init(c) != 1 ||
            EVP_PKEY_fromdata(c, &peer, EVP_PKEY_PUBLIC_KEY, params) != 1)
                goto out;
        EVP_PKEY_CTX_free(c);
        c = EVP_PKEY_CTX_new(f->ka, NULL);
        if (!c || EVP_PKEY_derive_init(c) != 1 || EVP_PKEY_derive_set_peer(c, peer) != 1 ||
            EVP_PKEY_derive(c, z, &zl) != 1 || zl != 32)
                goto out;
        s->proto = proto;
        if (proto == 1) {
                SHA256(z, 32, s->hmac);
                memcpy(s->aes, s->hmac, 32);
                r = 0;
        } else if (hkdf(z, "CTAP2 HMAC key", s->hmac) == 0 &&
                   hkdf(z, "CTAP2 AES key", s->aes) == 0) {
                r = 0;
        }
out:
        OPENSSL_cleanse(z, sizeof(z));
        EVP_PKEY_free(peer);
        EVP_PKEY_CTX_free(c);
        return r;
}

/* authenticate(key, msg): HMAC-SHA-256, its first 16 bytes in protocol 1. */
static size_t mac(int proto, const uint8_t key[32], const uint8_t *msg, size_t len, uint8_t out[32])
{
        unsigned n = 0;
        static const uint8_t none = 0;
        if (!HMAC(EVP_sha256(), key, 32, len ? msg : &none, len, out, &n) || n != 32)
                return 0;
        return proto == 1 ? 16 : 32;
}

static bool mac_ok(int proto, const uint8_t key[32], const uint8_t *msg, size_t len,
                   const uint8_t *param, size_t param_len)
{
        uint8_t m[32];
        size_t n = mac(proto, key, msg, len, m);
        bool ok = n && n == param_len && CRYPTO_memcmp(m, param, n) == 0;
        OPENSSL_cleanse(m, sizeof(m));
        return ok;
}

/* AES-256-CBC without padding: IV 0 (protocol 1) or random, prepended (protocol 2). */
static int crypt(const struct shared *s, bool enc, const uint8_t *in, size_t len, uint8_t *out,
                 size_t *out_len)
{
        uint8_t iv[16] = {0};
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        int l1 = 0, l2 = 0, ok;
        size_t off = 0;
        if (s->proto == 2) {
                if (enc) {
                        if (RAND_bytes(iv, 16) != 1)
                                goto fail;
                        memcpy(out, iv, 16);
                        off = 16;
                } else {
                        if (len < 16)
                                goto fail;
                        memcpy(iv, in, 16);
                        in += 16;
                        len -= 16;
                }
        }
        if (len == 0 || len % 16)
                goto fail;
        ok = c && EVP_CipherInit_ex(c, EVP_aes_256_cbc(), NULL, s->aes, iv, enc ? 1 : 0) == 1 &&
             EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
             EVP_CipherUpdate(c, out + off, &l1, in, (int)len) == 1 &&
             EVP_CipherFinal_ex(c, out + off + l1, &l2) == 1;
        EVP_CIPHER_CTX_free(c);
        *out_len = off + (size_t)l1 + (size_t)l2;
        return ok ? 0 : -1;
fail:
        EVP_CIPHER_CTX_free(c);
        return -1;
}

static int proto_of(struct reader r, int *proto)
{
        int64_t v;
        if (cbor_int(&r, &v) != 0)
                return CTAP2_ERR_MISSING_PARAMETER;
        if (v != 1 && v != 2)
                return CTAP1_ERR_INVALID_PARAMETER;
        *proto = (int)v;
        return CTAP_OK;
}

static void put_cose_ka(struct writer *w, EVP_PKEY *ka)
{
        uint8_t pt[65];
        if (fido_ec_point(ka, pt) != 0) {
                w->err = true;
                return;
        }
        cbor_put_map(w, 5);
        cbor_put_int(w, 1);
        cbor_put_int(w, 2);
        cbor_put_int(w, 3);
        cbor_put_int(w, -25); /* ECDH-ES + HKDF-256 */
        cbor_put_int(w, -1);
        cbor_put_int(w, 1);
        cbor_put_int(w, -2);
        cbor_put_bytes(w, pt + 1, 32);
        cbor_put_int(w, -3);
        cbor_put_bytes(w, pt + 33, 32);
}

/* The PIN of a decrypted padded PIN: 0 (its length in *len), or PIN_POLICY_VIOLATION. */
static int pin_of(const uint8_t *padded, size_t n, size_t *len, unsigned *code_points)
{
        size_t l = 0;
        unsigned cp = 0;
        if (n != PADDED_PIN)
                return CTAP1_ERR_INVALID_PARAMETER;
        while (l < n && padded[l])
                if ((padded[l++] & 0xC0) != 0x80)
                        cp++;
        *len = l;
        *code_points = cp;
        return cp < FIDO_PIN_MIN || l > 63 ? CTAP2_ERR_PIN_POLICY_VIOLATION : CTAP_OK;
}

struct pin_req {
        int proto;
        int sub;
        struct reader p[11];
        struct shared s;
};

static int set_pin(struct vt_fido *f, struct pin_req *q)
{
        const uint8_t *enc, *auth;
        size_t enc_len, auth_len, plain_len, len;
        unsigned cp;
        uint8_t plain[PADDED_PIN + 16];
        struct vt_fido_state *next;
        int r;
        if (f->st->pin_set)
                return CTAP2_ERR_NOT_ALLOWED;
        if (cbor_bytes(&q->p[5], &enc, &enc_len) != 0 || cbor_bytes(&q->p[4], &auth, &auth_len))
                return CTAP2_ERR_MISSING_PARAMETER;
        if (!mac_ok(q->proto, q->s.hmac, enc, enc_len, auth, auth_len))
                return CTAP2_ERR_PIN_AUTH_INVALID;
        if (enc_len > sizeof(plain) || crypt(&q->s, false, enc, enc_len, plain, &plain_len) != 0)
                return CTAP1_ERR_INVALID_PARAMETER;
        if ((r = pin_of(plain, plain_len, &len, &cp)) != 0 || !(next = fido_state_clone(f->st))) {
                OPENSSL_cleanse(plain, sizeof(plain));
                return r ? r : CTAP1_ERR_OTHER;
        }
        uint8_t h[32];
        SHA256(plain, len, h);
        memcpy(next->pin_hash, h, 16);
        next->pin_set = true;
        next->pin_len = (uint8_t)cp;
        next->pin_tries = FIDO_PIN_TRIES;
        r = fido_commit(f, next) == 0 ? CTAP_OK : CTAP1_ERR_OTHER;
        OPENSSL_cleanse(h, sizeof(h));
        OPENSSL_cleanse(plain, sizeof(plain));
        fido_state_free(next);
        return r;
}

/* pinHashEnc against the PIN: a try spent on disk first, then the comparison; a match gives
 * the tries back. CTAP_OK, or the error to answer. */
static int check_pin(struct vt_fido *f, struct pin_req *q, struct vt_fido_state *next)
{
        const uint8_t *enc;
        size_t enc_len, n;
        uint8_t plain[32];
        bool match;
        struct reader p6 = q->p[6];
        if (cbor_bytes(&p6, &enc, &enc_len) != 0)
                return CTAP2_ERR_MISSING_PARAMETER;
        if (enc_len > sizeof(plain) || crypt(&q->s, false, enc, enc_len, plain, &n) != 0 || n != 16)
                return CTAP1_ERR_INVALID_PARAMETER;
        next->pin_tries--;
        if (fido_commit(f, next) != 0) {
                OPENSSL_cleanse(plain, sizeof(plain));
                return CTAP1_ERR_OTHER;
        }
        match = CRYPTO_memcmp(plain, f->st->pin_hash, 16) == 0;
        OPENSSL_cleanse(plain, sizeof(plain));
        if (!match) {
                EVP_PKEY_free(f->ka); /* a new key agreement after each wrong PIN */
                f->ka = NULL;
                f->pin_fails++;
                if (f->st->pin_tries == 0)
                        return CTAP2_ERR_PIN_BLOCKED;
                return f->pin_fails >= PIN_FAILS_PER_POWER ? CTAP2_ERR_PIN_AUTH_BLOCKED
                                                           : CTAP2_ERR_PIN_INVALID;
        }
        f->pin_fails = 0;
        next->pin_tries = FIDO_PIN_TRIES;
        return CTAP_OK;
}

static int pin_gate(const struct vt_fido *f)
{
        if (!f->st->pin_set)
                return CTAP2_ERR_PIN_NOT_SET;
        if (f->st->pin_tries == 0)
                return CTAP2_ERR_PIN_BLOCKED;
        if (f->pin_fails >= PIN_FAILS_PER_POWER)
                return CTAP2_ERR_PIN_AUTH_BLOCKED;
        return CTAP_OK;
}

static int change_pin(struct vt_fido *f, struct pin_req *q)
{
        const uint8_t *enc, *hash_enc, *auth;
        size_t enc_len, hash_len, auth_len, plain_len, len;
        unsigned cp;
        uint8_t msg[PADDED_PIN + 16 + 48], plain[PADDED_PIN + 16], h[32];
        struct vt_fido_state *next;
        int r;
        if ((r = pin_gate(f)) != 0)
                return r;
        struct reader p5 = q->p[5], p6 = q->p[6], p4 = q->p[4]; /* check_pin reads p[6] too */
        if (cbor_bytes(&p5, &enc, &enc_len) != 0 || cbor_bytes(&p6, &hash_enc, &hash_len) != 0 ||
            cbor_bytes(&p4, &auth, &auth_len) != 0)
                return CTAP2_ERR_MISSING_PARAMETER;
        if (enc_len + hash_len > sizeof(msg))
                return CTAP1_ERR_INVALID_PARAMETER;
        memcpy(msg, enc, enc_len);
        memcpy(msg + enc_len, hash_enc, hash_len);
        if (!mac_ok(q->proto, q->s.hmac, msg, enc_len + hash_len, auth, auth_len))
                return CTAP2_ERR_PIN_AUTH_INVALID;
        if (!(next = fido_state_clone(f->st)))
                return CTAP1_ERR_OTHER;
        if ((r = check_pin(f, q, next)) != 0)
                goto out;
        if (enc_len > sizeof(plain) || crypt(&q->s, false, enc, enc_len, plain, &plain_len) != 0) {
                r = CTAP1_ERR_INVALID_PARAMETER;
                goto out;
        }
        if ((r = pin_of(plain, plain_len, &len, &cp)) != 0)
                goto out;
        SHA256(plain, len, h);
        memcpy(next->pin_hash, h, 16);
        next->pin_len = (uint8_t)cp;
        r = fido_commit(f, next) == 0 ? CTAP_OK : CTAP1_ERR_OTHER;
        f->token_valid = false;
out:
        if (r != CTAP_OK && next->pin_tries == FIDO_PIN_TRIES &&
            f->st->pin_tries != next->pin_tries)
                (void)fido_commit(f, next); /* the right PIN gives the tries back */
        OPENSSL_cleanse(h, sizeof(h));
        OPENSSL_cleanse(plain, sizeof(plain));
        fido_state_free(next);
        return r;
}

static int get_token(struct vt_fido *f, struct pin_req *q, struct writer *w)
{
        uint8_t enc[48];
        size_t enc_len;
        int64_t perms = FIDO_PERM_MC | FIDO_PERM_GA | FIDO_PERM_CM;
        const char *rp = NULL;
        size_t rp_len = 0;
        struct vt_fido_state *next;
        int r;
        if ((r = pin_gate(f)) != 0)
                return r;
        if (q->sub == PIN_GET_TOKEN_PERMS) {
                if (cbor_int(&q->p[9], &perms) != 0)
                        return CTAP2_ERR_MISSING_PARAMETER;
                if (perms == 0)
                        return CTAP1_ERR_INVALID_PARAMETER;
                if (perms & ~(int64_t)(FIDO_PERM_MC | FIDO_PERM_GA | FIDO_PERM_CM))
                        return CTAP2_ERR_UNAUTHORIZED_PERMISSION;
                if (q->p[10].left &&
                    (cbor_text(&q->p[10], &rp, &rp_len) != 0 || rp_len > FIDO_RP_MAX))
                        return CTAP1_ERR_INVALID_PARAMETER;
        }
        if (!(next = fido_state_clone(f->st)))
                return CTAP1_ERR_OTHER;
        if ((r = check_pin(f, q, next)) != 0)
                goto out;
        if (f->st->pin_tries != next->pin_tries && fido_commit(f, next) != 0) {
                r = CTAP1_ERR_OTHER;
                goto out;
        }
        if (RAND_bytes(f->token, sizeof(f->token)) != 1 ||
            crypt(&q->s, true, f->token, sizeof(f->token), enc, &enc_len) != 0) {
                f->token_valid = false;
                r = CTAP1_ERR_OTHER;
                goto out;
        }
        f->token_valid = true;
        f->token_perms = (uint8_t)perms;
        memset(f->token_rp, 0, sizeof(f->token_rp));
        if (rp)
                memcpy(f->token_rp, rp, rp_len);
        cbor_put_map(w, 1);
        cbor_put_uint(w, 2);
        cbor_put_bytes(w, enc, enc_len);
out:
        OPENSSL_cleanse(enc, sizeof(enc));
        fido_state_free(next);
        return r;
}

int fido_client_pin(struct vt_fido *f, struct reader in, struct writer *w)
{
        struct pin_req q;
        int64_t sub;
        int r = CTAP_OK;
        memset(&q, 0, sizeof(q));
        if (cbor_int_map(&in, q.p, sizeof(q.p) / sizeof(q.p[0])) != 0)
                return CTAP2_ERR_INVALID_CBOR;
        if (cbor_int(&q.p[2], &sub) != 0)
                return CTAP2_ERR_MISSING_PARAMETER;
        q.sub = (int)sub;
        if (sub == PIN_GET_RETRIES) {
                cbor_put_map(w, 2);
                cbor_put_uint(w, 3);
                cbor_put_uint(w, f->st->pin_tries);
                cbor_put_uint(w, 4); /* powerCycleState */
                cbor_put_bool(w, f->pin_fails >= PIN_FAILS_PER_POWER);
                return CTAP_OK;
        }
        if ((r = proto_of(q.p[1], &q.proto)) != 0)
                return r;
        switch (sub) {
        case PIN_GET_KEY_AGREEMENT:
                if (key_agreement(f) != 0)
                        return CTAP1_ERR_OTHER;
                cbor_put_map(w, 1);
                cbor_put_uint(w, 1);
                put_cose_ka(w, f->ka);
                return CTAP_OK;
        case PIN_SET:
        case PIN_CHANGE:
        case PIN_GET_TOKEN:
        case PIN_GET_TOKEN_PERMS:
                if (!q.p[3].left)
                        return CTAP2_ERR_MISSING_PARAMETER;
                if (shared_of(f, q.p[3], q.proto, &q.s) != 0)
                        return CTAP1_ERR_INVALID_PARAMETER;
                r = sub == PIN_SET      ? set_pin(f, &q)
                    : sub == PIN_CHANGE ? change_pin(f, &q)
                                        : get_token(f, &q, w);
                OPENSSL_cleanse(&q.s, sizeof(q.s));
                return r;
        default:
                return CTAP1_ERR_INVALID_PARAMETER;
        }
}

int fido_pin_check(struct vt_fido *f, struct reader param, struct reader proto, const uint8_t *msg,
                   size_t msg_len, uint8_t perm, const char *rp, size_t rp_len)
{
        const uint8_t *p;
        size_t n;
        int pr, r;
        if ((r = proto_of(proto, &pr)) != 0)
                return r;
        if (cbor_bytes(&param, &p, &n) != 0)
                return CTAP2_ERR_PIN_AUTH_INVALID;
        if (!f->token_valid || !mac_ok(pr, f->token, msg, msg_len, p, n))
                return CTAP2_ERR_PIN_AUTH_INVALID;
        if (!(f->token_perms & perm))
                return CTAP2_ERR_PIN_AUTH_INVALID;
        if (rp && f->token_rp[0] &&
            (strlen(f->token_rp) != rp_len || memcmp(f->token_rp, rp, rp_len) != 0))
                return CTAP2_ERR_PIN_AUTH_INVALID;
        return CTAP_OK;
}

/* A CredRandom of hmac-secret: the credential keeps one random seed in its id, and the values
 * with and without user verification (CTAP 2.1, 12.5) are derived from it apart. */
static int cred_random(const uint8_t seed[32], bool uv, uint8_t out[32])
{
        static const char with_uv[] = "vtoken hmac-secret CredRandomWithUV";
        static const char without_uv[] = "vtoken hmac-secret CredRandomWithoutUV";
        const char *label = uv ? with_uv : without_uv;
        unsigned n = 0;
        if (!HMAC(EVP_sha256(), seed, 32, (const uint8_t *)label, strlen(label), out, &n) ||
            n != 32)
                return -1;
        return 0;
}

int fido_hmac_secret(struct vt_fido *f, struct reader in, const uint8_t seed[32], bool uv,
                     uint8_t out[FIDO_HMAC_OUT_MAX], size_t *out_len)
{
        struct reader p[5];
        struct shared s = {0};
        const uint8_t *enc, *auth;
        size_t enc_len, auth_len, salts_len = 0;
        uint8_t salts[64 + 16], outputs[64], cr[32];
        int proto = 1, r = CTAP1_ERR_INVALID_PARAMETER;
        memset(p, 0, sizeof(p));
        if (cbor_int_map(&in, p, sizeof(p) / sizeof(p[0])) != 0)
                return CTAP2_ERR_INVALID_CBOR;
        if (!p[1].left || !p[2].left || !p[3].left)
                return CTAP2_ERR_MISSING_PARAMETER;
        if (p[4].left && (r = proto_of(p[4], &proto)) != 0)
                return r;
        if (cbor_bytes(&p[2], &enc, &enc_len) != 0 || cbor_bytes(&p[3], &auth, &auth_len) != 0)
                return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
        if (shared_of(f, p[1], proto, &s) != 0)
                return CTAP1_ERR_INVALID_PARAMETER;
        if (!mac_ok(proto, s.hmac, enc, enc_len, auth, auth_len)) {
                r = CTAP2_ERR_PIN_AUTH_INVALID;
                goto out;
        }
        if (enc_len > sizeof(salts) || crypt(&s, false, enc, enc_len, salts, &salts_len) != 0 ||
            (salts_len != 32 && salts_len != 64)) {
                r = CTAP1_ERR_INVALID_LENGTH;
                goto out;
        }
        r = CTAP1_ERR_OTHER;
        if (cred_random(seed, uv, cr) != 0)
                goto out;
        for (size_t i = 0; i < salts_len; i += 32) {
                unsigned l = 0;
                if (!HMAC(EVP_sha256(), cr, 32, salts + i, 32, outputs + i, &l) || l != 32)
                        goto out;
        }
        if (crypt(&s, true, outputs, salts_len, out, out_len) == 0)
                r = CTAP_OK;
out:
        OPENSSL_cleanse(&s, sizeof(s));
        OPENSSL_cleanse(salts, sizeof(salts));
        OPENSSL_cleanse(outputs, sizeof(outputs));
        OPENSSL_cleanse(cr, sizeof(cr));
        return r;
}
