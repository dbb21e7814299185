/* SPDX-License-Identifier: Apache-2.0 */
#include "frame.h"

void frame_rx_init(struct rxbuf *rx, uint8_t *buf, size_t cap)
{
        rxbuf_init(rx, buf, cap, FRAME_HEADER, 0, 2);
}

bool frame_rx_body_one_segment(const struct rxbuf *rx)
{
        size_t n;
        return rxbuf_announced(rx, &n) && n <= FRAME_ONE_SEGMENT && rx->have < FRAME_HEADER + n;
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
