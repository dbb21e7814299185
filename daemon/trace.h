/* SPDX-License-Identifier: Apache-2.0 */
/* APDU traces: one line per command and its response, with the time it arrived and how long
 * the answer took, as human-readable text or as JSON lines. Secrets never reach a trace: what
 * the card's applets call secret (PINs, keys, the management key's exchanges, secret data
 * objects; applet/card.h, VT_SECRET_*) is replaced by "<redacted N bytes>", chained parts and
 * GET RESPONSE continuations included. */
#ifndef VT_TRACE_H
#define VT_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

enum trace_format { TRACE_TEXT, TRACE_JSON };

struct trace_entry {
        const char *card;
        struct timespec when; /* CLOCK_REALTIME when the command arrived */
        uint64_t duration_us;
        const uint8_t *cmd;
        size_t cmd_len;
        const uint8_t *rsp; /* NULL when no answer was sent (connection dropped, card removed) */
        size_t rsp_len;
        const char *name; /* the command's name ("VERIFY", "INS 12") */
        bool redact_cmd;  /* hide the command's data (Le stays shown) and the answer's */
        bool redact_rsp;  /* hide the answer's data */
        const char *note; /* NULL, or what the daemon did: "fault: sw 6A82", "touched", ... */
};

/* Writes one line (with its newline) to f. */
void trace_write(FILE *f, enum trace_format fmt, const struct trace_entry *e);

/* Where a card's trace goes. */
#define TRACE_TO_LOG (-2)

struct trace_sink {
        int fd; /* -1: tracing off; TRACE_TO_LOG: to the daemon's log (journal or stderr) */
        enum trace_format fmt;
        char path[4096];
};

/* Opens path for appending (0600 when created), never through a link and never a file of
 * another user (-EPERM); 0 or a negative errno. FILE.json and FILE.jsonl
 * choose JSON unless fmt says otherwise. */
int trace_sink_open(struct trace_sink *s, const char *path, enum trace_format fmt);
/* What a negative errno of trace_sink_open means, for the person who asked for the trace. */
const char *trace_strerror(int r);
/* Traces to the daemon's log. */
void trace_sink_to_log(struct trace_sink *s, enum trace_format fmt);
void trace_sink_close(struct trace_sink *s);
/* Formats e and appends it in one write. */
void trace_sink_emit(struct trace_sink *s, const struct trace_entry *e);
/* TRACE_JSON for names ending in .json or .jsonl, else TRACE_TEXT. */
enum trace_format trace_format_for(const char *path);

#endif
