/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded readers and writers: every byte of untrusted input goes through these. */
#ifndef VT_BUF_H
#define VT_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A reader never yields a pointer past its end; each call returns 0 or -1 and leaves the
 * reader unchanged on failure. */
struct reader {
        const uint8_t *p;
        size_t left;
};

static inline struct reader rd_init(const uint8_t *p, size_t n)
{
        struct reader r = {p, n};
        return r;
}

int rd_u8(struct reader *r, uint8_t *v);
int rd_u16(struct reader *r, uint16_t *v);
int rd_bytes(struct reader *r, size_t n, const uint8_t **v);
/* BER-TLV: tag of one to three bytes, definite length up to 0xFFFFFF. */
int rd_tlv(struct reader *r, uint32_t *tag, struct reader *value);
/* Finds the first TLV with the given tag among the TLVs of r (does not descend). */
int rd_find(struct reader r, uint32_t tag, struct reader *value);

/* A writer fails sticky: once an append did not fit, w->err is set and the rest is ignored,
 * so a builder checks once at the end. */
struct writer {
        uint8_t *p;
        size_t len;
        size_t cap;
        bool err;
};

static inline struct writer wr_init(uint8_t *p, size_t cap)
{
        struct writer w = {p, 0, cap, false};
        return w;
}

void wr_u8(struct writer *w, uint8_t v);
void wr_u16(struct writer *w, uint16_t v);
void wr_bytes(struct writer *w, const void *v, size_t n);
void wr_tag(struct writer *w, uint32_t tag);
void wr_len(struct writer *w, size_t n);
void wr_tlv(struct writer *w, uint32_t tag, const void *v, size_t n);

/* Nested TLV whose length is known only after its content is written: wr_open reserves room
 * for the largest length field, wr_close moves the content down to the real one. */
size_t wr_open(struct writer *w, uint32_t tag);
void wr_close(struct writer *w, size_t mark);

#endif
