/* SPDX-License-Identifier: Apache-2.0 */
/* Keys: GENERATE ASYMMETRIC KEY PAIR, key import (PUT DATA DB 3FFF with 4D), PSO: COMPUTE
 * DIGITAL SIGNATURE and DECIPHER, INTERNAL AUTHENTICATE, GET CHALLENGE, and the factory reset
 * of TERMINATE DF and ACTIVATE FILE. */
#include "pgp_crypto.h"
#include "pgp_internal.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <string.h>

#define GENERATE      0x80
#define READ_KEY      0x81
#define SIG_MAX       0xFFFFFF
#define CHALLENGE_MAX 256

/* A key slot's new key, its origin, and what goes with a new key: no fingerprint or date yet,
 * and a signature key's counter back to zero. */
static uint16_t commit_key(struct vt_pgp *p, int ref, EVP_PKEY *key, uint8_t origin)
{
        struct vt_pgp_state *next = pgp_propose(p);
        struct pgp_key *k;
        if (!next) {
                EVP_PKEY_free(key);
                return SW_MEMORY_FAILURE;
        }
        k = &next->keys[ref];
        EVP_PKEY_free(k->key);
        k->key = key;
        k->origin = origin;
        memset(k->fpr, 0, sizeof(k->fpr));
        memset(k->time, 0, sizeof(k->time));
        if (ref == PGP_SIG)
                next->sig_count = 0;
        return pgp_commit(p, next, 1u << ref);
}

uint16_t pgp_generate(struct vt_pgp *p, const struct apdu *a, struct writer *out)
{
        int ref = pgp_crt_ref(a->data, a->lc);
        const struct pgp_alg *alg;
        EVP_PKEY *key;
        uint16_t sw;
        if (a->p2 != 0x00 || (a->p1 != GENERATE && a->p1 != READ_KEY))
                return SW_INCORRECT_P1P2;
        if (ref < 0)
                return SW_WRONG_DATA;
        if (!(alg = pgp_slot_alg(p->st, ref)))
                return SW_CONDITIONS_NOT_SATISFIED;
        if (a->p1 == READ_KEY) {
                if (!p->st->keys[ref].key)
                        return SW_REFERENCE_NOT_FOUND;
                return pgp_write_public(p->st->keys[ref].key, out) == 0 ? SW_OK : SW_FAIL_ENCODE;
        }
        if (!p->pw3)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        if (!(key = pgp_key_generate(alg)))
                return SW_FAIL_KEYGEN;
        if ((sw = commit_key(p, ref, key, 1)) != SW_OK)
                return sw;
        return pgp_write_public(p->st->keys[ref].key, out) == 0 ? SW_OK : SW_FAIL_ENCODE;
}

/* 4D { CRT (B6, B8 or A4), 7F48 { tags and lengths }, 5F48 { the values } }. */
uint16_t pgp_import(struct vt_pgp *p, const struct apdu *a)
{
        struct reader r = rd_init(a->data, a->lc), body, crt, tmpl, data;
        uint32_t tag;
        const struct pgp_alg *alg;
        EVP_PKEY *key;
        int ref;
        if (a->p1 != 0x3F || a->p2 != 0xFF)
                return SW_INCORRECT_P1P2;
        if (!p->pw3)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        if (rd_tlv(&r, &tag, &body) != 0 || tag != 0x4D || r.left != 0)
                return SW_WRONG_DATA;
        if ((ref = pgp_crt_ref(body.p, body.left)) < 0 || rd_tlv(&body, &tag, &crt) != 0 ||
            rd_tlv(&body, &tag, &tmpl) != 0 || tag != 0x7F48 || rd_tlv(&body, &tag, &data) != 0 ||
            tag != 0x5F48)
                return SW_WRONG_DATA;
        if (!(alg = pgp_slot_alg(p->st, ref)))
                return SW_CONDITIONS_NOT_SATISFIED;
        if (!(key = pgp_key_import(alg, tmpl, data)))
                return SW_WRONG_DATA;
        return commit_key(p, ref, key, 2);
}

/* A signature with key slot ref into out. */
static uint16_t sign_with(struct vt_pgp *p, int ref, const struct apdu *a, struct writer *out)
{
        const struct pgp_key *k = &p->st->keys[ref];
        const struct pgp_alg *alg = pgp_slot_alg(p->st, ref);
        uint8_t sig[VT_CRYPTO_MAX];
        size_t len = 0;
        int r;
        if (!k->key || !alg)
                return SW_REFERENCE_NOT_FOUND;
        r = pgp_sign(k->key, alg, a->data, a->lc, sig, &len);
        if (r != VT_CRYPTO_OK)
                return r == VT_CRYPTO_BAD_INPUT ? SW_WRONG_DATA : SW_FAIL_CRYPTO;
        wr_bytes(out, sig, len);
        return SW_OK;
}

/* COMPUTE DIGITAL SIGNATURE: the counter goes up durably before the signature leaves; PW1
 * stays valid for the next one only when C4 says so. */
static uint16_t cds(struct vt_pgp *p, const struct apdu *a, struct writer *out)
{
        struct vt_pgp_state *next;
        uint16_t sw;
        if (!p->pw1_sig)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        if (!p->st->keys[PGP_SIG].key)
                return SW_REFERENCE_NOT_FOUND;
        if (!(next = pgp_propose(p)))
                return SW_MEMORY_FAILURE;
        if (next->sig_count < SIG_MAX)
                next->sig_count++;
        if ((sw = pgp_commit(p, next, 0)) != SW_OK)
                return sw;
        if (!p->st->pw1_multi)
                p->pw1_sig = false;
        return sign_with(p, PGP_SIG, a, out);
}

static uint16_t decipher(struct vt_pgp *p, const struct apdu *a, struct writer *out)
{
        const struct pgp_key *k = &p->st->keys[PGP_DEC];
        const struct pgp_alg *alg = pgp_slot_alg(p->st, PGP_DEC);
        uint8_t plain[VT_CRYPTO_MAX];
        size_t len = 0;
        int r;
        if (!p->pw1_other)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        if (!k->key || !alg)
                return SW_REFERENCE_NOT_FOUND;
        r = pgp_decipher(k->key, alg, a->data, a->lc, plain, &len);
        if (r == VT_CRYPTO_OK)
                wr_bytes(out, plain, len);
        OPENSSL_cleanse(plain, sizeof(plain));
        if (r != VT_CRYPTO_OK)
                return r == VT_CRYPTO_BAD_INPUT ? SW_WRONG_DATA : SW_FAIL_CRYPTO;
        return SW_OK;
}

uint16_t pgp_pso(struct vt_pgp *p, const struct apdu *a, struct writer *out)
{
        switch (a->p1 << 8 | a->p2) {
        case PSO_CDS:
                return cds(p, a, out);
        case PSO_DECIPHER:
                return decipher(p, a, out);
        default:
                return SW_INCORRECT_P1P2;
        }
}

uint16_t pgp_internal_authenticate(struct vt_pgp *p, const struct apdu *a, struct writer *out)
{
        if (a->p1 != 0x00 || a->p2 != 0x00)
                return SW_INCORRECT_P1P2;
        if (!p->pw1_other)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        return sign_with(p, PGP_AUT, a, out);
}

uint16_t pgp_get_challenge(const struct apdu *a, struct writer *out)
{
        uint8_t buf[CHALLENGE_MAX];
        if (!a->has_le || a->ne > CHALLENGE_MAX || a->lc)
                return SW_WRONG_LENGTH;
        if (RAND_bytes(buf, (int)a->ne) != 1)
                return SW_FAIL_RANDOM;
        wr_bytes(out, buf, a->ne);
        return SW_OK;
}

/* TERMINATE DF: with PW3 verified, or once PW3 is blocked (how GnuPG's factory-reset gets
 * there without the admin PIN). */
uint16_t pgp_terminate(struct vt_pgp *p)
{
        struct vt_pgp_state *next;
        uint16_t sw;
        if (!p->pw3 && p->st->pw3.s.tries_left != 0)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        if (!(next = pgp_propose(p)))
                return SW_MEMORY_FAILURE;
        next->terminated = true;
        if ((sw = pgp_commit(p, next, 0)) == SW_OK)
                pgp_clear_security(p);
        return sw;
}

/* ACTIVATE FILE: a terminated application comes back in its factory condition; an active one
 * is left as it is. */
uint16_t pgp_activate(struct vt_pgp *p)
{
        struct vt_pgp_state *next;
        unsigned keys = 0;
        if (!p->st->terminated)
                return SW_OK;
        if (!(next = pgp_propose(p)))
                return SW_MEMORY_FAILURE;
        for (int i = 0; i < PGP_KEYS; i++)
                if (next->keys[i].key)
                        keys |= 1u << i;
        pgp_state_factory(next);
        pgp_clear_security(p);
        return pgp_commit(p, next, keys);
}
