/* SPDX-License-Identifier: Apache-2.0 */
/* presence-latency: how long `vtoken ctl remove` and `insert` take to reach a PC/SC client.
 * Usage: presence-latency READER CARD ROUNDS   (inside `vtoken run`: $VTOKEN_CONTROL)
 * Each round sends "remove CARD" to vtokend's control socket and times it until
 * SCardGetStatusChange reports READER empty, then the same for "insert CARD" until the card is
 * present again. Prints one line per round and a summary:
 *   remove: median M ms, max X ms; insert: median M ms, max X ms
 * Exits 1 when a change is not seen within 5 s, 2 on a usage or setup error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <winscard.h>

#define ROUNDS_MAX 1000
#define SEEN_MS    5000

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One request to vtokend, its reply read to the end. */
static int control(const char *verb, const char *card)
{
        const char *path = getenv("VTOKEN_CONTROL");
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        if (!path || strlen(path) >= sizeof(a.sun_path))
                return -1;
        snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
                return -1;
        char line[128], reply[256];
        int n = snprintf(line, sizeof(line), "%s %s\n", verb, card);
        int ok = write(fd, line, (size_t)n) == n;
        while (ok && read(fd, reply, sizeof(reply)) > 0)
                ;
        close(fd);
        return ok ? 0 : -1;
}

/* Waits until READER has (present) or lacks a card; its time in ms, or -1. */
static double until(SCARDCONTEXT ctx, SCARD_READERSTATE *st, int present, double start)
{
        for (;;) {
                LONG rv = SCardGetStatusChange(ctx, SEEN_MS, st, 1);
                if (rv != SCARD_S_SUCCESS)
                        return -1;
                st->dwCurrentState = st->dwEventState & ~SCARD_STATE_CHANGED;
                int has = (st->dwEventState & SCARD_STATE_PRESENT) != 0;
                if (has == present)
                        return now_ms() - start;
                if (now_ms() - start > SEEN_MS)
                        return -1;
        }
}

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static void summary(const char *what, double *v, int n)
{
        qsort(v, (size_t)n, sizeof(*v), cmp);
        printf("%s: median %.2f ms, max %.2f ms", what, v[n / 2], v[n - 1]);
}

int main(int argc, char **argv)
{
        int rounds = argc == 4 ? atoi(argv[3]) : 0;
        if (rounds < 1 || rounds > ROUNDS_MAX) {
                fprintf(stderr, "usage: presence-latency READER CARD ROUNDS (1-%d)\n", ROUNDS_MAX);
                return 2;
        }
        static double removed[ROUNDS_MAX], inserted[ROUNDS_MAX];
        SCARDCONTEXT ctx;
        if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
                return 2;
        SCARD_READERSTATE st = {.szReader = argv[1], .dwCurrentState = SCARD_STATE_UNAWARE};
        if (until(ctx, &st, 1, now_ms()) < 0) {
                fprintf(stderr, "presence-latency: no card in %s\n", argv[1]);
                return 2;
        }
        for (int i = 0; i < rounds; i++) {
                double start = now_ms();
                if (control("remove", argv[2]) < 0)
                        return 2;
                removed[i] = until(ctx, &st, 0, start);
                start = now_ms();
                if (control("insert", argv[2]) < 0)
                        return 2;
                inserted[i] = until(ctx, &st, 1, start);
                printf("round %d: remove %.2f ms, insert %.2f ms\n", i + 1, removed[i],
                       inserted[i]);
                if (removed[i] < 0 || inserted[i] < 0) {
                        fprintf(stderr, "presence-latency: round %d: not seen within %d ms\n",
                                i + 1, SEEN_MS);
                        return 1;
                }
        }
        summary("remove", removed, rounds);
        printf("; ");
        summary("insert", inserted, rounds);
        printf("\n");
        SCardReleaseContext(ctx);
        return 0;
}
