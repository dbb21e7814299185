/* SPDX-License-Identifier: Apache-2.0 */
#include "buf.h"

#include <string.h>

int rd_u8(struct reader *r, uint8_t *v)
{
        if (r->left < 1)
                return -1;
        *v = r->p[0];
        r->p++;
        r->left--;
        return 0;
}

int rd_u16(struct reader *r, uint16_t *v)
{
        if (r->left < 2)
                return -1;
        *v = (uint16_t)(r->p[0] << 8 | r->p[1]);
        r->p += 2;
        r->left -= 2;
        return 0;
}

int rd_bytes(struct reader *r, size_t n, const uint8_t **v)
{
        if (r->left < n)
                return -1;
        *v = r->p;
        r->p += n;
        r->left -= n;
        return 0;
}

static int rd_tag(struct reader *r, uint32_t *tag)
{
        uint8_t b;
        if (rd_u8(r, &b) != 0)
                return -1;
        *tag = b;
        if ((b & 0x1F) != 0x1F)
                return 0;
        for (int i = 0; i < 2; i++) {
                if (rd_u8(r, &b) != 0)
                        return -1;
                *tag = *tag << 8 | b;
                if (!(b & 0x80))
                        return 0;
        }
        return -1;
}

static int rd_len(struct reader *r, size_t *len)
{
        uint8_t b;
        if (rd_u8(r, &b) != 0)
                return -1;
        if (b < 0x80) {
                *len = b;
                return 0;
        }
        int n = b & 0x7F;
        if (n == 0 || n > 3)
                return -1;
        *len = 0;
        for (int i = 0; i < n; i++) {
                if (rd_u8(r, &b) != 0)
                        return -1;
                *len = *len << 8 | b;
        }
        return 0;
}

int rd_tlv(struct reader *r, uint32_t *tag, struct reader *value)
{
        struct reader t = *r;
        size_t len;
        const uint8_t *v;
        if (rd_tag(&t, tag) != 0 || rd_len(&t, &len) != 0 || rd_bytes(&t, len, &v) != 0)
                return -1;
        *value = rd_init(v, len);
        *r = t;
        return 0;
}

int rd_find(struct reader r, uint32_t tag, struct reader *value)
{
        uint32_t t;
        struct reader v;
        while (r.left > 0) {
                if (rd_tlv(&r, &t, &v) != 0)
                        return -1;
                if (t == tag) {
                        *value = v;
                        return 0;
                }
        }
        return -1;
}

void wr_bytes(struct writer *w, const void *v, size_t n)
{
        if (w->err || w->cap - w->len < n) {
                w->err = true;
                return;
        }
        if (n > 0)
                memmove(w->p + w->len, v, n);
        w->len += n;
}

void wr_u8(struct writer *w, uint8_t v)
{
        wr_bytes(w, &v, 1);
}

void wr_u16(struct writer *w, uint16_t v)
{
        uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
        wr_bytes(w, b, 2);
}

void wr_tag(struct writer *w, uint32_t tag)
{
        if (tag > 0xFFFF)
                wr_u8(w, (uint8_t)(tag >> 16));
        if (tag > 0xFF)
                wr_u8(w, (uint8_t)(tag >> 8));
        wr_u8(w, (uint8_t)tag);
}

void wr_len(struct writer *w, size_t n)
{
        if (n < 0x80) {
                wr_u8(w, (uint8_t)n);
        } else if (n <= 0xFF) {
                wr_u8(w, 0x81);
                wr_u8(w, (uint8_t)n);
        } else if (n <= 0xFFFF) {
                wr_u8(w, 0x82);
                wr_u16(w, (uint16_t)n);
        } else {
                wr_u8(w, 0x83);
                wr_u8(w, (uint8_t)(n >> 16));
                wr_u16(w, (uint16_t)n);
        }
}

void wr_tlv(struct writer *w, uint32_t tag, const void *v, size_t n)
{
        wr_tag(w, tag);
        wr_len(w, n);
        wr_bytes(w, v, n);
}

/* The reserved length field is 4 bytes (83 xx xx xx). */
size_t wr_open(struct writer *w, uint32_t tag)
{
        static const uint8_t room[4];
        wr_tag(w, tag);
        wr_bytes(w, room, sizeof(room));
        return w->len;
}

void wr_close(struct writer *w, size_t mark)
{
        if (w->err)
                return;
        size_t n = w->len - mark;
        uint8_t lenbuf[4];
        struct writer l = wr_init(lenbuf, sizeof(lenbuf));
        wr_len(&l, n);
        uint8_t *content = w->p + mark;
        uint8_t *field = content - 4;
        memcpy(field, lenbuf, l.len);
        memmove(field + l.len, content, n);
        w->len = (size_t)(field - w->p) + l.len + n;
}
