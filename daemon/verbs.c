/* SPDX-License-Identifier: Apache-2.0 */
/* The requests of the control socket, carried out on the cards (the protocol is described in
 * control.c, which owns the socket; request.c parses a request line). */
#include "verbs.h"

#include "fault.h"
#include "log.h"
#include "served.h"

#include <stdbool.h>
#include <string.h>

static void do_status(const struct card_lookup *cards, bool json, FILE *reply)
{
        fputs("ok\n", reply);
        if (json)
                fputs("{\"cards\":[", reply);
        struct served_card *sc;
        size_t i;
        for (i = 0; (sc = cards->nth(cards->ctx, i, NULL)); i++) {
                if (json && i)
                        fputc(',', reply);
                served_card_status(sc, reply, json);
        }
        if (json)
                fputs("]}\n", reply);
        else if (i == 0)
                fputs("no card served\n", reply);
}

static void do_trace(struct served_card *sc, const struct request *req, FILE *reply)
{
        if (req->verb == REQUEST_TRACE_OFF) {
                pipeline_trace(served_card_pipeline(sc), false, NULL, TRACE_TEXT);
                vt_log(LOG_INFO, served_card_conf(sc)->name, NULL, "trace off");
                fputs("ok\n", reply);
                return;
        }
        int r = pipeline_trace(served_card_pipeline(sc), true, req->path,
                               req->json ? TRACE_JSON : TRACE_TEXT);
        if (r < 0) {
                fprintf(reply, "error: cannot open %s: %s\n", req->path, trace_strerror(r));
                return;
        }
        vt_log(LOG_INFO, served_card_conf(sc)->name, NULL, "trace on to %s",
               req->path ? req->path : "the log");
        fputs("ok\n", reply);
}

static void do_fault(struct served_card *sc, const struct request *req, FILE *reply)
{
        char what[96];
        if (req->verb == REQUEST_FAULT_CLEAR) {
                pipeline_fault_clear(served_card_pipeline(sc));
                vt_log(LOG_INFO, served_card_conf(sc)->name, NULL, "faults cleared");
                fputs("ok\n", reply);
                return;
        }
        if (pipeline_fault(served_card_pipeline(sc), &req->fault) < 0) {
                fprintf(reply, "error: at most %d faults may be armed: 'fault %s clear' first\n",
                        FAULTS_MAX, served_card_conf(sc)->name);
                return;
        }
        fault_describe(&req->fault, 1, what, sizeof(what));
        vt_log(LOG_INFO, served_card_conf(sc)->name, NULL, "fault armed: %s", what);
        fprintf(reply, "ok\n%s: fault armed: %s\n", served_card_conf(sc)->name, what);
}

void verbs_execute(const struct card_lookup *cards, char *line, FILE *reply)
{
        struct request req;
        char err[256];
        if (request_parse(cards, line, &req, err, sizeof(err)) < 0) {
                fprintf(reply, "error: %s\n", err);
                return;
        }
        struct served_card *sc = req.card;
        static const char *const done[] = {[REQUEST_INSERT] = "insert",
                                           [REQUEST_REMOVE] = "remove",
                                           [REQUEST_RESET] = "reset",
                                           [REQUEST_TOUCH] = "touch"};
        switch (req.verb) {
        case REQUEST_STATUS:
                do_status(cards, req.json, reply);
                return;
        case REQUEST_TRACE_ON:
        case REQUEST_TRACE_OFF:
                do_trace(sc, &req, reply);
                return;
        case REQUEST_FAULT:
        case REQUEST_FAULT_CLEAR:
                do_fault(sc, &req, reply);
                return;
        case REQUEST_TOUCH:
                if (pipeline_touch(served_card_pipeline(sc)) < 0) {
                        fprintf(reply, "error: %s: no command is waiting for a touch\n",
                                served_card_conf(sc)->name);
                        return;
                }
                break;
        case REQUEST_INSERT:
                served_card_insert(sc);
                break;
        case REQUEST_REMOVE:
                served_card_remove(sc);
                break;
        case REQUEST_RESET:
                pipeline_reset(served_card_pipeline(sc));
                break;
        }
        vt_log(LOG_INFO, served_card_conf(sc)->name, NULL, "%s by the control socket",
               done[req.verb]);
        fputs("ok\n", reply);
}
