/* SPDX-License-Identifier: Apache-2.0 */
/* The verbs of the control socket: status, insert, remove, reset, trace, fault, touch. */
#ifndef VT_VERBS_H
#define VT_VERBS_H

#include "request.h"

#include <stdio.h>

/* Carries out one request line and writes the reply: "ok\n" and the answer, or
 * "error: REASON\n". */
void verbs_execute(const struct card_lookup *cards, char *line, FILE *reply);

#endif
