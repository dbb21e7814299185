/* SPDX-License-Identifier: Apache-2.0 */
/* The PIV card application: session state, the commit helpers every command that changes the
 * image uses, SELECT, the INS dispatch, and what the daemon asks of an applet (secrets for
 * traces, touch, status). The commands live by concern in piv_data.c (data objects),
 * piv_auth.c (PIN, PUK, GENERAL AUTHENTICATE), piv_keys.c (GENERATE, IMPORT) and
 * piv_yubikey.c (the YubiKey extensions).
 *
 * Status words for GENERAL AUTHENTICATE and GENERATE, as a YubiKey answers them: a reference
 * that is no key is 6A86; a slot without a key, an algorithm that is not the slot's key's or
 * one the firmware lacks, and a data field that does not fit (template, lengths, points) 6A80;
 * missing PIN or management-key authentication 6982. */
#include "piv_internal.h"

#include "keygen.h"
#include "table.h"

#include <openssl/crypto.h>

#include <stdlib.h>
#include <string.h>

const uint8_t piv_aid[11] = {0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00};

#define ALG_ED25519_PIVGO 0x22 /* piv-go's number for Ed25519 */

/* ---- commit first, then apply ------------------------------------------------------------- */

static uint16_t commit(struct vt_piv *p, const struct piv_change *ch)
{
        return vt_store_commit(&p->store, &vt_unit_piv, ch) == 0 ? SW_OK : SW_MEMORY_FAILURE;
}

uint16_t piv_commit_secrets(struct vt_piv *p, const struct vt_piv_state *next)
{
        struct vt_piv_state *img = p->st;
        const struct piv_change ch = {.kind = PIV_CHANGE_SECRETS, .st = img, .proposed = next};
        uint16_t sw = commit(p, &ch);
        if (sw != SW_OK)
                return sw;
        img->pin = next->pin;
        img->puk = next->puk;
        img->mgm_alg = next->mgm_alg;
        memcpy(img->mgm_key, next->mgm_key, sizeof(img->mgm_key));
        img->mgm_key_len = next->mgm_key_len;
        img->mgm_touch = next->mgm_touch;
        return SW_OK;
}

uint16_t piv_commit_slot(struct vt_piv *p, const struct vt_slot *next)
{
        struct vt_slot *s = vt_piv_slot(p->st, next->ref);
        const struct piv_change ch = {.kind = PIV_CHANGE_SLOT, .st = p->st, .slot = next};
        if (!s)
                return SW_FAIL_STATE;
        uint16_t sw = commit(p, &ch);
        if (sw != SW_OK)
                return sw;
        if (s->key != next->key)
                EVP_PKEY_free(s->key);
        if (s->cert != next->cert)
                free(s->cert);
        *s = *next;
        return SW_OK;
}

uint16_t piv_commit_object(struct vt_piv *p, uint32_t tag, const uint8_t *data, size_t len)
{
        struct vt_piv_state *img = p->st;
        struct vt_object *o = vt_piv_object(img, tag);
        const struct piv_change ch = {
            .kind = PIV_CHANGE_OBJECT, .st = img, .tag = tag, .data = data, .len = len};
        if (len == 0) { /* removal */
                if (!o)
                        return SW_OK;
                uint16_t sw = commit(p, &ch);
                if (sw == SW_OK)
                        vt_piv_set_object(img, tag, NULL, 0);
                return sw;
        }
        if (!o && img->n_objects == VT_OBJECTS_MAX)
                return SW_NOT_ENOUGH_MEMORY;
        uint8_t *copy = malloc(len);
        if (!copy)
                return SW_NOT_ENOUGH_MEMORY;
        memcpy(copy, data, len);
        uint16_t sw = commit(p, &ch);
        if (sw != SW_OK) {
                free(copy);
                return sw;
        }
        if (!o)
                o = vt_piv_object_add(img, tag); /* there is room: checked above */
        free(o->data);
        o->data = copy;
        o->len = len;
        return SW_OK;
}

/* ---- session and slots -------------------------------------------------------------------- */

void piv_clear_security(struct vt_piv *p)
{
        p->pin_verified = false;
        p->pin_fresh = false;
        p->mgm_authed = false;
        p->mgm_step = MGM_IDLE;
        OPENSSL_cleanse(p->mgm_nonce, sizeof(p->mgm_nonce));
}

uint8_t piv_key_alg(uint8_t alg)
{
        return alg == ALG_ED25519_PIVGO ? VT_ALG_ED25519 : alg;
}

struct vt_slot *piv_key_slot(struct vt_piv *p, uint8_t ref)
{
        const struct piv_slot_info *info = piv_slot_info(ref);
        return info && info->general_auth ? vt_piv_slot(p->st, ref) : NULL;
}

uint8_t piv_pin_policy(const struct vt_slot *s)
{
        const struct piv_slot_info *info = piv_slot_info(s->ref);
        if (s->pin_policy != VT_PIN_DEFAULT)
                return s->pin_policy;
        return info ? info->pin_policy : VT_PIN_ONCE;
}

uint8_t piv_touch_policy(const struct vt_slot *s)
{
        return s->touch_policy == VT_TOUCH_DEFAULT ? VT_TOUCH_NEVER : s->touch_policy;
}

int piv_parse_tag_list(const uint8_t *data, size_t len, uint32_t *tag, struct reader *rest)
{
        struct reader r = rd_init(data, len), v;
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

uint8_t piv_policy_byte(struct reader tmpl, uint32_t tag, uint8_t max, bool *bad)
{
        struct reader v;
        uint8_t b = 0;
        if (rd_find(tmpl, tag, &v) != 0)
                return 0;
        if (v.left != 1 || rd_u8(&v, &b) != 0 || b > max)
                *bad = true;
        return b;
}

/* ---- SELECT and dispatch ------------------------------------------------------------------ */

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

static uint16_t piv_process(void *ctx, const struct apdu *a, struct writer *out)
{
        struct vt_piv *p = ctx;
        switch (a->ins) {
        case INS_GET_DATA:
                return piv_get_data(p, a, out);
        case INS_VERIFY:
                return piv_verify(p, a);
        case INS_CHANGE_REFERENCE:
                return piv_change_reference(p, a);
        case INS_RESET_RETRY:
                return piv_reset_retry_counter(p, a);
        case INS_GENERAL_AUTH:
                return piv_general_authenticate(p, a, out);
        case INS_GENERATE:
                return piv_generate(p, a, out);
        case INS_PUT_DATA:
                return piv_put_data(p, a);
        case INS_YK_IMPORT:
                return piv_import(p, a);
        default:
                return piv_yk_process(p, a, out);
        }
}

static void piv_reset(void *ctx)
{
        piv_clear_security(ctx);
}

/* ---- what the daemon asks ----------------------------------------------------------------- */

static const struct {
        uint8_t ins;
        const char *name;
} ins_names[] = {
    {INS_VERIFY, "VERIFY"},
    {INS_CHANGE_REFERENCE, "CHANGE REFERENCE DATA"},
    {INS_RESET_RETRY, "RESET RETRY COUNTER"},
    {INS_GENERATE, "GENERATE ASYMMETRIC KEY PAIR"},
    {INS_GENERAL_AUTH, "GENERAL AUTHENTICATE"},
    {INS_GET_DATA, "GET DATA"},
    {INS_PUT_DATA, "PUT DATA"},
    {INS_YK_MOVE_KEY, "MOVE KEY"},
    {INS_YK_METADATA, "GET METADATA"},
    {INS_YK_GET_SERIAL, "GET SERIAL"},
    {INS_YK_ATTEST, "ATTEST"},
    {INS_YK_SET_RETRIES, "SET PIN RETRIES"},
    {INS_YK_RESET, "RESET"},
    {INS_YK_GET_VERSION, "GET VERSION"},
    {INS_YK_IMPORT, "IMPORT KEY"},
    {INS_YK_SET_MGMKEY, "SET MANAGEMENT KEY"},
};

static const char *piv_ins_name(uint8_t ins)
{
        for (size_t i = 0; i < sizeof(ins_names) / sizeof(ins_names[0]); i++)
                if (ins_names[i].ins == ins)
                        return ins_names[i].name;
        return NULL;
}

/* Whether GET DATA or PUT DATA names a data object whose content is a secret. */
static bool names_secret_object(const struct apdu *a)
{
        uint32_t tag;
        struct reader rest;
        const struct piv_object_info *o;
        return piv_parse_tag_list(a->data, a->lc, &tag, &rest) == 0 &&
               (o = piv_object_info(tag)) != NULL && o->secret;
}

/* Whether an RSA input is a PKCS #1 v1.5 signature block: 00 01, at least eight FF, 00, the
 * DigestInfo. */
static bool is_signature_block(struct reader v)
{
        const uint8_t *p;
        size_t n = v.left, i = 2;
        if (n < 11 || rd_bytes(&v, n, &p) != 0 || p[0] != 0x00 || p[1] != 0x01)
                return false;
        while (i < n && p[i] == 0xFF)
                i++;
        return i >= 10 && i < n && p[i] == 0x00;
}

/* Whether a whole GENERAL AUTHENTICATE asks a slot's key for a signature, whose answer is no
 * secret: a challenge (81), no exponent (85), to an EC or EdDSA key (P1 names the key's
 * algorithm: the card refuses any other), or to an RSA key a challenge that is a PKCS #1 v1.5
 * signature block. Every other answer is hidden, whatever the slot: a key agreement's shared
 * secret, and any other RSA operation, since the card cannot tell a decryption (whose answer
 * is the plaintext, often a session key) from a signature with padding made by the host (PSS,
 * raw RSA). */
static bool asks_signature(const struct apdu *a)
{
        struct reader r = rd_init(a->data, a->lc), body, v;
        uint32_t tag;
        if (rd_tlv(&r, &tag, &body) != 0 || tag != TAG_DYN_AUTH || r.left != 0 ||
            rd_find(body, TAG_EXPONENT, &v) == 0 || rd_find(body, TAG_CHALLENGE, &v) != 0)
                return false;
        switch (piv_key_alg(a->p1)) {
        case VT_ALG_P256:
        case VT_ALG_P384:
        case VT_ALG_ED25519:
                return true;
        case VT_ALG_RSA1024:
        case VT_ALG_RSA2048:
        case VT_ALG_RSA3072:
        case VT_ALG_RSA4096:
                return is_signature_block(v);
        default:
                return false;
        }
}

/* PINs, PUKs, keys and the management key's challenges and answers are secret, in the
 * command and in its answer; so is a secret data object written or read, and every answer of
 * a slot's key that is not a signature (asks_signature). A part of a chain is no answer yet
 * (the card answers 9000): the chain is judged whole, with its last part (card.c). */
static unsigned piv_secrecy(void *ctx, const struct apdu *a)
{
        const unsigned both = VT_SECRET_COMMAND | VT_SECRET_RESPONSE;
        (void)ctx;
        switch (a->ins) {
        case INS_VERIFY:
        case INS_CHANGE_REFERENCE:
        case INS_RESET_RETRY:
        case INS_YK_IMPORT:
        case INS_YK_SET_MGMKEY:
                return both;
        case INS_GENERAL_AUTH:
                if (a->p2 == REF_MGM)
                        return both;
                if (a->cla & CLA_CHAIN)
                        return 0;
                return asks_signature(a) ? 0 : VT_SECRET_RESPONSE;
        case INS_PUT_DATA:
                return names_secret_object(a) ? both : 0;
        case INS_GET_DATA:
                return names_secret_object(a) ? VT_SECRET_RESPONSE : 0;
        default:
                return 0;
        }
}

/* A GENERAL AUTHENTICATE with a key whose touch policy wants a touch. With the management key
 * it is the step that carries the client's answer, not the request for a challenge. */
static enum vt_touch_need piv_touch(void *ctx, const struct apdu *a, uint8_t *key)
{
        struct vt_piv *p = ctx;
        uint8_t policy;
        if (a->ins != INS_GENERAL_AUTH)
                return VT_TOUCH_NONE;
        *key = a->p2;
        if (a->p2 == REF_MGM) {
                if (!piv_mgm_answer_step(a))
                        return VT_TOUCH_NONE;
                policy = p->st->mgm_touch;
        } else {
                const struct vt_slot *s = piv_key_slot(p, a->p2);
                if (!s || !s->key)
                        return VT_TOUCH_NONE;
                policy = s->touch_policy;
        }
        if (policy == VT_TOUCH_ALWAYS)
                return VT_TOUCH_EACH;
        return policy == VT_TOUCH_CACHED ? VT_TOUCH_CACHABLE : VT_TOUCH_NONE;
}

/* The commands that only read what the applet holds: GET DATA, the tries left (VERIFY
 * without data), and the YubiKey's version, serial and metadata. */
static bool piv_quick(void *ctx, const struct apdu *a)
{
        (void)ctx;
        return a->ins == INS_GET_DATA || (a->ins == INS_VERIFY && !a->lc) ||
               a->ins == INS_YK_GET_VERSION || a->ins == INS_YK_GET_SERIAL ||
               a->ins == INS_YK_METADATA;
}

/* What a whole command is for a timing table: a PIN check, a certificate read, and the
 * operations of a slot's key by its algorithm (a GENERAL AUTHENTICATE that is no signature is
 * a decryption, or with an exponent a key agreement; the card cannot tell more). */
static struct vt_op piv_op(void *ctx, const struct apdu *a)
{
        struct vt_piv *p = ctx;
        struct vt_op op = {VT_OP_OTHER, VT_CRYPTO_NONE};
        const struct vt_slot *s;
        struct reader rest, body, v;
        uint32_t tag;
        uint8_t alg;

        switch (a->ins) {
        case INS_VERIFY:
                if (a->lc) /* without data it only asks for the tries left */
                        op.kind = VT_OP_VERIFY;
                break;
        case INS_GET_DATA:
                if (piv_parse_tag_list(a->data, a->lc, &tag, &rest) == 0 && piv_slot_by_cert(tag))
                        op.kind = VT_OP_READ_CERT;
                break;
        case INS_GENERATE:
                if (piv_generate_alg(a, &rest, &alg) == 0 && vt_alg_crypto(alg) != VT_CRYPTO_NONE)
                        op = (struct vt_op){VT_OP_GENERATE, (uint8_t)vt_alg_crypto(alg)};
                break;
        case INS_GENERAL_AUTH:
                if (a->p2 == REF_MGM || !(s = piv_key_slot(p, a->p2)) || !s->key)
                        break;
                if ((op.alg = (uint8_t)vt_alg_crypto(s->alg)) == VT_CRYPTO_NONE)
                        break;
                rest = rd_init(a->data, a->lc);
                if (s->alg == VT_ALG_X25519 ||
                    (rd_tlv(&rest, &tag, &body) == 0 && tag == TAG_DYN_AUTH &&
                     rd_find(body, TAG_EXPONENT, &v) == 0))
                        op.kind = VT_OP_AGREE;
                else if (vt_crypto_info((enum vt_crypto_alg)op.alg)->kind == VT_KIND_RSA &&
                         !asks_signature(a))
                        op.kind = VT_OP_DECRYPT;
                else
                        op.kind = VT_OP_SIGN;
                break;
        default:
                break;
        }
        return op;
}

static void piv_status(void *ctx, struct vt_applet_status *st)
{
        const struct vt_piv *p = ctx;
        st->pin_verified = p->pin_verified;
        st->pin_tries_left = p->st->pin.tries_left;
        st->pin_max_tries = p->st->pin.max_tries;
        st->puk_tries_left = p->st->puk.tries_left;
        st->puk_max_tries = p->st->puk.max_tries;
}

/* ---- public face -------------------------------------------------------------------------- */

struct vt_piv *vt_piv_new(struct vt_image *img, const struct vt_store *store)
{
        struct vt_piv *p = calloc(1, sizeof(*p));
        if (p) {
                p->img = img;
                p->st = vt_piv_of(img);
                p->store = *store;
        }
        return p;
}

void vt_piv_free(struct vt_piv *p)
{
        if (!p)
                return;
        OPENSSL_cleanse(p, sizeof(*p));
        free(p);
}

static void piv_destroy(void *ctx)
{
        vt_piv_free(ctx);
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
        out->secrecy = piv_secrecy;
        out->touch = piv_touch;
        out->op = piv_op;
        out->quick = piv_quick;
        out->ins_name = piv_ins_name;
        out->status = piv_status;
        out->idle_get_response_sw = SW_WRONG_DATA; /* as a YubiKey 5's PIV answers */
}

int vt_piv_install(struct vt_card *c, struct vt_image *img, const struct vt_store *store)
{
        struct vt_piv *p = vt_piv_of(img) ? vt_piv_new(img, store) : NULL;
        struct vt_applet ap;
        if (!p)
                return -1;
        vt_piv_applet(p, &ap);
        ap.destroy = piv_destroy;
        return vt_card_add_applet(c, &ap);
}

bool vt_piv_pin_verified(const struct vt_piv *p)
{
        return p->pin_verified;
}
