/* SPDX-License-Identifier: Apache-2.0 */
/* Progress of slow work (key generation, a template being made or waited for) on a terminal:
 * a line on stderr with a spinner and the seconds so far, redrawn until the work ends, then
 * wiped. Nothing at all when stdout or stderr is not a terminal (a log, a pipe, CI), or with
 * TERM=dumb: as apt and ykman do. */
#ifndef VT_PROGRESS_H
#define VT_PROGRESS_H

#include <sys/types.h>

struct vt_progress {
        pid_t pid; /* the process that draws the line; 0 when nothing is shown */
        int fd;    /* its pipe: closed, it wipes the line and ends */
};

/* Starts showing "what" (the line is drawn at once, then every 200 ms). The line is drawn by
 * a child process, not a thread: `vtoken run` makes a user namespace after the work, which
 * the kernel refuses while a thread of the process has not wholly ended. */
void vt_progress_start(struct vt_progress *p, const char *what);

/* Stops and wipes the line (the child is reaped); nothing when it was never shown. */
void vt_progress_end(struct vt_progress *p);

#endif
