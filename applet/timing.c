/* SPDX-License-Identifier: Apache-2.0 */
/* The timing tables and their rows (docs/timing.md gives each figure's source). */
#include "timing.h"

#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[VT_OP_N] = {
    [VT_OP_OTHER] = "other",         [VT_OP_SELECT] = "select",     [VT_OP_VERIFY] = "verify",
    [VT_OP_READ_CERT] = "read-cert", [VT_OP_SIGN] = "sign",         [VT_OP_DECRYPT] = "decrypt",
    [VT_OP_AGREE] = "agree",         [VT_OP_GENERATE] = "generate",
};

/* Whether an op kind takes a key of alg (and only such kinds have an algorithm). */
static bool kind_takes(uint8_t kind, uint8_t alg)
{
        const struct vt_crypto_info *ci = vt_crypto_info((enum vt_crypto_alg)alg);
        if (kind < VT_OP_SIGN)
                return alg == VT_CRYPTO_NONE;
        if (!ci)
                return false;
        switch (kind) {
        case VT_OP_SIGN:
                return ci->kind != VT_KIND_MONTGOMERY;
        case VT_OP_DECRYPT:
                return ci->kind == VT_KIND_RSA;
        case VT_OP_AGREE:
                return ci->kind == VT_KIND_EC || ci->kind == VT_KIND_MONTGOMERY;
        case VT_OP_GENERATE:
                return true;
        default:
                return false;
        }
}

/* One figure of a named table: the row, and its value in microseconds. */
struct figure {
        uint8_t kind, alg;
        uint32_t us;
};

/* A YubiKey 5 NFC, firmware 5.1.2 (docs/timing.md: where each figure comes from; the
 * estimates are derived there). */
static const struct figure yubikey5[] = {
    /* ebourg/jsign, jsign-benchmark/README.md, PIVBenchmark */
    {VT_OP_SELECT, VT_CRYPTO_NONE, 1257},
    {VT_OP_READ_CERT, VT_CRYPTO_NONE, 7298},
    {VT_OP_VERIFY, VT_CRYPTO_NONE, 9135},
    {VT_OP_SIGN, VT_CRYPTO_RSA1024, 56238},
    {VT_OP_SIGN, VT_CRYPTO_RSA2048, 138491},
    {VT_OP_SIGN, VT_CRYPTO_P256, 71572},
    {VT_OP_SIGN, VT_CRYPTO_P384, 118563},
    /* the same, OpenPGPCardBenchmark (the same key's OpenPGP applet) */
    {VT_OP_SIGN, VT_CRYPTO_RSA3072, 517010},
    {VT_OP_SIGN, VT_CRYPTO_RSA4096, 855868},
    /* estimates: no published figure */
    {VT_OP_OTHER, VT_CRYPTO_NONE, 1257},        /* as SELECT, the simplest command measured */
    {VT_OP_SIGN, VT_CRYPTO_BP256, 71572},       /* as P-256: the same field size */
    {VT_OP_SIGN, VT_CRYPTO_BP384, 118563},      /* as P-384 */
    {VT_OP_SIGN, VT_CRYPTO_ED25519, 71572},     /* as P-256: one scalar multiplication */
    {VT_OP_DECRYPT, VT_CRYPTO_RSA1024, 56238},  /* as the signature: one private-key operation */
    {VT_OP_DECRYPT, VT_CRYPTO_RSA2048, 138491}, /* ... */
    {VT_OP_DECRYPT, VT_CRYPTO_RSA3072, 517010},
    {VT_OP_DECRYPT, VT_CRYPTO_RSA4096, 855868},
    {VT_OP_AGREE, VT_CRYPTO_P256, 71572}, /* as the signature: one scalar multiplication */
    {VT_OP_AGREE, VT_CRYPTO_P384, 118563},
    {VT_OP_AGREE, VT_CRYPTO_BP256, 71572},
    {VT_OP_AGREE, VT_CRYPTO_BP384, 118563},
    {VT_OP_AGREE, VT_CRYPTO_X25519, 71572},
    /* RSA: 20 signatures of the size (the prime search); EC: one signature */
    {VT_OP_GENERATE, VT_CRYPTO_RSA1024, 20 * 56238},
    {VT_OP_GENERATE, VT_CRYPTO_RSA2048, 20 * 138491},
    {VT_OP_GENERATE, VT_CRYPTO_RSA3072, 20 * 517010},
    {VT_OP_GENERATE, VT_CRYPTO_RSA4096, 20 * 855868},
    {VT_OP_GENERATE, VT_CRYPTO_P256, 71572},
    {VT_OP_GENERATE, VT_CRYPTO_P384, 118563},
    {VT_OP_GENERATE, VT_CRYPTO_BP256, 71572},
    {VT_OP_GENERATE, VT_CRYPTO_BP384, 118563},
    {VT_OP_GENERATE, VT_CRYPTO_ED25519, 71572},
    {VT_OP_GENERATE, VT_CRYPTO_X25519, 71572},
};

static const struct table {
        const char *name;
        const char *about;
        const struct figure *figures;
        size_t n;
} tables[] = {
    {"instant", "answers at once (the default)", NULL, 0},
    {"yubikey5", "a YubiKey 5 NFC, firmware 5.1.2 (ebourg/jsign's benchmark; docs/timing.md)",
     yubikey5, sizeof(yubikey5) / sizeof(yubikey5[0])},
};
#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

const char *vt_timing_at(size_t i)
{
        return i < N_TABLES ? tables[i].name : NULL;
}

const char *vt_timing_about(size_t i)
{
        return i < N_TABLES ? tables[i].about : NULL;
}

static const struct table *table_named(const char *name)
{
        for (size_t i = 0; i < N_TABLES; i++)
                if (strcmp(name, tables[i].name) == 0)
                        return &tables[i];
        return NULL;
}

const char *vt_timing_about_named(const char *name)
{
        const struct table *tb = table_named(name);
        return tb ? tb->about : "";
}

int vt_timing_builtin(const char *name, struct vt_timing *t)
{
        const struct table *tb = table_named(name);
        if (!tb)
                return -1;
        memset(t, 0, sizeof(*t));
        snprintf(t->name, sizeof(t->name), "%s", tb->name);
        for (size_t i = 0; i < tb->n; i++)
                t->us[tb->figures[i].kind][tb->figures[i].alg] = tb->figures[i].us;
        return 0;
}

bool vt_timing_is_builtin(const struct vt_timing *t)
{
        struct vt_timing b;
        return vt_timing_builtin(t->name, &b) == 0 && memcmp(b.us, t->us, sizeof(b.us)) == 0;
}

uint32_t vt_timing_cost(const struct vt_timing *t, struct vt_op op)
{
        if (op.kind >= VT_OP_N || op.alg >= VT_CRYPTO_N_ALGS)
                return 0;
        return t->us[op.kind][op.alg];
}

bool vt_timing_row_name(struct vt_op op, char *buf, size_t n)
{
        if (op.kind >= VT_OP_N || !kind_takes(op.kind, op.alg))
                return false;
        if (op.alg == VT_CRYPTO_NONE)
                snprintf(buf, n, "%s", kind_names[op.kind]);
        else
                snprintf(buf, n, "%s-%s", kind_names[op.kind],
                         vt_crypto_info((enum vt_crypto_alg)op.alg)->name);
        return true;
}

bool vt_timing_row_at(size_t i, struct vt_op *op)
{
        for (unsigned k = 0; k < VT_OP_N; k++)
                for (unsigned a = 0; a < VT_CRYPTO_N_ALGS; a++)
                        if (kind_takes((uint8_t)k, (uint8_t)a) && i-- == 0) {
                                *op = (struct vt_op){(uint8_t)k, (uint8_t)a};
                                return true;
                        }
        return false;
}

/* Milliseconds with at most three decimals, up to 60 s, as microseconds: 0 or -1. */
static int parse_ms(const char *s, uint32_t *us)
{
        unsigned long whole = 0, frac = 0;
        int digits = 0, decimals = 0;
        for (; *s >= '0' && *s <= '9'; s++, digits++)
                if ((whole = whole * 10 + (unsigned long)(*s - '0')) > 60000)
                        return -1;
        bool point = *s == '.';
        for (s += point; point && *s >= '0' && *s <= '9'; s++) {
                if (++decimals > 3)
                        return -1;
                frac = frac * 10 + (unsigned long)(*s - '0');
        }
        if (*s || !digits || (point && !decimals))
                return -1;
        for (; decimals < 3; decimals++)
                frac *= 10;
        if (whole == 60000 && frac)
                return -1;
        *us = (uint32_t)(whole * 1000 + frac);
        return 0;
}

int vt_timing_set(struct vt_timing *t, const char *row, const char *ms, char *err, size_t errlen)
{
        struct vt_op op;
        char name[32];
        uint32_t us;
        for (size_t i = 0; vt_timing_row_at(i, &op); i++) {
                vt_timing_row_name(op, name, sizeof(name));
                if (strcmp(name, row) != 0)
                        continue;
                if (parse_ms(ms, &us) < 0) {
                        snprintf(err, errlen,
                                 "%s: '%s' is no time: expected milliseconds from 0 to 60000, "
                                 "at most 3 decimals (138.491)",
                                 row, ms);
                        return -1;
                }
                t->us[op.kind][op.alg] = us;
                return 0;
        }
        snprintf(err, errlen,
                 "unknown timing row '%s' (select, verify, read-cert, other, sign-ALG, "
                 "decrypt-ALG, agree-ALG or generate-ALG: docs/timing.md)",
                 row);
        return -1;
}

void vt_timing_format_ms(uint32_t us, char *buf, size_t n)
{
        if (us % 1000)
                snprintf(buf, n, "%u.%03u", us / 1000, us % 1000);
        else
                snprintf(buf, n, "%u", us / 1000);
}

void vt_timing_each_change(const struct vt_timing *t,
                           void (*fn)(void *ctx, const char *row, uint32_t us), void *ctx)
{
        struct vt_timing base;
        struct vt_op op;
        char name[32];
        if (vt_timing_builtin(t->name, &base) < 0)
                memset(&base, 0, sizeof(base));
        for (size_t i = 0; vt_timing_row_at(i, &op); i++) {
                uint32_t us = t->us[op.kind][op.alg];
                if (us == base.us[op.kind][op.alg])
                        continue;
                vt_timing_row_name(op, name, sizeof(name));
                fn(ctx, name, us);
        }
}

struct write_ctx {
        const struct vt_timing *t;
        struct vt_text *out;
        bool any;
};

static void write_row(void *ctx, const char *row, uint32_t us)
{
        struct write_ctx *w = ctx;
        char ms[16];
        if (!w->any)
                vt_text_put(w->out,
                            "\n; what this card's commands take, in ms, where it differs "
                            "from timing = %s\n[timing]\n",
                            w->t->name);
        w->any = true;
        vt_timing_format_ms(us, ms, sizeof(ms));
        vt_text_put(w->out, "%s = %s\n", row, ms);
}

void vt_timing_write(const struct vt_timing *t, struct vt_text *out)
{
        struct write_ctx w = {t, out, false};
        vt_timing_each_change(t, write_row, &w);
}
