/* SPDX-License-Identifier: Apache-2.0 */
#include "show_unit.h"

#include <stdarg.h>
#include <stdio.h>

#define DEPTH_MAX 8

/* ---- text: "  key:  value" lines, two more spaces per section ---------------------------- */

struct text_out {
        int depth;
};

static void text_key(const struct text_out *o, const char *key)
{
        printf("%*s%s: ", 2 * o->depth, "", key ? key : "-");
}

static void text_str(void *ctx, const char *key, const char *value)
{
        text_key(ctx, key);
        printf("%s\n", value ? value : "none");
}

static void text_num(void *ctx, const char *key, long long value)
{
        text_key(ctx, key);
        printf("%lld\n", value);
}

static void text_flag(void *ctx, const char *key, bool value)
{
        text_key(ctx, key);
        printf("%s\n", value ? "yes" : "no");
}

static void text_begin(void *ctx, const char *key)
{
        struct text_out *o = ctx;
        text_key(o, key);
        printf("\n");
        if (o->depth < DEPTH_MAX)
                o->depth++;
}

static void text_end(void *ctx)
{
        struct text_out *o = ctx;
        if (o->depth > 1)
                o->depth--;
}

void vt_show_unit_text(const struct vt_image *img, const struct vt_applet_unit *unit,
                       const void *state)
{
        struct text_out o = {1};
        const struct vt_show out = {.str = text_str,
                                    .num = text_num,
                                    .flag = text_flag,
                                    .begin = text_begin,
                                    .begin_list = text_begin,
                                    .end = text_end,
                                    .ctx = &o};
        printf("\n%s\n", unit->title ? unit->title : unit->name);
        unit->show(img, state, &out);
}

/* ---- JSON: objects and arrays, with their commas ------------------------------------------ */

struct json_out {
        int depth;
        bool first[DEPTH_MAX + 2]; /* nothing written yet at this depth */
        char close[DEPTH_MAX + 2]; /* what closes it: '}' or ']' */
};

static void json_string(const char *s)
{
        putchar('"');
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\')
                        printf("\\%c", c);
                else if (c < 0x20)
                        printf("\\u%04x", c);
                else
                        putchar(c);
        }
        putchar('"');
}

/* The separator and, inside an object, the member's name. */
static void json_member(struct json_out *o, const char *key)
{
        printf("%s", o->first[o->depth] ? "" : ", ");
        o->first[o->depth] = false;
        if (key) {
                json_string(key);
                printf(": ");
        }
}

static void json_str(void *ctx, const char *key, const char *value)
{
        json_member(ctx, key);
        if (value)
                json_string(value);
        else
                printf("null");
}

static void json_num(void *ctx, const char *key, long long value)
{
        json_member(ctx, key);
        printf("%lld", value);
}

static void json_flag(void *ctx, const char *key, bool value)
{
        json_member(ctx, key);
        printf("%s", value ? "true" : "false");
}

static void json_open(struct json_out *o, const char *key, char bracket)
{
        json_member(o, key);
        putchar(bracket);
        if (o->depth < DEPTH_MAX)
                o->depth++;
        o->first[o->depth] = true;
        o->close[o->depth] = bracket == '{' ? '}' : ']';
}

static void json_begin(void *ctx, const char *key)
{
        json_open(ctx, key, '{');
}

static void json_begin_list(void *ctx, const char *key)
{
        json_open(ctx, key, '[');
}

static void json_end(void *ctx)
{
        struct json_out *o = ctx;
        if (o->depth <= 1)
                return;
        putchar(o->close[o->depth]);
        o->depth--;
}

void vt_show_unit_json(const struct vt_image *img, const struct vt_applet_unit *unit,
                       const void *state)
{
        struct json_out o = {.depth = 1};
        const struct vt_show out = {.str = json_str,
                                    .num = json_num,
                                    .flag = json_flag,
                                    .begin = json_begin,
                                    .begin_list = json_begin_list,
                                    .end = json_end,
                                    .ctx = &o,
                                    .json = true};
        o.first[1] = true;
        printf(",\n  ");
        json_string(unit->name);
        printf(": {");
        unit->show(img, state, &out);
        printf("}");
}

/* ---- verbatim: a unit that writes its part itself (row's show_verbatim) ------------------- */

static void verbatim_put(void *ctx, const char *fmt, ...)
{
        va_list ap;

        (void)ctx;
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
}

static void verbatim_quoted(void *ctx, const char *s)
{
        (void)ctx;
        json_string(s);
}

void vt_show_unit_verbatim(const struct vt_image *img, const struct vt_applet_unit *unit,
                           const void *state, bool json, const struct vt_show_host *host)
{
        const struct vt_show out = {
            .json = json, .put = verbatim_put, .quoted = verbatim_quoted, .host = host};
        unit->show(img, state, &out);
}
