/* SPDX-License-Identifier: Apache-2.0 */
/* floor-card: the transport floor for benchmarks, a card that answers every APDU with 90 00.
 *   floor-card PORT          over vtokend's own vpcd link code (same socket options)
 *   floor-card --plain PORT  over a plain blocking socket, as vicc and virt_cacard do
 *   floor-card --driver PATH over vtokend's own driver link code, listening on PATH
 * Exits on SIGTERM. */
#include "drvlink.h"
#include "frame.h"
#include "peer.h"
#include "vpcd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const uint8_t atr[] = {0x3B, 0x88, 0x01, 0x46, 0x6C, 0x6F,
                              0x6F, 0x72, 0x63, 0x61, 0x72, 0x64};

static size_t on_apdu(void *u, const uint8_t *cmd, size_t len, uint8_t *out)
{
        (void)u, (void)cmd, (void)len;
        out[0] = 0x90;
        out[1] = 0x00;
        return 2;
}
static size_t on_atr(void *u, uint8_t *out)
{
        (void)u;
        memcpy(out, atr, sizeof(atr));
        return sizeof(atr);
}
static void on_power(void *u, enum link_power c)
{
        (void)u, (void)c;
}

static int read_all(int fd, uint8_t *p, size_t n)
{
        while (n) {
                ssize_t r = read(fd, p, n);
                if (r <= 0)
                        return -1;
                p += r, n -= (size_t)r;
        }
        return 0;
}

/* What a naive card process does: blocking reads, length and body written separately. */
static int plain(uint16_t port)
{
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons(port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                perror("connect");
                return 1;
        }
        static uint8_t buf[65536];
        for (;;) {
                uint8_t hdr[2];
                if (read_all(fd, hdr, 2) < 0)
                        return 0;
                size_t n = (size_t)hdr[0] << 8 | hdr[1];
                if (read_all(fd, buf, n) < 0)
                        return 0;
                const uint8_t *body;
                size_t len;
                if (n == 1 && buf[0] != VPCD_CTRL_ATR)
                        continue;
                body = n == 1 ? atr : (const uint8_t *)"\x90\x00";
                len = n == 1 ? sizeof(atr) : 2;
                uint8_t lh[2] = {(uint8_t)(len >> 8), (uint8_t)len};
                if (write(fd, lh, 2) != 2 || write(fd, body, len) != (ssize_t)len)
                        return 0;
        }
}

static int on_term(sd_event_source *s, const struct signalfd_siginfo *si, void *u)
{
        (void)si, (void)u;
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

int main(int argc, char **argv)
{
        if (argc == 3 && strcmp(argv[1], "--plain") == 0)
                return plain((uint16_t)atoi(argv[2]));
        bool driver = argc == 3 && strcmp(argv[1], "--driver") == 0;
        if (argc != 2 && !driver) {
                fprintf(stderr, "usage: floor-card [--plain] PORT | floor-card --driver PATH\n");
                return 2;
        }
        sd_event *e = NULL;
        struct link *l = NULL;
        char err[300] = "";
        sigset_t m;
        int r;
        sigemptyset(&m);
        sigaddset(&m, SIGTERM);
        sigprocmask(SIG_BLOCK, &m, NULL);
        const struct link_handler h = {.apdu = on_apdu, .atr = on_atr, .power = on_power};
        if ((r = sd_event_default(&e)) < 0 ||
            (r = sd_event_add_signal(e, NULL, SIGTERM, on_term, NULL)) < 0 ||
            (r = driver ? drv_link_new(e, "floor", argv[2], VT_UID_NONE, &h, &l, err, sizeof(err))
                        : vpcd_link_new(e, "floor", "127.0.0.1", (uint16_t)atoi(argv[1]),
                                        VT_UID_NONE, &h, &l, err, sizeof(err))) < 0) {
                fprintf(stderr, "floor-card: %s\n", err[0] ? err : strerror(-r));
                sd_event_unref(e);
                return 1;
        }
        r = sd_event_loop(e);
        link_free(l);
        sd_event_unref(e);
        return r < 0;
}
