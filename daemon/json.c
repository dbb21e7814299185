/* SPDX-License-Identifier: Apache-2.0 */
#include "json.h"

void json_string(FILE *f, const char *s)
{
        if (!s) {
                fputs("null", f);
                return;
        }
        fputc('"', f);
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\')
                        fprintf(f, "\\%c", c);
                else if (c < 0x20)
                        fprintf(f, "\\u%04x", c);
                else
                        fputc(c, f);
        }
        fputc('"', f);
}

void json_object_begin(struct json *j, FILE *f)
{
        j->f = f;
        j->first = true;
        fputc('{', f);
}

void json_object_end(struct json *j)
{
        fputc('}', j->f);
}

static void key(struct json *j, const char *k)
{
        if (!j->first)
                fputc(',', j->f);
        j->first = false;
        json_string(j->f, k);
        fputc(':', j->f);
}

void json_member_string(struct json *j, const char *k, const char *v)
{
        key(j, k);
        json_string(j->f, v);
}

void json_member_uint(struct json *j, const char *k, unsigned long v)
{
        key(j, k);
        fprintf(j->f, "%lu", v);
}

void json_member_bool(struct json *j, const char *k, bool v)
{
        key(j, k);
        fputs(v ? "true" : "false", j->f);
}

void json_array_begin(struct json *j, const char *k, struct json *array)
{
        key(j, k);
        fputc('[', j->f);
        array->f = j->f;
        array->first = true;
}

void json_array_string(struct json *array, const char *v)
{
        if (!array->first)
                fputc(',', array->f);
        array->first = false;
        json_string(array->f, v);
}

void json_array_end(struct json *array)
{
        fputc(']', array->f);
}
