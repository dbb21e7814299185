/* SPDX-License-Identifier: Apache-2.0 */
/* The OATH application: the session, SELECT, one handler per INS, and what the daemon asks of
 * an applet (secrets for traces, touch, instruction names). */
#include "oath.h"

#include "buf.h"
#include "sw.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdlib.h>
#include <string.h>

#define INS_PUT            0x01
#define INS_DELETE         0x02
#define INS_SET_CODE       0x03
#define INS_RESET          0x04
#define INS_RENAME         0x05
#define INS_LIST           0xA1
#define INS_CALCULATE      0xA2
#define INS_VALIDATE       0xA3
#define INS_CALCULATE_ALL  0xA4
#define INS_SEND_REMAINING 0xA5

#define TAG_NAME      0x71
#define TAG_NAME_LIST 0x72
#define TAG_KEY       0x73
#define TAG_CHALLENGE 0x74
#define TAG_RESPONSE  0x75
#define TAG_TRUNCATED 0x76
#define TAG_HOTP      0x77
#define TAG_PROPERTY  0x78 /* a tag and one byte, without a length (as ykman sends it) */
#define TAG_VERSION   0x79
#define TAG_IMF       0x7A
#define TAG_ALGORITHM 0x7B
#define TAG_TOUCH     0x7C

/* YKOATH's "no such object" (ISO 7816-4: reference data not usable); not in sw.h, which has
 * no other user of it. */
#define SW_NO_SUCH_OBJECT 0x6984

#define CHALLENGE_LEN 8
#define MAC_MAX       64
#define SHORT_ANSWER  256

struct vt_oath {
        struct vt_oath_state *st;
        struct vt_store store;
        uint8_t version[3];
        size_t room;
        bool unlocked;   /* VALIDATE succeeded in this session */
        bool challenged; /* SELECT gave out challenge (an access key is set) */
        uint8_t challenge[CHALLENGE_LEN];
        /* what SEND REMAINING hands out next: the part of the last answer the card core did
         * not send in its first piece */
        size_t tail_len;
        bool tail_secret;
        uint8_t tail[VT_RESPONSE_MAX];
};

static bool locked(const struct vt_oath *o)
{
        return o->st->key_alg && !o->unlocked;
}

static bool fw_at_least(const struct vt_oath *o, uint8_t major, uint8_t minor)
{
        return o->version[0] > major || (o->version[0] == major && o->version[1] >= minor);
}

/* ---- commit first, then apply ------------------------------------------------------------- */

static struct vt_oath_state *propose(const struct vt_oath *o)
{
        return oath_state_clone(o->st);
}

/* Makes next durable and then live; next is consumed either way. */
static uint16_t commit(struct vt_oath *o, struct vt_oath_state *next)
{
        const struct oath_change ch = {.cur = o->st, .next = next};
        if (!next)
                return SW_MEMORY_FAILURE;
        if (vt_store_commit(&o->store, &vt_unit_oath, &ch) != 0) {
                oath_state_free(next);
                return SW_MEMORY_FAILURE;
        }
        *o->st = *next;
        oath_state_free(next);
        return SW_OK;
}

/* ---- parsing ------------------------------------------------------------------------------ */

/* The next item of a command: a BER-TLV, or the property tag with its one byte. */
static int next_item(struct reader *r, uint32_t *tag, struct reader *value)
{
        struct reader save = *r;
        const uint8_t *v;
        if (r->left > 0 && r->p[0] == TAG_PROPERTY) {
                if (rd_bytes(r, 2, &v) != 0)
                        return -1;
                *tag = TAG_PROPERTY;
                *value = rd_init(v + 1, 1);
                return 0;
        }
        if (rd_tlv(r, tag, value) != 0) {
                *r = save;
                return -1;
        }
        return 0;
}

/* A name item (71) of 1..64 bytes at the reader's position. */
static int read_name(struct reader *r, struct reader *name)
{
        uint32_t tag;
        if (next_item(r, &tag, name) != 0 || tag != TAG_NAME || name->left == 0 ||
            name->left > OATH_NAME_MAX)
                return -1;
        return 0;
}

static int find_name(const struct apdu *a, struct reader *name)
{
        struct reader r = rd_init(a->data, a->lc);
        return read_name(&r, name);
}

static int cred_index(const struct vt_oath_state *st, const struct reader *name)
{
        const struct oath_cred *c = oath_state_find(st, name->p, name->left);
        return c ? (int)(c - st->creds) : -1;
}

/* ---- SELECT ------------------------------------------------------------------------------- */

static void drop_tail(struct vt_oath *o)
{
        OPENSSL_cleanse(o->tail, o->tail_len);
        o->tail_len = 0;
        o->tail_secret = false;
}

static void clear_session(struct vt_oath *o)
{
        o->unlocked = false;
        o->challenged = false;
        OPENSSL_cleanse(o->challenge, sizeof(o->challenge));
        drop_tail(o);
}

static uint16_t oath_select(void *ctx, const struct apdu *a, struct writer *out)
{
        struct vt_oath *o = ctx;
        (void)a;
        clear_session(o);
        if (o->st->key_alg) {
                if (RAND_bytes(o->challenge, sizeof(o->challenge)) != 1)
                        return SW_FAIL_RANDOM;
                o->challenged = true;
        }
        wr_tlv(out, TAG_VERSION, o->version, sizeof(o->version));
        wr_tlv(out, TAG_NAME, o->st->salt, sizeof(o->st->salt));
        if (o->challenged) {
                wr_tlv(out, TAG_CHALLENGE, o->challenge, sizeof(o->challenge));
                wr_tlv(out, TAG_ALGORITHM, &o->st->key_alg, 1);
        }
        return SW_OK;
}

/* ---- credentials -------------------------------------------------------------------------- */

/* The key item: type|algorithm, digits, secret. */
static int parse_key(struct reader v, struct oath_cred *c)
{
        uint8_t ta;
        const uint8_t *secret;
        if (rd_u8(&v, &ta) != 0 || rd_u8(&v, &c->digits) != 0)
                return -1;
        c->type = ta & 0xF0;
        c->alg = ta & 0x0F;
        if ((c->type != OATH_HOTP && c->type != OATH_TOTP) || !oath_alg_name(c->alg) ||
            c->digits < 6 || c->digits > 8)
                return -1;
        size_t len = v.left;
        if (len > (c->alg == OATH_SHA512 ? 128u : 64u) || rd_bytes(&v, len, &secret) != 0)
                return -1;
        memcpy(c->secret, secret, len);
        c->secret_len = (uint8_t)len;
        return 0;
}

/* PUT: 71 name, 73 key, then optionally 78 property and 7A the HOTP counter to start from. */
static uint16_t parse_put(const struct apdu *a, struct oath_cred *c)
{
        struct reader r = rd_init(a->data, a->lc), name, v;
        uint32_t tag;
        memset(c, 0, sizeof(*c));
        if (read_name(&r, &name) != 0 || next_item(&r, &tag, &v) != 0 || tag != TAG_KEY ||
            parse_key(v, c) != 0)
                return SW_WRONG_DATA;
        memcpy(c->name, name.p, name.left);
        c->name_len = (uint8_t)name.left;
        while (r.left > 0) {
                if (next_item(&r, &tag, &v) != 0)
                        return SW_WRONG_DATA;
                if (tag == TAG_PROPERTY)
                        c->props = v.p[0] & OATH_PROP_TOUCH;
                else if (tag == TAG_IMF && v.left == 4)
                        c->counter = (uint32_t)v.p[0] << 24 | (uint32_t)v.p[1] << 16 |
                                     (uint32_t)v.p[2] << 8 | v.p[3];
                else
                        return SW_WRONG_DATA;
        }
        return 0;
}

static uint16_t put(struct vt_oath *o, const struct apdu *a)
{
        struct oath_cred c;
        uint16_t sw = parse_put(a, &c);
        struct vt_oath_state *next;
        if (sw == 0) {
                next = propose(o);
                if (next && oath_state_put(next, &c, o->room) != 0) {
                        oath_state_free(next);
                        sw = SW_NOT_ENOUGH_MEMORY;
                } else {
                        sw = commit(o, next);
                }
        }
        OPENSSL_cleanse(&c, sizeof(c));
        return sw;
}

static uint16_t delete_cred(struct vt_oath *o, const struct apdu *a)
{
        struct reader name;
        int i;
        if (find_name(a, &name) != 0)
                return SW_WRONG_DATA;
        if ((i = cred_index(o->st, &name)) < 0)
                return SW_NO_SUCH_OBJECT;
        struct vt_oath_state *next = propose(o);
        if (next) {
                memmove(&next->creds[i], &next->creds[i + 1],
                        (next->n - (size_t)i - 1) * sizeof(next->creds[0]));
                next->n--;
                OPENSSL_cleanse(&next->creds[next->n], sizeof(next->creds[0]));
        }
        return commit(o, next);
}

/* RENAME (firmware 5.3): 71 the name, 71 the new name. */
static uint16_t rename_cred(struct vt_oath *o, const struct apdu *a)
{
        struct reader r = rd_init(a->data, a->lc), from, to;
        int i;
        if (!fw_at_least(o, 5, 3))
                return SW_INS_NOT_SUPPORTED;
        if (read_name(&r, &from) != 0 || read_name(&r, &to) != 0 || r.left != 0)
                return SW_WRONG_DATA;
        if ((i = cred_index(o->st, &from)) < 0)
                return SW_NO_SUCH_OBJECT;
        if (cred_index(o->st, &to) >= 0)
                return SW_CONDITIONS_NOT_SATISFIED;
        struct vt_oath_state *next = propose(o);
        if (next) {
                memset(next->creds[i].name, 0, sizeof(next->creds[i].name));
                memcpy(next->creds[i].name, to.p, to.left);
                next->creds[i].name_len = (uint8_t)to.left;
        }
        return commit(o, next);
}

static uint16_t list(struct vt_oath *o, struct writer *out)
{
        for (size_t i = 0; i < o->st->n; i++) {
                const struct oath_cred *c = &o->st->creds[i];
                wr_u8(out, TAG_NAME_LIST);
                wr_len(out, 1u + c->name_len);
                wr_u8(out, (uint8_t)(c->type | c->alg));
                wr_bytes(out, c->name, c->name_len);
        }
        return SW_OK;
}

/* ---- codes -------------------------------------------------------------------------------- */

/* A code's answer: 76 digits and the four bytes RFC 4226 truncates to, or 75 digits and the
 * whole HMAC. */
static void write_code(struct writer *out, const struct oath_cred *c, const uint8_t *mac, size_t n,
                       bool truncate)
{
        if (truncate) {
                size_t off = mac[n - 1] & 0x0F;
                uint8_t t[5] = {c->digits, mac[off] & 0x7F, mac[off + 1], mac[off + 2],
                                mac[off + 3]};
                wr_tlv(out, TAG_TRUNCATED, t, sizeof(t));
                OPENSSL_cleanse(t, sizeof(t));
                return;
        }
        wr_u8(out, TAG_RESPONSE);
        wr_len(out, 1 + n);
        wr_u8(out, c->digits);
        wr_bytes(out, mac, n);
}

/* CALCULATE: 71 name, 74 challenge (a TOTP time step; ignored for HOTP, whose counter moves
 * on durably before the code goes out). P2 01: truncated. */
static uint16_t calculate(struct vt_oath *o, const struct apdu *a, struct writer *out)
{
        struct reader r = rd_init(a->data, a->lc), name, chal;
        uint32_t tag;
        uint8_t mac[MAC_MAX], ctr[8] = {0};
        size_t n;
        int i;
        uint16_t sw = SW_OK;
        if (a->p2 > 1)
                return SW_INCORRECT_P1P2;
        if (read_name(&r, &name) != 0 || next_item(&r, &tag, &chal) != 0 || tag != TAG_CHALLENGE)
                return SW_WRONG_DATA;
        if ((i = cred_index(o->st, &name)) < 0)
                return SW_NO_SUCH_OBJECT;
        const struct oath_cred *c = &o->st->creds[i];
        if (c->type == OATH_HOTP) {
                for (int k = 0; k < 4; k++)
                        ctr[4 + k] = (uint8_t)(c->counter >> (24 - 8 * k));
                chal = rd_init(ctr, sizeof(ctr));
        }
        n = oath_hmac(c->alg, c->secret, c->secret_len, chal.p, chal.left, mac);
        if (n == 0)
                return SW_FAIL_CRYPTO;
        if (c->type == OATH_HOTP) {
                struct vt_oath_state *next = propose(o);
                if (next)
                        next->creds[i].counter++;
                sw = commit(o, next);
        }
        if (sw == SW_OK)
                write_code(out, &o->st->creds[i], mac, n, a->p2 == 1);
        OPENSSL_cleanse(mac, sizeof(mac));
        return sw;
}

/* CALCULATE ALL: 74 challenge; for each credential its name and a TOTP code, or 77 (HOTP) or
 * 7C (touch required) with the digits. */
static uint16_t calculate_all(struct vt_oath *o, const struct apdu *a, struct writer *out)
{
        struct reader chal;
        uint8_t mac[MAC_MAX];
        if (a->p2 > 1)
                return SW_INCORRECT_P1P2;
        if (rd_find(rd_init(a->data, a->lc), TAG_CHALLENGE, &chal) != 0)
                return SW_WRONG_DATA;
        for (size_t i = 0; i < o->st->n; i++) {
                const struct oath_cred *c = &o->st->creds[i];
                wr_tlv(out, TAG_NAME, c->name, c->name_len);
                if (c->type == OATH_HOTP) {
                        wr_tlv(out, TAG_HOTP, &c->digits, 1);
                } else if (c->props & OATH_PROP_TOUCH) {
                        wr_tlv(out, TAG_TOUCH, &c->digits, 1);
                } else {
                        size_t n =
                            oath_hmac(c->alg, c->secret, c->secret_len, chal.p, chal.left, mac);
                        if (n == 0)
                                return SW_FAIL_CRYPTO;
                        write_code(out, c, mac, n, a->p2 == 1);
                }
        }
        OPENSSL_cleanse(mac, sizeof(mac));
        return SW_OK;
}

/* ---- the access key ----------------------------------------------------------------------- */

/* Whether response is the HMAC of challenge with key (constant time). */
static bool proves(uint8_t alg, const uint8_t *key, size_t key_len, struct reader challenge,
                   struct reader response)
{
        uint8_t mac[MAC_MAX];
        size_t n = oath_hmac(alg, key, key_len, challenge.p, challenge.left, mac);
        bool ok = n > 0 && response.left == n && CRYPTO_memcmp(mac, response.p, n) == 0;
        OPENSSL_cleanse(mac, sizeof(mac));
        return ok;
}

/* SET CODE: 73 algorithm and key, 74 a challenge, 75 its HMAC with the key (the client shows
 * it holds the key it sets); 73 empty removes the key. */
static uint16_t set_code(struct vt_oath *o, const struct apdu *a)
{
        struct reader r = rd_init(a->data, a->lc), key, chal, resp;
        uint32_t tag;
        uint8_t alg;
        if (next_item(&r, &tag, &key) != 0 || tag != TAG_KEY)
                return SW_WRONG_DATA;
        struct vt_oath_state *next = NULL;
        if (key.left == 0) {
                next = propose(o);
                if (next) {
                        OPENSSL_cleanse(next->key, sizeof(next->key));
                        next->key_alg = 0;
                        next->key_len = 0;
                }
                return commit(o, next);
        }
        alg = key.p[0] & 0x0F;
        if (!oath_alg_name(alg) || key.left < 2 || key.left - 1 > OATH_ACCESS_MAX ||
            rd_find(r, TAG_CHALLENGE, &chal) != 0 || rd_find(r, TAG_RESPONSE, &resp) != 0)
                return SW_WRONG_DATA;
        if (!proves(alg, key.p + 1, key.left - 1, chal, resp))
                return SW_WRONG_DATA;
        next = propose(o);
        if (next) {
                next->key_alg = alg;
                next->key_len = (uint8_t)(key.left - 1);
                memset(next->key, 0, sizeof(next->key));
                memcpy(next->key, key.p + 1, key.left - 1);
        }
        uint16_t sw = commit(o, next);
        if (sw == SW_OK)
                o->unlocked = true; /* the session that set the key keeps going */
        return sw;
}

/* VALIDATE: 75 the HMAC of SELECT's challenge with the key, 74 the client's challenge, whose
 * HMAC the card answers (75): each side shows the other it holds the key. */
static uint16_t validate(struct vt_oath *o, const struct apdu *a, struct writer *out)
{
        struct reader data = rd_init(a->data, a->lc), resp, chal;
        uint8_t mac[MAC_MAX];
        if (!o->st->key_alg || !o->challenged)
                return SW_NO_SUCH_OBJECT;
        if (rd_find(data, TAG_RESPONSE, &resp) != 0 || rd_find(data, TAG_CHALLENGE, &chal) != 0 ||
            chal.left == 0)
                return SW_WRONG_DATA;
        if (!proves(o->st->key_alg, o->st->key, o->st->key_len,
                    rd_init(o->challenge, sizeof(o->challenge)), resp))
                return SW_WRONG_DATA;
        size_t n = oath_hmac(o->st->key_alg, o->st->key, o->st->key_len, chal.p, chal.left, mac);
        if (n == 0)
                return SW_FAIL_CRYPTO;
        o->unlocked = true;
        o->challenged = false;
        OPENSSL_cleanse(o->challenge, sizeof(o->challenge));
        wr_tlv(out, TAG_RESPONSE, mac, n);
        OPENSSL_cleanse(mac, sizeof(mac));
        return SW_OK;
}

/* RESET (P1 DE, P2 AD): no credential, no key, a new device id. */
static uint16_t reset_app(struct vt_oath *o, const struct apdu *a)
{
        if (a->p1 != 0xDE || a->p2 != 0xAD)
                return SW_INCORRECT_P1P2;
        struct vt_oath_state *next = oath_state_new();
        uint16_t sw = commit(o, next);
        if (sw == SW_OK)
                clear_session(o);
        return sw;
}

/* ---- dispatch and SEND REMAINING ---------------------------------------------------------- */

/* How much of an answer the card core sends at once (applet/card.c): Le, or 256 without one
 * or in a short APDU. The rest goes out with 61 xx, fetched with GET RESPONSE or, as OATH
 * clients do, SEND REMAINING. */
static size_t first_piece(const struct apdu *a)
{
        size_t ne = a->has_le ? a->ne : SHORT_ANSWER;
        return !a->extended && ne > SHORT_ANSWER ? SHORT_ANSWER : ne;
}

static void keep_tail(struct vt_oath *o, const struct apdu *a, const struct writer *out,
                      bool secret)
{
        size_t sent = first_piece(a);
        if (out->err || out->len <= sent)
                return;
        o->tail_len = out->len - sent;
        memcpy(o->tail, out->p + sent, o->tail_len);
        o->tail_secret = secret;
}

static uint16_t send_remaining(struct vt_oath *o, struct writer *out)
{
        if (o->tail_len == 0)
                return SW_CONDITIONS_NOT_SATISFIED;
        wr_bytes(out, o->tail, o->tail_len);
        return SW_OK;
}

static unsigned oath_secrecy(void *ctx, const struct apdu *a);

static uint16_t dispatch(struct vt_oath *o, const struct apdu *a, struct writer *out)
{
        switch (a->ins) {
        case INS_RESET:
                return reset_app(o, a);
        case INS_VALIDATE:
                return validate(o, a, out);
        case INS_SEND_REMAINING:
                return send_remaining(o, out);
        default:
                break;
        }
        if (locked(o))
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        switch (a->ins) {
        case INS_PUT:
                return put(o, a);
        case INS_DELETE:
                return delete_cred(o, a);
        case INS_SET_CODE:
                return set_code(o, a);
        case INS_RENAME:
                return rename_cred(o, a);
        case INS_LIST:
                return list(o, out);
        case INS_CALCULATE:
                return calculate(o, a, out);
        case INS_CALCULATE_ALL:
                return calculate_all(o, a, out);
        default:
                return SW_INS_NOT_SUPPORTED;
        }
}

static uint16_t oath_process(void *ctx, const struct apdu *a, struct writer *out)
{
        struct vt_oath *o = ctx;
        bool secret;
        if (a->ins == INS_SEND_REMAINING) {
                secret = o->tail_secret;
        } else {
                secret = oath_secrecy(o, a) & VT_SECRET_RESPONSE;
                drop_tail(o);
        }
        uint16_t sw = dispatch(o, a, out);
        if (a->ins == INS_SEND_REMAINING)
                drop_tail(o);
        if (sw == SW_OK)
                keep_tail(o, a, out, secret);
        return sw;
}

static void oath_reset(void *ctx)
{
        clear_session(ctx);
}

/* ---- what the daemon asks ----------------------------------------------------------------- */

static const struct {
        uint8_t ins;
        const char *name;
} ins_names[] = {
    {INS_PUT, "PUT"},
    {INS_DELETE, "DELETE"},
    {INS_SET_CODE, "SET CODE"},
    {INS_RESET, "RESET"},
    {INS_RENAME, "RENAME"},
    {INS_LIST, "LIST"},
    {INS_CALCULATE, "CALCULATE"},
    {INS_VALIDATE, "VALIDATE"},
    {INS_CALCULATE_ALL, "CALCULATE ALL"},
    {INS_SEND_REMAINING, "SEND REMAINING"},
};

static const char *oath_ins_name(uint8_t ins)
{
        for (size_t i = 0; i < sizeof(ins_names) / sizeof(ins_names[0]); i++)
                if (ins_names[i].ins == ins)
                        return ins_names[i].name;
        return NULL;
}

/* A credential's secret (PUT), the access key (SET CODE), both sides of VALIDATE, and codes
 * (CALCULATE, CALCULATE ALL and what SEND REMAINING hands out of them). Every applet is asked
 * of every command: OpenPGP's SELECT DATA is A5 too, and it has no tail of ours. */
static unsigned oath_secrecy(void *ctx, const struct apdu *a)
{
        const struct vt_oath *o = ctx;
        switch (a->ins) {
        case INS_PUT:
        case INS_SET_CODE:
                return VT_SECRET_COMMAND;
        case INS_VALIDATE:
                return VT_SECRET_COMMAND | VT_SECRET_RESPONSE;
        case INS_CALCULATE:
        case INS_CALCULATE_ALL:
                return VT_SECRET_RESPONSE;
        case INS_SEND_REMAINING:
                return o->tail_len > 0 && o->tail_secret ? VT_SECRET_RESPONSE : 0;
        default:
                return 0;
        }
}

/* CALCULATE of a credential with the touch property, in a session that may calculate. */
static enum vt_touch_need oath_touch(void *ctx, const struct apdu *a, uint8_t *key)
{
        const struct vt_oath *o = ctx;
        struct reader name;
        const struct oath_cred *c;
        if (a->ins != INS_CALCULATE || locked(o) || find_name(a, &name) != 0)
                return VT_TOUCH_NONE;
        c = oath_state_find(o->st, name.p, name.left);
        if (!c || !(c->props & OATH_PROP_TOUCH))
                return VT_TOUCH_NONE;
        *key = INS_CALCULATE;
        return VT_TOUCH_EACH;
}

/* ---- public face -------------------------------------------------------------------------- */

struct vt_oath *vt_oath_new(struct vt_oath_state *st, const struct vt_store *store,
                            const uint8_t version[3])
{
        struct vt_oath *o = calloc(1, sizeof(*o));
        if (!o)
                return NULL;
        o->st = st;
        o->store = *store;
        memcpy(o->version, version, sizeof(o->version));
        o->room = oath_room(version);
        return o;
}

void vt_oath_free(struct vt_oath *o)
{
        if (!o)
                return;
        OPENSSL_cleanse(o, sizeof(*o));
        free(o);
}

static void oath_destroy(void *ctx)
{
        vt_oath_free(ctx);
}

void vt_oath_applet(struct vt_oath *o, struct vt_applet *out)
{
        memset(out, 0, sizeof(*out));
        out->name = "oath";
        out->aid = vt_oath_aid;
        out->aid_len = sizeof(vt_oath_aid);
        out->ctx = o;
        out->select = oath_select;
        out->process = oath_process;
        out->reset = oath_reset;
        out->secrecy = oath_secrecy;
        out->touch = oath_touch;
        out->ins_name = oath_ins_name;
        out->destroy = oath_destroy;
}
