/* SPDX-License-Identifier: Apache-2.0 */
/* apdu-latency: how long a small command takes on one reader, on a fixed schedule.
 *
 * Usage: apdu-latency [--seconds S] [--interval MS] READER
 *
 * Sends SELECT of the PIV applet to the card in READER every MS milliseconds (default 5) for S
 * seconds (default 3), through a raw PC/SC connection, and prints the figures, one a line:
 * "samples N", "median X ms", "p99 X ms", "max X ms". A command's latency is counted from the
 * moment it was due, not from when it could be sent: a card that stalls for a second delays
 * every command due meanwhile, and each of them counts (a client that waits between commands
 * would see one slow command and miss the others). Every answer must be 90 00 or 61 XX.
 * Exit status 0, 1 on a PC/SC error or a wrong answer, 64 for a usage error. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <winscard.h>

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

static double ms(uint64_t ns)
{
        return (double)ns / 1e6;
}

static void usage(void)
{
        fprintf(stderr, "usage: apdu-latency [--seconds S] [--interval MS] READER\n");
        exit(64);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {{"seconds", required_argument, NULL, 's'},
                                             {"interval", required_argument, NULL, 'i'},
                                             {NULL, 0, NULL, 0}};
        double seconds = 3, interval_ms = 5;
        int o;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                char *end;
                double v = strtod(optarg ? optarg : "", &end);
                if (o == '?' || *end || v <= 0)
                        usage();
                if (o == 's')
                        seconds = v;
                else
                        interval_ms = v;
        }
        if (optind + 1 != argc)
                usage();
        const char *reader = argv[optind];

        SCARDCONTEXT ctx;
        SCARDHANDLE card;
        DWORD proto;
        LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
        if (rv == SCARD_S_SUCCESS)
                rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED,
                                  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &proto);
        if (rv != SCARD_S_SUCCESS) {
                fprintf(stderr, "apdu-latency: %s: %s\n", reader, pcsc_stringify_error(rv));
                return 1;
        }
        const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
        static const uint8_t select_piv[] = {0x00, 0xA4, 0x04, 0x00, 0x05,
                                             0xA0, 0x00, 0x00, 0x03, 0x08};
        uint64_t interval = (uint64_t)(interval_ms * 1e6);
        size_t max = (size_t)(seconds * 1e3 / interval_ms) + 1, n = 0;
        uint64_t *lat = calloc(max, sizeof(*lat));
        if (!lat)
                return 1;
        uint64_t start = now_ns();
        for (; n < max; n++) {
                uint64_t due = start + n * interval;
                struct timespec ts = {.tv_sec = (time_t)(due / 1000000000ULL),
                                      .tv_nsec = (long)(due % 1000000000ULL)};
                while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                        ; /* the schedule, not a wait for anything */
                uint8_t rsp[258];
                DWORD len = sizeof(rsp);
                rv = SCardTransmit(card, pci, select_piv, sizeof(select_piv), NULL, rsp, &len);
                if (rv != SCARD_S_SUCCESS) {
                        fprintf(stderr, "apdu-latency: SELECT: %s\n", pcsc_stringify_error(rv));
                        free(lat);
                        return 1;
                }
                if (len < 2 || !(rsp[len - 2] == 0x90 || rsp[len - 2] == 0x61)) {
                        fprintf(stderr, "apdu-latency: SELECT answered %02X %02X\n",
                                len >= 2 ? rsp[len - 2] : 0, len >= 1 ? rsp[len - 1] : 0);
                        free(lat);
                        return 1;
                }
                lat[n] = now_ns() - due;
        }
        SCardDisconnect(card, SCARD_LEAVE_CARD);
        SCardReleaseContext(ctx);
        qsort(lat, n, sizeof(*lat), cmp_u64);
        printf("samples %zu\nmedian %.3f ms\np99 %.3f ms\nmax %.3f ms\n", n, ms(lat[n / 2]),
               ms(lat[(n * 99) / 100]), ms(lat[n - 1]));
        free(lat);
        return 0;
}
