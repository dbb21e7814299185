/* APDU traces: one line per command and its response, with the time it arrived and how long
 * the answer took, as human-readable text or as JSON lines. Secrets never reach a trace: the
 * data of VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, IMPORT KEY, SET MANAGEMENT KEY,
 * GENERAL AUTHENTICATE with the management key (P2 9B) and PUT DATA of the printed-information
 * object 5FC109 (where ykman keeps a PIN-protected management key), chained parts included, is
 * replaced by "<redacted N bytes>", and so is the data of their answers and of GET DATA of
 * 5FC109. */
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
        bool redact_cmd;  /* hide the command's data (e.g. a later part of a secret chain) */
        bool redact_rsp;  /* hide the answer's data (e.g. GET RESPONSE after a secret answer) */
        const char *note; /* NULL, or what the daemon did: "fault: sw 6A82", "touched", ... */
};

/* True when the command carries a secret (see above). */
bool trace_is_secret(const uint8_t *cmd, size_t len);
/* True when the answer to this command carries a secret: the answer to a secret command, or
 * to GET DATA of 5FC109. */
bool trace_answer_is_secret(const uint8_t *cmd, size_t len);
/* "VERIFY", "GENERAL AUTHENTICATE", ... or "INS XX" for an unknown one; buf has 8 bytes. */
const char *trace_ins_name(uint8_t ins, char buf[8]);
/* Writes one line (with its newline) to f. */
void trace_write(FILE *f, enum trace_format fmt, const struct trace_entry *e);

/* Where a card's trace goes. */
#define TRACE_TO_LOG (-2)

struct trace_sink {
        int fd; /* -1: tracing off; TRACE_TO_LOG: to the daemon's log (journal or stderr) */
        enum trace_format fmt;
        char path[4096];
};

/* Opens path for appending (0600 when created); 0 or a negative errno. FILE.json and FILE.jsonl
 * choose JSON unless fmt says otherwise. */
int trace_sink_open(struct trace_sink *s, const char *path, enum trace_format fmt);
/* Traces to the daemon's log. */
void trace_sink_to_log(struct trace_sink *s, enum trace_format fmt);
void trace_sink_close(struct trace_sink *s);
/* Formats e and appends it in one write. */
void trace_sink_emit(struct trace_sink *s, const struct trace_entry *e);
/* TRACE_JSON for names ending in .json or .jsonl, else TRACE_TEXT. */
enum trace_format trace_format_for(const char *path);

#endif
