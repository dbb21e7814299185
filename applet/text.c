/* SPDX-License-Identifier: Apache-2.0 */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void vt_text_put(struct vt_text *t, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (t->err)
                return;
        for (;;) {
                va_start(ap, fmt);
                n = vsnprintf(t->p ? t->p + t->len : NULL, t->cap - t->len, fmt, ap);
                va_end(ap);
                if (n < 0) {
                        t->err = 1;
                        return;
                }
                if (t->len + (size_t)n < t->cap) {
                        t->len += (size_t)n;
                        return;
                }
                size_t cap = (t->cap ? t->cap * 2 : 1024) + (size_t)n;
                char *p = malloc(cap);
                if (!p) {
                        t->err = 1;
                        return;
                }
                if (t->p) {
                        memcpy(p, t->p, t->len);
                        OPENSSL_cleanse(t->p, t->cap);
                        free(t->p);
                }
                t->p = p;
                t->cap = cap;
        }
}

void vt_text_hex(struct vt_text *t, const uint8_t *v, size_t n, const char *sep)
{
        for (size_t i = 0; i < n; i++)
                vt_text_put(t, "%s%02X", i && sep ? sep : "", v[i]);
}

void vt_names_join(char *out, size_t n, const char *(*name_at)(size_t i), const char *sep,
                   const char *last_sep)
{
        size_t used = 0;
        if (!n)
                return;
        out[0] = 0;
        for (size_t i = 0; name_at(i) && used < n; i++) {
                const char *between = !i ? "" : name_at(i + 1) ? sep : last_sep;
                int w = snprintf(out + used, n - used, "%s%s", between, name_at(i));
                if (w < 0)
                        return;
                used += (size_t)w;
        }
}

void vt_text_free(struct vt_text *t)
{
        if (t->p)
                OPENSSL_cleanse(t->p, t->cap);
        free(t->p);
        *t = VT_TEXT_INIT;
}
