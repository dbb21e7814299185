/* SPDX-License-Identifier: Apache-2.0 */
/* Progress of slow work (key generation, a template being made or waited for) on a terminal:
 * a line on stderr with a spinner and the seconds so far, redrawn until the work ends, then
 * wiped. Nothing at all when stdout or stderr is not a terminal (a log, a pipe, CI), or with
 * TERM=dumb: as apt and ykman do. */
#ifndef VT_PROGRESS_H
#define VT_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>

struct vt_progress {
        bool on; /* a terminal: the thread below draws */
        bool stop;
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        char what[256];
        long start_ms;
};

/* Starts showing "what" (the line is drawn at once, then every 200 ms). */
void vt_progress_start(struct vt_progress *p, const char *what);

/* Stops and wipes the line; nothing when it was never shown. */
void vt_progress_end(struct vt_progress *p);

#endif
