/* SPDX-License-Identifier: Apache-2.0 */
/* Fault injection: what a card does instead of (or besides) answering the next commands.
 * Pure: parsing, matching and describing; served.c carries the faults out. */
#ifndef VT_FAULT_H
#define VT_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fault_spec.h" /* struct fault and its grammar, shared with vtoken ctl */
#include "store.h"

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
