/* SPDX-License-Identifier: Apache-2.0 */
/* The little JSON the daemon writes (status, trace lines): strings escaped as JSON wants, and
 * objects written member by member, the commas placed here rather than by every writer. */
#ifndef VT_JSON_H
#define VT_JSON_H

#include <stdbool.h>
#include <stdio.h>

/* Writes s as a JSON string, quotes included; NULL as null. */
void json_string(FILE *f, const char *s);

/* An object (or an array) being written to f. */
struct json {
        FILE *f;
        bool first; /* no member written yet */
};
void json_object_begin(struct json *j, FILE *f);
void json_object_end(struct json *j);
/* A member: its value a string (NULL as null), a number, a boolean. */
void json_member_string(struct json *j, const char *key, const char *v);
void json_member_uint(struct json *j, const char *key, unsigned long v);
void json_member_bool(struct json *j, const char *key, bool v);
/* A member whose value is an array of strings: begin, an item each, end. */
void json_array_begin(struct json *j, const char *key, struct json *array);
void json_array_string(struct json *array, const char *v);
void json_array_end(struct json *array);

#endif
