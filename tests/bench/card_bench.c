/* SPDX-License-Identifier: Apache-2.0 */
/* card-bench: cards side by side, each driven by its own raw PC/SC client (a thread with its own
 * context and connection, bound to one reader: no OpenSC, no client that looks at the other
 * cards), so what is measured is how the cards share the daemon, not how a client library
 * initialises them one after another.
 *
 * card-bench sign [--seconds S] [--pin PIN] [--ceiling RATE] READER...
 *   Each client SELECTs PIV and VERIFYs the PIN once; then, after all are ready, every client
 *   starts at the same moment and makes GENERAL AUTHENTICATE signatures with the RSA-2048 key of
 *   9A back to back until S seconds (default 3) have passed, every answer checked (90 00, a
 *   256-byte signature). The window runs from that common start to the end of the last client's
 *   last signature; prints "cards N", "window_s W", "signatures N", "per_second R" (all
 *   signatures / the window) and "card I signatures N" for each. With --ceiling RATE (signatures
 *   per second that the machine's cores can make at most: M x `openssl speed rsa2048`, its rate
 *   on CPU time, M the cards but no more than the cores): a rate above it cannot be real, and
 *   card-bench says so and exits 3.
 *
 * card-bench latency [--seconds S] BUSY-READER PROBE-READER
 *   A small APDU (PIV GET DATA of the discovery object) sent back to back on PROBE-READER for S
 *   seconds, once with the card of BUSY-READER idle, then again while a client on BUSY-READER
 *   generates RSA-2048 keys (in 9D, after management-key authentication with the default 3DES
 *   key) back to back. Prints "idle median_ms M p99_ms P n N", "busy median_ms M p99_ms P n N
 *   keys K" and "p99_busy_over_idle X".
 *
 * Exit status 0, 1 on any PC/SC error or wrong answer, 2 on a usage error, 3 past the ceiling. */
#include <getopt.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <winscard.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#define MAX_CARDS 16
#define RESP_MAX  4096

static const BYTE select_piv[] = {0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08};
static const BYTE get_discovery[] = {0x00, 0xCB, 0x3F, 0xFF, 0x03, 0x5C, 0x01, 0x7E, 0x00};
static const BYTE default_mgm[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                     5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

struct client {
        const char *reader;
        SCARDCONTEXT ctx;
        SCARDHANDLE card;
        BYTE resp[RESP_MAX];
        DWORD rlen;
        unsigned sw;
};

/* One command, sent in chained pieces of 255 bytes when longer, its answer gathered through
 * GET RESPONSE; the data in c->resp/c->rlen, the status word in c->sw. -1 on a PC/SC error. */
static int apdu(struct client *c, BYTE cla, BYTE ins, BYTE p1, BYTE p2, const BYTE *data,
                size_t len)
{
        BYTE cmd[261], buf[258];
        size_t off = 0;
        c->rlen = 0;
        do {
                size_t part = len - off > 255 ? 255 : len - off;
                bool last = off + part == len;
                cmd[0] = (BYTE)(last ? cla : cla | 0x10);
                cmd[1] = ins, cmd[2] = p1, cmd[3] = p2;
                size_t clen = 4;
                if (len) { /* a command with data (no command here chains an empty piece) */
                        cmd[clen++] = (BYTE)part;
                        memcpy(cmd + clen, data + off, part);
                        clen += part;
                }
                if (last)
                        cmd[clen++] = 0;
                DWORD blen = sizeof(buf);
                LONG rv = SCardTransmit(c->card, SCARD_PCI_T1, cmd, (DWORD)clen, NULL, buf, &blen);
                if (rv != SCARD_S_SUCCESS || blen < 2) {
                        fprintf(stderr, "card-bench: %s: SCardTransmit: %s\n", c->reader,
                                pcsc_stringify_error(rv));
                        return -1;
                }
                c->sw = (unsigned)buf[blen - 2] << 8 | buf[blen - 1];
                off += part;
                if (!last && c->sw != 0x9000)
                        return 0;
                for (;;) {
                        if (c->rlen + blen - 2 > RESP_MAX)
                                return -1;
                        memcpy(c->resp + c->rlen, buf, blen - 2);
                        c->rlen += blen - 2;
                        if (!last || (c->sw >> 8) != 0x61)
                                break;
                        BYTE more[] = {0x00, 0xC0, 0x00, 0x00, (BYTE)(c->sw & 0xff)};
                        blen = sizeof(buf);
                        rv = SCardTransmit(c->card, SCARD_PCI_T1, more, sizeof(more), NULL, buf,
                                           &blen);
                        if (rv != SCARD_S_SUCCESS || blen < 2) {
                                fprintf(stderr, "card-bench: %s: GET RESPONSE: %s\n", c->reader,
                                        pcsc_stringify_error(rv));
                                return -1;
                        }
                        c->sw = (unsigned)buf[blen - 2] << 8 | buf[blen - 1];
                }
        } while (off < len);
        return 0;
}

/* apdu(), and the status word must be 90 00 */
static int apdu_ok(struct client *c, const char *what, BYTE cla, BYTE ins, BYTE p1, BYTE p2,
                   const BYTE *data, size_t len)
{
        if (apdu(c, cla, ins, p1, p2, data, len) < 0)
                return -1;
        if (c->sw != 0x9000) {
                fprintf(stderr, "card-bench: %s: %s answered %04X\n", c->reader, what, c->sw);
                return -1;
        }
        return 0;
}

static int open_client(struct client *c)
{
        DWORD proto;
        LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c->ctx);
        if (rv == SCARD_S_SUCCESS)
                rv = SCardConnect(c->ctx, c->reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1,
                                  &c->card, &proto);
        if (rv != SCARD_S_SUCCESS) {
                fprintf(stderr, "card-bench: %s: %s\n", c->reader, pcsc_stringify_error(rv));
                return -1;
        }
        return apdu_ok(c, "SELECT PIV", 0x00, 0xA4, 0x04, 0x00, select_piv + 5, 5);
}

static void close_client(struct client *c)
{
        SCardDisconnect(c->card, SCARD_LEAVE_CARD);
        SCardReleaseContext(c->ctx);
}

/* ---- sign ---- */

struct signer {
        struct client c;
        const char *pin;
        pthread_barrier_t *ready, *go;
        const double *deadline;
        long signatures;
        double last_end;
        int status;
};

static int sign_once(struct client *c)
{
        /* 7C { 82 (response, empty), 81 (challenge: a PKCS#1 v1.5 block of 256 bytes) } */
        BYTE data[4 + 2 + 4 + 256] = {0x7C, 0x82, 0x01, 0x06, 0x82, 0x00, 0x81, 0x82, 0x01, 0x00};
        BYTE *block = data + 10;
        memset(block, 0xFF, 256);
        block[0] = 0x00, block[1] = 0x01, block[256 - 52] = 0x00;
        RAND_bytes(block + 256 - 32, 32);
        if (apdu_ok(c, "GENERAL AUTHENTICATE (9A)", 0x00, 0x87, 0x07, 0x9A, data, sizeof(data)) < 0)
                return -1;
        /* 7C 82 01 04 82 82 01 00 SIGNATURE */
        if (c->rlen != 8 + 256 || c->resp[0] != 0x7C || c->resp[4] != 0x82) {
                fprintf(stderr, "card-bench: %s: not an RSA-2048 signature (%lu bytes)\n",
                        c->reader, (unsigned long)c->rlen);
                return -1;
        }
        return 0;
}

static void *signer_run(void *arg)
{
        struct signer *s = arg;
        BYTE pin[8];
        memset(pin, 0xFF, sizeof(pin));
        memcpy(pin, s->pin, strlen(s->pin) > 8 ? 8 : strlen(s->pin));
        s->status = open_client(&s->c) < 0 ||
                            apdu_ok(&s->c, "VERIFY", 0x00, 0x20, 0x00, 0x80, pin, sizeof(pin)) < 0
                        ? 1
                        : 0;
        pthread_barrier_wait(s->ready); /* the main thread sets the deadline between the two */
        pthread_barrier_wait(s->go);
        while (s->status == 0 && now_s() < *s->deadline) {
                if (sign_once(&s->c) < 0)
                        s->status = 1;
                else
                        s->signatures++;
                s->last_end = now_s();
        }
        close_client(&s->c);
        return NULL;
}

static int run_sign(double seconds, const char *pin, double ceiling, int n, char **readers)
{
        static struct signer s[MAX_CARDS];
        pthread_t t[MAX_CARDS];
        pthread_barrier_t ready, go;
        double deadline = 0, start;
        pthread_barrier_init(&ready, NULL, (unsigned)n + 1);
        pthread_barrier_init(&go, NULL, (unsigned)n + 1);
        for (int i = 0; i < n; i++) {
                s[i] = (struct signer){.c.reader = readers[i],
                                       .pin = pin,
                                       .ready = &ready,
                                       .go = &go,
                                       .deadline = &deadline};
                if (pthread_create(&t[i], NULL, signer_run, &s[i]) != 0)
                        return 1;
        }
        pthread_barrier_wait(&ready);
        start = now_s();
        deadline = start + seconds;
        pthread_barrier_wait(&go);
        long total = 0;
        double end = start;
        int status = 0;
        for (int i = 0; i < n; i++) {
                pthread_join(t[i], NULL);
                total += s[i].signatures;
                if (s[i].last_end > end)
                        end = s[i].last_end;
                status |= s[i].status;
        }
        if (status)
                return 1;
        double rate = (double)total / (end - start);
        printf("cards %d\nwindow_s %.3f\nsignatures %ld\nper_second %.1f\n", n, end - start, total,
               rate);
        for (int i = 0; i < n; i++)
                printf("card %d signatures %ld\n", i, s[i].signatures);
        if (ceiling > 0 && rate > ceiling) {
                fprintf(stderr,
                        "card-bench: %.1f signatures per second is more than the %.1f this "
                        "machine's cores make with openssl alone: the measurement is wrong\n",
                        rate, ceiling);
                return 3;
        }
        return 0;
}

/* ---- latency ---- */

struct generator {
        struct client c;
        atomic_bool stop;
        sem_t started; /* posted before the first GENERATE (or on a failure before it) */
        long keys;
        int status;
};

/* Management-key authentication (9B, 3DES, the default key): witness, then challenge. */
static int mgm_auth(struct client *c)
{
        static const BYTE ask[] = {0x7C, 0x02, 0x80, 0x00};
        if (apdu_ok(c, "GENERAL AUTHENTICATE (9B witness)", 0x00, 0x87, 0x03, 0x9B, ask,
                    sizeof(ask)) < 0)
                return -1;
        if (c->rlen != 12 || c->resp[2] != 0x80 || c->resp[3] != 8)
                return -1;
        BYTE reply[22] = {0x7C, 0x14, 0x80, 0x08}, *witness = reply + 4;
        reply[12] = 0x81, reply[13] = 0x08;
        RAND_bytes(reply + 14, 8);
        EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
        int len = 0, ok = x && EVP_DecryptInit_ex(x, EVP_des_ede3_ecb(), NULL, default_mgm, NULL) &&
                          EVP_CIPHER_CTX_set_padding(x, 0) &&
                          EVP_DecryptUpdate(x, witness, &len, c->resp + 4, 8) && len == 8;
        EVP_CIPHER_CTX_free(x);
        if (!ok)
                return -1;
        return apdu_ok(c, "GENERAL AUTHENTICATE (9B challenge)", 0x00, 0x87, 0x03, 0x9B, reply,
                       sizeof(reply));
}

static void *generator_run(void *arg)
{
        struct generator *g = arg;
        static const BYTE rsa2048[] = {0xAC, 0x03, 0x80, 0x01, 0x07};
        if (mgm_auth(&g->c) < 0)
                g->status = 1;
        sem_post(&g->started);
        while (g->status == 0 && !atomic_load(&g->stop)) {
                if (apdu_ok(&g->c, "GENERATE (9D, RSA-2048)", 0x00, 0x47, 0x00, 0x9D, rsa2048,
                            sizeof(rsa2048)) < 0)
                        g->status = 1;
                else
                        g->keys++;
        }
        return NULL;
}

/* GET DATA sent back to back for seconds: the round trips, sorted, into *out (*n of them) */
static int probe(struct client *c, double seconds, double **out, size_t *n)
{
        size_t cap = 1024;
        double *v = malloc(cap * sizeof(*v)), end = now_s() + seconds;
        *n = 0;
        if (!v)
                return -1;
        for (double t = now_s(); t < end; t = now_s()) {
                if (apdu_ok(c, "GET DATA", 0x00, 0xCB, 0x3F, 0xFF, get_discovery + 5, 3) < 0) {
                        free(v);
                        return -1;
                }
                if (*n == cap) {
                        double *w = realloc(v, (cap *= 2) * sizeof(*v));
                        if (!w)
                                break;
                        v = w;
                }
                v[(*n)++] = (now_s() - t) * 1e3;
        }
        if (!*n) {
                free(v);
                return -1;
        }
        qsort(v, *n, sizeof(*v), cmp);
        *out = v;
        return 0;
}

static double quantile(const double *v, size_t n, double q)
{
        size_t i = (size_t)(q * (double)n);
        return v[i < n ? i : n - 1];
}

static int run_latency(double seconds, const char *busy, const char *prober)
{
        static struct generator g;
        struct client p = {.reader = prober};
        g.c.reader = busy;
        double *idle = NULL, *loaded = NULL;
        size_t ni = 0, nl = 0;
        if (open_client(&g.c) < 0 || open_client(&p) < 0)
                return 1;
        if (probe(&p, seconds, &idle, &ni) < 0)
                return 1;
        pthread_t t;
        if (sem_init(&g.started, 0, 0) < 0 || pthread_create(&t, NULL, generator_run, &g) != 0)
                return 1;
        sem_wait(&g.started); /* from the first key generation on */
        int r = probe(&p, seconds, &loaded, &nl);
        atomic_store(&g.stop, true);
        pthread_join(t, NULL);
        close_client(&g.c);
        close_client(&p);
        if (r < 0 || g.status) {
                free(idle);
                free(loaded);
                return 1;
        }
        double p99i = quantile(idle, ni, 0.99), p99l = quantile(loaded, nl, 0.99);
        printf("idle median_ms %.3f p99_ms %.3f n %zu\n", quantile(idle, ni, 0.5), p99i, ni);
        printf("busy median_ms %.3f p99_ms %.3f n %zu keys %ld\n", quantile(loaded, nl, 0.5), p99l,
               nl, g.keys);
        printf("p99_busy_over_idle %.2f\n", p99l / p99i);
        free(idle);
        free(loaded);
        return 0;
}

static int usage(void)
{
        fprintf(stderr, "usage: card-bench sign [--seconds S] [--pin PIN] [--ceiling RATE] "
                        "READER...\n       card-bench latency [--seconds S] BUSY-READER "
                        "PROBE-READER\n");
        return 2;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {{"seconds", required_argument, NULL, 's'},
                                             {"pin", required_argument, NULL, 'p'},
                                             {"ceiling", required_argument, NULL, 'c'},
                                             {NULL, 0, NULL, 0}};
        if (argc < 2)
                return usage();
        const char *mode = argv[1], *pin = "123456";
        double seconds = 3, ceiling = 0;
        optind = 2;
        for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
                if (o == 's')
                        seconds = atof(optarg);
                else if (o == 'p')
                        pin = optarg;
                else if (o == 'c')
                        ceiling = atof(optarg);
                else
                        return usage();
        }
        int n = argc - optind;
        if (seconds <= 0)
                return usage();
        if (!strcmp(mode, "sign") && n >= 1 && n <= MAX_CARDS)
                return run_sign(seconds, pin, ceiling, n, argv + optind);
        if (!strcmp(mode, "latency") && n == 2)
                return run_latency(seconds, argv[optind], argv[optind + 1]);
        return usage();
}
