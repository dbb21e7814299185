/* SPDX-License-Identifier: Apache-2.0 */
/* The OpenPGP card application: session state, the commit helper, SELECT, the INS dispatch,
 * and what the daemon asks of an applet (secrets for traces, touch, status). The commands live
 * by concern in pgp_data.c (data objects), pgp_auth.c (passwords) and pgp_keys.c (keys,
 * signatures, decryption, factory reset). */
#include "pgp_internal.h"

#include <openssl/crypto.h>

#include <stdlib.h>
#include <string.h>

const uint8_t vt_pgp_rid_pix[6] = {0xD2, 0x76, 0x00, 0x01, 0x24, 0x01};

#define SPEC_VERSION_MAJOR 0x03
#define SPEC_VERSION_MINOR 0x04

/* ---- commit first, then apply ------------------------------------------------------------- */

struct vt_pgp_state *pgp_propose(const struct vt_pgp *p)
{
        return pgp_state_clone(p->st);
}

uint16_t pgp_commit(struct vt_pgp *p, struct vt_pgp_state *next, unsigned keys)
{
        const struct pgp_change ch = {.cur = p->st, .next = next, .keys = keys};
        if (!next)
                return SW_MEMORY_FAILURE;
        if (vt_store_commit(&p->store, &vt_unit_openpgp, &ch) != 0) {
                pgp_state_free(next);
                return SW_MEMORY_FAILURE;
        }
        pgp_state_move(p->st, next);
        return SW_OK;
}

bool pgp_allowed(const struct vt_pgp *p, uint8_t access)
{
        switch (access) {
        case PGP_ALWAYS:
                return true;
        case PGP_PW1:
                return p->pw1_other;
        case PGP_PW3:
                return p->pw3;
        default:
                return false;
        }
}

void pgp_clear_security(struct vt_pgp *p)
{
        p->pw1_sig = p->pw1_other = p->pw3 = false;
        p->cert = 0;
}

int pgp_crt_ref(const uint8_t *data, size_t len)
{
        if (len < 2)
                return -1;
        switch (data[0]) {
        case TAG_CRT_SIG:
                return PGP_SIG;
        case TAG_CRT_DEC:
                return PGP_DEC;
        case TAG_CRT_AUT:
                return PGP_AUT;
        default:
                return -1;
        }
}

const struct pgp_alg *pgp_slot_alg(const struct vt_pgp_state *st, int ref)
{
        return pgp_alg_of_attr(st->keys[ref].attr, st->keys[ref].attr_len, ref);
}

/* ---- SELECT and dispatch ------------------------------------------------------------------ */

static uint16_t pgp_select(void *ctx, const struct apdu *a, struct writer *out)
{
        struct vt_pgp *p = ctx;
        if (p->st->terminated)
                return SW_TERMINATED;
        if (a->p2 == 0x0C)
                return SW_OK; /* no FCI wanted */
        size_t fci = wr_open(out, 0x6F);
        wr_tlv(out, 0x84, p->aid, sizeof(p->aid));
        wr_close(out, fci);
        return SW_OK;
}

static uint16_t pgp_process(void *ctx, const struct apdu *a, struct writer *out)
{
        struct vt_pgp *p = ctx;
        if (p->st->terminated)
                return a->ins == INS_ACTIVATE ? pgp_activate(p) : SW_TERMINATED;
        switch (a->ins) {
        case INS_SELECT: /* by file identifier (scdaemon's probes of 3F00 and 2F02) */
                return SW_FILE_NOT_FOUND;
        case INS_GET_DATA:
                return pgp_get_data(p, a, out);
        case INS_GET_NEXT_DATA:
                return pgp_get_next_data(p, a, out);
        case INS_SELECT_DATA:
                return pgp_select_data(p, a);
        case INS_PUT_DATA:
                return pgp_put_data(p, a);
        case INS_PUT_DATA_ODD:
                return pgp_import(p, a);
        case INS_VERIFY:
                return pgp_verify(p, a);
        case INS_CHANGE_REFERENCE:
                return pgp_change_reference(p, a);
        case INS_RESET_RETRY:
                return pgp_reset_retry_counter(p, a);
        case INS_GENERATE:
                return pgp_generate(p, a, out);
        case INS_PSO:
                return pgp_pso(p, a, out);
        case INS_INTERNAL_AUTH:
                return pgp_internal_authenticate(p, a, out);
        case INS_GET_CHALLENGE:
                return pgp_get_challenge(a, out);
        case INS_TERMINATE:
                return pgp_terminate(p);
        case INS_ACTIVATE:
                return pgp_activate(p);
        default:
                return SW_INS_NOT_SUPPORTED;
        }
}

static void pgp_reset(void *ctx)
{
        pgp_clear_security(ctx);
}

/* ---- what the daemon asks ----------------------------------------------------------------- */

static const struct {
        uint8_t ins;
        const char *name;
} ins_names[] = {
    {INS_GET_DATA, "GET DATA"},
    {INS_GET_NEXT_DATA, "GET NEXT DATA"},
    {INS_SELECT_DATA, "SELECT DATA"},
    {INS_PUT_DATA, "PUT DATA"},
    {INS_PUT_DATA_ODD, "PUT DATA"},
    {INS_VERIFY, "VERIFY"},
    {INS_CHANGE_REFERENCE, "CHANGE REFERENCE DATA"},
    {INS_RESET_RETRY, "RESET RETRY COUNTER"},
    {INS_GENERATE, "GENERATE ASYMMETRIC KEY PAIR"},
    {INS_PSO, "PERFORM SECURITY OPERATION"},
    {INS_INTERNAL_AUTH, "INTERNAL AUTHENTICATE"},
    {INS_GET_CHALLENGE, "GET CHALLENGE"},
    {INS_TERMINATE, "TERMINATE DF"},
    {INS_ACTIVATE, "ACTIVATE FILE"},
    {INS_MSE, "MANAGE SECURITY ENVIRONMENT"},
};

static const char *pgp_ins_name(uint8_t ins)
{
        for (size_t i = 0; i < sizeof(ins_names) / sizeof(ins_names[0]); i++)
                if (ins_names[i].ins == ins)
                        return ins_names[i].name;
        return NULL;
}

static uint16_t p1p2(const struct apdu *a)
{
        return (uint16_t)(a->p1 << 8 | a->p2);
}

/* Whether GET DATA or PUT DATA names a data object whose value is secret. */
static bool names_secret_do(const struct apdu *a)
{
        for (size_t i = 0; i < PGP_N_DOS; i++)
                if (pgp_dos[i].secret && pgp_dos[i].tag == p1p2(a))
                        return true;
        return false;
}

/* Passwords in VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER (and what they answer);
 * the resetting code, an imported key and a secret private DO written; a secret private DO
 * read; what DECIPHER answers (a session key or a shared secret). Every applet of a card is
 * asked about every command, so PIV's PUT DATA (DB 3FFF 5C ...) is left alone: a key import
 * starts with 4D. */
static unsigned pgp_secrecy(void *ctx, const struct apdu *a)
{
        const unsigned both = VT_SECRET_COMMAND | VT_SECRET_RESPONSE;
        (void)ctx;
        switch (a->ins) {
        case INS_VERIFY:
        case INS_CHANGE_REFERENCE:
        case INS_RESET_RETRY:
                return both;
        case INS_PUT_DATA:
                return p1p2(a) == 0x00D3 || names_secret_do(a) ? VT_SECRET_COMMAND : 0;
        case INS_PUT_DATA_ODD:
                return a->lc > 0 && a->data[0] == 0x4D ? VT_SECRET_COMMAND : 0;
        case INS_GET_DATA:
                return names_secret_do(a) ? VT_SECRET_RESPONSE : 0;
        case INS_PSO:
                return p1p2(a) == PSO_DECIPHER ? VT_SECRET_RESPONSE : 0;
        default:
                return 0;
        }
}

static const uint8_t crt_tags[PGP_KEYS] = {TAG_CRT_SIG, TAG_CRT_DEC, TAG_CRT_AUT};

/* A signature, decryption or authentication with a key whose UIF asks for a touch. */
static enum vt_touch_need pgp_touch(void *ctx, const struct apdu *a, uint8_t *key)
{
        struct vt_pgp *p = ctx;
        int ref;
        if (a->ins == INS_PSO && p1p2(a) == PSO_CDS)
                ref = PGP_SIG;
        else if (a->ins == INS_PSO && p1p2(a) == PSO_DECIPHER)
                ref = PGP_DEC;
        else if (a->ins == INS_INTERNAL_AUTH)
                ref = PGP_AUT;
        else
                return VT_TOUCH_NONE;
        if (!p->st->keys[ref].key)
                return VT_TOUCH_NONE;
        *key = crt_tags[ref];
        switch (p->st->keys[ref].uif) {
        case 1:
        case 2:
                return VT_TOUCH_EACH;
        case 3:
        case 4:
                return VT_TOUCH_CACHABLE;
        default:
                return VT_TOUCH_NONE;
        }
}

/* The algorithm of key slot ref's key for a timing table; NONE when it holds no key. */
static uint8_t key_alg(const struct vt_pgp *p, int ref)
{
        const struct pgp_key *k = &p->st->keys[ref];
        const struct pgp_alg *alg = k->key ? pgp_alg_of_attr(k->attr, k->attr_len, ref) : NULL;
        return alg ? (uint8_t)alg->alg : VT_CRYPTO_NONE;
}

/* The commands that only read what the applet holds: GET DATA, GET NEXT DATA and the tries
 * left (VERIFY without data). */
static bool pgp_quick(void *ctx, const struct apdu *a)
{
        (void)ctx;
        return a->ins == INS_GET_DATA || a->ins == INS_GET_NEXT_DATA ||
               (a->ins == INS_VERIFY && !a->lc);
}

/* What a whole command is for a timing table: a password check, the cardholder certificate
 * read, and the key operations by the key's algorithm (a key generation by the attributes of
 * the slot its CRT names). */
static struct vt_op pgp_op(void *ctx, const struct apdu *a)
{
        const struct vt_pgp *p = ctx;
        struct vt_op op = {VT_OP_OTHER, VT_CRYPTO_NONE};
        int ref = -1;
        uint8_t kind = VT_OP_OTHER;

        if (a->ins == INS_VERIFY && a->lc) {
                op.kind = VT_OP_VERIFY;
        } else if (a->ins == INS_GET_DATA && p1p2(a) == 0x7F21) {
                op.kind = VT_OP_READ_CERT;
        } else if (a->ins == INS_PSO && p1p2(a) == PSO_CDS) {
                ref = PGP_SIG;
                kind = VT_OP_SIGN;
        } else if (a->ins == INS_INTERNAL_AUTH) {
                ref = PGP_AUT;
                kind = VT_OP_SIGN;
        } else if (a->ins == INS_PSO && p1p2(a) == PSO_DECIPHER) {
                ref = PGP_DEC;
                kind = VT_OP_DECRYPT;
        } else if (a->ins == INS_GENERATE && a->p1 == 0x80 && a->lc) {
                for (int i = 0; i < PGP_KEYS; i++)
                        if (a->data[0] == crt_tags[i])
                                ref = i;
                kind = VT_OP_GENERATE;
        }
        if (ref < 0)
                return op;
        if (kind == VT_OP_GENERATE) {
                const struct pgp_key *k = &p->st->keys[ref];
                const struct pgp_alg *alg = pgp_alg_of_attr(k->attr, k->attr_len, ref);
                op.alg = alg ? (uint8_t)alg->alg : VT_CRYPTO_NONE;
        } else {
                op.alg = key_alg(p, ref);
        }
        if (op.alg == VT_CRYPTO_NONE)
                return op;
        const struct vt_crypto_info *ci = vt_crypto_info((enum vt_crypto_alg)op.alg);
        op.kind = kind == VT_OP_DECRYPT && ci->kind != VT_KIND_RSA ? VT_OP_AGREE : kind;
        return op;
}

static void pgp_status(void *ctx, struct vt_applet_status *st)
{
        const struct vt_pgp *p = ctx;
        st->pin_verified = p->pw1_sig || p->pw1_other;
        st->pin_tries_left = p->st->pw1.s.tries_left;
        st->pin_max_tries = p->st->pw1.s.max_tries;
        st->puk_tries_left = p->st->pw3.s.tries_left;
        st->puk_max_tries = p->st->pw3.s.max_tries;
}

/* ---- public face -------------------------------------------------------------------------- */

struct vt_pgp *vt_pgp_new(struct vt_pgp_state *st, const struct vt_store *store)
{
        struct vt_pgp *p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        p->st = st;
        p->store = *store;
        memcpy(p->aid, vt_pgp_rid_pix, sizeof(vt_pgp_rid_pix));
        p->aid[6] = SPEC_VERSION_MAJOR;
        p->aid[7] = SPEC_VERSION_MINOR;
        p->aid[8] = (uint8_t)(st->manufacturer >> 8);
        p->aid[9] = (uint8_t)st->manufacturer;
        for (int i = 0; i < 4; i++)
                p->aid[10 + i] = (uint8_t)(st->serial >> (24 - 8 * i));
        return p;
}

void vt_pgp_free(struct vt_pgp *p)
{
        if (!p)
                return;
        OPENSSL_cleanse(p, sizeof(*p));
        free(p);
}

static void pgp_destroy(void *ctx)
{
        vt_pgp_free(ctx);
}

void vt_pgp_applet(struct vt_pgp *p, struct vt_applet *out)
{
        memset(out, 0, sizeof(*out));
        out->name = "openpgp";
        out->aid = p->aid;
        out->aid_len = sizeof(p->aid);
        out->ctx = p;
        out->select = pgp_select;
        out->process = pgp_process;
        out->reset = pgp_reset;
        out->secrecy = pgp_secrecy;
        out->touch = pgp_touch;
        out->op = pgp_op;
        out->quick = pgp_quick;
        out->ins_name = pgp_ins_name;
        out->status = pgp_status;
}

int vt_pgp_install(struct vt_card *c, struct vt_image *img, const struct vt_store *store)
{
        struct vt_pgp_state *st = vt_image_state(img, &vt_unit_openpgp);
        struct vt_pgp *p = st ? vt_pgp_new(st, store) : NULL;
        struct vt_applet ap;
        if (!p)
                return -1;
        vt_pgp_applet(p, &ap);
        ap.destroy = pgp_destroy;
        return vt_card_add_applet(c, &ap);
}
