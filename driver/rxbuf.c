/* SPDX-License-Identifier: Apache-2.0 */
#include "rxbuf.h"

#include <string.h>

void rxbuf_init(struct rxbuf *rx, uint8_t *buf, size_t cap, size_t header, unsigned len_at,
                unsigned len_bytes)
{
        rx->buf = buf;
        rx->cap = cap;
        rx->have = 0;
        rx->header = header;
        rx->len_at = len_at;
        rx->len_bytes = len_bytes;
}

uint8_t *rxbuf_space(struct rxbuf *rx, size_t *room)
{
        *room = rx->cap - rx->have;
        return rx->buf + rx->have;
}

void rxbuf_commit(struct rxbuf *rx, size_t n)
{
        rx->have += n;
}

bool rxbuf_announced(const struct rxbuf *rx, size_t *len)
{
        if (rx->have < rx->header)
                return false;
        size_t n = 0;
        for (unsigned i = 0; i < rx->len_bytes; i++)
                n = n << 8 | rx->buf[rx->len_at + i];
        *len = n;
        return true;
}

int rxbuf_next(const struct rxbuf *rx, const uint8_t **body, size_t *len)
{
        size_t n;
        if (!rxbuf_announced(rx, &n))
                return 0;
        if (n > rx->cap - rx->header)
                return -1;
        if (rx->have < rx->header + n)
                return 0;
        *body = rx->buf + rx->header;
        *len = n;
        return 1;
}

void rxbuf_consume(struct rxbuf *rx)
{
        size_t n;
        if (!rxbuf_announced(rx, &n) || rx->have < rx->header + n)
                return;
        n += rx->header;
        memmove(rx->buf, rx->buf + n, rx->have - n);
        rx->have -= n;
        explicit_bzero(rx->buf + rx->have, n);
}

void rxbuf_wipe(struct rxbuf *rx)
{
        explicit_bzero(rx->buf, rx->have);
        rx->have = 0;
}
