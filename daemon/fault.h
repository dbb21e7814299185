/* SPDX-License-Identifier: Apache-2.0 */
/* Fault injection: what a card does instead of (or besides) answering the next commands.
 * Pure: parsing, matching and describing; served.c carries the faults out. */
#ifndef VT_FAULT_H
#define VT_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum fault_kind {
        FAULT_SW,         /* answer this status word instead of processing the command */
        FAULT_DELAY,      /* process the command after a delay */
        FAULT_DROP,       /* close the vpcd connection instead of answering, then reconnect */
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

#define FAULTS_MAX 8

struct faults {
        struct fault list[FAULTS_MAX];
        size_t n;
};

/* The write-fail fault: a store (applet/store.h) wrapped so that, while armed, its next commit
 * fails as on a full disk (EIO). fired tells that one did. */
struct fault_store {
        struct vt_store inner;
        bool armed;
        bool fired;
};

struct vt_store fault_store(struct fault_store *fs);

/* Parses the words after "fault CARD":
 *   KIND [ARG] [--count N | --sticky] [--ins XX] [--p1 XX] [--p2 XX]
 * with KIND one of
 *   sw XXXX | delay TIME (e.g. 500ms, 2s; plain numbers are milliseconds) | drop | write-fail
 * 0, or -1 with the reason in err. */
int fault_parse(char *const *words, size_t n, struct fault *out, char *err, size_t errlen);
/* Adds f; -1 when FAULTS_MAX are armed. */
int faults_add(struct faults *fs, const struct fault *f);
/* The index of the first armed fault that applies to this command, or -1. Write-fail faults
 * (write_fail true) are looked up apart from the others: they count only commands that write
 * the image, which is known after the command ran. */
int faults_find(const struct faults *fs, const uint8_t *cmd, size_t len, bool write_fail);
/* Spends one of the count of fault i; the fault goes when none is left (a sticky one stays). */
void faults_spend(struct faults *fs, size_t i);
/* "sw 6A82", "delay 500 ms", "drop", "write-fail", with " (N left, INS 87 only)" or
 * " (sticky, INS 87 P2 9A only)" when long. */
void fault_describe(const struct fault *f, int with_count, char *buf, size_t n);

#endif
