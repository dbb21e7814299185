/* SPDX-License-Identifier: Apache-2.0 */
#include "request.h"

#include "trace.h"

#include <stdio.h>
#include <string.h>

int request_split(char *line, char **words, size_t max)
{
        size_t n = 0;
        for (char *p = line; *p; p++)
                if ((unsigned char)*p < 0x20 && *p != '\t')
                        return -1;
        for (char *p = line;;) {
                p += strspn(p, " \t");
                if (!*p)
                        return (int)n;
                if (n == max)
                        return -1;
                words[n++] = p;
                p += strcspn(p, " \t");
                if (*p)
                        *p++ = '\0';
        }
}

static struct served_card *find_card(const struct card_lookup *cards, const char *name)
{
        struct served_card *sc;
        const char *n;
        for (size_t i = 0; (sc = cards->nth(cards->ctx, i, &n)); i++)
                if (strcmp(n, name) == 0)
                        return sc;
        return NULL;
}

static int parse_status(char **w, size_t n, struct request *req, char *err, size_t errlen)
{
        req->verb = REQUEST_STATUS;
        req->json = n == 2 && strcmp(w[1], "--json") == 0;
        if (n > 2 || (n == 2 && !req->json)) {
                snprintf(err, errlen, "usage: status [--json]");
                return -1;
        }
        return 0;
}

static int parse_trace(char **w, size_t n, struct request *req, char *err, size_t errlen)
{
        bool on = n >= 3 && strcmp(w[2], "on") == 0;
        if (n == 3 && strcmp(w[2], "off") == 0) {
                req->verb = REQUEST_TRACE_OFF;
                return 0;
        }
        for (size_t i = 3; on && i < n; i++) {
                if (strcmp(w[i], "--json") == 0 && !req->json)
                        req->json = true;
                else if (w[i][0] == '/' && !req->path)
                        req->path = w[i];
                else
                        on = false;
        }
        if (!on) {
                snprintf(err, errlen,
                         "usage: trace CARD on [/ABSOLUTE/FILE] [--json] | trace CARD off");
                return -1;
        }
        req->verb = REQUEST_TRACE_ON;
        if (req->path && trace_format_for(req->path) == TRACE_JSON)
                req->json = true;
        return 0;
}

static int parse_fault(char **w, size_t n, struct request *req, char *err, size_t errlen)
{
        if (n == 3 && strcmp(w[2], "clear") == 0) {
                req->verb = REQUEST_FAULT_CLEAR;
                return 0;
        }
        req->verb = REQUEST_FAULT;
        return fault_parse(w + 2, n - 2, &req->fault, err, errlen);
}

/* The verbs that name a card. */
static const struct {
        const char *name;
        enum request_verb verb;
} card_verbs[] = {
    {"insert", REQUEST_INSERT}, {"remove", REQUEST_REMOVE},  {"reset", REQUEST_RESET},
    {"touch", REQUEST_TOUCH},   {"trace", REQUEST_TRACE_ON}, {"fault", REQUEST_FAULT},
};
#define N_CARD_VERBS (sizeof(card_verbs) / sizeof(card_verbs[0]))

int request_parse(const struct card_lookup *cards, char *line, struct request *req, char *err,
                  size_t errlen)
{
        char *w[REQUEST_WORDS_MAX];
        int n = request_split(line, w, REQUEST_WORDS_MAX);
        size_t v = N_CARD_VERBS;
        memset(req, 0, sizeof(*req));
        if (n < 0) {
                snprintf(err, errlen, "malformed request");
                return -1;
        }
        if (n == 0) {
                snprintf(err, errlen, "empty request");
                return -1;
        }
        if (strcmp(w[0], "status") == 0)
                return parse_status(w, (size_t)n, req, err, errlen);
        for (size_t i = 0; i < N_CARD_VERBS; i++)
                if (strcmp(w[0], card_verbs[i].name) == 0)
                        v = i;
        if (v == N_CARD_VERBS) {
                snprintf(err, errlen,
                         "unknown request '%.64s': expected status, insert, remove, reset, trace, "
                         "fault or touch",
                         w[0]);
                return -1;
        }
        if (n < 2) {
                snprintf(err, errlen, "%s needs a CARD", w[0]);
                return -1;
        }
        if (!(req->card = find_card(cards, w[1]))) {
                snprintf(err, errlen, "unknown card '%.64s'", w[1]);
                return -1;
        }
        req->verb = card_verbs[v].verb;
        if (req->verb == REQUEST_TRACE_ON)
                return parse_trace(w, (size_t)n, req, err, errlen);
        if (req->verb == REQUEST_FAULT)
                return parse_fault(w, (size_t)n, req, err, errlen);
        if (n != 2) {
                snprintf(err, errlen, "usage: %s CARD", w[0]);
                return -1;
        }
        return 0;
}
