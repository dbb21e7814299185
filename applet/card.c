/* SPDX-License-Identifier: Apache-2.0 */
#include "card.h"

#include "sw.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <string.h>

#define SELECT_BY_AID      0x04
#define SHORT_RESPONSE_MAX 256

void vt_card_init(struct vt_card *c, const uint8_t *atr, size_t atr_len)
{
        memset(c, 0, sizeof(*c));
        if (atr_len > VT_ATR_MAX)
                atr_len = VT_ATR_MAX;
        memcpy(c->atr, atr, atr_len);
        c->atr_len = atr_len;
        c->selected = -1;
}

int vt_card_add_applet(struct vt_card *c, const struct vt_applet *applet)
{
        if (c->n_applets == VT_CARD_APPLETS_MAX) {
                if (applet->destroy)
                        applet->destroy(applet->ctx);
                return -1;
        }
        c->applets[c->n_applets++] = *applet;
        return 0;
}

void vt_card_release(struct vt_card *c)
{
        vt_card_power_off(c);
        for (size_t i = 0; i < c->n_applets; i++)
                if (c->applets[i].destroy)
                        c->applets[i].destroy(c->applets[i].ctx);
        c->n_applets = 0;
}

/* Chained data and responses may hold PINs, keys and decrypted data: wiped once done with. */
static void drop_chain(struct vt_card *c)
{
        OPENSSL_cleanse(c->chain, c->chain_len);
        c->chaining = false;
        c->chain_len = 0;
        c->chain_secrecy = 0;
}

static void drop_pending(struct vt_card *c)
{
        OPENSSL_cleanse(c->response, c->pending_len);
        c->pending_len = c->pending_off = 0;
        c->pending_secret = false;
}

static void clear_session(struct vt_card *c)
{
        for (size_t i = 0; i < c->n_applets; i++)
                if (c->applets[i].reset)
                        c->applets[i].reset(c->applets[i].ctx);
        c->selected = -1;
        c->ready = false;
        drop_chain(c);
        drop_pending(c);
}

void vt_card_power_on(struct vt_card *c)
{
        if (!c->powered)
                clear_session(c);
        c->powered = true;
}

void vt_card_power_off(struct vt_card *c)
{
        clear_session(c);
        c->powered = false;
}

void vt_card_reset(struct vt_card *c)
{
        clear_session(c);
        c->powered = true;
}

const char *vt_card_failure(const struct vt_card *c)
{
        static const char *const causes[] = {
            [SW_FAIL_CRYPTO & 0xFF] = "a crypto operation failed",
            [SW_FAIL_RANDOM & 0xFF] = "no random numbers",
            [SW_FAIL_KEYGEN & 0xFF] = "key generation failed",
            [SW_FAIL_ENCODE & 0xFF] = "a key or certificate could not be encoded",
            [SW_FAIL_STATE & 0xFF] = "the applet's state is inconsistent",
            [SW_FAIL_MEMORY & 0xFF] = "out of memory",
            [SW_FAIL_OVERFLOW & 0xFF] = "the answer overflowed the card's response buffer",
        };
        size_t i = c->failure & 0xFF;
        if (!c->failure)
                return NULL;
        return i < sizeof(causes) / sizeof(causes[0]) && causes[i] ? causes[i]
                                                                   : "an internal failure";
}

const char *vt_card_selected(const struct vt_card *c)
{
        return c->selected >= 0 ? c->applets[c->selected].name : NULL;
}

const char *vt_card_ins_name(const struct vt_card *c, uint8_t ins, char buf[8])
{
        if (ins == INS_SELECT)
                return "SELECT";
        if (ins == INS_GET_RESPONSE)
                return "GET RESPONSE";
        for (size_t i = 0; i < c->n_applets; i++) {
                size_t k = c->selected >= 0 ? (i + (size_t)c->selected) % c->n_applets : i;
                const char *name = c->applets[k].ins_name ? c->applets[k].ins_name(ins) : NULL;
                if (name)
                        return name;
        }
        snprintf(buf, 8, "INS %02X", ins);
        return buf;
}

bool vt_card_status(const struct vt_card *c, struct vt_applet_status *st)
{
        for (size_t i = 0; i < c->n_applets; i++)
                if (c->applets[i].status) {
                        c->applets[i].status(c->applets[i].ctx, st);
                        return true;
                }
        return false;
}

static size_t put_sw(uint8_t *out, size_t len, uint16_t sw)
{
        out[len] = (uint8_t)(sw >> 8);
        out[len + 1] = (uint8_t)sw;
        return len + 2;
}

/* Hands out up to ne bytes of the pending response, with 61xx while more remains. */
static size_t send_pending(struct vt_card *c, size_t ne, uint8_t *out)
{
        size_t left = c->pending_len - c->pending_off;
        size_t n = left < ne ? left : ne;
        memcpy(out, c->response + c->pending_off, n);
        c->pending_off += n;
        left -= n;
        if (left == 0) {
                drop_pending(c);
                return put_sw(out, n, SW_OK);
        }
        return put_sw(out, n, (uint16_t)SW_BYTES_REMAINING(left));
}

static int find_applet(const struct vt_card *c, const struct apdu *a)
{
        for (size_t i = 0; i < c->n_applets; i++) {
                const struct vt_applet *ap = &c->applets[i];
                if (a->lc >= 5 && a->lc <= ap->aid_len && memcmp(a->data, ap->aid, a->lc) == 0)
                        return (int)i;
        }
        return -1;
}

static uint16_t dispatch(struct vt_card *c, const struct apdu *a, struct writer *w)
{
        if (a->ins == INS_SELECT && a->p1 == SELECT_BY_AID) {
                int i = find_applet(c, a);
                if (i < 0)
                        return SW_FILE_NOT_FOUND; /* the current selection stays */
                /* as on a YubiKey, leaving an application clears its security state: libykpiv
                 * logs out by selecting the management application and PIV again */
                if (c->selected >= 0 && c->selected != i && c->applets[c->selected].reset)
                        c->applets[c->selected].reset(c->applets[c->selected].ctx);
                c->selected = i;
                const struct vt_applet *ap = &c->applets[i];
                return ap->select ? ap->select(ap->ctx, a, w) : SW_OK;
        }
        if (c->selected < 0)
                return SW_INS_NOT_SUPPORTED;
        const struct vt_applet *ap = &c->applets[c->selected];
        return ap->process(ap->ctx, a, w);
}

/* What the applets say of a command's secrets. Every applet is asked, not only the selected
 * one: a PIN sent to the wrong applet (or to none) is still a PIN. */
static unsigned secrecy_of(const struct vt_card *c, const struct apdu *a)
{
        unsigned s = 0;
        /* only a SELECT by AID is the card's: OATH's CALCULATE ALL is A4 with P1 00 */
        if ((a->ins == INS_SELECT && a->p1 == SELECT_BY_AID) || a->ins == INS_GET_RESPONSE)
                return 0;
        for (size_t i = 0; i < c->n_applets; i++)
                if (c->applets[i].secrecy)
                        s |= c->applets[i].secrecy(c->applets[i].ctx, a);
        return s;
}

/* Gathers chained command data; returns 0 when the chain is complete in *a, or the status
 * word to answer now (9000 for a part that continues the chain). */
static uint16_t gather_chain(struct vt_card *c, struct apdu *a)
{
        bool more = a->cla & CLA_CHAIN;
        if (c->chaining && (a->ins != c->chain_ins || a->p1 != c->chain_p1 || a->p2 != c->chain_p2))
                drop_chain(c); /* another command breaks the chain off */
        if (!more && !c->chaining)
                return 0;
        if (a->lc > VT_CHAIN_MAX - c->chain_len) {
                drop_chain(c);
                return SW_NOT_ENOUGH_MEMORY;
        }
        if (a->lc)
                memcpy(c->chain + c->chain_len, a->data, a->lc);
        c->chain_len += a->lc;
        a->data = c->chain;
        a->lc = c->chain_len;
        if (more) {
                c->chaining = true;
                c->chain_ins = a->ins;
                c->chain_p1 = a->p1;
                c->chain_p2 = a->p2;
                c->chain_secrecy |= secrecy_of(c, a);
                return SW_OK;
        }
        c->chaining = false;
        a->cla &= (uint8_t)~CLA_CHAIN;
        c->chain_len = 0;
        return 0;
}

unsigned vt_card_peek_secrecy(const struct vt_card *c, const uint8_t *cmd, size_t len)
{
        struct apdu a;
        if (apdu_parse(cmd, len, &a) != 0) /* data of unknown extent: all of it hidden */
                return len > 4 ? VT_SECRET_COMMAND | VT_SECRET_RESPONSE : 0;
        if (a.ins == INS_GET_RESPONSE && !(a.cla & CLA_CHAIN))
                return c->pending_secret ? VT_SECRET_RESPONSE : 0;
        if (!c->chaining || a.ins != c->chain_ins || a.p1 != c->chain_p1 || a.p2 != c->chain_p2)
                return secrecy_of(c, &a);
        /* a later part: judged with the data gathered so far (a tag list may be split between
         * two parts), as far as the chain has room; alone only when it brings data the chain
         * has no room for (alone, the last part of a signature is a command of no known
         * meaning, whose answer would be hidden) */
        uint8_t whole[VT_CHAIN_MAX];
        size_t n = c->chain_len, room = VT_CHAIN_MAX - n;
        bool overflows = a.lc > room;
        size_t add = overflows ? room : a.lc;
        struct apdu w = a;
        memcpy(whole, c->chain, n);
        if (add)
                memcpy(whole + n, a.data, add);
        w.data = whole;
        w.lc = n + add;
        unsigned s = c->chain_secrecy | secrecy_of(c, &w);
        if (overflows)
                s |= secrecy_of(c, &a);
        OPENSSL_cleanse(whole, n + add);
        return s;
}

static void answer(struct vt_card_step *step, uint8_t *out, uint16_t sw)
{
        step->ready = false;
        step->len = put_sw(out, 0, sw);
}

/* GET RESPONSE with nothing pending: what the selected applet answers to it (a YubiKey's PIV
 * 6A80), the ISO answer 6985 else. */
static uint16_t idle_get_response_sw(const struct vt_card *c)
{
        uint16_t sw = c->selected >= 0 ? c->applets[c->selected].idle_get_response_sw : 0;
        return sw ? sw : SW_CONDITIONS_NOT_SATISFIED;
}

/* The interindustry class; the proprietary class 80 too while an applet that takes it (FIDO's
 * NFCCTAP_MSG) is selected. */
static bool class_ok(const struct vt_card *c, uint8_t cla)
{
        cla &= (uint8_t)~CLA_CHAIN;
        return cla == 0 || (cla == CLA_PROPRIETARY && c->selected >= 0 &&
                            c->applets[c->selected].proprietary_class);
}

/* What a whole command is, for a timing table: SELECT is the card's, the rest the selected
 * applet's. */
static struct vt_op op_of(const struct vt_card *c, const struct apdu *a)
{
        const struct vt_applet *ap = c->selected >= 0 ? &c->applets[c->selected] : NULL;
        if (a->ins == INS_SELECT && a->p1 == 0x04)
                return (struct vt_op){VT_OP_SELECT, VT_CRYPTO_NONE};
        if (ap && ap->op)
                return ap->op(ap->ctx, a);
        return (struct vt_op){VT_OP_OTHER, VT_CRYPTO_NONE};
}

void vt_card_receive(struct vt_card *c, const uint8_t *cmd, size_t len, uint8_t *out,
                     struct vt_card_step *step)
{
        struct apdu a;
        uint16_t sw = apdu_parse(cmd, len, &a);
        *step = (struct vt_card_step){0};
        /* judged before anything changes, so that every answer below (an error, a part of a
         * chain, an overflow) carries it */
        step->secrecy = vt_card_peek_secrecy(c, cmd, len);
        c->commands++;
        c->ready = false;
        if (sw != 0)
                return answer(step, out, sw);
        if (!class_ok(c, a.cla))
                return answer(step, out,
                              (a.cla & 0x03) ? SW_LOGICAL_CHANNEL_UNSUPPORTED
                                             : SW_CLA_NOT_SUPPORTED);
        /* Clients send case-3 commands without Le and still expect data. */
        size_t ne = a.has_le ? a.ne : SHORT_RESPONSE_MAX;
        if (!a.extended && ne > SHORT_RESPONSE_MAX)
                ne = SHORT_RESPONSE_MAX;

        if (a.ins == INS_GET_RESPONSE && !(a.cla & CLA_CHAIN)) {
                if (c->pending_len == 0)
                        return answer(step, out, idle_get_response_sw(c));
                step->len = send_pending(c, ne, out);
                return;
        }
        drop_pending(c);

        sw = gather_chain(c, &a);
        if (sw != 0)
                return answer(step, out, sw);
        step->secrecy |= secrecy_of(c, &a);
        c->chain_secrecy = 0;
        c->cmd = a;
        c->ne = ne;
        c->ready = true;
        step->ready = true;
        if (c->selected >= 0 && c->applets[c->selected].touch && a.ins != INS_SELECT)
                step->touch = c->applets[c->selected].touch(c->applets[c->selected].ctx, &a,
                                                            &step->touch_key);
        c->ready_secrecy = step->secrecy;
        step->op = op_of(c, &a);
        step->quick = c->selected >= 0 && a.ins != INS_SELECT && c->applets[c->selected].quick &&
                      c->applets[c->selected].quick(c->applets[c->selected].ctx, &a);
}

size_t vt_card_execute(struct vt_card *c, uint8_t *out)
{
        if (!c->ready)
                return put_sw(out, 0, SW_CONDITIONS_NOT_SATISFIED);
        c->ready = false;
        struct apdu a = c->cmd;
        struct writer w = wr_init(c->response, sizeof(c->response));
        uint16_t sw = dispatch(c, &a, &w);
        if (a.data == c->chain)
                OPENSSL_cleanse(c->chain, a.lc);
        if (w.err && sw == SW_OK)
                sw = SW_FAIL_OVERFLOW;
        c->failure = 0;
        if (SW_IS_FAIL(sw)) { /* the one place an internal failure becomes 6F 00 */
                c->failure = sw;
                sw = SW_UNKNOWN;
        }
        if ((sw & 0xFF00) == SW_STILL_WORKING && w.len <= c->ne) {
                memcpy(out, c->response, w.len); /* a status byte: never chained */
                OPENSSL_cleanse(c->response, w.len);
                return put_sw(out, w.len, sw);
        }
        if (sw != SW_OK || w.len == 0) {
                OPENSSL_cleanse(c->response, w.len);
                return put_sw(out, 0, sw);
        }
        c->pending_len = w.len;
        c->pending_off = 0;
        c->pending_secret = c->ready_secrecy & VT_SECRET_RESPONSE;
        return send_pending(c, c->ne, out);
}

size_t vt_card_transmit(struct vt_card *c, const uint8_t *cmd, size_t len, uint8_t *out)
{
        struct vt_card_step step;
        vt_card_receive(c, cmd, len, out, &step);
        return step.ready ? vt_card_execute(c, out) : step.len;
}
