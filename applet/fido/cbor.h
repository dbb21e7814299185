/* SPDX-License-Identifier: Apache-2.0 */
/* A small CBOR (RFC 8949) reader and writer for CTAP2: definite lengths only, integers up to 64
 * bits, byte and text strings, arrays, maps, booleans. The reader works on a struct reader
 * (applet/buf.h): every call returns 0 or -1 and leaves the reader unchanged on failure. */
#ifndef VT_FIDO_CBOR_H
#define VT_FIDO_CBOR_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cbor_major {
        CBOR_UINT = 0,
        CBOR_NEGINT = 1,
        CBOR_BYTES = 2,
        CBOR_TEXT = 3,
        CBOR_ARRAY = 4,
        CBOR_MAP = 5,
        CBOR_TAG = 6,
        CBOR_SIMPLE = 7
};

#define CBOR_DEPTH_MAX 8

/* The major type of the next item (without consuming it); -1 at the end. */
int cbor_peek(const struct reader *r);
/* An integer (major 0 or 1) that fits an int64_t. */
int cbor_int(struct reader *r, int64_t *v);
int cbor_bytes(struct reader *r, const uint8_t **p, size_t *n);
int cbor_text(struct reader *r, const char **p, size_t *n);
int cbor_bool(struct reader *r, bool *v);
/* The header of an array or a map: its count of elements (of pairs for a map). */
int cbor_array(struct reader *r, size_t *n);
int cbor_map(struct reader *r, size_t *n);
/* Skips one whole item (nested at most CBOR_DEPTH_MAX deep); *item is what it spanned. */
int cbor_skip(struct reader *r, struct reader *item);
/* A map with integer keys: the value of each key k below n goes to vals[k] (the others are
 * skipped); the map must be whole. */
int cbor_int_map(struct reader *r, struct reader *vals, size_t n);
/* Whether a text item equals s. */
bool cbor_text_is(const char *p, size_t n, const char *s);

void cbor_put_uint(struct writer *w, uint64_t v);
void cbor_put_int(struct writer *w, int64_t v);
void cbor_put_bytes(struct writer *w, const void *p, size_t n);
void cbor_put_text(struct writer *w, const char *s);
void cbor_put_textn(struct writer *w, const char *s, size_t n);
void cbor_put_bool(struct writer *w, bool v);
void cbor_put_array(struct writer *w, size_t n);
void cbor_put_map(struct writer *w, size_t n);

#endif
