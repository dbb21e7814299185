#include "card.h"

#include "sw.h"

#include <openssl/crypto.h>

#include <string.h>

#define CLA_CHAIN          0x10
#define INS_SELECT         0xA4
#define INS_GET_RESPONSE   0xC0
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
        if (c->n_applets == VT_CARD_APPLETS_MAX)
                return -1;
        c->applets[c->n_applets++] = *applet;
        return 0;
}

/* Chained data and responses may hold PINs, keys and decrypted data: wiped once done with. */
static void drop_chain(struct vt_card *c)
{
        OPENSSL_cleanse(c->chain, c->chain_len);
        c->chaining = false;
        c->chain_len = 0;
}

static void drop_pending(struct vt_card *c)
{
        OPENSSL_cleanse(c->response, c->pending_len);
        c->pending_len = c->pending_off = 0;
}

static void clear_session(struct vt_card *c)
{
        for (size_t i = 0; i < c->n_applets; i++)
                if (c->applets[i].reset)
                        c->applets[i].reset(c->applets[i].ctx);
        c->selected = -1;
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

const char *vt_card_selected(const struct vt_card *c)
{
        return c->selected >= 0 ? c->applets[c->selected].name : NULL;
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
                c->selected = i;
                const struct vt_applet *ap = &c->applets[i];
                return ap->select ? ap->select(ap->ctx, a, w) : SW_OK;
        }
        if (c->selected < 0)
                return SW_INS_NOT_SUPPORTED;
        const struct vt_applet *ap = &c->applets[c->selected];
        return ap->process(ap->ctx, a, w);
}

/* Gathers chained command data; returns 0 when the chain is complete in *a, or the status
 * word to answer now. */
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
        if (more) {
                c->chaining = true;
                c->chain_ins = a->ins;
                c->chain_p1 = a->p1;
                c->chain_p2 = a->p2;
                return SW_OK;
        }
        c->chaining = false;
        a->cla &= (uint8_t)~CLA_CHAIN;
        a->data = c->chain;
        a->lc = c->chain_len;
        c->chain_len = 0;
        return 0;
}

size_t vt_card_transmit(struct vt_card *c, const uint8_t *cmd, size_t len, uint8_t *out)
{
        struct apdu a;
        uint16_t sw = apdu_parse(cmd, len, &a);
        c->commands++;
        if (sw != 0)
                return put_sw(out, 0, sw);
        if ((a.cla & ~CLA_CHAIN) != 0)
                return put_sw(
                    out, 0, (a.cla & 0x03) ? SW_LOGICAL_CHANNEL_UNSUPPORTED : SW_CLA_NOT_SUPPORTED);
        /* Clients send case-3 commands without Le and still expect data. */
        size_t ne = a.has_le ? a.ne : SHORT_RESPONSE_MAX;
        if (!a.extended && ne > SHORT_RESPONSE_MAX)
                ne = SHORT_RESPONSE_MAX;

        if (a.ins == INS_GET_RESPONSE && !(a.cla & CLA_CHAIN)) {
                if (c->pending_len == 0)
                        return put_sw(out, 0, SW_CONDITIONS_NOT_SATISFIED);
                return send_pending(c, ne, out);
        }
        drop_pending(c);

        sw = gather_chain(c, &a);
        if (sw != 0)
                return put_sw(out, 0, sw);

        struct writer w = wr_init(c->response, sizeof(c->response));
        sw = dispatch(c, &a, &w);
        if (a.data == c->chain)
                OPENSSL_cleanse(c->chain, a.lc);
        if (w.err)
                sw = SW_UNKNOWN;
        if (sw != SW_OK || w.len == 0) {
                OPENSSL_cleanse(c->response, w.len);
                return put_sw(out, 0, sw);
        }
        c->pending_len = w.len;
        c->pending_off = 0;
        return send_pending(c, ne, out);
}
