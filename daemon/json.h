/* SPDX-License-Identifier: Apache-2.0 */
/* The little JSON the daemon writes (status, trace lines): strings escaped as JSON wants. */
#ifndef VT_JSON_H
#define VT_JSON_H

#include <stdio.h>

/* Writes s as a JSON string, quotes included; NULL as null. */
void json_string(FILE *f, const char *s);

#endif
