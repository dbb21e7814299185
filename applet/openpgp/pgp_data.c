/* SPDX-License-Identifier: Apache-2.0 */
/* Data objects: GET DATA, GET NEXT DATA, SELECT DATA and PUT DATA (INS DA). */
#include "pgp_internal.h"

#include <string.h>

/* Historical bytes: category 00, card service data 31 C5, card capabilities 73 C0 01 C0
 * (command chaining and extended Lc/Le), status 05 90 00. */
static const uint8_t historical[] = {0x00, 0x31, 0xC5, 0x73, 0xC0, 0x01, 0xC0, 0x05, 0x90, 0x00};

/* Extended capabilities (C0): GET CHALLENGE, key import, PW1 status changeable, private DOs,
 * algorithm attributes changeable; no secure messaging; GET CHALLENGE up to 256 bytes;
 * certificates up to 2048 bytes; special DOs up to 255 bytes; no PIN block 2; no MSE. */
static const uint8_t ext_caps[10] = {0x7C, 0x00, 0x01, 0x00, 0x08, 0x00, 0x00, 0xFF, 0x00, 0x00};

#define MAX_COMMAND  0x1000
#define MAX_RESPONSE 0x1000
#define UIF_BUTTON   0x20 /* general feature management: a button */

#define TAG_EXT_CAPS 0x00C0
#define TAG_ATTR_SIG 0x00C1
#define TAG_PW_STAT  0x00C4
#define TAG_FPRS     0x00C5
#define TAG_CA_FPRS  0x00C6
#define TAG_FPR_SIG  0x00C7
#define TAG_CAFP_SIG 0x00CA
#define TAG_DATES    0x00CD
#define TAG_DATE_SIG 0x00CE
#define TAG_RC       0x00D3
#define TAG_UIF_SIG  0x00D6
#define TAG_KEY_INFO 0x00DE
#define TAG_ALG_INFO 0x00FA
#define TAG_CERT     0x7F21

static const struct pgp_key *key_of(const struct vt_pgp *p, int ref)
{
        return &p->st->keys[ref];
}

static void write_aid(const struct vt_pgp *p, struct writer *w)
{
        wr_tlv(w, 0x4F, p->aid, sizeof(p->aid));
}

static void write_pw_status(const struct vt_pgp *p, struct writer *w)
{
        const struct vt_pgp_state *st = p->st;
        const uint8_t v[7] = {
            st->pw1_multi ? 0x01 : 0x00, PGP_PW_MAX,          PGP_PW_MAX,          PGP_PW_MAX,
            st->pw1.s.tries_left,        st->rc.s.tries_left, st->pw3.s.tries_left};
        wr_tlv(w, TAG_PW_STAT, v, sizeof(v));
}

/* The same field of the three keys, one after the other (C5, C6, CD). */
static void keys_field(const struct vt_pgp *p, struct writer *w, uint16_t tag)
{
        size_t offset = tag == TAG_FPRS      ? offsetof(struct pgp_key, fpr)
                        : tag == TAG_CA_FPRS ? offsetof(struct pgp_key, ca_fpr)
                                             : offsetof(struct pgp_key, time);
        size_t len = tag == TAG_DATES ? 4 : PGP_FPR_LEN;
        for (int i = 0; i < PGP_KEYS; i++)
                wr_bytes(w, (const uint8_t *)key_of(p, i) + offset, len);
}

static void write_keys_field(const struct vt_pgp *p, struct writer *w, uint16_t tag)
{
        size_t mark = wr_open(w, tag);
        keys_field(p, w, tag);
        wr_close(w, mark);
}

static void write_uif(const struct vt_pgp *p, struct writer *w, int ref)
{
        const uint8_t v[2] = {key_of(p, ref)->uif, UIF_BUTTON};
        wr_tlv(w, TAG_UIF_SIG + (uint32_t)ref, v, sizeof(v));
}

static void write_discretionary(const struct vt_pgp *p, struct writer *w)
{
        size_t mark = wr_open(w, 0x73);
        uint8_t info[2 * PGP_KEYS];
        wr_tlv(w, TAG_EXT_CAPS, ext_caps, sizeof(ext_caps));
        for (int i = 0; i < PGP_KEYS; i++)
                wr_tlv(w, TAG_ATTR_SIG + (uint32_t)i, key_of(p, i)->attr, key_of(p, i)->attr_len);
        write_pw_status(p, w);
        write_keys_field(p, w, TAG_FPRS);
        write_keys_field(p, w, TAG_CA_FPRS);
        write_keys_field(p, w, TAG_DATES);
        for (size_t i = 0; i < PGP_KEYS; i++) {
                info[2 * i] = (uint8_t)(i + 1);
                info[2 * i + 1] = key_of(p, (int)i)->origin;
        }
        wr_tlv(w, TAG_KEY_INFO, info, sizeof(info));
        for (int i = 0; i < PGP_KEYS; i++)
                write_uif(p, w, i);
        wr_close(w, mark);
}

static void write_ext_length(const struct vt_pgp *p, struct writer *w)
{
        (void)p;
        size_t mark = wr_open(w, 0x7F66);
        wr_u8(w, 0x02);
        wr_u8(w, 0x02);
        wr_u16(w, MAX_COMMAND);
        wr_u8(w, 0x02);
        wr_u8(w, 0x02);
        wr_u16(w, MAX_RESPONSE);
        wr_close(w, mark);
}

static void write_features(const struct vt_pgp *p, struct writer *w)
{
        (void)p;
        const uint8_t button[3] = {0x81, 0x01, UIF_BUTTON};
        wr_tlv(w, 0x7F74, button, sizeof(button));
}

static void write_app_related(const struct vt_pgp *p, struct writer *w)
{
        size_t mark = wr_open(w, 0x6E);
        write_aid(p, w);
        wr_tlv(w, 0x5F52, historical, sizeof(historical));
        write_ext_length(p, w);
        write_features(p, w);
        write_discretionary(p, w);
        wr_close(w, mark);
}

static void write_do(const struct vt_pgp *p, struct writer *w, int index)
{
        const struct pgp_blob *b = &p->st->dos[index];
        wr_tlv(w, pgp_dos[index].tag, b->data, b->len);
}

static void write_cardholder(const struct vt_pgp *p, struct writer *w)
{
        size_t mark = wr_open(w, 0x65);
        write_do(p, w, PGP_DO_NAME);
        write_do(p, w, PGP_DO_LANG);
        write_do(p, w, PGP_DO_SEX);
        wr_close(w, mark);
}

static void write_security(const struct vt_pgp *p, struct writer *w)
{
        size_t mark = wr_open(w, 0x7A);
        uint32_t n = p->st->sig_count;
        const uint8_t c[3] = {(uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
        wr_tlv(w, 0x93, c, sizeof(c));
        wr_close(w, mark);
}

/* Algorithm information (FA): every attribute each key slot can take. */
static void write_alg_info(struct writer *w)
{
        size_t mark = wr_open(w, TAG_ALG_INFO);
        uint8_t attr[PGP_ATTR_MAX];
        for (int ref = 0; ref < PGP_KEYS; ref++)
                for (size_t i = 0; i < pgp_n_algs; i++) {
                        if ((ref == PGP_DEC ? pgp_algs[i].dec_type : pgp_algs[i].type) == 0)
                                continue;
                        size_t n = pgp_attr_of_alg(&pgp_algs[i], ref, attr);
                        wr_tlv(w, TAG_ATTR_SIG + (uint32_t)ref, attr, n);
                }
        wr_close(w, mark);
}

/* The value of a TLV written into a scratch writer, copied without its tag and length: a
 * simple DO read by its own tag answers its value alone. */
static void value_only(struct writer *w, void (*fn)(const struct vt_pgp *, struct writer *),
                       const struct vt_pgp *p)
{
        uint8_t tmp[512];
        struct writer s = wr_init(tmp, sizeof(tmp));
        struct reader r, v;
        uint32_t tag;
        fn(p, &s);
        r = rd_init(tmp, s.len);
        if (s.err || rd_tlv(&r, &tag, &v) != 0)
                w->err = true;
        else
                wr_bytes(w, v.p, v.left);
}

static int do_index(uint16_t tag, const struct vt_pgp *p)
{
        if (tag == TAG_CERT)
                return PGP_DO_CERT_AUT + p->cert;
        for (int i = 0; i < PGP_N_DOS; i++)
                if (pgp_dos[i].tag == tag)
                        return i;
        return -1;
}

/* A whole constructed DO (returned with its tag) or the value of a simple one. */
static uint16_t get_one(struct vt_pgp *p, uint16_t tag, struct writer *out)
{
        int i;
        switch (tag) {
        case 0x004F:
                wr_bytes(out, p->aid, sizeof(p->aid));
                return SW_OK;
        case 0x5F52:
                wr_bytes(out, historical, sizeof(historical));
                return SW_OK;
        case 0x006E:
                write_app_related(p, out);
                return SW_OK;
        case 0x0065:
                write_cardholder(p, out);
                return SW_OK;
        case 0x007A:
                write_security(p, out);
                return SW_OK;
        case 0x0073:
                write_discretionary(p, out);
                return SW_OK;
        case 0x7F66: /* as scdaemon reads them alone: the value, without the tag */
                value_only(out, write_ext_length, p);
                return SW_OK;
        case 0x7F74:
                value_only(out, write_features, p);
                return SW_OK;
        case TAG_ALG_INFO:
                write_alg_info(out);
                return SW_OK;
        case TAG_EXT_CAPS:
                wr_bytes(out, ext_caps, sizeof(ext_caps));
                return SW_OK;
        case TAG_PW_STAT:
                value_only(out, write_pw_status, p);
                return SW_OK;
        case 0x0093: {
                uint32_t n = p->st->sig_count;
                wr_u8(out, (uint8_t)(n >> 16));
                wr_u16(out, (uint16_t)n);
                return SW_OK;
        }
        case TAG_FPRS:
        case TAG_CA_FPRS:
        case TAG_DATES:
                keys_field(p, out, tag);
                return SW_OK;
        default:
                break;
        }
        if (tag >= TAG_ATTR_SIG && tag < TAG_ATTR_SIG + PGP_KEYS) {
                const struct pgp_key *k = key_of(p, tag - TAG_ATTR_SIG);
                wr_bytes(out, k->attr, k->attr_len);
                return SW_OK;
        }
        if (tag >= TAG_UIF_SIG && tag < TAG_UIF_SIG + PGP_KEYS) {
                wr_u8(out, key_of(p, tag - TAG_UIF_SIG)->uif);
                wr_u8(out, UIF_BUTTON);
                return SW_OK;
        }
        if ((i = do_index(tag, p)) < 0)
                return SW_REFERENCE_NOT_FOUND;
        if (!pgp_allowed(p, pgp_dos[i].read))
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        wr_bytes(out, p->st->dos[i].data, p->st->dos[i].len);
        return SW_OK;
}

uint16_t pgp_get_data(struct vt_pgp *p, const struct apdu *a, struct writer *out)
{
        return get_one(p, (uint16_t)(a->p1 << 8 | a->p2), out);
}

uint16_t pgp_get_next_data(struct vt_pgp *p, const struct apdu *a, struct writer *out)
{
        if ((a->p1 << 8 | a->p2) != TAG_CERT)
                return SW_REFERENCE_NOT_FOUND;
        if (p->cert + 1 >= PGP_CERTS)
                return SW_REFERENCE_NOT_FOUND;
        p->cert++;
        return get_one(p, TAG_CERT, out);
}

/* SELECT DATA: P1 the occurrence (0..2), P2 04; data 60 { 5C 02 7F 21 } (GnuPG 2.2 sends the
 * tag list without the 60). */
uint16_t pgp_select_data(struct vt_pgp *p, const struct apdu *a)
{
        struct reader r = rd_init(a->data, a->lc), v;
        uint32_t tag;
        if (a->p2 != 0x04 || a->p1 >= PGP_CERTS)
                return SW_INCORRECT_P1P2;
        if (rd_tlv(&r, &tag, &v) == 0 && tag == 0x60)
                r = v;
        else
                r = rd_init(a->data, a->lc);
        if (rd_tlv(&r, &tag, &v) != 0 || tag != 0x5C || v.left != 2 || v.p[0] != 0x7F ||
            v.p[1] != 0x21)
                return SW_WRONG_DATA;
        p->cert = a->p1;
        return SW_OK;
}

/* ---- PUT DATA ----------------------------------------------------------------------------- */

/* New key attributes: a key of another algorithm is gone with the old attributes. */
static uint16_t put_attr(struct vt_pgp *p, int ref, const uint8_t *v, size_t len)
{
        const struct pgp_alg *alg = pgp_alg_of_attr(v, len, ref);
        struct vt_pgp_state *next;
        unsigned keys = 0;
        if (!alg || len > PGP_ATTR_MAX)
                return SW_WRONG_DATA;
        if (!(next = pgp_propose(p)))
                return SW_MEMORY_FAILURE;
        struct pgp_key *k = &next->keys[ref];
        if (alg != pgp_slot_alg(p->st, ref) && k->key) {
                EVP_PKEY_free(k->key);
                k->key = NULL;
                k->origin = 0;
                memset(k->fpr, 0, sizeof(k->fpr));
                memset(k->time, 0, sizeof(k->time));
                keys = 1u << ref;
        }
        memcpy(k->attr, v, len);
        k->attr_len = len;
        return pgp_commit(p, next, keys);
}

/* The resetting code: at least 8 characters, or none (length 0 removes it). */
static uint16_t put_rc(struct vt_pgp *p, const uint8_t *v, size_t len)
{
        struct vt_pgp_state *next;
        if (len && (len < 8 || len > PGP_PW_MAX))
                return SW_WRONG_DATA;
        if (!(next = pgp_propose(p)))
                return SW_MEMORY_FAILURE;
        pgp_pw_set(&next->rc, v, len);
        return pgp_commit(p, next, 0);
}

/* A fixed-size field of one key: fingerprint, CA fingerprint or date. */
static uint16_t put_key_field(struct vt_pgp *p, int ref, size_t offset, const uint8_t *v,
                              size_t len, size_t size)
{
        struct vt_pgp_state *next;
        if (len != size)
                return SW_WRONG_LENGTH;
        if (!(next = pgp_propose(p)))
                return SW_MEMORY_FAILURE;
        memcpy((uint8_t *)&next->keys[ref] + offset, v, size);
        return pgp_commit(p, next, 0);
}

static uint16_t put_uif(struct vt_pgp *p, int ref, const uint8_t *v, size_t len)
{
        struct vt_pgp_state *next;
        uint8_t now = key_of(p, ref)->uif;
        if (len < 1 || len > 2 || v[0] > 4)
                return SW_WRONG_DATA;
        if (now == 2 || now == 4) /* permanent */
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        if (!(next = pgp_propose(p)))
                return SW_MEMORY_FAILURE;
        next->keys[ref].uif = v[0];
        return pgp_commit(p, next, 0);
}

static uint16_t put_pw_status(struct vt_pgp *p, const uint8_t *v, size_t len)
{
        struct vt_pgp_state *next;
        if (len < 1 || v[0] > 1)
                return SW_WRONG_DATA;
        if (!(next = pgp_propose(p)))
                return SW_MEMORY_FAILURE;
        next->pw1_multi = v[0] == 1;
        return pgp_commit(p, next, 0);
}

static uint16_t put_do(struct vt_pgp *p, int i, const uint8_t *v, size_t len)
{
        struct vt_pgp_state *next;
        if (!pgp_allowed(p, pgp_dos[i].write))
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        if (len > pgp_dos[i].max_len)
                return SW_WRONG_LENGTH;
        if (!(next = pgp_propose(p)))
                return SW_MEMORY_FAILURE;
        if (pgp_state_set_do(next, i, v, len) < 0) {
                pgp_state_free(next);
                return SW_MEMORY_FAILURE;
        }
        return pgp_commit(p, next, 0);
}

uint16_t pgp_put_data(struct vt_pgp *p, const struct apdu *a)
{
        uint16_t tag = (uint16_t)(a->p1 << 8 | a->p2);
        const uint8_t *v = a->data;
        size_t len = a->lc;
        int i = do_index(tag, p);
        if (i >= 0)
                return put_do(p, i, v, len);
        if (!p->pw3)
                return tag == TAG_RC || (tag >= TAG_ATTR_SIG && tag <= TAG_UIF_SIG + 2) ||
                               tag == TAG_PW_STAT
                           ? SW_SECURITY_STATUS_NOT_SATISFIED
                           : SW_REFERENCE_NOT_FOUND;
        if (tag >= TAG_ATTR_SIG && tag < TAG_ATTR_SIG + PGP_KEYS)
                return put_attr(p, tag - TAG_ATTR_SIG, v, len);
        if (tag >= TAG_FPR_SIG && tag < TAG_FPR_SIG + PGP_KEYS)
                return put_key_field(p, tag - TAG_FPR_SIG, offsetof(struct pgp_key, fpr), v, len,
                                     PGP_FPR_LEN);
        if (tag >= TAG_CAFP_SIG && tag < TAG_CAFP_SIG + PGP_KEYS)
                return put_key_field(p, tag - TAG_CAFP_SIG, offsetof(struct pgp_key, ca_fpr), v,
                                     len, PGP_FPR_LEN);
        if (tag >= TAG_DATE_SIG && tag < TAG_DATE_SIG + PGP_KEYS)
                return put_key_field(p, tag - TAG_DATE_SIG, offsetof(struct pgp_key, time), v, len,
                                     4);
        if (tag >= TAG_UIF_SIG && tag < TAG_UIF_SIG + PGP_KEYS)
                return put_uif(p, tag - TAG_UIF_SIG, v, len);
        if (tag == TAG_RC)
                return put_rc(p, v, len);
        if (tag == TAG_PW_STAT)
                return put_pw_status(p, v, len);
        return SW_REFERENCE_NOT_FOUND;
}
