/* SPDX-License-Identifier: Apache-2.0 */
/* The verbs of the control socket: status, insert, remove, reset, trace, fault, touch. */
#ifndef VT_VERBS_H
#define VT_VERBS_H

#include <stddef.h>
#include <stdio.h>

#define VERBS_WORDS_MAX 16

struct served_card;

/* How the verbs find the cards: nth(ctx, i) is the i-th card, NULL past the last. */
struct card_lookup {
        void *ctx;
        struct served_card *(*nth)(void *ctx, size_t i);
};

/* Splits a request line into at most max words at spaces and tabs (in place). Returns the
 * number of words, or -1 when the line holds a control character or too many words. */
int verbs_split(char *line, char **words, size_t max);
/* Carries out one request line and writes the reply: "ok\n" and the answer, or
 * "error: REASON\n". */
void verbs_execute(const struct card_lookup *cards, char *line, FILE *reply);

#endif
