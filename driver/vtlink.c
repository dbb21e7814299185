/* SPDX-License-Identifier: Apache-2.0 */
#include "vtlink.h"

#include <string.h>

void vtl_rx_init(struct rxbuf *rx, uint8_t *buf, size_t cap)
{
        rxbuf_init(rx, buf, cap, VTL_HEADER, 1, 3);
}

bool vtl_valid(uint8_t type, const uint8_t *body, size_t len)
{
        switch (type) {
        case VTL_HELLO:
                return len == 2 && body[1] <= 1;
        case VTL_PRESENT:
        case VTL_WAIT:
        case VTL_POWER_ON:
        case VTL_POWER_OFF:
        case VTL_RESET:
        case VTL_DONE:
        case VTL_NOCARD:
                return len == 0;
        case VTL_APDU:
                return len >= 4 && len <= VTL_BODY_MAX;
        case VTL_ATR:
                return len >= 2 && len <= VTL_ATR_MAX;
        case VTL_RAPDU:
                return len >= 2 && len <= VTL_BODY_MAX;
        default:
                return false;
        }
}

int vtl_rx_next(const struct rxbuf *rx, struct vtl_msg *m)
{
        const uint8_t *body;
        size_t n;
        int r = rxbuf_next(rx, &body, &n);
        if (r <= 0)
                return r;
        if (n > VTL_BODY_MAX)
                return -1;
        m->type = rx->buf[0];
        m->body = body;
        m->len = n;
        return vtl_valid(m->type, m->body, m->len) ? 1 : -1;
}

size_t vtl_seal(uint8_t *out, uint8_t type, size_t len)
{
        out[0] = type;
        out[1] = (uint8_t)(len >> 16);
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        return VTL_HEADER + len;
}

void vtl_driver_reset(struct vtl_driver *d)
{
        explicit_bzero(d->answer, d->answer_len);
        d->hello = d->present = d->answered = false;
        d->asked = d->answer_type = 0;
        d->answer_len = 0;
}

/* The answer each request takes (NOCARD aside). */
static uint8_t answer_to(uint8_t asked)
{
        switch (asked) {
        case VTL_POWER_ON:
        case VTL_RESET:
                return VTL_ATR;
        case VTL_POWER_OFF:
                return VTL_DONE;
        case VTL_APDU:
                return VTL_RAPDU;
        default:
                return 0;
        }
}

int vtl_driver_take(struct vtl_driver *d, const struct vtl_msg *m)
{
        if (!vtl_valid(m->type, m->body, m->len))
                return -1;
        if (!d->hello && m->type != VTL_HELLO)
                return -1;
        switch (m->type) {
        case VTL_HELLO:
                if (d->hello || m->body[0] != VTL_VERSION)
                        return -1;
                d->hello = true;
                d->present = m->body[1] == 1;
                return d->present ? VTL_EV_PRESENCE : VTL_EV_NONE;
        case VTL_PRESENT:
                if (d->present)
                        return VTL_EV_NONE;
                d->present = true;
                return VTL_EV_PRESENCE;
        case VTL_WAIT:
                return d->asked && !d->answered ? VTL_EV_ALIVE : -1;
        case VTL_ATR:
        case VTL_DONE:
        case VTL_RAPDU:
        case VTL_NOCARD:
                if (!d->asked || d->answered ||
                    (m->type != VTL_NOCARD && m->type != answer_to(d->asked)))
                        return -1;
                d->answered = true;
                d->answer_type = m->type;
                memcpy(d->answer, m->body, m->len);
                d->answer_len = m->len;
                return VTL_EV_ANSWER;
        default: /* a request: vtokend asks the driver nothing */
                return -1;
        }
}
