/* SPDX-License-Identifier: Apache-2.0 */
#include "frame.h"

#include <string.h>

void frame_rx_init(struct frame_rx *rx, uint8_t *buf, size_t cap)
{
        rx->buf = buf;
        rx->cap = cap;
        rx->have = 0;
}

uint8_t *frame_rx_space(struct frame_rx *rx, size_t *room)
{
        *room = rx->cap - rx->have;
        return rx->buf + rx->have;
}

void frame_rx_commit(struct frame_rx *rx, size_t n)
{
        rx->have += n;
}

static size_t announced(const struct frame_rx *rx)
{
        return (size_t)rx->buf[0] << 8 | rx->buf[1];
}

int frame_rx_next(const struct frame_rx *rx, const uint8_t **body, size_t *len)
{
        if (rx->have < FRAME_HEADER)
                return 0;
        size_t n = announced(rx);
        if (n > rx->cap - FRAME_HEADER)
                return -1;
        if (rx->have < FRAME_HEADER + n)
                return 0;
        *body = rx->buf + FRAME_HEADER;
        *len = n;
        return 1;
}

bool frame_rx_body_one_segment(const struct frame_rx *rx)
{
        if (rx->have < FRAME_HEADER)
                return false;
        size_t n = announced(rx);
        return n <= FRAME_ONE_SEGMENT && rx->have < FRAME_HEADER + n;
}

void frame_rx_consume(struct frame_rx *rx)
{
        size_t n = FRAME_HEADER + announced(rx);
        memmove(rx->buf, rx->buf + n, rx->have - n);
        rx->have -= n;
        explicit_bzero(rx->buf + rx->have, n); /* a VERIFY's PIN is not kept once answered */
}

size_t frame_seal(uint8_t *out, size_t len)
{
        out[0] = (uint8_t)(len >> 8);
        out[1] = (uint8_t)len;
        return FRAME_HEADER + len;
}

enum vpcd_msg frame_vpcd_msg(const uint8_t *body, size_t len)
{
        if (len == 0)
                return VPCD_MSG_EMPTY;
        if (len > 1)
                return VPCD_MSG_APDU;
        switch (body[0]) {
        case VPCD_CTRL_OFF:
        case VPCD_CTRL_ON:
        case VPCD_CTRL_RESET:
                return VPCD_MSG_POWER;
        case VPCD_CTRL_ATR:
                return VPCD_MSG_ATR;
        default:
                return VPCD_MSG_UNKNOWN;
        }
}
