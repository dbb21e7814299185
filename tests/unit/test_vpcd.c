/* SPDX-License-Identifier: Apache-2.0 */
/* The vpcd link against a fake vpcd listener: control codes, APDU frames, the largest frame,
 * a broken stream, and reconnecting when pcscd goes away. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frame.h"
#include "peer.h"
#include "vpcd.h"

struct fake {
        sd_event *e;
        int lfd, fd;
        uint16_t port;
        struct link *link;
        int powers[16];
        size_t n_powers;
        size_t apdus, last_len;
        size_t answer; /* 0: echo; else what h_apdu returns (LINK_APDU_PENDING, LINK_APDU_DROP) */
        size_t answer_len; /* with answer 0: an echo this long */
};

static size_t h_apdu(void *u, const uint8_t *cmd, size_t len, uint8_t *out)
{
        struct fake *f = u;
        f->apdus++;
        f->last_len = len;
        if (f->answer)
                return f->answer;
        if (f->answer_len) {
                memset(out, cmd[1], f->answer_len - 2);
                out[f->answer_len - 2] = 0x90;
                out[f->answer_len - 1] = 0x00;
                return f->answer_len;
        }
        out[0] = cmd[1]; /* echo INS, then 90 00 */
        out[1] = 0x90;
        out[2] = 0x00;
        return 3;
}
static size_t h_atr(void *u, uint8_t *out)
{
        (void)u;
        static const uint8_t atr[] = {0x3B, 0x88, 0x01, 0x50};
        memcpy(out, atr, sizeof(atr));
        return sizeof(atr);
}
static void h_power(void *u, enum link_power ctrl)
{
        struct fake *f = u;
        if (f->n_powers < 16)
                f->powers[f->n_powers++] = (int)ctrl;
}

/* Runs the loop until fd is readable (or, with fd < 0, until the link is in state want). */
static int pump(struct fake *f, int fd, int want)
{
        for (int i = 0; i < 2000; i++) {
                if (fd >= 0) {
                        struct pollfd p = {.fd = fd, .events = POLLIN};
                        if (poll(&p, 1, 0) == 1)
                                return 0;
                } else if ((int)link_state(f->link) == want) {
                        return 0;
                }
                sd_event_run(f->e, 5000);
        }
        return -1;
}

static void listen_on(struct fake *f, uint16_t port)
{
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons(port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t al = sizeof(a);
        int one = 1;
        f->lfd = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(f->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(listen(f->lfd, 1), 0);
        getsockname(f->lfd, (struct sockaddr *)&a, &al);
        f->port = ntohs(a.sin_port);
}

static int setup(void **state)
{
        struct fake *f = calloc(1, sizeof(*f));
        assert_int_equal(sd_event_new(&f->e), 0);
        listen_on(f, 0);
        const struct link_handler h = {.user = f, .apdu = h_apdu, .atr = h_atr, .power = h_power};
        char err[200];
        assert_int_equal(vpcd_link_new(f->e, "t", "127.0.0.1", f->port, VT_UID_NONE, &h, &f->link,
                                       err, sizeof(err)),
                         0);
        assert_int_equal(pump(f, f->lfd, 0), 0);
        f->fd = accept(f->lfd, NULL, NULL);
        assert_true(f->fd >= 0);
        assert_int_equal(pump(f, -1, LINK_CONNECTED), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fake *f = *state;
        link_free(f->link);
        close(f->fd);
        close(f->lfd);
        sd_event_unref(f->e);
        free(f);
        return 0;
}

static void send_frame(struct fake *f, const uint8_t *body, size_t len)
{
        uint8_t *b = malloc(len + 2);
        if (len)
                memcpy(b + 2, body, len);
        frame_seal(b, len);
        /* vpcd writes the length and the body separately: so do we */
        assert_int_equal(write(f->fd, b, 2), 2);
        if (len)
                assert_int_equal(write(f->fd, b + 2, len), (ssize_t)len);
        free(b);
}

static size_t recv_frame(struct fake *f, uint8_t *out, size_t cap)
{
        uint8_t hdr[2];
        assert_int_equal(pump(f, f->fd, 0), 0);
        assert_int_equal(recv(f->fd, hdr, 2, MSG_WAITALL), 2);
        size_t n = (size_t)hdr[0] << 8 | hdr[1];
        assert_true(n <= cap);
        if (n)
                assert_int_equal(recv(f->fd, out, n, MSG_WAITALL), (ssize_t)n);
        return n;
}

static int readable(int fd)
{
        struct pollfd p = {.fd = fd, .events = POLLIN};
        return poll(&p, 1, 0);
}

static void control_codes(void **state)
{
        struct fake *f = *state;
        uint8_t buf[64];
        size_t before = f->n_powers;
        send_frame(f, (const uint8_t[]){VPCD_CTRL_ON}, 1);
        send_frame(f, (const uint8_t[]){VPCD_CTRL_ATR}, 1);
        assert_int_equal(recv_frame(f, buf, sizeof(buf)), 4); /* only 04 is answered */
        assert_int_equal(buf[0], 0x3B);
        assert_int_equal(f->n_powers, before + 1);
        assert_int_equal(f->powers[before], LINK_POWER_ON);
        assert_int_equal(link_state(f->link), LINK_POWERED);
        send_frame(f, (const uint8_t[]){VPCD_CTRL_RESET}, 1);
        send_frame(f, (const uint8_t[]){VPCD_CTRL_OFF}, 1);
        send_frame(f, (const uint8_t[]){VPCD_CTRL_ATR}, 1);
        assert_int_equal(recv_frame(f, buf, sizeof(buf)), 4);
        assert_int_equal(f->powers[before + 1], LINK_POWER_RESET);
        assert_int_equal(f->powers[before + 2], LINK_POWER_OFF);
        assert_int_equal(link_state(f->link), LINK_CONNECTED);
        assert_int_equal(readable(f->fd), 0); /* nothing else was sent */
}

/* A pcscd that only polls a new connection for the ATR took the card for present all along and
 * holds the state of the card before (item 7 of issue 13: a vtokend killed and started again
 * between two polls): the card is pulled out once, at the third poll, and answers again once
 * reconnected, however long it is polled. A pcscd that powers the card is never refused. */
static void stale_pcscd_pulled_once(void **state)
{
        struct fake *f = *state;
        uint8_t buf[8], b;
        for (int i = 0; i < 2; i++) {
                send_frame(f, (const uint8_t[]){VPCD_CTRL_ATR}, 1);
                assert_int_equal(recv_frame(f, buf, sizeof(buf)), 4);
        }
        send_frame(f, (const uint8_t[]){VPCD_CTRL_ATR}, 1);
        assert_int_equal(pump(f, f->fd, 0), 0);
        assert_int_equal(read(f->fd, &b, 1), 0); /* pulled out: vpcd sees the card go */
        close(f->fd);
        assert_int_equal(pump(f, f->lfd, 0), 0);
        f->fd = accept(f->lfd, NULL, NULL);
        assert_int_equal(pump(f, -1, LINK_CONNECTED), 0);
        for (int i = 0; i < 6; i++) { /* once is enough: polled only, it stays */
                send_frame(f, (const uint8_t[]){VPCD_CTRL_ATR}, 1);
                assert_int_equal(recv_frame(f, buf, sizeof(buf)), 4);
        }
        /* powered, then polled: in use, never pulled */
        send_frame(f, (const uint8_t[]){VPCD_CTRL_ON}, 1);
        for (int i = 0; i < 6; i++) {
                send_frame(f, (const uint8_t[]){VPCD_CTRL_ATR}, 1);
                assert_int_equal(recv_frame(f, buf, sizeof(buf)), 4);
        }
        assert_int_equal(link_state(f->link), LINK_POWERED);
}

static void apdu_and_largest_frame(void **state)
{
        struct fake *f = *state;
        uint8_t buf[64];
        send_frame(f, (const uint8_t[]){0x00, 0xA4, 0x04, 0x00}, 4);
        assert_int_equal(recv_frame(f, buf, sizeof(buf)), 3);
        assert_memory_equal(buf, ((uint8_t[]){0xA4, 0x90, 0x00}), 3);
        uint8_t *big = calloc(1, FRAME_MAX);
        big[1] = 0xCB;
        send_frame(f, big, FRAME_MAX);
        assert_int_equal(recv_frame(f, buf, sizeof(buf)), 3);
        assert_int_equal(f->last_len, FRAME_MAX);
        assert_int_equal(buf[0], 0xCB);
        free(big);
}

static void reconnects(void **state)
{
        struct fake *f = *state;
        size_t before = f->n_powers;
        /* pcscd goes away: the link powers the card off and waits */
        close(f->fd);
        close(f->lfd);
        assert_int_equal(pump(f, -1, LINK_WAITING), 0);
        assert_int_equal(f->powers[before], LINK_POWER_OFF);
        /* nothing listens for a while: connection refused, retried with backoff */
        for (int i = 0; i < 20; i++)
                sd_event_run(f->e, 5000);
        assert_int_equal(link_state(f->link), LINK_WAITING);
        /* pcscd is back on the same port: the link finds it by itself */
        listen_on(f, f->port);
        assert_int_equal(pump(f, f->lfd, 0), 0);
        f->fd = accept(f->lfd, NULL, NULL);
        assert_int_equal(pump(f, -1, LINK_CONNECTED), 0);
        int nodelay = 0;
        socklen_t l = sizeof(nodelay);
        (void)l;
        uint8_t buf[8];
        send_frame(f, (const uint8_t[]){VPCD_CTRL_ATR}, 1);
        assert_int_equal(recv_frame(f, buf, sizeof(buf)), 4);
}

static void removal(void **state)
{
        struct fake *f = *state;
        link_remove(f->link);
        assert_int_equal(link_state(f->link), LINK_REMOVED);
        uint8_t b;
        assert_int_equal(pump(f, f->fd, 0), 0);
        assert_int_equal(read(f->fd, &b, 1), 0); /* the reader sees the card go */
        close(f->fd);
        for (int i = 0; i < 10; i++)
                sd_event_run(f->e, 5000);
        struct pollfd p = {.fd = f->lfd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, 0), 0); /* and no reconnect while removed */
        link_insert(f->link);
        assert_int_equal(pump(f, f->lfd, 0), 0);
        f->fd = accept(f->lfd, NULL, NULL);
        assert_int_equal(pump(f, -1, LINK_CONNECTED), 0);
}

static void broken_stream(void **state)
{
        struct fake *f = *state;
        /* a zero-length frame is ignored; an unknown control code too */
        send_frame(f, NULL, 0);
        send_frame(f, (const uint8_t[]){0x09}, 1);
        uint8_t buf[8];
        send_frame(f, (const uint8_t[]){VPCD_CTRL_ATR}, 1);
        assert_int_equal(recv_frame(f, buf, sizeof(buf)), 4);
}

/* The secret the memory tests look for, kept masked so that this process never holds it plain
 * but where the link put it. */
#define SECRET_MASK 0x5A
static const uint8_t secret_masked[8] = {0x6D, 0x28, 0xC3, 0xA8, 0x2D, 0x94, 0x1F, 0xE6};

/* Whether the secret stands anywhere in this process's writable memory. */
static bool secret_in_memory(void)
{
        static uint8_t chunk[1 << 16];
        FILE *maps = fopen("/proc/self/maps", "re");
        int mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
        char line[512];
        bool found = false;
        assert_non_null(maps);
        assert_true(mem >= 0);
        while (!found && fgets(line, sizeof(line), maps)) {
                unsigned long lo, hi;
                char perms[8];
                /* a mapping of a GiB and more is a sanitizer's shadow or reserve, never a buffer
                 * of this test's (reading it would take hours) */
                if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r' ||
                    perms[1] != 'w' || hi - lo >= (1UL << 30))
                        continue;
                for (unsigned long at = lo; !found && at < hi; at += sizeof(chunk) - 8) {
                        size_t want = hi - at < sizeof(chunk) ? hi - at : sizeof(chunk);
                        ssize_t n = pread(mem, chunk, want, (off_t)at);
                        for (ssize_t i = 0; n >= 8 && !found && i <= n - 8; i++) {
                                size_t k = 0;
                                while (k < 8 && (chunk[i + k] ^ SECRET_MASK) == secret_masked[k])
                                        k++;
                                found = k == 8;
                        }
                        if (n < (ssize_t)want)
                                break;
                }
        }
        explicit_bzero(chunk, sizeof(chunk));
        fclose(maps);
        close(mem);
        return found;
}

/* A command cut off by the connection's end (a VERIFY whose PIN came, and not its last byte)
 * is wiped with the connection, as the driver's link does: nothing of it stays in memory. */
static void hang_up_wipes(void **state)
{
        struct fake *f = *state;
        uint8_t frame[2 + 5 + 8] = {0x00, 5 + 8 + 1, 0x00, 0x20, 0x00, 0x80, 0x09};
        for (size_t i = 0; i < 8; i++)
                frame[7 + i] = secret_masked[i] ^ SECRET_MASK;
        assert_int_equal(write(f->fd, frame, sizeof(frame)), (ssize_t)sizeof(frame));
        explicit_bzero(frame, sizeof(frame));
        /* the link has it, waiting for the last byte (and this scan can see it) */
        bool seen = false;
        for (int i = 0; i < 200 && !seen; i++) {
                sd_event_run(f->e, 5000);
                seen = secret_in_memory();
        }
        assert_true(seen);
        close(f->fd);
        f->fd = -1;
        assert_int_equal(pump(f, -1, LINK_WAITING), 0);
        assert_false(secret_in_memory());
}

/* An answer given later (a delay, a wait for touch): nothing is read or sent meanwhile, then
 * the answer goes out and the next frame is served. */
static void deferred_answer(void **state)
{
        struct fake *f = *state;
        uint8_t buf[64];
        assert_int_equal(link_respond(f->link, (const uint8_t[]){0x90, 0x00}, 2), -EINVAL);
        f->answer = LINK_APDU_PENDING;
        send_frame(f, (const uint8_t[]){0x00, 0x87, 0x07, 0x9A}, 4);
        send_frame(f, (const uint8_t[]){VPCD_CTRL_ATR}, 1); /* vpcd would not, but if it did */
        for (int i = 0; i < 20; i++)
                sd_event_run(f->e, 1000);
        assert_int_equal(f->apdus, 1);
        assert_int_equal(readable(f->fd), 0);
        f->answer = 0;
        assert_int_equal(link_respond(f->link, (const uint8_t[]){0x69, 0x82}, 2), 0);
        assert_int_equal(recv_frame(f, buf, sizeof(buf)), 2);
        assert_memory_equal(buf, ((uint8_t[]){0x69, 0x82}), 2);
        assert_int_equal(recv_frame(f, buf, sizeof(buf)), 4); /* then the ATR */
        assert_int_equal(buf[0], 0x3B);
        assert_int_equal(link_respond(f->link, buf, 2), -EINVAL); /* nothing pending */
}

/* A pending answer is cancelled by the link going away: the card is powered off. */
static void pending_then_removed(void **state)
{
        struct fake *f = *state;
        f->answer = LINK_APDU_PENDING;
        send_frame(f, (const uint8_t[]){0x00, 0x87, 0x07, 0x9A}, 4);
        for (int i = 0; i < 20 && f->apdus == 0; i++)
                sd_event_run(f->e, 1000);
        size_t before = f->n_powers;
        link_remove(f->link);
        assert_int_equal(f->powers[before], LINK_POWER_OFF);
        assert_int_equal(link_respond(f->link, (const uint8_t[]){0x90, 0x00}, 2), -EINVAL);
}

/* A command answered by dropping the connection: the reader sees it close, and the card
 * connects again by itself, as after a pcscd restart. */
static void dropped_mid_command(void **state)
{
        struct fake *f = *state;
        size_t before = f->n_powers;
        f->answer = LINK_APDU_DROP;
        send_frame(f, (const uint8_t[]){0x00, 0x87, 0x07, 0x9A}, 4);
        uint8_t b;
        assert_int_equal(pump(f, f->fd, 0), 0);
        assert_int_equal(read(f->fd, &b, 1), 0);
        assert_int_equal(f->powers[before], LINK_POWER_OFF);
        close(f->fd);
        assert_int_equal(pump(f, f->lfd, 0), 0);
        f->fd = accept(f->lfd, NULL, NULL);
        assert_int_equal(pump(f, -1, LINK_CONNECTED), 0);
        f->answer = 0;
        uint8_t buf[8];
        send_frame(f, (const uint8_t[]){0x00, 0xA4, 0x04, 0x00}, 4);
        assert_int_equal(recv_frame(f, buf, sizeof(buf)), 3);
}

/* Frames that came while an answer waited for room in the socket are answered once it has
 * gone out, without new data to wake the link up. */
static void frames_behind_a_slow_answer(void **state)
{
        struct fake *f = *state;
        enum { N = 200, LEN = 60000 };
        f->answer_len = LEN;
        for (int i = 0; i < N; i++)
                send_frame(f, (const uint8_t[]){0x00, (uint8_t)i, 0x00, 0x00}, 4);
        for (int i = 0; i < 20; i++) /* answers fill the socket buffers */
                sd_event_run(f->e, 1000);
        uint8_t *buf = malloc(FRAME_HEADER + LEN);
        size_t frames = 0, have = 0;
        for (int idle = 0; frames < N && idle < 2000;) {
                ssize_t n = recv(f->fd, buf + have, FRAME_HEADER + LEN - have, MSG_DONTWAIT);
                if (n > 0) {
                        have += (size_t)n;
                        idle = 0;
                } else {
                        sd_event_run(f->e, 5000);
                        idle++;
                }
                if (have == FRAME_HEADER + LEN) {
                        assert_int_equal((size_t)buf[0] << 8 | buf[1], LEN);
                        assert_int_equal(buf[2], (uint8_t)frames);
                        frames++;
                        have = 0;
                }
        }
        free(buf);
        assert_int_equal(frames, N);
        assert_int_equal(f->apdus, N);
        assert_int_equal(link_state(f->link), LINK_CONNECTED);
}

/* A socket connected to a listener on 127.0.0.1 (port 0: any) that a child owns as uid; the
 * child waits on its end of `hold` and exits when it closes. */
static int connect_to_listener_of(uid_t uid, int hold[2], pid_t *child)
{
        int ready[2];
        uint16_t port = 0;
        assert_int_equal(pipe(ready), 0);
        assert_int_equal(pipe(hold), 0);
        *child = fork();
        assert_true(*child >= 0);
        if (*child == 0) {
                struct sockaddr_in a = {.sin_family = AF_INET,
                                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
                socklen_t len = sizeof(a);
                int l = -1;
                char c;
                close(hold[1]); /* the parent's: its closing ends this child */
                if (setresuid(uid, uid, uid) == 0 && (l = socket(AF_INET, SOCK_STREAM, 0)) >= 0 &&
                    bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, 1) == 0 &&
                    getsockname(l, (struct sockaddr *)&a, &len) == 0)
                        port = ntohs(a.sin_port);
                if (write(ready[1], &port, sizeof(port)) != sizeof(port) ||
                    read(hold[0], &c, 1) < 0)
                        _exit(1);
                _exit(0);
        }
        close(hold[0]);
        assert_int_equal(read(ready[0], &port, sizeof(port)), sizeof(port));
        close(ready[0]);
        close(ready[1]);
        assert_true(port != 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons(port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        return fd;
}

/* Who listens at the other end, as the kernel says: our own listener, another user's */
static void listener_owner(void **state)
{
        (void)state;
        int hold[2];
        pid_t child;
        uid_t uid = VT_UID_NONE;
        int fd = connect_to_listener_of(geteuid(), hold, &child);
        assert_int_equal(peer_uid(fd, &uid), 0);
        assert_int_equal(uid, geteuid());
        assert_true(peer_uid_trusted(uid, VT_UID_NONE));
        assert_true(peer_is_loopback(fd));
        close(fd);
        close(hold[1]);
        waitpid(child, NULL, 0);
        if (geteuid() != 0)
                return; /* only root can listen as another user */
        fd = connect_to_listener_of(65534, hold, &child);
        assert_int_equal(peer_uid(fd, &uid), 0);
        assert_int_equal(uid, 65534);
        assert_false(peer_uid_trusted(uid, VT_UID_NONE));
        assert_true(peer_uid_trusted(uid, 65534));
        close(fd);
        close(hold[1]);
        waitpid(child, NULL, 0);
}

/* A listener of another user accepts our connection and yields the port to a trusted one: the
 * connection still ends at the other user's socket, and that is who is named. */
static void yielded_port(void **state)
{
        (void)state;
        if (geteuid() != 0) {
                skip(); /* only root can listen as another user */
                return;
        }
        static const int one = 1;
        int ready[2], hold[2];
        uint16_t port = 0;
        char c;
        assert_int_equal(pipe(ready), 0);
        assert_int_equal(pipe(hold), 0);
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                struct sockaddr_in a = {.sin_family = AF_INET,
                                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
                socklen_t len = sizeof(a);
                int l = -1, conn;
                close(hold[1]);
                if (setresuid(65534, 65534, 65534) == 0 &&
                    (l = socket(AF_INET, SOCK_STREAM, 0)) >= 0 &&
                    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
                    bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, 1) == 0 &&
                    getsockname(l, (struct sockaddr *)&a, &len) == 0)
                        port = ntohs(a.sin_port);
                if (write(ready[1], &port, sizeof(port)) != sizeof(port))
                        _exit(1);
                /* accepts the connection, then gives the port up */
                if ((conn = accept(l, NULL, NULL)) < 0 || close(l) < 0 ||
                    write(ready[1], &port, sizeof(port)) != sizeof(port) ||
                    read(hold[0], &c, 1) < 0)
                        _exit(1);
                close(conn);
                _exit(0);
        }
        close(hold[0]);
        assert_int_equal(read(ready[0], &port, sizeof(port)), sizeof(port));
        assert_true(port != 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons(port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(read(ready[0], &port, sizeof(port)), sizeof(port)); /* yielded */
        /* a trusted listener (ours, root) takes the port now */
        int trusted = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(setsockopt(trusted, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
        assert_int_equal(bind(trusted, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(listen(trusted, 1), 0);
        uid_t uid = VT_UID_NONE;
        assert_int_equal(peer_uid(fd, &uid), 0);
        assert_int_equal(uid, 65534);
        assert_false(peer_uid_trusted(uid, VT_UID_NONE));
        close(trusted);
        close(fd);
        close(hold[1]);
        close(ready[0]);
        close(ready[1]);
        waitpid(child, NULL, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(control_codes, setup, teardown),
            cmocka_unit_test_setup_teardown(stale_pcscd_pulled_once, setup, teardown),
            cmocka_unit_test_setup_teardown(apdu_and_largest_frame, setup, teardown),
            cmocka_unit_test_setup_teardown(reconnects, setup, teardown),
            cmocka_unit_test_setup_teardown(removal, setup, teardown),
            cmocka_unit_test_setup_teardown(broken_stream, setup, teardown),
            cmocka_unit_test_setup_teardown(hang_up_wipes, setup, teardown),
            cmocka_unit_test_setup_teardown(deferred_answer, setup, teardown),
            cmocka_unit_test_setup_teardown(pending_then_removed, setup, teardown),
            cmocka_unit_test_setup_teardown(dropped_mid_command, setup, teardown),
            cmocka_unit_test_setup_teardown(frames_behind_a_slow_answer, setup, teardown),
            cmocka_unit_test(listener_owner),
            cmocka_unit_test(yielded_port),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
