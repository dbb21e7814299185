/* The PIV card application. One static function per instruction; status words by name.
 *
 * Status words for GENERAL AUTHENTICATE and GENERATE, consistently: a problem with P1 or P2
 * (a reference that is no key, an algorithm that is not the slot's) is 6A86; a slot without a
 * key 6A82; a data field that does not fit (template, lengths, points) 6A80; missing PIN or
 * management-key authentication 6982. */
#include "piv.h"

#include "attest.h"
#include "keygen.h"
#include "keyops.h"
#include "mgmkey.h"
#include "pin.h"
#include "sw.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INS_VERIFY           0x20
#define INS_CHANGE_REFERENCE 0x24
#define INS_RESET_RETRY      0x2C
#define INS_GENERATE         0x47
#define INS_GENERAL_AUTH     0x87
#define INS_GET_DATA         0xCB
#define INS_PUT_DATA         0xDB
#define INS_YK_METADATA      0xF7
#define INS_YK_ATTEST        0xF9
#define INS_YK_IMPORT        0xFE
#define INS_YK_GET_SERIAL    0xF8
#define INS_YK_SET_RETRIES   0xFA
#define INS_YK_RESET         0xFB
#define INS_YK_GET_VERSION   0xFD
#define INS_YK_SET_MGMKEY    0xFF

#define REF_GLOBAL_PIN 0x00
#define REF_PIN        0x80
#define REF_PUK        0x81
#define REF_MGM        0x9B
#define REF_AUTH       0x9A
#define REF_SIGN       0x9C
#define REF_KEYMGMT    0x9D
#define REF_CARDAUTH   0x9E
#define REF_RETIRED1   0x82
#define REF_RETIRED20  0x95
#define REF_ATTEST     0xF9

#define ALG_ED25519_PIVGO 0x22 /* piv-go's number for Ed25519 */

#define TAG_TAG_LIST   0x5C
#define TAG_DATA       0x53
#define TAG_CERT       0x70
#define TAG_CERT_INFO  0x71
#define TAG_EDC        0xFE
#define TAG_DYN_AUTH   0x7C
#define TAG_WITNESS    0x80
#define TAG_CHALLENGE  0x81
#define TAG_RESPONSE   0x82
#define TAG_EXPONENT   0x85
#define TAG_GEN_TMPL   0xAC
#define TAG_GEN_ALG    0x80
#define TAG_PIN_POLICY 0xAA
#define TAG_TOUCH      0xAB
#define TAG_PUBLIC_KEY 0x7F49
#define TAG_MD_ALG     0x01
#define TAG_MD_POLICY  0x02
#define TAG_MD_ORIGIN  0x03
#define TAG_MD_PUBLIC  0x04
#define TAG_MD_DEFAULT 0x05
#define TAG_MD_RETRIES 0x06

#define OBJ_DISCOVERY     0x7E
#define OBJ_CCC           0x5FC107
#define OBJ_CHUID         0x5FC102
#define OBJ_KEY_HISTORY   0x5FC10C
#define OBJ_FACIAL        0x5FC108
#define OBJ_PRINTED       0x5FC109
#define OBJ_FINGERPRINT   0x5FC103
#define OBJ_IRIS          0x5FC121
#define OBJ_CERT_RETIRED1 0x5FC10D
#define OBJ_CERT_ATTEST   0x5FFF01

static const uint8_t piv_aid[] = {0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00};
static const uint8_t mgmt_aid[] = {0xA0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17};

/* SP 800-73-4's test FASC-N (agency 9999): OpenSC then takes the token serial from the GUID. */
static const uint8_t test_fascn[25] = {0xD4, 0xE7, 0x39, 0xDA, 0x73, 0x9C, 0xED, 0x39, 0xCE,
                                       0x73, 0x9D, 0x83, 0x68, 0x58, 0x21, 0x08, 0x42, 0x10,
                                       0x84, 0x21, 0xC8, 0x42, 0x10, 0xC3, 0xEB};

enum mgm_step { MGM_IDLE, MGM_WITNESS_SENT, MGM_CHALLENGE_SENT };

struct vt_piv {
        struct vt_image *img;
        bool pin_verified;
        bool pin_fresh; /* a VERIFY since the last use of a PIN-always key */
        bool mgm_authed;
        enum mgm_step mgm_step;
        uint8_t mgm_nonce[VT_MGM_BLOCK_MAX];
};

/* ---- session ---------------------------------------------------------------------------- */

static void clear_security(struct vt_piv *p)
{
        p->pin_verified = false;
        p->pin_fresh = false;
        p->mgm_authed = false;
        p->mgm_step = MGM_IDLE;
        OPENSSL_cleanse(p->mgm_nonce, sizeof(p->mgm_nonce));
}

/* Uses a PIN or PUK: the try is spent durably before the value is compared, and given back
 * (durably) when it matched. */
static uint16_t use_secret(struct vt_piv *p, struct vt_secret *s, const uint8_t value[8])
{
        if (s->tries_left == 0)
                return SW_AUTH_METHOD_BLOCKED;
        s->tries_left--;
        if (vt_image_commit_state(p->img) != 0) {
                s->tries_left++;
                return SW_MEMORY_FAILURE;
        }
        if (!vt_secret_matches(s, value))
                return (uint16_t)SW_VERIFY_FAILED(s->tries_left);
        uint8_t spent = s->tries_left;
        s->tries_left = s->max_tries;
        if (vt_image_commit_state(p->img) != 0) {
                s->tries_left = spent;
                return SW_MEMORY_FAILURE;
        }
        return SW_OK;
}

/* Replaces a secret's value and gives it its full tries, durably; unchanged on failure. */
static uint16_t set_secret(struct vt_piv *p, struct vt_secret *s, const uint8_t value[8])
{
        struct vt_secret old = *s;
        vt_secret_set(s, value);
        s->tries_left = s->max_tries;
        if (vt_image_commit_state(p->img) != 0) {
                *s = old;
                return SW_MEMORY_FAILURE;
        }
        OPENSSL_cleanse(&old, sizeof(old));
        return SW_OK;
}

static uint16_t status_of(const struct vt_secret *s)
{
        return s->tries_left ? (uint16_t)SW_VERIFY_FAILED(s->tries_left) : SW_AUTH_METHOD_BLOCKED;
}

/* The PIN a reference names: 80, or 00 when the card enables the global PIN (which shares the
 * application PIN's reference data). */
static struct vt_secret *pin_ref(struct vt_piv *p, uint8_t ref)
{
        if (ref == REF_PIN || (ref == REF_GLOBAL_PIN && p->img->global_pin))
                return &p->img->pin;
        return NULL;
}

/* ---- slots and objects -------------------------------------------------------------------- */

/* A key algorithm as clients number it: piv-go says 22 for Ed25519. */
static uint8_t key_alg(uint8_t alg)
{
        return alg == ALG_ED25519_PIVGO ? VT_ALG_ED25519 : alg;
}

static bool is_key_ref(uint8_t ref)
{
        return ref == REF_AUTH || ref == REF_SIGN || ref == REF_KEYMGMT || ref == REF_CARDAUTH ||
               (ref >= REF_RETIRED1 && ref <= REF_RETIRED20);
}

static struct vt_slot *key_slot(struct vt_piv *p, uint8_t ref)
{
        return is_key_ref(ref) ? vt_image_slot(p->img, ref) : NULL;
}

/* The key reference whose certificate an object tag holds, 0 for other tags. */
static uint8_t cert_ref(uint32_t tag)
{
        switch (tag) {
        case 0x5FC105:
                return REF_AUTH;
        case 0x5FC10A:
                return REF_SIGN;
        case 0x5FC10B:
                return REF_KEYMGMT;
        case 0x5FC101:
                return REF_CARDAUTH;
        case OBJ_CERT_ATTEST:
                return REF_ATTEST;
        default:
                if (tag >= OBJ_CERT_RETIRED1 && tag <= OBJ_CERT_RETIRED1 + 19)
                        return (uint8_t)(REF_RETIRED1 + (tag - OBJ_CERT_RETIRED1));
                return 0;
        }
}

static bool needs_pin(uint32_t tag)
{
        return tag == OBJ_PRINTED || tag == OBJ_FACIAL || tag == OBJ_FINGERPRINT || tag == OBJ_IRIS;
}

static uint8_t pin_policy(const struct vt_slot *s)
{
        if (s->pin_policy != VT_PIN_DEFAULT)
                return s->pin_policy;
        switch (s->ref) {
        case REF_SIGN:
                return VT_PIN_ALWAYS;
        case REF_CARDAUTH:
                return VT_PIN_NEVER;
        default:
                return VT_PIN_ONCE;
        }
}

/* Whether the session may use the slot's key now; a PIN-always key consumes the VERIFY. */
static uint16_t key_access(struct vt_piv *p, const struct vt_slot *s)
{
        switch (pin_policy(s)) {
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

/* ---- SELECT ------------------------------------------------------------------------------- */

static uint16_t piv_select(void *ctx, const struct apdu *a, struct writer *out)
{
        (void)ctx;
        if (a->p2 == 0x0C)
                return SW_OK; /* no FCI wanted */
        size_t apt = wr_open(out, 0x61);
        wr_tlv(out, 0x4F, piv_aid + 5, 6); /* the PIX with its version */
        size_t auth = wr_open(out, 0x79);
        wr_tlv(out, 0x4F, piv_aid, 5);
        wr_close(out, auth);
        wr_close(out, apt);
        return SW_OK;
}

/* ---- GET DATA ----------------------------------------------------------------------------- */

/* The object tag of a tag list `5C len tag`; rest is what follows it. */
static int parse_tag_list(const struct apdu *a, uint32_t *tag, struct reader *rest)
{
        struct reader r = rd_init(a->data, a->lc), v;
        uint32_t t;
        if (rd_tlv(&r, &t, &v) != 0 || t != TAG_TAG_LIST || v.left < 1 || v.left > 3)
                return -1;
        *tag = 0;
        uint8_t b;
        while (rd_u8(&v, &b) == 0)
                *tag = *tag << 8 | b;
        *rest = r;
        return 0;
}

static void write_discovery(struct writer *out)
{
        static const uint8_t policy[] = {0x40, 0x00}; /* PIN is the application PIN */
        size_t m = wr_open(out, OBJ_DISCOVERY);
        wr_tlv(out, 0x4F, piv_aid, sizeof(piv_aid));
        wr_tlv(out, 0x5F2F, policy, sizeof(policy));
        wr_close(out, m);
}

static void write_chuid(const struct vt_image *img, struct writer *out)
{
        static const uint8_t expiry[] = "20991231";
        size_t m = wr_open(out, TAG_DATA);
        wr_tlv(out, 0x30, test_fascn, sizeof(test_fascn));
        wr_tlv(out, 0x34, img->guid, sizeof(img->guid));
        wr_tlv(out, 0x35, expiry, 8);
        wr_tlv(out, 0x3E, NULL, 0); /* issuer signature: none */
        wr_tlv(out, TAG_EDC, NULL, 0);
        wr_close(out, m);
}

/* Card Capability Container (SP 800-73-4 part 1, table 8). */
static void write_ccc(const struct vt_image *img, struct writer *out)
{
        static const uint8_t gsc_rid[] = {0xA0, 0x00, 0x00, 0x01, 0x16, 0xFF, 0x01};
        uint8_t card_id[21];
        memcpy(card_id, gsc_rid, sizeof(gsc_rid));
        memcpy(card_id + sizeof(gsc_rid), img->guid, sizeof(card_id) - sizeof(gsc_rid));
        static const uint8_t v21 = 0x21, v00 = 0x00, v10 = 0x10;
        size_t m = wr_open(out, TAG_DATA);
        wr_tlv(out, 0xF0, card_id, sizeof(card_id));
        wr_tlv(out, 0xF1, &v21, 1); /* container version */
        wr_tlv(out, 0xF2, &v21, 1); /* grammar version */
        wr_tlv(out, 0xF3, NULL, 0);
        wr_tlv(out, 0xF4, &v00, 1); /* PKCS#15: no */
        wr_tlv(out, 0xF5, &v10, 1); /* data model: PIV */
        for (uint32_t t = 0xF6; t <= 0xFD; t++)
                if (t != 0xF8 && t != 0xF9)
                        wr_tlv(out, t, NULL, 0);
        wr_tlv(out, TAG_EDC, NULL, 0);
        wr_close(out, m);
}

/* Key history: how many retired keys have their certificate on the card. */
static void write_key_history(struct vt_piv *p, struct writer *out)
{
        uint8_t on_card = 0, off_card = 0;
        for (uint8_t ref = REF_RETIRED1; ref <= REF_RETIRED20; ref++) {
                const struct vt_slot *s = vt_image_slot(p->img, ref);
                if (s && s->cert)
                        on_card++;
        }
        size_t m = wr_open(out, TAG_DATA);
        wr_tlv(out, 0xC1, &on_card, 1);
        wr_tlv(out, 0xC2, &off_card, 1);
        wr_tlv(out, TAG_EDC, NULL, 0);
        wr_close(out, m);
}

static void write_cert(const struct vt_slot *s, struct writer *out)
{
        static const uint8_t uncompressed = 0x00;
        size_t m = wr_open(out, TAG_DATA);
        wr_tlv(out, TAG_CERT, s->cert, s->cert_len);
        wr_tlv(out, TAG_CERT_INFO, &uncompressed, 1);
        wr_tlv(out, TAG_EDC, NULL, 0);
        wr_close(out, m);
}

static uint16_t get_data(struct vt_piv *p, const struct apdu *a, struct writer *out)
{
        uint32_t tag;
        struct reader rest;
        if (a->p1 != 0x3F || a->p2 != 0xFF)
                return SW_INCORRECT_P1P2;
        if (parse_tag_list(a, &tag, &rest) != 0 || rest.left != 0)
                return SW_WRONG_DATA;
        if (tag == OBJ_DISCOVERY) {
                write_discovery(out);
                return SW_OK;
        }
        if (needs_pin(tag) && !p->pin_verified)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        uint8_t ref = cert_ref(tag);
        if (ref) {
                const struct vt_slot *s = vt_image_slot(p->img, ref);
                if (!s || !s->cert)
                        return SW_FILE_NOT_FOUND;
                write_cert(s, out);
                return SW_OK;
        }
        const struct vt_object *o = vt_image_object(p->img, tag);
        if (o) {
                wr_bytes(out, o->data, o->len);
                return SW_OK;
        }
        switch (tag) {
        case OBJ_CHUID:
                write_chuid(p->img, out);
                return SW_OK;
        case OBJ_CCC:
                write_ccc(p->img, out);
                return SW_OK;
        case OBJ_KEY_HISTORY:
                write_key_history(p, out);
                return SW_OK;
        default:
                return SW_FILE_NOT_FOUND;
        }
}

/* ---- VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER ----------------------------------- */

static uint16_t verify(struct vt_piv *p, const struct apdu *a)
{
        struct vt_secret *s = pin_ref(p, a->p2);
        if (!s)
                return a->p2 == REF_PUK ? SW_REFERENCE_NOT_FOUND : SW_INCORRECT_P1P2;
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
        uint16_t sw = use_secret(p, s, a->data);
        if (sw == SW_OK)
                p->pin_verified = p->pin_fresh = true;
        return sw;
}

static bool acceptable(struct vt_piv *p, uint8_t ref, const uint8_t value[8])
{
        return ref == REF_PUK ? vt_puk_acceptable(value)
                              : vt_pin_acceptable(&p->img->pin_rules, value);
}

static uint16_t change_reference(struct vt_piv *p, const struct apdu *a)
{
        struct vt_secret *s = a->p2 == REF_PUK ? &p->img->puk : pin_ref(p, a->p2);
        if (a->p1 != 0x00 || !s)
                return SW_INCORRECT_P1P2;
        if (a->lc != 2 * VT_PIN_FIELD)
                return SW_WRONG_DATA;
        const uint8_t *old = a->data, *new = a->data + VT_PIN_FIELD;
        if (!acceptable(p, a->p2, new))
                return SW_WRONG_DATA; /* checked first: a rejected PIN costs no try */
        uint16_t sw = use_secret(p, s, old);
        if (sw != SW_OK) {
                /* as after a wrong VERIFY: a PIN just blocked here must not stay usable */
                if (s == &p->img->pin)
                        p->pin_verified = p->pin_fresh = false;
                return sw;
        }
        return set_secret(p, s, new);
}

static uint16_t reset_retry_counter(struct vt_piv *p, const struct apdu *a)
{
        if (a->p1 != 0x00 || !pin_ref(p, a->p2))
                return SW_INCORRECT_P1P2;
        if (a->lc != 2 * VT_PIN_FIELD)
                return SW_WRONG_DATA;
        const uint8_t *puk = a->data, *new = a->data + VT_PIN_FIELD;
        if (!acceptable(p, REF_PIN, new))
                return SW_WRONG_DATA;
        uint16_t sw = use_secret(p, &p->img->puk, puk);
        if (sw != SW_OK)
                return sw;
        return set_secret(p, &p->img->pin, new);
}

/* ---- GENERAL AUTHENTICATE ----------------------------------------------------------------- */

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
        case VT_KEYOP_OK:
                return SW_OK;
        case VT_KEYOP_BAD_INPUT:
                return SW_WRONG_DATA;
        default:
                return SW_UNKNOWN;
        }
}

static uint16_t key_auth(struct vt_piv *p, const struct apdu *a, const struct auth_tmpl *t,
                         struct writer *out)
{
        struct vt_slot *s = key_slot(p, a->p2);
        uint8_t alg = key_alg(a->p1);
        if (!s)
                return SW_INCORRECT_P1P2;
        if (!s->key)
                return SW_FILE_NOT_FOUND;
        if (alg != s->alg)
                return SW_INCORRECT_P1P2;
        bool sign = tmpl_is(t, E(A_RESPONSE) | E(A_CHALLENGE), E(A_RESPONSE));
        bool agree = tmpl_is(t, E(A_RESPONSE) | E(A_EXPONENT), E(A_RESPONSE));
        if (!sign && !agree)
                return SW_WRONG_DATA;
        uint16_t sw = key_access(p, s);
        if (sw != SW_OK)
                return sw;
        const struct reader *in = &t->v[sign ? A_CHALLENGE : A_EXPONENT];
        uint8_t res[VT_KEYOP_MAX];
        size_t n = 0;
        int r = sign ? vt_keyop_private(s->key, s->alg, in->p, in->left, res, &n)
                     : vt_keyop_agree(s->key, s->alg, in->p, in->left, res, &n);
        if (r == VT_KEYOP_OK)
                write_auth(out, TAG_RESPONSE, res, n);
        OPENSSL_cleanse(res, sizeof(res));
        return keyop_sw(r);
}

static uint16_t mgm_encrypt(struct vt_piv *p, const uint8_t *in, uint8_t *out)
{
        const struct vt_image *img = p->img;
        return vt_mgm_encrypt(img->mgm_alg, img->mgm_key, img->mgm_key_len, in, out) == 0
                   ? SW_OK
                   : SW_UNKNOWN;
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
        uint8_t enc[VT_MGM_BLOCK_MAX];
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
        uint8_t enc[VT_MGM_BLOCK_MAX];
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
        uint8_t alg = p->img->mgm_alg;
        bool alg_ok = a->p1 == alg || (alg == VT_ALG_3DES && (a->p1 == 0x00 || a->p1 == 0x01));
        size_t bs = vt_mgm_block_size(alg);
        if (tmpl_is(t, E(A_CHALLENGE), E(A_CHALLENGE))) {
                if (!alg_ok && a->p1 != 0x00)
                        return SW_INCORRECT_P1P2;
                size_t n = alg_ok ? bs : 8;
                if (n == 0 || RAND_bytes(p->mgm_nonce, (int)n) != 1)
                        return SW_UNKNOWN;
                p->mgm_step = alg_ok ? MGM_CHALLENGE_SENT : MGM_IDLE;
                write_auth(out, TAG_CHALLENGE, p->mgm_nonce, n);
                return SW_OK;
        }
        if (!alg_ok || bs == 0)
                return SW_INCORRECT_P1P2;
        p->mgm_authed = false;
        if (tmpl_is(t, E(A_WITNESS), E(A_WITNESS))) {
                uint8_t enc[VT_MGM_BLOCK_MAX];
                if (RAND_bytes(p->mgm_nonce, (int)bs) != 1 ||
                    mgm_encrypt(p, p->mgm_nonce, enc) != SW_OK)
                        return SW_UNKNOWN;
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

static uint16_t general_authenticate(struct vt_piv *p, const struct apdu *a, struct writer *out)
{
        struct auth_tmpl t;
        if (parse_auth(a, &t) != 0)
                return SW_WRONG_DATA;
        if (a->p2 == REF_MGM)
                return mgm_auth(p, a, &t, out);
        return key_auth(p, a, &t, out);
}

/* ---- key management (needs the management key) ------------------------------------------- */

static uint8_t policy_byte(struct reader tmpl, uint32_t tag, uint8_t max, bool *bad)
{
        struct reader v;
        uint8_t b = 0;
        if (rd_find(tmpl, tag, &v) != 0)
                return 0;
        if (v.left != 1 || rd_u8(&v, &b) != 0 || b > max)
                *bad = true;
        return b;
}

/* Puts a new key into a slot, durably; on failure the slot keeps its old key. */
static uint16_t install_key(struct vt_piv *p, struct vt_slot *s, EVP_PKEY *key, uint8_t alg,
                            uint8_t pin, uint8_t touch, bool generated)
{
        struct vt_slot old = *s;
        s->key = key;
        s->alg = alg;
        s->pin_policy = pin;
        s->touch_policy = touch;
        s->generated = generated;
        if (vt_image_commit_slot(p->img, s->ref) != 0) {
                *s = old;
                EVP_PKEY_free(key);
                return SW_MEMORY_FAILURE;
        }
        EVP_PKEY_free(old.key);
        return SW_OK;
}

static uint16_t generate(struct vt_piv *p, const struct apdu *a, struct writer *out)
{
        struct vt_slot *s = key_slot(p, a->p2);
        if (a->p1 != 0x00 || !s)
                return SW_INCORRECT_P1P2;
        if (!p->mgm_authed)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        struct reader r = rd_init(a->data, a->lc), tmpl, v;
        uint32_t tag;
        uint8_t alg = 0;
        bool bad = false;
        if (rd_tlv(&r, &tag, &tmpl) != 0 || tag != TAG_GEN_TMPL || r.left != 0 ||
            rd_find(tmpl, TAG_GEN_ALG, &v) != 0 || v.left != 1 || rd_u8(&v, &alg) != 0)
                return SW_WRONG_DATA;
        uint8_t pin = policy_byte(tmpl, TAG_PIN_POLICY, VT_PIN_ALWAYS, &bad);
        uint8_t touch = policy_byte(tmpl, TAG_TOUCH, VT_TOUCH_CACHED, &bad);
        alg = key_alg(alg);
        if (bad || !vt_keyop_alg_known(alg))
                return SW_WRONG_DATA;
        EVP_PKEY *key = vt_key_generate(alg);
        if (!key)
                return SW_UNKNOWN;
        uint16_t sw = install_key(p, s, key, alg, pin, touch, true);
        if (sw != SW_OK)
                return sw;
        return vt_keyop_write_public(key, alg, TAG_PUBLIC_KEY, out) == 0 ? SW_OK : SW_UNKNOWN;
}

/* A certificate written as 53 { 70 DER, 71 info, FE }: only the DER is kept. */
static uint16_t put_cert(struct vt_piv *p, uint8_t ref, struct reader data)
{
        struct vt_slot *s = vt_image_slot(p->img, ref);
        struct reader cert = {0}, info;
        uint8_t flags = 0;
        if (!s)
                return SW_FILE_NOT_FOUND;
        if (data.left > 0) {
                if (rd_find(data, TAG_CERT, &cert) != 0 || cert.left == 0)
                        return SW_WRONG_DATA;
                if (rd_find(data, TAG_CERT_INFO, &info) == 0 && info.left > 0)
                        rd_u8(&info, &flags);
                if (flags != 0)
                        return SW_WRONG_DATA; /* compressed certificates are not kept */
        }
        uint8_t *der = NULL;
        if (cert.left > 0 && !(der = malloc(cert.left)))
                return SW_NOT_ENOUGH_MEMORY;
        if (der)
                memcpy(der, cert.p, cert.left);
        uint8_t *old = s->cert;
        size_t old_len = s->cert_len;
        s->cert = der;
        s->cert_len = cert.left;
        if (vt_image_commit_slot(p->img, ref) != 0) {
                s->cert = old;
                s->cert_len = old_len;
                free(der);
                return SW_MEMORY_FAILURE;
        }
        free(old);
        return SW_OK;
}

/* Any other object is kept as GET DATA returns it (53 L value); an empty value deletes it. */
static uint16_t put_object(struct vt_piv *p, uint32_t tag, const uint8_t *raw, size_t len,
                           bool remove)
{
        struct vt_image *img = p->img;
        struct vt_object *o = vt_image_object(img, tag);
        uint8_t *copy = NULL;
        if (!o && remove)
                return SW_OK;
        if (!o && img->n_objects == VT_OBJECTS_MAX)
                return SW_NOT_ENOUGH_MEMORY;
        if (!remove && !(copy = malloc(len)))
                return SW_NOT_ENOUGH_MEMORY;
        if (copy)
                memcpy(copy, raw, len);

        struct vt_object before[VT_OBJECTS_MAX];
        size_t n_before = img->n_objects;
        memcpy(before, img->objects, sizeof(before));
        uint8_t *old = o ? o->data : NULL;
        if (!o) {
                o = &img->objects[img->n_objects++];
                o->tag = tag;
        }
        if (remove) {
                *o = img->objects[--img->n_objects]; /* the last one takes its place */
        } else {
                o->data = copy;
                o->len = len;
        }
        if (vt_image_commit_object(img, tag) != 0) {
                memcpy(img->objects, before, sizeof(before));
                img->n_objects = n_before;
                free(copy);
                return SW_MEMORY_FAILURE;
        }
        free(old);
        /* cppcheck-suppress memleak ; copy now belongs to img->objects */
        return SW_OK;
}

static uint16_t put_data(struct vt_piv *p, const struct apdu *a)
{
        uint32_t tag, dtag;
        struct reader rest, value;
        if (a->p1 != 0x3F || a->p2 != 0xFF)
                return SW_INCORRECT_P1P2;
        if (!p->mgm_authed)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        if (parse_tag_list(a, &tag, &rest) != 0)
                return SW_WRONG_DATA;
        const uint8_t *raw = rest.p;
        size_t raw_len = rest.left;
        if (rd_tlv(&rest, &dtag, &value) != 0 || dtag != TAG_DATA || rest.left != 0)
                return SW_WRONG_DATA;
        if (tag == OBJ_DISCOVERY)
                return SW_INCORRECT_P1P2; /* the discovery object is the card's own */
        uint8_t ref = cert_ref(tag);
        if (ref)
                return put_cert(p, ref, value);
        return put_object(p, tag, raw, raw_len, value.left == 0);
}

/* ---- YubiKey extensions ------------------------------------------------------------------- */

static uint16_t yk_version(struct vt_piv *p, struct writer *out)
{
        wr_bytes(out, p->img->version, sizeof(p->img->version));
        return SW_OK;
}

static uint16_t yk_serial(struct vt_piv *p, struct writer *out)
{
        uint32_t s = p->img->serial;
        uint8_t b[4] = {(uint8_t)(s >> 24), (uint8_t)(s >> 16), (uint8_t)(s >> 8), (uint8_t)s};
        wr_bytes(out, b, sizeof(b));
        return SW_OK;
}

static uint16_t yk_set_mgmkey(struct vt_piv *p, const struct apdu *a)
{
        struct reader r = rd_init(a->data, a->lc);
        uint8_t alg, ref, len;
        const uint8_t *key;
        struct vt_image *img = p->img;
        if (a->p1 != 0xFF || (a->p2 != 0xFF && a->p2 != 0xFE))
                return SW_INCORRECT_P1P2;
        if (!p->mgm_authed)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        if (rd_u8(&r, &alg) != 0 || rd_u8(&r, &ref) != 0 || rd_u8(&r, &len) != 0 ||
            rd_bytes(&r, len, &key) != 0 || r.left != 0 || ref != REF_MGM ||
            vt_mgm_key_len(alg) != len || len > sizeof(img->mgm_key))
                return SW_WRONG_DATA;
        uint8_t old_alg = img->mgm_alg, old_touch = img->mgm_touch, old_key[32];
        size_t old_len = img->mgm_key_len;
        memcpy(old_key, img->mgm_key, sizeof(old_key));
        img->mgm_alg = alg;
        img->mgm_touch = a->p2 == 0xFE ? VT_TOUCH_ALWAYS : VT_TOUCH_NEVER;
        memcpy(img->mgm_key, key, len);
        img->mgm_key_len = len;
        uint16_t sw = SW_OK;
        if (vt_image_commit_state(img) != 0) {
                img->mgm_alg = old_alg;
                img->mgm_touch = old_touch;
                memcpy(img->mgm_key, old_key, sizeof(old_key));
                img->mgm_key_len = old_len;
                sw = SW_MEMORY_FAILURE;
        }
        OPENSSL_cleanse(old_key, sizeof(old_key));
        return sw;
}

static const char yk_default_pin[] = "123456";
static const char yk_default_puk[] = "12345678";

/* Sets a secret to a text value with the given number of tries (no commit). */
static void reset_secret(struct vt_secret *s, const char *value, uint8_t tries)
{
        uint8_t padded[VT_PIN_FIELD];
        vt_pin_pad(value, padded);
        vt_secret_set(s, padded);
        s->max_tries = s->tries_left = tries;
        OPENSSL_cleanse(padded, sizeof(padded));
}

static bool secret_is(const struct vt_secret *s, const char *value)
{
        uint8_t padded[VT_PIN_FIELD];
        vt_pin_pad(value, padded);
        return vt_secret_matches(s, padded);
}

/* IMPORT KEY: P1 algorithm, P2 slot, the key's parts as TLVs (chained). */
static uint16_t yk_import(struct vt_piv *p, const struct apdu *a)
{
        struct vt_slot *s = key_slot(p, a->p2);
        struct reader data = rd_init(a->data, a->lc);
        bool bad = false;
        uint8_t alg = key_alg(a->p1);
        if (!s || !vt_keyop_alg_known(alg))
                return SW_INCORRECT_P1P2;
        if (!p->mgm_authed)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        uint8_t pin = policy_byte(data, TAG_PIN_POLICY, VT_PIN_ALWAYS, &bad);
        uint8_t touch = policy_byte(data, TAG_TOUCH, VT_TOUCH_CACHED, &bad);
        EVP_PKEY *key = bad ? NULL : vt_keyop_import(alg, data);
        if (!key)
                return SW_WRONG_DATA;
        return install_key(p, s, key, alg, pin, touch, false);
}

/* FA and FB give the PIN the YubiKey's default, 123456. A card whose PIN policy that value
 * violates (the e-Cert profile's strong policy) refuses both: the e-Cert token has neither a
 * reset nor settable tries, and its holder revokes the certificate and gets a new token
 * (`vtoken init --force`) instead. */
static bool defaults_allowed(const struct vt_image *img)
{
        uint8_t padded[VT_PIN_FIELD];
        vt_pin_pad(yk_default_pin, padded);
        return vt_pin_acceptable(&img->pin_rules, padded);
}

/* SET PIN RETRIES: P1 PIN tries, P2 PUK tries; PIN and PUK go back to the defaults. */
static uint16_t yk_set_retries(struct vt_piv *p, const struct apdu *a)
{
        struct vt_image *img = p->img;
        if (!p->mgm_authed || !p->pin_verified)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        if (a->p1 < 1 || a->p1 > 15 || a->p2 < 1 || a->p2 > 15)
                return SW_INCORRECT_P1P2;
        if (!defaults_allowed(img))
                return SW_CONDITIONS_NOT_SATISFIED;
        struct vt_secret pin = img->pin, puk = img->puk;
        reset_secret(&img->pin, yk_default_pin, a->p1);
        reset_secret(&img->puk, yk_default_puk, a->p2);
        if (vt_image_commit_state(img) != 0) {
                img->pin = pin;
                img->puk = puk;
                return SW_MEMORY_FAILURE;
        }
        p->pin_verified = p->pin_fresh = false;
        return SW_OK;
}

/* RESET: only a card whose PIN and PUK are both blocked, and whose policy allows the default
 * PIN (see defaults_allowed); every key, certificate and object goes (the attestation key
 * stays), PIN, PUK and management key return to the YubiKey's defaults: 123456 and 12345678
 * with 3 tries each, 010203...08 (3DES). */
static uint16_t yk_reset(struct vt_piv *p)
{
        static const uint8_t default_mgm[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                                5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};
        struct vt_image *img = p->img;
        int failed = 0;
        if (img->pin.tries_left != 0 || img->puk.tries_left != 0 || !defaults_allowed(img))
                return SW_CONDITIONS_NOT_SATISFIED;
        clear_security(p);
        for (size_t i = 0; i < VT_SLOTS; i++) {
                struct vt_slot *s = &img->slots[i];
                if (s->ref == REF_ATTEST || (!s->key && !s->cert))
                        continue;
                EVP_PKEY_free(s->key);
                free(s->cert);
                *s = (struct vt_slot){.ref = s->ref};
                failed |= vt_image_commit_slot(img, s->ref);
        }
        while (img->n_objects > 0) {
                struct vt_object *o = &img->objects[--img->n_objects];
                free(o->data);
                failed |= vt_image_commit_object(img, o->tag);
        }
        /* the default PIN only once no key is left on disk for it to open; a failure leaves a
         * partly reset image with PIN and PUK still blocked, and the card says so */
        if (failed)
                return SW_MEMORY_FAILURE;
        reset_secret(&img->pin, yk_default_pin, 3);
        reset_secret(&img->puk, yk_default_puk, 3);
        img->mgm_alg = VT_ALG_3DES;
        memcpy(img->mgm_key, default_mgm, sizeof(default_mgm));
        img->mgm_key_len = sizeof(default_mgm);
        img->mgm_touch = VT_TOUCH_DEFAULT;
        return vt_image_commit_state(img) != 0 ? SW_MEMORY_FAILURE : SW_OK;
}

static void write_policy(struct writer *out, uint8_t pin, uint8_t touch)
{
        const uint8_t v[2] = {pin, touch};
        wr_tlv(out, TAG_MD_POLICY, v, sizeof(v));
}

static uint16_t metadata_secret(const struct vt_secret *s, const char *dflt, struct writer *out)
{
        const uint8_t alg = 0xFF, is_default = secret_is(s, dflt);
        const uint8_t retries[2] = {s->max_tries, s->tries_left};
        wr_tlv(out, TAG_MD_ALG, &alg, 1);
        wr_tlv(out, TAG_MD_DEFAULT, &is_default, 1);
        wr_tlv(out, TAG_MD_RETRIES, retries, sizeof(retries));
        return SW_OK;
}

/* GET METADATA (P2 a reference): what ykman shows in `piv info`. */
static uint16_t yk_metadata(struct vt_piv *p, const struct apdu *a, struct writer *out)
{
        struct vt_image *img = p->img;
        if (a->p1 != 0x00)
                return SW_INCORRECT_P1P2;
        if (a->p2 == REF_PIN)
                return metadata_secret(&img->pin, yk_default_pin, out);
        if (a->p2 == REF_PUK)
                return metadata_secret(&img->puk, yk_default_puk, out);
        if (a->p2 == REF_MGM) {
                const uint8_t is_default = vt_mgm_key_is_default(img);
                wr_tlv(out, TAG_MD_ALG, &img->mgm_alg, 1);
                write_policy(out, VT_PIN_NEVER,
                             img->mgm_touch == VT_TOUCH_ALWAYS ? VT_TOUCH_ALWAYS : VT_TOUCH_NEVER);
                wr_tlv(out, TAG_MD_DEFAULT, &is_default, 1);
                return SW_OK;
        }
        struct vt_slot *s =
            is_key_ref(a->p2) || a->p2 == REF_ATTEST ? vt_image_slot(img, a->p2) : NULL;
        if (!s)
                return SW_INCORRECT_P1P2;
        if (!s->key)
                return SW_FILE_NOT_FOUND;
        const uint8_t origin = s->generated ? 0x01 : 0x02;
        wr_tlv(out, TAG_MD_ALG, &s->alg, 1);
        write_policy(out, pin_policy(s),
                     s->touch_policy == VT_TOUCH_DEFAULT ? VT_TOUCH_NEVER : s->touch_policy);
        wr_tlv(out, TAG_MD_ORIGIN, &origin, 1);
        return vt_keyop_write_public(s->key, s->alg, TAG_MD_PUBLIC, out) == 0 ? SW_OK : SW_UNKNOWN;
}

/* ATTEST (P1 the slot): a certificate for the slot's key, generated on the card, issued by the
 * attestation key. */
static uint16_t yk_attest(struct vt_piv *p, const struct apdu *a, struct writer *out)
{
        struct vt_slot *s = key_slot(p, a->p1);
        struct vt_slot *f9 = vt_image_slot(p->img, REF_ATTEST);
        uint8_t *der;
        size_t len;
        if (!s || a->p2 != 0x00)
                return SW_INCORRECT_P1P2;
        if (!s->key || !f9 || !f9->key || !f9->cert)
                return SW_FILE_NOT_FOUND;
        if (!s->generated)
                return SW_WRONG_DATA; /* as a YubiKey: only a key made on the card is attested */
        uint8_t touch = s->touch_policy == VT_TOUCH_DEFAULT ? VT_TOUCH_NEVER : s->touch_policy;
        if (vt_attest(p->img, f9, s, pin_policy(s), touch, &der, &len) != 0)
                return SW_UNKNOWN;
        wr_bytes(out, der, len);
        OPENSSL_free(der);
        return SW_OK;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static uint16_t piv_process(void *ctx, const struct apdu *a, struct writer *out)
{
        struct vt_piv *p = ctx;
        switch (a->ins) {
        case INS_GET_DATA:
                return get_data(p, a, out);
        case INS_VERIFY:
                return verify(p, a);
        case INS_CHANGE_REFERENCE:
                return change_reference(p, a);
        case INS_RESET_RETRY:
                return reset_retry_counter(p, a);
        case INS_GENERAL_AUTH:
                return general_authenticate(p, a, out);
        case INS_GENERATE:
                return generate(p, a, out);
        case INS_PUT_DATA:
                return put_data(p, a);
        case INS_YK_GET_VERSION:
                return yk_version(p, out);
        case INS_YK_GET_SERIAL:
                return yk_serial(p, out);
        case INS_YK_SET_MGMKEY:
                return yk_set_mgmkey(p, a);
        case INS_YK_IMPORT:
                return yk_import(p, a);
        case INS_YK_SET_RETRIES:
                return yk_set_retries(p, a);
        case INS_YK_RESET:
                return yk_reset(p);
        case INS_YK_METADATA:
                return yk_metadata(p, a, out);
        case INS_YK_ATTEST:
                return yk_attest(p, a, out);
        default:
                return SW_INS_NOT_SUPPORTED;
        }
}

static void piv_reset(void *ctx)
{
        clear_security(ctx);
}

/* ---- the YubiKey management applet -------------------------------------------------------- */

static uint16_t mgmt_select(void *ctx, const struct apdu *a, struct writer *out)
{
        const struct vt_piv *p = ctx;
        char v[16];
        (void)a;
        int n = snprintf(v, sizeof(v), "%u.%u.%u", p->img->version[0], p->img->version[1],
                         p->img->version[2]);
        wr_bytes(out, v, (size_t)n);
        return SW_OK;
}

/* READ CONFIG (INS 1D), which ykman sends after the SELECT: a length byte and the device
 * information TLVs of a YubiKey 5 with only the PIV application. */
static uint16_t mgmt_read_config(const struct vt_piv *p, struct writer *out)
{
        static const uint8_t piv_only[2] = {0x00, 0x10}, usb_a_keychain = 0x01, unlocked = 0x00;
        uint32_t n = p->img->serial;
        const uint8_t serial[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                                   (uint8_t)n};
        size_t start = out->len;
        wr_u8(out, 0);                  /* the length, set below */
        wr_tlv(out, 0x01, piv_only, 2); /* USB: supported applications */
        wr_tlv(out, 0x02, serial, 4);
        wr_tlv(out, 0x03, piv_only, 2); /* USB: enabled applications */
        wr_tlv(out, 0x04, &usb_a_keychain, 1);
        wr_tlv(out, 0x05, p->img->version, 3);
        wr_tlv(out, 0x0A, &unlocked, 1);
        if (!out->err)
                out->p[start] = (uint8_t)(out->len - start - 1);
        return SW_OK;
}

static uint16_t mgmt_process(void *ctx, const struct apdu *a, struct writer *out)
{
        if (a->ins == 0x1D && a->p1 == 0x00 && a->p2 == 0x00)
                return mgmt_read_config(ctx, out);
        return SW_INS_NOT_SUPPORTED;
}

/* ---- public face -------------------------------------------------------------------------- */

struct vt_piv *vt_piv_new(struct vt_image *img)
{
        struct vt_piv *p = calloc(1, sizeof(*p));
        if (p)
                p->img = img;
        return p;
}

void vt_piv_free(struct vt_piv *p)
{
        if (!p)
                return;
        OPENSSL_cleanse(p, sizeof(*p));
        free(p);
}

void vt_piv_applet(struct vt_piv *p, struct vt_applet *out)
{
        memset(out, 0, sizeof(*out));
        out->name = "piv";
        out->aid = piv_aid;
        out->aid_len = sizeof(piv_aid);
        out->ctx = p;
        out->select = piv_select;
        out->process = piv_process;
        out->reset = piv_reset;
}

void vt_piv_mgmt_applet(struct vt_piv *p, struct vt_applet *out)
{
        memset(out, 0, sizeof(*out));
        out->name = "yubikey-mgmt";
        out->aid = mgmt_aid;
        out->aid_len = sizeof(mgmt_aid);
        out->ctx = p;
        out->select = mgmt_select;
        out->process = mgmt_process;
        out->reset = NULL;
}

bool vt_piv_pin_verified(const struct vt_piv *p)
{
        return p->pin_verified;
}
