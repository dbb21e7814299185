/* SPDX-License-Identifier: Apache-2.0 */
/* The requests of the control socket, carried out on the cards (the protocol is described in
 * control.c, which owns the socket). */
#include "verbs.h"

#include "fault.h"
#include "log.h"
#include "served.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int verbs_split(char *line, char **words, size_t max)
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

static void error(FILE *reply, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void error(FILE *reply, const char *fmt, ...)
{
        va_list ap;
        fputs("error: ", reply);
        va_start(ap, fmt);
        vfprintf(reply, fmt, ap);
        va_end(ap);
        fputc('\n', reply);
}

static struct served_card *find_card(const struct card_lookup *cards, const char *name)
{
        struct served_card *sc;
        for (size_t i = 0; (sc = cards->nth(cards->ctx, i)); i++)
                if (strcmp(sc->conf.name, name) == 0)
                        return sc;
        return NULL;
}

static void do_status(const struct card_lookup *cards, char **w, size_t n, FILE *reply)
{
        bool json = n == 2 && strcmp(w[1], "--json") == 0;
        if (n > 2 || (n == 2 && !json)) {
                error(reply, "usage: status [--json]");
                return;
        }
        fputs("ok\n", reply);
        if (json)
                fputs("{\"cards\":[", reply);
        struct served_card *sc;
        size_t i;
        for (i = 0; (sc = cards->nth(cards->ctx, i)); i++) {
                if (json && i)
                        fputc(',', reply);
                served_card_status(sc, reply, json);
        }
        if (json)
                fputs("]}\n", reply);
        else if (i == 0)
                fputs("no card served\n", reply);
}

static void do_trace(struct served_card *sc, char **w, size_t n, FILE *reply)
{
        bool on = n >= 3 && strcmp(w[2], "on") == 0, json = false;
        const char *path = NULL;
        if (n == 3 && strcmp(w[2], "off") == 0) {
                served_card_trace(sc, false, NULL, TRACE_TEXT);
                vt_log(LOG_INFO, sc->conf.name, NULL, "trace off");
                fputs("ok\n", reply);
                return;
        }
        for (size_t i = 3; on && i < n; i++) {
                if (strcmp(w[i], "--json") == 0 && !json)
                        json = true;
                else if (w[i][0] == '/' && !path)
                        path = w[i];
                else
                        on = false;
        }
        if (!on) {
                error(reply, "usage: trace CARD on [/ABSOLUTE/FILE] [--json] | trace CARD off");
                return;
        }
        enum trace_format fmt =
            json || (path && trace_format_for(path) == TRACE_JSON) ? TRACE_JSON : TRACE_TEXT;
        int r = served_card_trace(sc, true, path, fmt);
        if (r < 0) {
                error(reply, "cannot open %s: %s", path, trace_strerror(r));
                return;
        }
        vt_log(LOG_INFO, sc->conf.name, NULL, "trace on to %s", path ? path : "the log");
        fputs("ok\n", reply);
}

static void do_fault(struct served_card *sc, char **w, size_t n, FILE *reply)
{
        if (n == 3 && strcmp(w[2], "clear") == 0) {
                served_card_fault_clear(sc);
                vt_log(LOG_INFO, sc->conf.name, NULL, "faults cleared");
                fputs("ok\n", reply);
                return;
        }
        struct fault f;
        char err[256], what[96];
        if (fault_parse(w + 2, n - 2, &f, err, sizeof(err)) < 0) {
                error(reply, "%s", err);
                return;
        }
        if (served_card_fault(sc, &f) < 0) {
                error(reply, "at most %d faults may be armed: 'fault %s clear' first", FAULTS_MAX,
                      sc->conf.name);
                return;
        }
        fault_describe(&f, 1, what, sizeof(what));
        vt_log(LOG_INFO, sc->conf.name, NULL, "fault armed: %s", what);
        fprintf(reply, "ok\n%s: fault armed: %s\n", sc->conf.name, what);
}

void verbs_execute(const struct card_lookup *cards, char *line, FILE *reply)
{
        char *w[VERBS_WORDS_MAX];
        int n = verbs_split(line, w, VERBS_WORDS_MAX);
        if (n < 0) {
                error(reply, "malformed request");
                return;
        }
        if (n == 0) {
                error(reply, "empty request");
                return;
        }
        const char *verb = w[0];
        if (strcmp(verb, "status") == 0) {
                do_status(cards, w, (size_t)n, reply);
                return;
        }
        static const char *const card_verbs[] = {"insert", "remove", "reset",
                                                 "touch",  "trace",  "fault"};
        bool known = false;
        for (size_t i = 0; i < sizeof(card_verbs) / sizeof(card_verbs[0]); i++)
                known |= strcmp(verb, card_verbs[i]) == 0;
        if (!known) {
                error(reply,
                      "unknown request '%.64s': expected status, insert, remove, reset, trace, "
                      "fault or touch",
                      verb);
                return;
        }
        if (n < 2) {
                error(reply, "%s needs a CARD", verb);
                return;
        }
        struct served_card *sc = find_card(cards, w[1]);
        if (!sc) {
                error(reply, "unknown card '%.64s'", w[1]);
                return;
        }
        if (strcmp(verb, "trace") == 0) {
                do_trace(sc, w, (size_t)n, reply);
                return;
        }
        if (strcmp(verb, "fault") == 0) {
                do_fault(sc, w, (size_t)n, reply);
                return;
        }
        if (n != 2) {
                error(reply, "usage: %s CARD", verb);
                return;
        }
        if (strcmp(verb, "touch") == 0) {
                if (served_card_touch(sc) < 0) {
                        error(reply, "%s: no command is waiting for a touch", sc->conf.name);
                        return;
                }
        } else if (strcmp(verb, "insert") == 0) {
                served_card_insert(sc);
        } else if (strcmp(verb, "remove") == 0) {
                served_card_remove(sc);
        } else {
                served_card_reset(sc);
        }
        vt_log(LOG_INFO, sc->conf.name, NULL, "%s by the control socket", verb);
        fputs("ok\n", reply);
}
