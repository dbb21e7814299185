/* SPDX-License-Identifier: Apache-2.0 */
/* A growing text buffer, wiped when freed (the files it builds may hold secrets): what an
 * applet's codec writes its files with. */
#ifndef VT_TEXT_H
#define VT_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct vt_text {
        char *p; /* NUL-terminated once something was written */
        size_t len, cap;
        int err; /* set once a write failed (out of memory); later writes do nothing */
};

#define VT_TEXT_INIT ((struct vt_text){NULL, 0, 0, 0})

/* Appends printf-formatted text. */
void vt_text_put(struct vt_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends n bytes as hex digits, sep between them ("" for none). */
void vt_text_hex(struct vt_text *t, const uint8_t *v, size_t n, const char *sep);
/* The names name_at(0), name_at(1), ... up to the first NULL, into out: sep between them and
 * last_sep before the last ("a, b or c"); what does not fit is cut off. */
void vt_names_join(char *out, size_t n, const char *(*name_at)(size_t i), const char *sep,
                   const char *last_sep);
/* Wipes and frees the buffer; t is empty again. */
void vt_text_free(struct vt_text *t);

#endif
