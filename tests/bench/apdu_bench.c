/* SPDX-License-Identifier: Apache-2.0 */
/* apdu-bench: times APDU round trips through pcscd on one or more readers, interleaved, and
 * prints the median, mean, and 10th and 90th percentiles per reader.
 * Usage: apdu-bench ROUNDS READER [READER...]
 * Each round sends, on each reader in turn, one batch of 50 GET DATA (discovery object)
 * commands after a SELECT of PIV; the per-APDU time of a batch is one sample. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <winscard.h>

#define BATCH       50
#define MAX_READERS 4

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static int transmit(SCARDHANDLE h, const BYTE *cmd, DWORD len)
{
        BYTE resp[300];
        DWORD rlen = sizeof(resp);
        LONG rv = SCardTransmit(h, SCARD_PCI_T1, cmd, len, NULL, resp, &rlen);
        if (rv != SCARD_S_SUCCESS) {
                fprintf(stderr, "SCardTransmit: %s\n", pcsc_stringify_error(rv));
                return -1;
        }
        return 0;
}

int main(int argc, char **argv)
{
        if (argc < 3 || argc - 2 > MAX_READERS) {
                fprintf(stderr, "usage: apdu-bench ROUNDS READER [READER...]\n");
                return 2;
        }
        int rounds = atoi(argv[1]), n = argc - 2;
        static const BYTE select[] = {0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08};
        static const BYTE getdata[] = {0x00, 0xCB, 0x3F, 0xFF, 0x03, 0x5C, 0x01, 0x7E, 0x00};
        SCARDCONTEXT ctx;
        SCARDHANDLE h[MAX_READERS];
        DWORD proto;
        if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
                return 1;
        for (int i = 0; i < n; i++) {
                LONG rv = SCardConnect(ctx, argv[2 + i], SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1,
                                       &h[i], &proto);
                if (rv != SCARD_S_SUCCESS) {
                        fprintf(stderr, "SCardConnect %s: %s\n", argv[2 + i],
                                pcsc_stringify_error(rv));
                        return 1;
                }
                if (transmit(h[i], select, sizeof(select)) < 0)
                        return 1;
        }
        double *samples = calloc((size_t)(rounds * n), sizeof(double));
        for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < n; i++) {
                        double t0 = now_ms();
                        for (int k = 0; k < BATCH; k++)
                                if (transmit(h[i], getdata, sizeof(getdata)) < 0)
                                        return 1;
                        samples[i * rounds + r] = (now_ms() - t0) / BATCH;
                }
        }
        for (int i = 0; i < n; i++) {
                double *s = samples + i * rounds, sum = 0;
                for (int r = 0; r < rounds; r++)
                        sum += s[r];
                qsort(s, (size_t)rounds, sizeof(double), cmp);
                printf("%s\tmedian_ms=%.4f\tmean_ms=%.4f\tapdus=%d\tp10_ms=%.4f\tp90_ms=%.4f\n",
                       argv[2 + i], s[rounds / 2], sum / rounds, rounds * BATCH, s[rounds / 10],
                       s[rounds * 9 / 10]);
                SCardDisconnect(h[i], SCARD_LEAVE_CARD);
        }
        SCardReleaseContext(ctx);
        free(samples);
        return 0;
}
