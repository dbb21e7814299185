/* SPDX-License-Identifier: Apache-2.0 */
/* vtokend's end of the driver link (daemon/drvlink.c) against a stand-in for the driver: HELLO
 * on connecting, power and APDUs answered, one driver at a time, removal closing the connection
 * and the reconnected driver told the reader is empty until the card is back, WAIT while an
 * answer is pending, a stale socket replaced and a live one left alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "drvlink.h"
#include "peer.h"
#include "vtlink.h"

struct fake {
        sd_event *e;
        char dir[64], path[128];
        struct link *link;
        int powers[16];
        size_t n_powers;
        bool pend; /* the next APDU is answered later */
};

static size_t h_apdu(void *u, const uint8_t *cmd, size_t len, uint8_t *out)
{
        struct fake *f = u;
        (void)len;
        if (f->pend)
                return LINK_APDU_PENDING;
        out[0] = cmd[1]; /* echo INS, then 90 00 */
        out[1] = 0x90;
        out[2] = 0x00;
        return 3;
}

static size_t h_atr(void *u, uint8_t *out)
{
        (void)u;
        memcpy(out, "\x3b\x88\x01\x50", 4);
        return 4;
}

static void h_power(void *u, enum link_power p)
{
        struct fake *f = u;
        if (f->n_powers < 16)
                f->powers[f->n_powers++] = (int)p;
}

static int dial(const char *path)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        return fd;
}

/* Runs the loop until fd is readable. */
static void pump(struct fake *f, int fd)
{
        for (int i = 0; i < 1000; i++) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (poll(&p, 1, 0) == 1)
                        return;
                sd_event_run(f->e, 5000);
        }
        fail_msg("nothing came from vtokend");
}

/* Reads one message (type returned, body into body); -1 at end of file. */
static int next(struct fake *f, int fd, uint8_t *body, size_t *len)
{
        uint8_t h[VTL_HEADER];
        pump(f, fd);
        ssize_t n = recv(fd, h, sizeof(h), MSG_WAITALL);
        if (n == 0)
                return -1;
        assert_int_equal(n, VTL_HEADER);
        *len = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
        if (*len)
                assert_int_equal(recv(fd, body, *len, MSG_WAITALL), (ssize_t)*len);
        return h[0];
}

static void ask(struct fake *f, int fd, uint8_t type, const char *body, size_t len)
{
        uint8_t m[64];
        memcpy(m + VTL_HEADER, body, len);
        size_t n = vtl_seal(m, type, len);
        assert_int_equal(write(fd, m, n), (ssize_t)n);
        sd_event_run(f->e, 0);
}

static int setup(void **state)
{
        struct fake *f = calloc(1, sizeof(*f));
        snprintf(f->dir, sizeof(f->dir), "/tmp/vt-drvlink.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->path, sizeof(f->path), "%s/c.sock", f->dir);
        assert_int_equal(sd_event_new(&f->e), 0);
        const struct link_handler h = {.user = f, .apdu = h_apdu, .atr = h_atr, .power = h_power};
        char err[256];
        assert_int_equal(
            drv_link_new(f->e, "c", f->path, VT_UID_NONE, &h, &f->link, err, sizeof(err)), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fake *f = *state;
        link_free(f->link);
        struct stat st;
        assert_int_equal(lstat(f->path, &st), -1); /* the socket went with the link */
        sd_event_unref(f->e);
        rmdir(f->dir);
        free(f);
        return 0;
}

static void hello_power_apdu(void **state)
{
        struct fake *f = *state;
        struct stat st;
        assert_int_equal(lstat(f->path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0600);
        int fd = dial(f->path);
        uint8_t body[VTL_BODY_MAX];
        size_t len;
        assert_int_equal(next(f, fd, body, &len), VTL_HELLO);
        assert_int_equal(len, 2);
        assert_memory_equal(body, "\x01\x01", 2);
        assert_int_equal(link_state(f->link), LINK_CONNECTED);
        ask(f, fd, VTL_POWER_ON, "", 0);
        assert_int_equal(next(f, fd, body, &len), VTL_ATR);
        assert_memory_equal(body, "\x3b\x88\x01\x50", 4);
        assert_int_equal(link_state(f->link), LINK_POWERED);
        ask(f, fd, VTL_APDU, "\x00\xca\x00\x00", 4);
        assert_int_equal(next(f, fd, body, &len), VTL_RAPDU);
        assert_memory_equal(body, "\xca\x90\x00", 3);
        ask(f, fd, VTL_POWER_OFF, "", 0);
        assert_int_equal(next(f, fd, body, &len), VTL_DONE);
        assert_int_equal(link_state(f->link), LINK_CONNECTED);
        /* a second driver while the first is connected: refused */
        int fd2 = dial(f->path);
        assert_int_equal(next(f, fd2, body, &len), -1);
        close(fd2);
        /* the first driver goes: the card is powered off, vtokend waits for the next */
        close(fd);
        for (int i = 0; i < 100 && link_state(f->link) != LINK_WAITING; i++)
                sd_event_run(f->e, 5000);
        assert_int_equal(link_state(f->link), LINK_WAITING);
}

static void remove_insert(void **state)
{
        struct fake *f = *state;
        uint8_t body[VTL_BODY_MAX];
        size_t len;
        int fd = dial(f->path);
        assert_int_equal(next(f, fd, body, &len), VTL_HELLO);
        link_remove(f->link);
        assert_int_equal(link_state(f->link), LINK_REMOVED);
        assert_int_equal(next(f, fd, body, &len), -1); /* removal closes the connection */
        close(fd);
        fd = dial(f->path); /* the driver, back at once */
        assert_int_equal(next(f, fd, body, &len), VTL_HELLO);
        assert_memory_equal(body, "\x01\x00", 2); /* an empty reader */
        ask(f, fd, VTL_APDU, "\x00\xca\x00\x00", 4);
        assert_int_equal(next(f, fd, body, &len), VTL_NOCARD);
        link_insert(f->link);
        assert_int_equal(next(f, fd, body, &len), VTL_PRESENT);
        assert_int_equal(link_state(f->link), LINK_CONNECTED);
        close(fd);
}

static void pending_answer(void **state)
{
        struct fake *f = *state;
        uint8_t body[VTL_BODY_MAX];
        size_t len;
        int fd = dial(f->path);
        assert_int_equal(next(f, fd, body, &len), VTL_HELLO);
        f->pend = true;
        ask(f, fd, VTL_APDU, "\x00\x87\x07\x9a", 4);
        assert_int_equal(next(f, fd, body, &len), VTL_WAIT); /* within VTL_WAIT_MS */
        assert_int_equal(link_respond(f->link, (const uint8_t *)"\x69\x82", 2), 0);
        assert_int_equal(next(f, fd, body, &len), VTL_RAPDU);
        assert_memory_equal(body, "\x69\x82", 2);
        assert_int_equal(link_respond(f->link, (const uint8_t *)"\x90\x00", 2), -EINVAL);
        close(fd);
}

static void stale_and_live_sockets(void **state)
{
        struct fake *f = *state;
        const struct link_handler h = {.user = f, .apdu = h_apdu, .atr = h_atr, .power = h_power};
        char err[256];
        struct link *other = NULL;
        /* a live socket (this link's) is left alone */
        assert_int_equal(
            drv_link_new(f->e, "d", f->path, VT_UID_NONE, &h, &other, err, sizeof(err)),
            -EADDRINUSE);
        assert_non_null(strstr(err, "in use by another process"));
        /* a stale one (a vtokend killed) is replaced */
        char stale[160];
        snprintf(stale, sizeof(stale), "%s/s.sock", f->dir);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof(a.sun_path), "%s", stale);
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
        close(s);
        assert_int_equal(drv_link_new(f->e, "d", stale, VT_UID_NONE, &h, &other, err, sizeof(err)),
                         0);
        int fd = dial(stale);
        uint8_t body[VTL_BODY_MAX];
        size_t len;
        assert_int_equal(next(f, fd, body, &len), VTL_HELLO);
        close(fd);
        link_free(other);
        /* not a socket: refused, not removed */
        int file = open(stale, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        close(file);
        assert_int_equal(drv_link_new(f->e, "d", stale, VT_UID_NONE, &h, &other, err, sizeof(err)),
                         -EEXIST);
        assert_non_null(strstr(err, "is not a socket"));
        unlink(stale);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(hello_power_apdu, setup, teardown),
            cmocka_unit_test_setup_teardown(remove_insert, setup, teardown),
            cmocka_unit_test_setup_teardown(pending_answer, setup, teardown),
            cmocka_unit_test_setup_teardown(stale_and_live_sockets, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
