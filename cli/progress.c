/* SPDX-License-Identifier: Apache-2.0 */
#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* The child: redraws the line until its pipe ends (the parent closed it, or died). */
static void draw(int fd, const char *what, long start_ms)
{
        static const char spin[] = "|/-\\";
        char line[320];
        for (unsigned i = 0;; i++) {
                /* \r and erase to the end of the line: the line is redrawn where it is */
                int n = snprintf(line, sizeof(line), "\r\033[K%s %c %lds", what, spin[i % 4],
                                 (now_ms() - start_ms) / 1000);
                if (n > 0 && write(STDERR_FILENO, line,
                                   (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0)
                        break;
                struct pollfd pf = {.fd = fd, .events = POLLIN};
                int r = poll(&pf, 1, REDRAW_MS);
                if (r > 0 || (r < 0 && errno != EINTR))
                        break;
        }
        _exit(0);
}

void vt_progress_start(struct vt_progress *p, const char *what)
{
        p->pid = 0;
        p->fd = -1;
        int fds[2];
        if (!on_terminal() || pipe2(fds, O_CLOEXEC) < 0)
                return;
        long start = now_ms();
        fflush(stderr);
        pid_t pid = fork();
        if (pid == 0) {
                close(fds[1]);
                draw(fds[0], what, start);
        }
        close(fds[0]);
        if (pid < 0) {
                close(fds[1]);
                return;
        }
        p->pid = pid;
        p->fd = fds[1];
}

void vt_progress_end(struct vt_progress *p)
{
        if (p->pid <= 0)
                return;
        close(p->fd);
        while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
                ;
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->pid = 0;
        p->fd = -1;
}
