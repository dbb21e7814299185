/* SPDX-License-Identifier: Apache-2.0 */
/* A request line of the control socket, parsed: which verb, which card, which arguments. Pure:
 * no sockets and no card is touched (verbs.c carries a request out; control.c owns the socket). */
#ifndef VT_REQUEST_H
#define VT_REQUEST_H

#include "fault.h"

#include <stdbool.h>
#include <stddef.h>

#define REQUEST_WORDS_MAX 16

struct served_card;

/* How a request finds the cards: nth(ctx, i, &name) is the i-th card and its name, NULL past
 * the last. */
struct card_lookup {
        void *ctx;
        struct served_card *(*nth)(void *ctx, size_t i, const char **name);
};

enum request_verb {
        REQUEST_STATUS,
        REQUEST_INSERT,
        REQUEST_REMOVE,
        REQUEST_RESET,
        REQUEST_TOUCH,
        REQUEST_TRACE_ON,
        REQUEST_TRACE_OFF,
        REQUEST_FAULT,
        REQUEST_FAULT_CLEAR,
};

struct request {
        enum request_verb verb;
        struct served_card *card; /* NULL for status */
        bool json;                /* status --json, trace --json */
        const char *path;         /* trace to this file (in the line), or NULL */
        struct fault fault;       /* REQUEST_FAULT */
};

/* Splits a request line into at most max words at spaces and tabs (in place). Returns the
 * number of words, or -1 when the line holds a control character or too many words. */
int request_split(char *line, char **words, size_t max);
/* Parses a request line (in place; path points into it). 0, or -1 with the reason of the
 * error reply in err. */
int request_parse(const struct card_lookup *cards, char *line, struct request *req, char *err,
                  size_t errlen);

#endif
