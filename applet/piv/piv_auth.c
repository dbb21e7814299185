/* SPDX-License-Identifier: Apache-2.0 */
/* PIN, PUK and GENERAL AUTHENTICATE: VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, the
 * private-key operations of the slots, and the management key's challenge-response.
 *
 * A try is spent durably before a PIN or PUK is compared (use_secret): the store makes the
 * lowered counter durable first, so pulling the card mid-command never gives a try back. */
#include "piv_internal.h"

#include "crypto.h"
#include "keygen.h"
#include "mgmkey.h"
#include "pin.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <string.h>

enum secret_ref { SECRET_PIN, SECRET_PUK };

static struct vt_secret *secret_of(struct vt_piv_state *img, enum secret_ref which)
{
        return which == SECRET_PIN ? &img->pin : &img->puk;
}

/* Sets the tries left of a secret, durably. */
static uint16_t set_tries(struct vt_piv *p, enum secret_ref which, uint8_t tries)
{
        struct vt_piv_state next = *p->st;
        secret_of(&next, which)->tries_left = tries;
        uint16_t sw = piv_commit_secrets(p, &next);
        OPENSSL_cleanse(&next, sizeof(next));
        return sw;
}

/* Uses a PIN or PUK: the try is spent durably before the value is compared, and given back
 * (durably) when it matched. */
static uint16_t use_secret(struct vt_piv *p, enum secret_ref which, const uint8_t value[8])
{
        const struct vt_secret *s = secret_of(p->st, which);
        if (s->tries_left == 0)
                return SW_AUTH_METHOD_BLOCKED;
        uint16_t sw = set_tries(p, which, (uint8_t)(s->tries_left - 1));
        if (sw != SW_OK)
                return sw;
        if (!vt_secret_matches(s, value))
                return (uint16_t)SW_VERIFY_FAILED(s->tries_left);
        return set_tries(p, which, s->max_tries);
}

/* Replaces a secret's value and gives it its full tries, durably; unchanged on failure. */
static uint16_t set_secret(struct vt_piv *p, enum secret_ref which, const uint8_t value[8])
{
        struct vt_piv_state next = *p->st;
        struct vt_secret *s = secret_of(&next, which);
        vt_secret_set(s, value);
        s->tries_left = s->max_tries;
        uint16_t sw = piv_commit_secrets(p, &next);
        OPENSSL_cleanse(&next, sizeof(next));
        return sw;
}

static uint16_t status_of(const struct vt_secret *s)
{
        return s->tries_left ? (uint16_t)SW_VERIFY_FAILED(s->tries_left) : SW_AUTH_METHOD_BLOCKED;
}

/* Whether a reference names the PIN: 80, or 00 when the card enables the global PIN (which
 * shares the application PIN's reference data). */
static bool is_pin_ref(const struct vt_piv *p, uint8_t ref)
{
        return ref == REF_PIN || (ref == REF_GLOBAL_PIN && p->st->global_pin);
}

/* Whether the session may use the slot's key now; a PIN-always key consumes the VERIFY. */
static uint16_t key_access(struct vt_piv *p, const struct vt_slot *s)
{
        switch (piv_pin_policy(s)) {
        case VT_PIN_NEVER:
                return SW_OK;
        case VT_PIN_ALWAYS:
                if (!p->pin_verified || !p->pin_fresh)
                        return SW_SECURITY_STATUS_NOT_SATISFIED;
                p->pin_fresh = false;
                return SW_OK;
        default:
                return p->pin_verified ? SW_OK : SW_SECURITY_STATUS_NOT_SATISFIED;
        }
}

uint16_t piv_verify(struct vt_piv *p, const struct apdu *a)
{
        if (!is_pin_ref(p, a->p2))
                return a->p2 == REF_PUK ? SW_REFERENCE_NOT_FOUND : SW_INCORRECT_P1P2;
        const struct vt_secret *s = &p->st->pin;
        if (a->p1 == 0xFF) { /* logout (SP 800-73-4) */
                if (a->lc != 0)
                        return SW_WRONG_DATA;
                p->pin_verified = p->pin_fresh = false;
                return SW_OK;
        }
        if (a->p1 != 0x00)
                return SW_INCORRECT_P1P2;
        if (a->lc == 0) { /* status query */
                if (s->tries_left == 0)
                        return SW_AUTH_METHOD_BLOCKED;
                return p->pin_verified ? SW_OK : status_of(s);
        }
        if (a->lc != VT_PIN_FIELD)
                return SW_WRONG_DATA;
        p->pin_verified = p->pin_fresh = false;
        uint16_t sw = use_secret(p, SECRET_PIN, a->data);
        if (sw == SW_OK)
                p->pin_verified = p->pin_fresh = true;
        return sw;
}

/* A new PIN or PUK value, judged only once the old value (or the PUK) matched, as a YubiKey
 * does: a format it refuses costs no try, and a wrong old value is counted whatever the new one
 * (ykman blocks the PUK with an empty PUK and an empty new PIN). With PIN complexity (5.7), a
 * trivial value is refused with 6985. */
static uint16_t new_value_sw(struct vt_piv *p, uint8_t ref, const uint8_t value[8])
{
        bool ok =
            ref == REF_PUK ? vt_puk_acceptable(value) : vt_pin_acceptable(&p->st->pin_rules, value);
        if (!ok)
                return SW_WRONG_DATA;
        if (p->img->pin_complexity && !vt_pin_complex(value))
                return SW_CONDITIONS_NOT_SATISFIED;
        return SW_OK;
}

uint16_t piv_change_reference(struct vt_piv *p, const struct apdu *a)
{
        if (a->p1 != 0x00 || (a->p2 != REF_PUK && !is_pin_ref(p, a->p2)))
                return SW_INCORRECT_P1P2;
        enum secret_ref which = a->p2 == REF_PUK ? SECRET_PUK : SECRET_PIN;
        if (a->lc != (size_t)VT_PIN_FIELD * 2)
                return SW_WRONG_DATA;
        const uint8_t *old = a->data, *new = a->data + VT_PIN_FIELD;
        uint16_t sw = use_secret(p, which, old);
        if (sw != SW_OK) {
                /* as after a wrong VERIFY: a PIN just blocked here must not stay usable */
                if (which == SECRET_PIN)
                        p->pin_verified = p->pin_fresh = false;
                return sw;
        }
        sw = new_value_sw(p, a->p2, new);
        return sw == SW_OK ? set_secret(p, which, new) : sw;
}

uint16_t piv_reset_retry_counter(struct vt_piv *p, const struct apdu *a)
{
        if (a->p1 != 0x00 || !is_pin_ref(p, a->p2))
                return SW_INCORRECT_P1P2;
        if (a->lc != (size_t)VT_PIN_FIELD * 2)
                return SW_WRONG_DATA;
        const uint8_t *puk = a->data, *new = a->data + VT_PIN_FIELD;
        uint16_t sw = use_secret(p, SECRET_PUK, puk);
        if (sw != SW_OK)
                return sw;
        sw = new_value_sw(p, REF_PIN, new);
        return sw == SW_OK ? set_secret(p, SECRET_PIN, new) : sw;
}

/* The elements of a dynamic authentication template 7C: 80, 81, 82, 85, each at most once. */
struct auth_tmpl {
        bool has[4];
        struct reader v[4];
};

enum { A_WITNESS, A_CHALLENGE, A_RESPONSE, A_EXPONENT };

static int parse_auth(const struct apdu *a, struct auth_tmpl *t)
{
        struct reader r = rd_init(a->data, a->lc), body, v;
        uint32_t tag;
        memset(t, 0, sizeof(*t));
        if (rd_tlv(&r, &tag, &body) != 0 || tag != TAG_DYN_AUTH || r.left != 0)
                return -1;
        while (body.left > 0) {
                int i;
                if (rd_tlv(&body, &tag, &v) != 0)
                        return -1;
                switch (tag) {
                case TAG_WITNESS:
                        i = A_WITNESS;
                        break;
                case TAG_CHALLENGE:
                        i = A_CHALLENGE;
                        break;
                case TAG_RESPONSE:
                        i = A_RESPONSE;
                        break;
                case TAG_EXPONENT:
                        i = A_EXPONENT;
                        break;
                default:
                        return -1;
                }
                if (t->has[i])
                        return -1;
                t->has[i] = true;
                t->v[i] = v;
        }
        return 0;
}

/* Whether the template holds exactly the elements of mask (bit i: element i), those of empty
 * without a value. */
static bool tmpl_is(const struct auth_tmpl *t, unsigned mask, unsigned empty)
{
        for (int i = 0; i < 4; i++) {
                bool want = mask & (1u << i);
                if (t->has[i] != want)
                        return false;
                if (want && ((empty & (1u << i)) != 0) != (t->v[i].left == 0))
                        return false;
        }
        return true;
}

#define E(i) (1u << (i))

static void write_auth(struct writer *out, uint32_t tag, const uint8_t *v, size_t n)
{
        size_t m = wr_open(out, TAG_DYN_AUTH);
        wr_tlv(out, tag, v, n);
        wr_close(out, m);
}

static uint16_t keyop_sw(int r)
{
        switch (r) {
        case VT_CRYPTO_OK:
                return SW_OK;
        case VT_CRYPTO_BAD_INPUT:
                return SW_WRONG_DATA;
        default:
                return SW_FAIL_CRYPTO;
        }
}

static uint16_t key_auth(struct vt_piv *p, const struct apdu *a, const struct auth_tmpl *t,
                         struct writer *out)
{
        struct vt_slot *s = piv_key_slot(p, a->p2);
        uint8_t alg = piv_key_alg(a->p1);
        if (!s)
                return SW_INCORRECT_P1P2;
        /* no key, or one of another algorithm: 6A80, as a YubiKey (yubikit reads 6A80 as "no
         * key?", and ykman's check_key as "not this key") */
        if (!s->key)
                return SW_WRONG_DATA;
        if (alg != s->alg)
                return SW_WRONG_DATA; /* as a YubiKey: ykman's check_key reads 6A80 as "not this
                                         key" */
        bool sign = tmpl_is(t, E(A_RESPONSE) | E(A_CHALLENGE), E(A_RESPONSE));
        bool agree = tmpl_is(t, E(A_RESPONSE) | E(A_EXPONENT), E(A_RESPONSE));
        if (!sign && !agree)
                return SW_WRONG_DATA;
        uint16_t sw = key_access(p, s);
        if (sw != SW_OK)
                return sw;
        const struct reader *in = &t->v[sign ? A_CHALLENGE : A_EXPONENT];
        uint8_t res[VT_CRYPTO_MAX];
        size_t n = 0;
        enum vt_crypto_alg c = vt_alg_crypto(s->alg);
        /* RSA's raw operation serves signatures and decryption alike */
        int r = sign ? vt_crypto_sign(s->key, c, VT_SIGN_RSA_RAW, in->p, in->left, res, &n)
                     : vt_crypto_agree(s->key, c, in->p, in->left, res, &n);
        if (r == VT_CRYPTO_OK)
                write_auth(out, TAG_RESPONSE, res, n);
        OPENSSL_cleanse(res, sizeof(res));
        return keyop_sw(r);
}

static uint16_t mgm_encrypt(struct vt_piv *p, const uint8_t *in, uint8_t *out)
{
        const struct vt_piv_state *img = p->st;
        return vt_mgm_encrypt(img->mgm_alg, img->mgm_key, img->mgm_key_len, in, out) == 0
                   ? SW_OK
                   : SW_FAIL_CRYPTO;
}

/* Step two of mutual authentication: the host returns our witness and sends its challenge. */
static uint16_t mgm_mutual(struct vt_piv *p, const struct auth_tmpl *t, size_t bs,
                           struct writer *out)
{
        const struct reader *w = &t->v[A_WITNESS], *c = &t->v[A_CHALLENGE];
        bool expected = p->mgm_step == MGM_WITNESS_SENT;
        p->mgm_step = MGM_IDLE;
        if (!expected)
                return SW_CONDITIONS_NOT_SATISFIED;
        if (w->left != bs || c->left != bs)
                return SW_WRONG_DATA;
        if (CRYPTO_memcmp(w->p, p->mgm_nonce, bs) != 0)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        uint8_t enc[VT_MGM_NONCE_MAX];
        uint16_t sw = mgm_encrypt(p, c->p, enc);
        if (sw == SW_OK) {
                p->mgm_authed = true;
                write_auth(out, TAG_RESPONSE, enc, bs);
        }
        return sw;
}

/* Step two of external authentication: the host returns our challenge encrypted. */
static uint16_t mgm_external(struct vt_piv *p, const struct auth_tmpl *t, size_t bs)
{
        const struct reader *r = &t->v[A_RESPONSE];
        bool expected = p->mgm_step == MGM_CHALLENGE_SENT;
        p->mgm_step = MGM_IDLE;
        if (!expected)
                return SW_CONDITIONS_NOT_SATISFIED;
        if (r->left != bs)
                return SW_WRONG_DATA;
        uint8_t enc[VT_MGM_NONCE_MAX];
        uint16_t sw = mgm_encrypt(p, p->mgm_nonce, enc);
        if (sw != SW_OK)
                return sw;
        if (CRYPTO_memcmp(enc, r->p, bs) != 0)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        p->mgm_authed = true;
        return SW_OK;
}

/* Management key (9B). A request for a challenge with P1=00 is also how pkcs11-tool -t asks
 * for random bytes, so it is answered whatever the key's algorithm. */
static uint16_t mgm_auth(struct vt_piv *p, const struct apdu *a, const struct auth_tmpl *t,
                         struct writer *out)
{
        uint8_t alg = p->st->mgm_alg;
        bool alg_ok = a->p1 == alg || (alg == VT_ALG_3DES && (a->p1 == 0x00 || a->p1 == 0x01));
        size_t bs = vt_mgm_block_size(alg);
        if (tmpl_is(t, E(A_CHALLENGE), E(A_CHALLENGE))) {
                if (!alg_ok && a->p1 != 0x00)
                        return SW_INCORRECT_P1P2;
                size_t n = alg_ok ? bs : 8;
                if (n == 0 || RAND_bytes(p->mgm_nonce, (int)n) != 1)
                        return SW_FAIL_RANDOM;
                p->mgm_step = alg_ok ? MGM_CHALLENGE_SENT : MGM_IDLE;
                write_auth(out, TAG_CHALLENGE, p->mgm_nonce, n);
                return SW_OK;
        }
        if (!alg_ok || bs == 0)
                return SW_INCORRECT_P1P2;
        p->mgm_authed = false;
        if (tmpl_is(t, E(A_WITNESS), E(A_WITNESS))) {
                uint8_t enc[VT_MGM_NONCE_MAX];
                if (RAND_bytes(p->mgm_nonce, (int)bs) != 1 ||
                    mgm_encrypt(p, p->mgm_nonce, enc) != SW_OK)
                        return SW_FAIL_CRYPTO;
                p->mgm_step = MGM_WITNESS_SENT;
                write_auth(out, TAG_WITNESS, enc, bs);
                return SW_OK;
        }
        /* ykpiv and piv-tool send step two as 80 and 81 alone, others add an empty 82 */
        if (tmpl_is(t, E(A_WITNESS) | E(A_CHALLENGE), 0) ||
            tmpl_is(t, E(A_WITNESS) | E(A_CHALLENGE) | E(A_RESPONSE), E(A_RESPONSE)))
                return mgm_mutual(p, t, bs, out);
        if (tmpl_is(t, E(A_RESPONSE), 0))
                return mgm_external(p, t, bs);
        return SW_WRONG_DATA;
}

uint16_t piv_general_authenticate(struct vt_piv *p, const struct apdu *a, struct writer *out)
{
        struct auth_tmpl t;
        if (parse_auth(a, &t) != 0)
                return SW_WRONG_DATA;
        if (a->p2 == REF_MGM)
                return mgm_auth(p, a, &t, out);
        return key_auth(p, a, &t, out);
}

bool piv_mgm_answer_step(const struct apdu *a)
{
        struct auth_tmpl t;
        if (a->ins != INS_GENERAL_AUTH || a->p2 != REF_MGM || parse_auth(a, &t) != 0)
                return false;
        return (t.has[A_WITNESS] && t.v[A_WITNESS].left > 0) ||
               (t.has[A_RESPONSE] && t.v[A_RESPONSE].left > 0);
}
