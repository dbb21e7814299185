/* SPDX-License-Identifier: Apache-2.0 */
/* The receive side of a length-prefixed stream, as both links of vtoken frame theirs: vpcd's
 * (daemon/frame.h: a 2-byte length) and the driver link's (vtlink.h: a type, then a 3-byte
 * length). Bytes go in at rxbuf_space()/rxbuf_commit(); whole frames come out of rxbuf_next()
 * and stay valid until rxbuf_consume(), which wipes them (a VERIFY carries a PIN).
 *
 * Pure: no sockets, no allocation, nothing but libc. Compiled into vtokend and into the driver
 * that pcscd loads, and fuzzed through both framings. */
#ifndef VT_RXBUF_H
#define VT_RXBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rxbuf {
        uint8_t *buf;
        size_t cap;
        size_t have;
        size_t header;      /* bytes before a frame's body */
        unsigned len_at;    /* where the body's length starts in the header */
        unsigned len_bytes; /* its size, big endian, at most 4 */
};

void rxbuf_init(struct rxbuf *rx, uint8_t *buf, size_t cap, size_t header, unsigned len_at,
                unsigned len_bytes);
uint8_t *rxbuf_space(struct rxbuf *rx, size_t *room);
void rxbuf_commit(struct rxbuf *rx, size_t n);
/* Whether the first frame's header is complete, and the length of the body it announces. */
bool rxbuf_announced(const struct rxbuf *rx, size_t *len);
/* 1 and the body of the first frame when it is complete, 0 when more bytes are needed, -1 when
 * the announced length cannot fit the buffer (the stream is then unusable). */
int rxbuf_next(const struct rxbuf *rx, const uint8_t **body, size_t *len);
/* Drops the frame rxbuf_next returned; its bytes are wiped. */
void rxbuf_consume(struct rxbuf *rx);
/* Drops and wipes all that was received: the connection is gone. */
void rxbuf_wipe(struct rxbuf *rx);

#endif
