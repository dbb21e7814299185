/* SPDX-License-Identifier: Apache-2.0 */
#include "cbor.h"

#include <string.h>

/* The header of the next item: major type, additional value (a length, a count or the
 * integer); indefinite lengths and reserved values refused. */
static int head(struct reader *r, uint8_t *major, uint64_t *val)
{
        struct reader t = *r;
        uint8_t b, x;
        uint64_t v = 0;
        size_t n;
        if (rd_u8(&t, &b) != 0)
                return -1;
        x = b & 0x1F;
        if (x < 24) {
                v = x;
                n = 0;
        } else if (x <= 27) {
                n = (size_t)1 << (x - 24);
        } else {
                return -1;
        }
        for (size_t i = 0; i < n; i++) {
                uint8_t c;
                if (rd_u8(&t, &c) != 0)
                        return -1;
                v = v << 8 | c;
        }
        *major = b >> 5;
        *val = v;
        *r = t;
        return 0;
}

int cbor_peek(const struct reader *r)
{
        return r->left ? r->p[0] >> 5 : -1;
}

int cbor_int(struct reader *r, int64_t *v)
{
        struct reader t = *r;
        uint8_t m;
        uint64_t u;
        if (head(&t, &m, &u) != 0 || (m != CBOR_UINT && m != CBOR_NEGINT) || u > INT64_MAX)
                return -1;
        *v = m == CBOR_UINT ? (int64_t)u : -1 - (int64_t)u;
        *r = t;
        return 0;
}

static int string(struct reader *r, uint8_t want, const uint8_t **p, size_t *n)
{
        struct reader t = *r;
        uint8_t m;
        uint64_t u;
        if (head(&t, &m, &u) != 0 || m != want || u > t.left || rd_bytes(&t, (size_t)u, p) != 0)
                return -1;
        *n = (size_t)u;
        *r = t;
        return 0;
}

int cbor_bytes(struct reader *r, const uint8_t **p, size_t *n)
{
        return string(r, CBOR_BYTES, p, n);
}

int cbor_text(struct reader *r, const char **p, size_t *n)
{
        const uint8_t *q;
        if (string(r, CBOR_TEXT, &q, n) != 0)
                return -1;
        *p = (const char *)q;
        return 0;
}

int cbor_bool(struct reader *r, bool *v)
{
        struct reader t = *r;
        uint8_t m;
        uint64_t u;
        if (head(&t, &m, &u) != 0 || m != CBOR_SIMPLE || (u != 20 && u != 21))
                return -1;
        *v = u == 21;
        *r = t;
        return 0;
}

static int container(struct reader *r, uint8_t want, size_t *n)
{
        struct reader t = *r;
        uint8_t m;
        uint64_t u;
        /* every element takes a byte at least: a count past the input is a lie */
        if (head(&t, &m, &u) != 0 || m != want || u > t.left)
                return -1;
        *n = (size_t)u;
        *r = t;
        return 0;
}

int cbor_array(struct reader *r, size_t *n)
{
        return container(r, CBOR_ARRAY, n);
}

int cbor_map(struct reader *r, size_t *n)
{
        return container(r, CBOR_MAP, n);
}

static int skip(struct reader *r, int depth)
{
        uint8_t m;
        uint64_t u;
        const uint8_t *p;
        if (depth > CBOR_DEPTH_MAX || head(r, &m, &u) != 0)
                return -1;
        switch (m) {
        case CBOR_BYTES:
        case CBOR_TEXT:
                return u <= r->left ? rd_bytes(r, (size_t)u, &p) : -1;
        case CBOR_ARRAY:
        case CBOR_MAP:
                if (u > r->left)
                        return -1;
                for (uint64_t i = 0; i < (m == CBOR_MAP ? 2 * u : u); i++)
                        if (skip(r, depth + 1) != 0)
                                return -1;
                return 0;
        case CBOR_TAG:
                return skip(r, depth + 1);
        default:
                return 0;
        }
}

int cbor_skip(struct reader *r, struct reader *item)
{
        struct reader t = *r;
        if (skip(&t, 0) != 0)
                return -1;
        if (item)
                *item = rd_init(r->p, r->left - t.left);
        *r = t;
        return 0;
}

bool cbor_text_is(const char *p, size_t n, const char *s)
{
        return strlen(s) == n && memcmp(p, s, n) == 0;
}

static void put_head(struct writer *w, uint8_t major, uint64_t v)
{
        uint8_t m = (uint8_t)(major << 5);
        if (v < 24) {
                wr_u8(w, m | (uint8_t)v);
        } else if (v <= 0xFF) {
                wr_u8(w, m | 24);
                wr_u8(w, (uint8_t)v);
        } else if (v <= 0xFFFF) {
                wr_u8(w, m | 25);
                wr_u16(w, (uint16_t)v);
        } else if (v <= 0xFFFFFFFF) {
                wr_u8(w, m | 26);
                wr_u16(w, (uint16_t)(v >> 16));
                wr_u16(w, (uint16_t)v);
        } else {
                wr_u8(w, m | 27);
                for (int s = 56; s >= 0; s -= 8)
                        wr_u8(w, (uint8_t)(v >> s));
        }
}

void cbor_put_uint(struct writer *w, uint64_t v)
{
        put_head(w, CBOR_UINT, v);
}

void cbor_put_int(struct writer *w, int64_t v)
{
        if (v >= 0)
                put_head(w, CBOR_UINT, (uint64_t)v);
        else
                put_head(w, CBOR_NEGINT, (uint64_t)(-1 - v));
}

void cbor_put_bytes(struct writer *w, const void *p, size_t n)
{
        put_head(w, CBOR_BYTES, n);
        wr_bytes(w, p, n);
}

void cbor_put_textn(struct writer *w, const char *s, size_t n)
{
        put_head(w, CBOR_TEXT, n);
        wr_bytes(w, s, n);
}

void cbor_put_text(struct writer *w, const char *s)
{
        cbor_put_textn(w, s, strlen(s));
}

void cbor_put_bool(struct writer *w, bool v)
{
        wr_u8(w, v ? 0xF5 : 0xF4);
}

void cbor_put_array(struct writer *w, size_t n)
{
        put_head(w, CBOR_ARRAY, n);
}

void cbor_put_map(struct writer *w, size_t n)
{
        put_head(w, CBOR_MAP, n);
}

int cbor_int_map(struct reader *r, struct reader *vals, size_t n)
{
        size_t pairs;
        if (cbor_map(r, &pairs) != 0)
                return -1;
        for (size_t i = 0; i < pairs; i++) {
                int64_t k;
                struct reader v;
                if (cbor_int(r, &k) != 0 || cbor_skip(r, &v) != 0)
                        return -1;
                if (k >= 0 && (uint64_t)k < n)
                        vals[k] = v;
        }
        return 0;
}
