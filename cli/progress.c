/* SPDX-License-Identifier: Apache-2.0 */
#include "progress.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REDRAW_MS 200

static long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static bool on_terminal(void)
{
        const char *term = getenv("TERM");
        return isatty(STDOUT_FILENO) && isatty(STDERR_FILENO) && !(term && !strcmp(term, "dumb"));
}

static void *draw(void *arg)
{
        struct vt_progress *p = arg;
        static const char spin[] = "|/-\\";
        pthread_mutex_lock(&p->lock);
        for (unsigned i = 0; !p->stop; i++) {
                /* \r and erase to the end of the line: the line is redrawn where it is */
                fprintf(stderr, "\r\033[K%s %c %lds", p->what, spin[i % 4],
                        (now_ms() - p->start_ms) / 1000);
                fflush(stderr);
                struct timespec until;
                clock_gettime(CLOCK_MONOTONIC, &until);
                until.tv_nsec += REDRAW_MS * 1000000L;
                until.tv_sec += until.tv_nsec / 1000000000L;
                until.tv_nsec %= 1000000000L;
                while (!p->stop && pthread_cond_timedwait(&p->wake, &p->lock, &until) == 0)
                        ;
        }
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

void vt_progress_start(struct vt_progress *p, const char *what)
{
        memset(p, 0, sizeof(*p));
        if (!on_terminal())
                return;
        snprintf(p->what, sizeof(p->what), "%s", what);
        p->start_ms = now_ms();
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&p->wake, &ca);
        pthread_condattr_destroy(&ca);
        pthread_mutex_init(&p->lock, NULL);
        /* signals stay with the thread that does the work (its handlers, its EINTR) */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        p->on = pthread_create(&p->thread, NULL, draw, p) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (!p->on) {
                pthread_cond_destroy(&p->wake);
                pthread_mutex_destroy(&p->lock);
        }
}

void vt_progress_end(struct vt_progress *p)
{
        if (!p->on)
                return;
        pthread_mutex_lock(&p->lock);
        p->stop = true;
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->thread, NULL);
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->lock);
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->on = false;
}
