/* SPDX-License-Identifier: Apache-2.0 */
/* pcsc-load: concurrent PC/SC clients, each running transactions of several APDUs against PIV
 * cards for a while, every answer checked; prints the figures.
 *
 * Usage: pcsc-load [--clients N] [--seconds S] [--think MS] [--pin PIN] [--recover SECONDS]
 *                  READER...
 *
 * Client i uses READER i % (number of readers). Before the load each client reads the card's
 * certificate of slot 9C (an EC key; PIN policy "always"). Then, until S seconds have passed
 * (default 5), it repeats one operation: SCardBeginTransaction, SELECT of PIV, VERIFY of PIN
 * (default 123456), GENERAL AUTHENTICATE signing a fresh random digest with 9C, and
 * SCardEndTransaction; the signature must verify with the certificate's key. Every status word
 * must be the expected one. Between two operations a client pauses MS milliseconds (default 5),
 * as an application does: pcscd grants a waiting transaction only when it polls (every 100 ms)
 * and finds the card free, so clients without a pause would starve the others.
 *
 * With --seconds 0 the clients run until SIGTERM or SIGINT. Either signal ends the load: each
 * client completes one more operation (which shows it is working after whatever happened) and
 * stops.
 *
 * --recover SECONDS: a PC/SC error (pcscd or the card went away: no service, reader gone, card
 * removed or reset) ends the operation in progress, which is not counted, and the client
 * reconnects — a new context and connection — until an operation completes again, for up to
 * SECONDS; that is one "recovery". Without --recover, or when it takes longer, it is an
 * error. A wrong
 * answer is always an error.
 *
 * Output, one figure a line: "clients N", "operations N", "errors N", "recoveries N",
 * "ops/s X", "latency median X ms", "latency p99 X ms" (of the operations, from
 * SCardBeginTransaction to SCardEndTransaction, waiting for the card included), "held median
 * X ms", "held p99 X ms" (from the transaction granted to its end), and each error on stderr. Exit
 * status 0 when there was no error and every client completed operations, 1 otherwise, 64 for a
 * usage error. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <winscard.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#define CLIENTS_MAX       64
#define RECOVERY_PAUSE_NS (20 * 1000 * 1000L) /* between two reconnection attempts */

struct client {
        int id;
        const char *reader;
        SCARDCONTEXT ctx;
        SCARDHANDLE card;
        bool connected;
        EVP_PKEY *key;     /* of the certificate in slot 9C */
        uint64_t *lat_us;  /* each operation, from SCardBeginTransaction to its end */
        uint64_t *held_us; /* the part of it after the transaction was granted */
        size_t n_ops, cap_ops;
        unsigned long errors, recoveries;
        uint64_t outage_us; /* when the PC/SC errors being recovered from began, or 0 */
};

static const char *pin = "123456";
static double seconds = 5;
static double recover_s = -1; /* no recovery */
static long think_ns = 5 * 1000 * 1000L;
static uint64_t deadline_us;
static atomic_bool stop_asked; /* SIGTERM or SIGINT came */

static uint64_t now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static void error(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void error(struct client *c, const char *fmt, ...)
{
        va_list ap;
        char msg[512];
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        fprintf(stderr, "pcsc-load: client %d (%s): %s\n", c->id, c->reader, msg);
        c->errors++;
}

/* The errors after which a client reconnects: pcscd or the card went away and may come back.
 * libpcsclite reports its connection to pcscd reset (pcscd stopped) as a security violation. */
static bool transient(LONG rv)
{
        return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED ||
               rv == SCARD_W_SECURITY_VIOLATION || rv == SCARD_E_READER_UNAVAILABLE ||
               rv == SCARD_E_UNKNOWN_READER || rv == SCARD_W_REMOVED_CARD ||
               rv == SCARD_W_RESET_CARD || rv == SCARD_E_NO_SMARTCARD ||
               rv == SCARD_W_UNPOWERED_CARD || rv == SCARD_W_UNRESPONSIVE_CARD ||
               rv == SCARD_E_INVALID_HANDLE || rv == SCARD_E_NO_READERS_AVAILABLE ||
               rv == SCARD_F_COMM_ERROR || rv == SCARD_E_NOT_TRANSACTED ||
               rv == SCARD_E_COMM_DATA_LOST || rv == SCARD_E_TIMEOUT ||
               rv == SCARD_E_SHARING_VIOLATION;
}

static void disconnect(struct client *c)
{
        if (c->connected)
                SCardDisconnect(c->card, SCARD_LEAVE_CARD);
        if (c->ctx)
                SCardReleaseContext(c->ctx);
        c->ctx = 0;
        c->connected = false;
}

static LONG connect_once(struct client *c)
{
        DWORD proto;
        LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c->ctx);
        if (rv != SCARD_S_SUCCESS) {
                c->ctx = 0;
                return rv;
        }
        rv = SCardConnect(c->ctx, c->reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &c->card,
                          &proto);
        c->connected = rv == SCARD_S_SUCCESS;
        if (!c->connected)
                disconnect(c);
        return rv;
}

/* Connects, retrying transient errors for up to wait_s seconds (0: once). */
static LONG reconnect(struct client *c, double wait_s)
{
        uint64_t until = now_us() + (uint64_t)(wait_s * 1e6);
        const struct timespec pause = {0, RECOVERY_PAUSE_NS};
        LONG rv;
        disconnect(c);
        while ((rv = connect_once(c)) != SCARD_S_SUCCESS && transient(rv) && now_us() < until)
                nanosleep(&pause, NULL); /* pcscd or the card is not back yet: try again */
        return rv;
}

/* One APDU; the answer's data (GET RESPONSE gathered) in out, its status word in *sw. */
static LONG transmit(struct client *c, const uint8_t *cmd, size_t len, uint8_t *out,
                     size_t *out_len, uint16_t *sw)
{
        static const uint8_t get_response[] = {0x00, 0xC0, 0x00, 0x00, 0x00};
        uint8_t rsp[258];
        size_t have = 0;
        for (;;) {
                DWORD n = sizeof(rsp);
                LONG rv = SCardTransmit(c->card, SCARD_PCI_T1, cmd, (DWORD)len, NULL, rsp, &n);
                if (rv != SCARD_S_SUCCESS)
                        return rv;
                /* vpcd answers nothing at all when the card's connection closes mid-command */
                if (n == 0)
                        return SCARD_E_COMM_DATA_LOST;
                if (n < 2 || have + n - 2 > *out_len)
                        return SCARD_F_UNKNOWN_ERROR;
                memcpy(out + have, rsp, n - 2);
                have += n - 2;
                *sw = (uint16_t)(rsp[n - 2] << 8 | rsp[n - 1]);
                if (rsp[n - 2] != 0x61)
                        break;
                cmd = get_response;
                len = sizeof(get_response);
        }
        *out_len = have;
        return SCARD_S_SUCCESS;
}

/* A BER-TLV at *p (within end): its tag (one or two bytes) and value. */
static bool tlv(const uint8_t **p, const uint8_t *end, unsigned *tag, const uint8_t **val,
                size_t *len)
{
        const uint8_t *s = *p;
        size_t n = 0;
        if (end - s < 2)
                return false;
        *tag = *s++;
        if ((*tag & 0x1F) == 0x1F)
                *tag = *tag << 8 | *s++;
        if (s >= end)
                return false;
        if (*s < 0x80) {
                n = *s++;
        } else {
                int k = *s++ & 0x7F;
                if (k < 1 || k > 3 || end - s < k)
                        return false;
                while (k--)
                        n = n << 8 | *s++;
        }
        if ((size_t)(end - s) < n)
                return false;
        *val = s;
        *len = n;
        *p = s + n;
        return true;
}

static const uint8_t select_piv[] = {0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08};

/* Reads the public key of the certificate in slot 9C; a wrong answer is an error, a PC/SC
 * error is returned. */
static LONG read_key(struct client *c)
{
        static const uint8_t get_cert[] = {0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C,
                                           0x03, 0x5F, 0xC1, 0x0A, 0x00};
        uint8_t buf[8192];
        size_t len = sizeof(buf);
        uint16_t sw = 0;
        const uint8_t *p = buf, *v, *cert;
        size_t vlen, clen;
        unsigned tag;
        LONG rv = transmit(c, select_piv, sizeof(select_piv), buf, &len, &sw);
        len = sizeof(buf);
        if (rv == SCARD_S_SUCCESS && sw == 0x9000)
                rv = transmit(c, get_cert, sizeof(get_cert), buf, &len, &sw);
        if (rv != SCARD_S_SUCCESS)
                return rv;
        if (sw != 0x9000) {
                error(c, "reading the certificate of 9C: SW %04X", sw);
                return SCARD_S_SUCCESS;
        }
        if (!tlv(&p, buf + len, &tag, &v, &vlen) || tag != 0x53 ||
            !tlv(&v, v + vlen, &tag, &cert, &clen) || tag != 0x70) {
                error(c, "the 9C certificate object is not 53 { 70 ... }");
                return SCARD_S_SUCCESS;
        }
        X509 *x = d2i_X509(NULL, &cert, (long)clen);
        c->key = x ? X509_get_pubkey(x) : NULL;
        X509_free(x);
        if (!c->key || EVP_PKEY_get_base_id(c->key) != EVP_PKEY_EC)
                error(c, "the 9C certificate has no EC key (make the card with the piv profile)");
        return SCARD_S_SUCCESS;
}

/* Runs APDUs inside a transaction; a wrong answer is an error, a PC/SC error is returned. */
static LONG sign_once(struct client *c, bool *ok)
{
        uint8_t verify[13] = {0x00, 0x20, 0x00, 0x80, 0x08};
        uint8_t ga[5 + 38 + 1] = {0x00, 0x87, 0x11, 0x9C, 0x26, 0x7C, 0x24, 0x82, 0x00, 0x81, 0x20};
        uint8_t rsp[512];
        const uint8_t *digest = ga + 11, *p = rsp, *v, *sig;
        size_t len, vlen, slen;
        unsigned tag;
        uint16_t sw;
        LONG rv;
        *ok = false;
        memset(verify + 5, 0xFF, 8);
        memcpy(verify + 5, pin, strlen(pin));
        if (EVP_PKEY_get_bits(c->key) > 256) {
                error(c, "only a P-256 key in 9C is supported");
                return SCARD_S_SUCCESS;
        }
        RAND_bytes(ga + 11, 32);

        len = sizeof(rsp);
        if ((rv = transmit(c, select_piv, sizeof(select_piv), rsp, &len, &sw)) != 0)
                return rv;
        if (sw != 0x9000) {
                error(c, "SELECT: SW %04X", sw);
                return SCARD_S_SUCCESS;
        }
        len = sizeof(rsp);
        if ((rv = transmit(c, verify, sizeof(verify), rsp, &len, &sw)) != 0)
                return rv;
        if (sw != 0x9000) {
                error(c, "VERIFY: SW %04X", sw);
                return SCARD_S_SUCCESS;
        }
        len = sizeof(rsp);
        if ((rv = transmit(c, ga, sizeof(ga), rsp, &len, &sw)) != 0)
                return rv;
        if (sw != 0x9000 || !tlv(&p, rsp + len, &tag, &v, &vlen) || tag != 0x7C ||
            !tlv(&v, v + vlen, &tag, &sig, &slen) || tag != 0x82) {
                error(c, "GENERAL AUTHENTICATE: SW %04X, or not 7C { 82 SIGNATURE }", sw);
                return SCARD_S_SUCCESS;
        }
        EVP_PKEY_CTX *vctx = EVP_PKEY_CTX_new(c->key, NULL);
        *ok = vctx && EVP_PKEY_verify_init(vctx) == 1 &&
              EVP_PKEY_verify(vctx, sig, slen, digest, 32) == 1;
        EVP_PKEY_CTX_free(vctx);
        if (!*ok)
                error(c, "the signature does not verify with the certificate's key");
        return SCARD_S_SUCCESS;
}

static void record(struct client *c, uint64_t us, uint64_t held)
{
        if (c->n_ops == c->cap_ops) {
                size_t cap = c->cap_ops ? c->cap_ops * 2 : 4096;
                uint64_t *l = realloc(c->lat_us, cap * sizeof(*l));
                if (l)
                        c->lat_us = l;
                uint64_t *h = l ? realloc(c->held_us, cap * sizeof(*h)) : NULL;
                if (!h) {
                        error(c, "out of memory");
                        return;
                }
                c->held_us = h;
                c->cap_ops = cap;
        }
        c->lat_us[c->n_ops] = us;
        c->held_us[c->n_ops++] = held;
}

/* A PC/SC error: reconnect when allowed, else count an error. false: the client gives up. The
 * errors from one to the next completed operation are one recovery, which may take up to
 * recover_s seconds. */
static bool recover(struct client *c, const char *what, LONG rv)
{
        if (recover_s < 0 || !transient(rv)) {
                error(c, "%s: %s (%08lX)", what, pcsc_stringify_error(rv), (unsigned long)rv);
                return false;
        }
        if (!c->outage_us) {
                c->outage_us = now_us();
                c->recoveries++;
        } else {
                const struct timespec pause = {0, RECOVERY_PAUSE_NS};
                nanosleep(&pause, NULL); /* connected, yet the card is not back: not so fast */
        }
        double left = recover_s - (double)(now_us() - c->outage_us) / 1e6;
        rv = reconnect(c, left > 0 ? left : 0);
        if (rv != SCARD_S_SUCCESS) {
                error(c, "no reconnection within %g s after %s: %s (%08lX)", recover_s, what,
                      pcsc_stringify_error(rv), (unsigned long)rv);
                return false;
        }
        return true;
}

static void *run(void *arg)
{
        struct client *c = arg;
        LONG rv = reconnect(c, recover_s < 0 ? 0 : recover_s);
        if (rv != SCARD_S_SUCCESS) {
                error(c, "connecting: %s", pcsc_stringify_error(rv));
                return NULL;
        }
        /* in a transaction too: another client's command between GET DATA and GET RESPONSE
         * would end the answer's chain (69 85) */
        while (!c->key && c->errors == 0) {
                rv = SCardBeginTransaction(c->card);
                if (rv == SCARD_S_SUCCESS)
                        rv = read_key(c);
                if (rv == SCARD_S_SUCCESS)
                        rv = SCardEndTransaction(c->card, SCARD_LEAVE_CARD);
                if (rv != SCARD_S_SUCCESS && !recover(c, "reading the certificate of 9C", rv))
                        break;
        }
        size_t ops_at_stop = SIZE_MAX;
        while (c->errors == 0) {
                const struct timespec pause = {0, think_ns};
                if (ops_at_stop == SIZE_MAX && atomic_load(&stop_asked))
                        ops_at_stop = c->n_ops;
                /* past the deadline, a client that has not finished one transaction yet (a slow
                 * start: reading the certificate under a sanitizer) goes on until it has, for
                 * at most 30 s more; every_client below then says whether it did */
                uint64_t t = now_us();
                if (ops_at_stop != SIZE_MAX
                        ? c->n_ops > ops_at_stop
                        : t >= deadline_us && (c->n_ops > 0 || t >= deadline_us + 30000000))
                        break;
                uint64_t start = now_us(), granted;
                bool ok;
                if (think_ns)
                        nanosleep(&pause, NULL); /* what an application does between two uses */
                start = now_us();
                rv = SCardBeginTransaction(c->card);
                granted = now_us();
                if (rv != SCARD_S_SUCCESS) {
                        if (!recover(c, "SCardBeginTransaction", rv))
                                break;
                        continue;
                }
                rv = sign_once(c, &ok);
                if (rv != SCARD_S_SUCCESS) {
                        if (!recover(c, "a command", rv))
                                break;
                        continue;
                }
                rv = SCardEndTransaction(c->card, SCARD_LEAVE_CARD);
                if (rv != SCARD_S_SUCCESS) {
                        if (!recover(c, "SCardEndTransaction", rv))
                                break;
                        continue;
                }
                if (ok) {
                        record(c, now_us() - start, now_us() - granted);
                        c->outage_us = 0;
                }
        }
        disconnect(c);
        return NULL;
}

/* Waits for SIGTERM or SIGINT (blocked in every thread) and asks the clients to stop. */
static void *wait_signal(void *arg)
{
        int sig;
        if (sigwait(arg, &sig) == 0)
                atomic_store(&stop_asked, true);
        return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

static int usage(FILE *f, int status)
{
        fprintf(f, "usage: pcsc-load [--clients N] [--seconds S] [--think MS] [--pin PIN] "
                   "[--recover SECONDS] READER...\n");
        return status;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {{"clients", required_argument, NULL, 'c'},
                                             {"seconds", required_argument, NULL, 's'},
                                             {"pin", required_argument, NULL, 'p'},
                                             {"recover", required_argument, NULL, 'r'},
                                             {"think", required_argument, NULL, 't'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
        static struct client clients[CLIENTS_MAX];
        pthread_t threads[CLIENTS_MAX];
        int n_clients = 4, o;
        char *end;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (o) {
                case 'c':
                        n_clients = (int)strtol(optarg, &end, 10);
                        if (*end || n_clients < 1 || n_clients > CLIENTS_MAX) {
                                fprintf(stderr, "pcsc-load: --clients takes 1 to %d\n",
                                        CLIENTS_MAX);
                                return 64;
                        }
                        break;
                case 's':
                case 'r':
                        errno = 0;
                        *(o == 's' ? &seconds : &recover_s) = strtod(optarg, &end);
                        if (errno || *end || end == optarg ||
                            (o == 's' ? seconds : recover_s) < 0) {
                                fprintf(stderr, "pcsc-load: --%s takes seconds, not '%s'\n",
                                        o == 's' ? "seconds" : "recover", optarg);
                                return 64;
                        }
                        break;
                case 't':
                        think_ns = strtol(optarg, &end, 10) * 1000000L;
                        if (*end || end == optarg || think_ns < 0 || think_ns >= 1000000000L) {
                                fprintf(stderr, "pcsc-load: --think takes 0 to 999 ms\n");
                                return 64;
                        }
                        break;
                case 'p':
                        if (strlen(optarg) < 1 || strlen(optarg) > 8) {
                                fprintf(stderr, "pcsc-load: --pin takes 1 to 8 characters\n");
                                return 64;
                        }
                        pin = optarg;
                        break;
                case 'h':
                        return usage(stdout, 0);
                default:
                        return usage(stderr, 64);
                }
        }
        if (optind == argc)
                return usage(stderr, 64);
        deadline_us = seconds > 0 ? now_us() + (uint64_t)(seconds * 1e6) : UINT64_MAX;
        uint64_t start = now_us();
        sigset_t stop_signals;
        pthread_t waiter;
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGTERM);
        sigaddset(&stop_signals, SIGINT);
        if (pthread_sigmask(SIG_BLOCK, &stop_signals, NULL) != 0 ||
            pthread_create(&waiter, NULL, wait_signal, &stop_signals) != 0) {
                fprintf(stderr, "pcsc-load: cannot wait for signals\n");
                return 1;
        }
        for (int i = 0; i < n_clients; i++) {
                clients[i].id = i;
                clients[i].reader = argv[optind + i % (argc - optind)];
                if (pthread_create(&threads[i], NULL, run, &clients[i]) != 0) {
                        fprintf(stderr, "pcsc-load: cannot start client %d\n", i);
                        return 1;
                }
        }
        size_t total = 0;
        unsigned long errors = 0, recoveries = 0;
        bool every_client = true;
        for (int i = 0; i < n_clients; i++) {
                pthread_join(threads[i], NULL);
                total += clients[i].n_ops;
                errors += clients[i].errors;
                recoveries += clients[i].recoveries;
                every_client &= clients[i].n_ops > 0;
        }
        pthread_cancel(waiter);
        pthread_join(waiter, NULL);
        double elapsed = (double)(now_us() - start) / 1e6;
        uint64_t *all = calloc(total ? total : 1, sizeof(*all));
        uint64_t *held = calloc(total ? total : 1, sizeof(*held));
        if (!all || !held)
                return 1;
        for (int i = 0, k = 0; i < n_clients; i++) {
                if (clients[i].n_ops) { /* lat_us is NULL until the first one */
                        memcpy(all + k, clients[i].lat_us, clients[i].n_ops * sizeof(*all));
                        memcpy(held + k, clients[i].held_us, clients[i].n_ops * sizeof(*held));
                }
                k += (int)clients[i].n_ops;
                printf("client %d %s operations %zu recoveries %lu errors %lu\n", i,
                       clients[i].reader, clients[i].n_ops, clients[i].recoveries,
                       clients[i].errors);
                free(clients[i].lat_us);
                free(clients[i].held_us);
                EVP_PKEY_free(clients[i].key);
        }
        qsort(all, total, sizeof(*all), cmp_u64);
        qsort(held, total, sizeof(*held), cmp_u64);
        printf("clients %d\nreaders %d\nseconds %.1f\noperations %zu\nerrors %lu\nrecoveries %lu\n",
               n_clients, argc - optind, elapsed, total, errors, recoveries);
        printf("ops/s %.1f\n", (double)total / elapsed);
        if (total) {
                printf("latency median %.2f ms\n", (double)all[total / 2] / 1000);
                printf("latency p99 %.2f ms\n", (double)all[total * 99 / 100] / 1000);
                printf("held median %.2f ms\n", (double)held[total / 2] / 1000);
                printf("held p99 %.2f ms\n", (double)held[total * 99 / 100] / 1000);
        }
        free(held);
        free(all);
        if (!every_client)
                fprintf(stderr, "pcsc-load: a client completed no operation\n");
        return errors == 0 && every_client ? 0 : 1;
}
