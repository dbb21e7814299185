/* SPDX-License-Identifier: Apache-2.0 */
/* apdu-session: one PC/SC session driven line by line, for tests that need to act between
 * APDUs (scriptor buffers its output when it is not on a terminal).
 * Usage: apdu-session READER   — reads APDUs as hex lines on stdin, answers each with one
 * line "< HEX" (response data and status word, or "< ERROR reason") on stdout, flushed. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <winscard.h>

static size_t parse_hex(const char *s, BYTE *out, size_t cap)
{
        size_t n = 0;
        int hi = -1;
        for (; *s && n < cap; s++) {
                if (isspace((unsigned char)*s))
                        continue;
                if (!isxdigit((unsigned char)*s))
                        return 0;
                int v =
                    isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10);
                if (hi < 0) {
                        hi = v;
                } else {
                        out[n++] = (BYTE)(hi << 4 | v);
                        hi = -1;
                }
        }
        return hi < 0 ? n : 0;
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: apdu-session READER\n");
                return 2;
        }
        SCARDCONTEXT ctx;
        SCARDHANDLE h;
        DWORD proto;
        LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
        if (rv == SCARD_S_SUCCESS)
                rv = SCardConnect(ctx, argv[1], SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &h, &proto);
        if (rv != SCARD_S_SUCCESS) {
                fprintf(stderr, "apdu-session: %s: %s\n", argv[1], pcsc_stringify_error(rv));
                return 1;
        }
        char line[8192];
        static BYTE cmd[4096], resp[65538];
        while (fgets(line, sizeof(line), stdin)) {
                size_t n = parse_hex(line, cmd, sizeof(cmd));
                if (n == 0)
                        continue;
                DWORD rlen = sizeof(resp);
                rv = SCardTransmit(h, SCARD_PCI_T1, cmd, (DWORD)n, NULL, resp, &rlen);
                if (rv != SCARD_S_SUCCESS) {
                        printf("< ERROR %s\n", pcsc_stringify_error(rv));
                } else {
                        printf("<");
                        for (DWORD i = 0; i < rlen; i++)
                                printf(" %02X", resp[i]);
                        printf("\n");
                }
                fflush(stdout);
        }
        SCardDisconnect(h, SCARD_LEAVE_CARD);
        SCardReleaseContext(ctx);
        return 0;
}
