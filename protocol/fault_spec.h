/* SPDX-License-Identifier: Apache-2.0 */
/* The grammar of a fault, as `vtoken ctl fault CARD ...` writes it and vtokend reads it: one
 * table of kinds and one parser, used by both ends of the control socket. It lives in protocol/
 * (the words the two programs exchange) because the CLI checks a request before sending it and
 * must not link the daemon (nothing uses daemon/), and the daemon must not trust the CLI. Pure:
 * no I/O but the help text it prints on the FILE it is given. */
#ifndef VT_FAULT_SPEC_H
#define VT_FAULT_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum fault_kind {
        FAULT_SW,         /* answer this status word instead of processing the command */
        FAULT_DELAY,      /* process the command after a delay */
        FAULT_DROP,       /* close the reader link instead of answering, then reconnect */
        FAULT_WRITE_FAIL, /* the next commands that write the image fail to (65 81) */
};

struct fault {
        enum fault_kind kind;
        int ins;        /* only commands with this INS, or -1 for all */
        int p1, p2;     /* ... and this P1, P2 (-1: any); P2 of GENERAL AUTHENTICATE is the key */
        bool sticky;    /* every matching command until cleared; count is not spent */
        unsigned count; /* commands left */
        uint16_t sw;
        uint64_t delay_us;
};

/* The word that disarms every fault of a card: "fault CARD clear". */
#define FAULT_CLEAR "clear"
/* The options after KIND, each between spaces, for a CLI that checks option names. */
#define FAULT_OPTIONS " --count --sticky --ins --p1 --p2 "

/* Parses the words after "fault CARD":
 *   KIND [ARG] [--count N | --sticky] [--ins XX] [--p1 XX] [--p2 XX]
 * with KIND one of the table's (sw XXXX | delay TIME | drop | write-fail), TIME a number with
 * its unit (500ms, 2s, 1.5s, 250us). 0, or -1 with the reason in err. */
int fault_parse(char *const *words, size_t n, struct fault *out, char *err, size_t errlen);
/* Each KIND of the table, its argument and what it does, one per line indented by indent. */
void fault_kinds_help(FILE *f, int indent);

#endif
