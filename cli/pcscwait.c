/* SPDX-License-Identifier: Apache-2.0 */
#include "pcscwait.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>
#include <winscard.h>

#define PCSC_SOCKET_DEFAULT "/run/pcscd/pcscd.comm"
/* pcsc-lite takes at most this many reader states in one SCardGetStatusChange, the PnP
 * pseudo-reader's included, and serves at most this many readers */
#define MAX_READERS   PCSCLITE_MAX_READERS_CONTEXTS
#define RETRY_MS      50
#define KEEP_GOING_MS 250

static long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Waits until something changes in the directory of pcscd's socket, at most ms. */
static void wait_for_socket(long ms)
{
        const char *path = getenv("PCSCLITE_CSOCK_NAME");
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", path ? path : PCSC_SOCKET_DEFAULT);
        int fd = inotify_init1(IN_CLOEXEC);
        if (fd < 0)
                return;
        /* While the directory is missing, or between the socket's creation and its listen(),
         * an event may never come: the short poll timeout bounds that case. */
        if (inotify_add_watch(fd, dirname(dir), IN_CREATE | IN_ATTRIB | IN_MOVED_TO) < 0 ||
            ms > RETRY_MS)
                ms = RETRY_MS;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        poll(&p, 1, (int)ms);
        close(fd);
}

static int establish(SCARDCONTEXT *ctx, long deadline, int (*keep_going)(void *), void *arg,
                     char *err, size_t errlen)
{
        for (;;) {
                LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, ctx);
                if (rv == SCARD_S_SUCCESS)
                        return 0;
                long left = deadline - now_ms();
                if (rv != SCARD_E_NO_SERVICE || left <= 0) {
                        snprintf(err, errlen, "cannot reach pcscd: %s", pcsc_stringify_error(rv));
                        return -1;
                }
                if (keep_going && !keep_going(arg)) {
                        snprintf(err, errlen, "gave up waiting");
                        return -1;
                }
                wait_for_socket(left);
        }
}

static size_t list_readers(SCARDCONTEXT ctx, char *buf, DWORD buflen, SCARD_READERSTATE *st)
{
        DWORD len = buflen;
        size_t n = 0;
        if (SCardListReaders(ctx, NULL, buf, &len) != SCARD_S_SUCCESS)
                return 0;
        for (char *p = buf; *p && n < MAX_READERS; p += strlen(p) + 1) {
                memset(&st[n], 0, sizeof(st[n]));
                st[n].szReader = p;
                st[n].dwCurrentState = SCARD_STATE_UNAWARE;
                n++;
        }
        return n;
}

int vt_wait_cards(size_t want, bool exact, long timeout_ms, int (*keep_going)(void *), void *arg,
                  char *err, size_t errlen)
{
        long deadline = now_ms() + timeout_ms;
        SCARDCONTEXT ctx;
        if (establish(&ctx, deadline, keep_going, arg, err, errlen) < 0)
                return -1;
        char names[4096];
        SCARD_READERSTATE st[MAX_READERS + 1];
        int ret = -1;
        bool reread = true, first = true;
        size_t n = 0, present = 0, asked = 0;
        DWORD pnp = 0; /* the PnP pseudo-reader's state as pcscd last told it */
        for (;;) {
                if (reread) {
                        n = list_readers(ctx, names, sizeof(names), st);
                        /* with every reader pcscd can serve in the list, none can be added:
                         * the PnP entry would be one more than one call takes (a reader that
                         * goes away is reported on its own entry as unknown) */
                        asked = n < MAX_READERS ? n + 1 : n;
                        memset(&st[n], 0, sizeof(st[n]));
                        st[n].szReader = "\\\\?PnP?\\Notification";
                        /* the reader count in the upper half at first; then what pcscd said
                         * last, which pcsc-lite 2 counts its own way: a state it never reports
                         * would be "changed" at every call, and the loop would spin */
                        st[n].dwCurrentState = first ? (DWORD)(n << 16) : pnp;
                        reread = false;
                        first = false;
                }
                long left = deadline - now_ms();
                if (left < 0)
                        left = 0;
                /* with a keep_going callback, wake up now and then to ask it */
                long slice = keep_going && left > KEEP_GOING_MS ? KEEP_GOING_MS : left;
                LONG rv = SCardGetStatusChange(ctx, (DWORD)slice, st, (DWORD)asked);
                if (rv == SCARD_E_TIMEOUT && slice < left) {
                        if (!keep_going(arg)) {
                                snprintf(err, errlen, "gave up waiting");
                                break;
                        }
                        continue;
                }
                if (rv == SCARD_E_TIMEOUT) {
                        snprintf(err, errlen,
                                 "timed out after %ld ms: %zu card%s present, %s%zu wanted",
                                 timeout_ms, present, present == 1 ? "" : "s",
                                 exact ? "exactly " : "", want);
                        break;
                }
                if (rv != SCARD_S_SUCCESS && rv != SCARD_E_UNKNOWN_READER) {
                        snprintf(err, errlen, "SCardGetStatusChange: %s", pcsc_stringify_error(rv));
                        break;
                }
                present = 0;
                for (size_t i = 0; i < n; i++) {
                        if (st[i].dwEventState & SCARD_STATE_UNKNOWN)
                                reread = true;
                        if ((st[i].dwEventState & SCARD_STATE_PRESENT) &&
                            !(st[i].dwEventState & SCARD_STATE_MUTE))
                                present++;
                        st[i].dwCurrentState = st[i].dwEventState & ~SCARD_STATE_CHANGED;
                }
                if (exact ? present == want : present >= want) {
                        ret = 0;
                        break;
                }
                if (rv == SCARD_E_UNKNOWN_READER ||
                    (asked > n && (st[n].dwEventState & SCARD_STATE_CHANGED)))
                        reread = true;
                pnp = st[n].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
                st[n].dwCurrentState = pnp;
                if (now_ms() >= deadline) { /* changes that never end must not outlast it */
                        snprintf(err, errlen,
                                 "timed out after %ld ms: %zu card%s present, %s%zu wanted",
                                 timeout_ms, present, present == 1 ? "" : "s",
                                 exact ? "exactly " : "", want);
                        break;
                }
                if (keep_going && !keep_going(arg)) {
                        snprintf(err, errlen, "gave up waiting");
                        break;
                }
        }
        SCardReleaseContext(ctx);
        return ret;
}
