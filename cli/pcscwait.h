/* SPDX-License-Identifier: Apache-2.0 */
/* Waiting for cards to be present in PC/SC, on conditions (inotify, SCardGetStatusChange),
 * never by sleeping. */
#ifndef VT_PCSCWAIT_H
#define VT_PCSCWAIT_H

#include <stddef.h>

#include <stdbool.h>

/* Returns 0 once at least n readers (exactly n with exact) hold a present card, -1 with a
 * message in err when the timeout (milliseconds) passes first or PC/SC fails. keep_going is
 * polled between waits and may stop the wait early (returns -1). */
int vt_wait_cards(size_t n, bool exact, long timeout_ms, int (*keep_going)(void *), void *arg,
                  char *err, size_t errlen);

#endif
