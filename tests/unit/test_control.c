/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket and its verbs: request lines split into words, fault descriptions parsed,
 * faults matched and spent, requests answered, and the socket itself (mode 0600, a stale socket
 * replaced, oversized and malformed requests answered with an error, the daemon unaffected). */
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

#include "control.h"
#include "fault.h"
#include "manager.h"
#include "profile.h"
#include "served.h"
#include "store_test.h"
#include "verbs.h"

static void split(void **state)
{
        (void)state;
        char *w[REQUEST_WORDS_MAX];
        char a[] = "  fault\tcard0  sw 6A82 ";
        assert_int_equal(request_split(a, w, REQUEST_WORDS_MAX), 4);
        assert_string_equal(w[0], "fault");
        assert_string_equal(w[1], "card0");
        assert_string_equal(w[2], "sw");
        assert_string_equal(w[3], "6A82");
        char empty[] = " \t ";
        assert_int_equal(request_split(empty, w, REQUEST_WORDS_MAX), 0);
        char ctl[] = "status\x01";
        assert_int_equal(request_split(ctl, w, REQUEST_WORDS_MAX), -1);
        char esc[] = "status \x1b[2J";
        assert_int_equal(request_split(esc, w, REQUEST_WORDS_MAX), -1);
        char many[] = "a b c d";
        assert_int_equal(request_split(many, w, 3), -1);
}

/* control_input: when the bytes received make a request line, and what line */
static void input_lines(void **state)
{
        (void)state;
        char in[CONTROL_LINE_MAX + 1];
        snprintf(in, sizeof(in), "status");
        assert_int_equal(control_input(in, 6, false), CONTROL_MORE);
        assert_int_equal(control_input(in, 6, true), CONTROL_LINE); /* the client shut down */
        assert_string_equal(in, "status");
        snprintf(in, sizeof(in), "status --json\r\nmore");
        assert_int_equal(control_input(in, strlen(in), false), CONTROL_LINE);
        assert_string_equal(in, "status --json");
        memcpy(in, "sta\0tus\n", 9);
        in[9] = '\0';
        assert_int_equal(control_input(in, 9, false), CONTROL_MALFORMED);
        memset(in, 'a', CONTROL_LINE_MAX);
        in[CONTROL_LINE_MAX] = '\0';
        assert_int_equal(control_input(in, CONTROL_LINE_MAX - 1, false), CONTROL_MORE);
        assert_int_equal(control_input(in, CONTROL_LINE_MAX, false), CONTROL_TOO_LONG);
}

static struct fault parse_ok(const char *text)
{
        char buf[256], *w[16], err[256];
        snprintf(buf, sizeof(buf), "%s", text);
        int n = request_split(buf, w, 16);
        struct fault f;
        if (fault_parse(w, (size_t)n, &f, err, sizeof(err)) != 0)
                fail_msg("'%s' refused: %s", text, err);
        return f;
}

static void parse_bad(const char *text, const char *why)
{
        char buf[256], *w[16], err[256] = "";
        snprintf(buf, sizeof(buf), "%s", text);
        int n = request_split(buf, w, 16);
        struct fault f;
        if (fault_parse(w, (size_t)n, &f, err, sizeof(err)) != -1 || !strstr(err, why))
                fail_msg("'%s': expected an error mentioning '%s', got '%s'", text, why, err);
}

static void fault_words(void **state)
{
        (void)state;
        struct fault f = parse_ok("sw 6a82");
        assert_int_equal(f.kind, FAULT_SW);
        assert_int_equal(f.sw, 0x6A82);
        assert_int_equal(f.count, 1);
        assert_int_equal(f.ins, -1);
        f = parse_ok("sw 6982 --count 3 --ins 87");
        assert_int_equal(f.count, 3);
        assert_int_equal(f.ins, 0x87);
        assert_int_equal(parse_ok("delay 500ms").delay_us, 500000);
        assert_int_equal(parse_ok("delay 2s").delay_us, 2000000);
        assert_int_equal(parse_ok("delay 1.5s").delay_us, 1500000);
        assert_int_equal(parse_ok("delay 250us").delay_us, 250);
        /* a bare number has no unit: refused, naming the form that is accepted */
        parse_bad("delay 250",
                  "delay needs a unit: '250' is a bare number; write e.g. delay 250ms");
        parse_bad("delay 2", "delay 2ms or delay 2s");
        assert_int_equal(parse_ok("drop --ins 87").kind, FAULT_DROP);
        assert_int_equal(parse_ok("write-fail --count 2").kind, FAULT_WRITE_FAIL);

        f = parse_ok("sw 6982 --ins 87 --p2 9a --sticky");
        assert_true(f.sticky);
        assert_int_equal(f.p2, 0x9A);
        assert_int_equal(f.p1, -1);
        assert_int_equal(parse_ok("drop --p1 07").p1, 0x07);
        parse_bad("sw 6982 --sticky --count 2",
                  "bad option '--count': --count and --sticky exclude");
        parse_bad("sw 6982 --count 2 --sticky", "bad option '--sticky'");
        parse_bad("sw 6982 --sticky --sticky", "bad option '--sticky'");
        parse_bad("sw 6982 --p2 9", "bad option '--p2'");
        parse_bad("sw 6982 --p1", "bad option '--p1'");

        parse_bad("", "KIND is missing");
        parse_bad("sw", "4 hex digits");
        parse_bad("sw 6A8", "4 hex digits");
        parse_bad("sw 6A8G", "4 hex digits");
        parse_bad("sw 6A820", "4 hex digits");
        parse_bad("delay", "delay needs a time");
        parse_bad("delay 5m", "delay needs a time");
        parse_bad("delay -1s", "delay needs a time");
        parse_bad("delay 2h", "delay needs a time");
        parse_bad("delay 3601s", "delay needs a time");
        parse_bad("explode", "unknown KIND 'explode'");
        parse_bad("drop --count 0", "bad option '--count'");
        parse_bad("drop --count", "bad option '--count'");
        parse_bad("drop --count -1", "bad option '--count'");
        parse_bad("drop --count 99999999999999999999", "bad option '--count'");
        parse_bad("drop --ins 8", "bad option '--ins'");
        parse_bad("drop --ins XY", "bad option '--ins'");
        parse_bad("drop --colour red", "unknown option '--colour'");
        parse_bad("drop extra", "unexpected 'extra'");

        char d[96];
        f = parse_ok("sw 6982 --count 3 --ins 87");
        fault_describe(&f, 1, d, sizeof(d));
        assert_string_equal(d, "sw 6982 (3 left, INS 87 only)");
        fault_describe(&f, 0, d, sizeof(d));
        assert_string_equal(d, "sw 6982");
        f = parse_ok("delay 2s");
        fault_describe(&f, 1, d, sizeof(d));
        assert_string_equal(d, "delay 2000 ms (1 left)");
        f = parse_ok("sw 6982 --sticky --ins 87 --p1 07 --p2 9a");
        fault_describe(&f, 1, d, sizeof(d));
        assert_string_equal(d, "sw 6982 (sticky, INS 87 P1 07 P2 9A only)");
}

static void faults_match_and_spend(void **state)
{
        (void)state;
        struct faults fs = {0};
        struct fault sw = parse_ok("sw 6A82 --ins 87 --count 2"), drop = parse_ok("drop"),
                     wf = parse_ok("write-fail --ins 24");
        assert_int_equal(faults_add(&fs, &sw), 0);
        assert_int_equal(faults_add(&fs, &wf), 0);
        assert_int_equal(faults_add(&fs, &drop), 0);
        const uint8_t select[] = {0x00, 0xA4, 0x04, 0x00}, sign[] = {0x00, 0x87, 0x07, 0x9A},
                      change[] = {0x00, 0x24, 0x00, 0x80};
        /* a SELECT: not the sw fault (INS 87 only), not the write-fail; the drop */
        assert_int_equal(faults_find(&fs, select, 4, false), 2);
        assert_int_equal(faults_find(&fs, select, 4, true), -1);
        assert_int_equal(faults_find(&fs, sign, 4, false), 0);
        assert_int_equal(faults_find(&fs, change, 4, true), 1);
        assert_int_equal(faults_find(&fs, change, 4, false), 2);
        faults_spend(&fs, 0);
        assert_int_equal(fs.n, 3);
        assert_int_equal(fs.list[0].count, 1);
        faults_spend(&fs, 0); /* the last one: gone, the rest move up */
        assert_int_equal(fs.n, 2);
        assert_int_equal(fs.list[0].kind, FAULT_WRITE_FAIL);
        assert_int_equal(faults_find(&fs, sign, 4, false), 1);
        faults_spend(&fs, 7); /* out of range: nothing */
        assert_int_equal(fs.n, 2);
        /* a sticky fault of one key: every GENERAL AUTHENTICATE of 9C, never spent */
        struct faults st = {0};
        struct fault key = parse_ok("sw 6982 --ins 87 --p2 9c --sticky");
        const uint8_t sign9c[] = {0x00, 0x87, 0x07, 0x9C};
        assert_int_equal(faults_add(&st, &key), 0);
        assert_int_equal(faults_find(&st, sign, 4, false), -1);
        assert_int_equal(faults_find(&st, sign9c, 3, false), -1); /* no P2: no match */
        for (int i = 0; i < 5; i++) {
                assert_int_equal(faults_find(&st, sign9c, 4, false), 0);
                faults_spend(&st, 0);
        }
        assert_int_equal(st.n, 1);
        for (int i = 0; i < FAULTS_MAX - 2; i++)
                assert_int_equal(faults_add(&fs, &drop), 0);
        assert_int_equal(faults_add(&fs, &drop), -1);
}

static char *execute(struct manager *m, const char *request)
{
        static char out[4096];
        char line[1024];
        snprintf(line, sizeof(line), "%s", request);
        FILE *f = fmemopen(out, sizeof(out), "w");
        manager_execute(m, line, f);
        fclose(f);
        return out;
}

static void requests(void **state)
{
        (void)state;
        struct manager *m;
        assert_int_equal(manager_new(&m), 0);
        assert_string_equal(execute(m, "status"), "ok\nno card served\n");
        assert_string_equal(execute(m, "status --json"), "ok\n{\"cards\":[]}\n");
        assert_string_equal(execute(m, "status --yaml"), "error: usage: status [--json]\n");
        assert_string_equal(execute(m, ""), "error: empty request\n");
        assert_string_equal(execute(m, "status\x7f\x01"), "error: malformed request\n");
        assert_string_equal(execute(m, "launch card0"),
                            "error: unknown request 'launch': expected status, insert, "
                            "remove, reset, trace, fault or touch\n");
        assert_string_equal(execute(m, "remove"), "error: remove needs a CARD\n");
        assert_string_equal(execute(m, "remove card9"), "error: unknown card 'card9'\n");
        assert_string_equal(execute(m, "fault card9 drop"), "error: unknown card 'card9'\n");
        assert_string_equal(execute(m, "a b c d e f g h i j k l m n o p q"),
                            "error: malformed request\n");
        manager_free(m);
}

/* ---- the verbs on a manager with cards ---------------------------------------------------- */

struct cards_test {
        char dir[64];
        struct manager *m;
};

static int cards_setup(void **state)
{
        struct cards_test *t = calloc(1, sizeof(*t));
        struct conf conf = {.log_level = 3};
        char err[512];
        assert_non_null(t);
        snprintf(t->dir, sizeof(t->dir), "/tmp/vt-verbs-XXXXXX");
        assert_non_null(mkdtemp(t->dir));
        for (int i = 0; i < 2; i++) {
                struct conf_card *cc = &conf.cards[conf.n_cards++];
                snprintf(cc->name, sizeof(cc->name), "card%d", i);
                snprintf(cc->image, sizeof(cc->image), "%s/img%d", t->dir, i);
                snprintf(cc->profile, sizeof(cc->profile), "piv");
                snprintf(cc->host, sizeof(cc->host), "127.0.0.1");
                cc->port = 9; /* nothing listens: the card waits for vpcd */
                cc->touch_timeout_ms = 15000;
                struct vt_init_opts o = {.profile = "piv"};
                o.generate[o.n_generate++] = (struct vt_init_key){.slot = 0x9E, .alg = VT_ALG_P256};
                if (vt_image_create(cc->image, &o, err, sizeof(err)) < 0)
                        fail_msg("image: %s", err);
        }
        assert_int_equal(manager_new(&t->m), 0);
        assert_int_equal(manager_start(t->m, &conf), 2);
        *state = t;
        return 0;
}

static int cards_teardown(void **state)
{
        struct cards_test *t = *state;
        manager_free(t->m);
        rm_rf(t->dir);
        free(t);
        return 0;
}

static void verbs_with_cards(void **state)
{
        struct cards_test *t = *state;
        struct manager *m = t->m;
        char *out = execute(m, "status");
        assert_non_null(strstr(out, "ok\ncard0: vpcd 127.0.0.1:9 waiting, unpowered, applet none, "
                                    "PIN not verified, PIN tries left 3/3, PUK tries left 3/3, 0 "
                                    "commands, trace off, faults none\n"));
        assert_non_null(strstr(out, "\ncard1: vpcd 127.0.0.1:9 waiting"));
        out = execute(m, "status --json");
        assert_non_null(strstr(out, "{\"cards\":[{\"name\":\"card0\""));
        assert_non_null(strstr(out, "},{\"name\":\"card1\""));

        assert_string_equal(execute(m, "remove card0"), "ok\n");
        assert_non_null(strstr(execute(m, "status"), "card0: vpcd 127.0.0.1:9 removed"));
        assert_string_equal(execute(m, "insert card0"), "ok\n");
        assert_string_equal(execute(m, "reset card1"), "ok\n");
        assert_string_equal(execute(m, "reset card1 now"), "error: usage: reset CARD\n");
        assert_string_equal(execute(m, "touch card0"),
                            "error: card0: no command is waiting for a touch\n");

        assert_string_equal(execute(m, "fault card1 sw 6982 --ins 87 --count 2"),
                            "ok\ncard1: fault armed: sw 6982 (2 left, INS 87 only)\n");
        assert_non_null(strstr(execute(m, "status"), "faults sw 6982 (2 left, INS 87 only)\n"));
        assert_non_null(strstr(execute(m, "status"), "card0: vpcd 127.0.0.1:9 waiting, unpowered, "
                                                     "applet none, PIN not verified, PIN tries "
                                                     "left 3/3, PUK tries left 3/3, 0 commands, "
                                                     "trace off, faults none"));
        assert_string_equal(execute(m, "fault card1 clear"), "ok\n");
        assert_null(strstr(execute(m, "status"), "6982"));
        assert_non_null(strstr(execute(m, "fault card1 sw 69"), "error: "));

        char trace[128], req[200];
        snprintf(trace, sizeof(trace), "%s/t.log", t->dir);
        snprintf(req, sizeof(req), "trace card0 on %s", trace);
        assert_string_equal(execute(m, req), "ok\n");
        snprintf(req, sizeof(req), "trace %s", trace);
        assert_non_null(strstr(execute(m, "status"), req));
        struct stat st;
        assert_int_equal(stat(trace, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_string_equal(execute(m, "trace card0 off"), "ok\n");
        assert_string_equal(execute(m, "trace card0 on relative.log"),
                            "error: usage: trace CARD on [/ABSOLUTE/FILE] [--json] | trace CARD "
                            "off\n");
        assert_string_equal(execute(m, "insert card2"), "error: unknown card 'card2'\n");
}

/* ---- the socket, driven through the event loop ------------------------------------------ */

struct sock_test {
        char dir[64], path[128];
        struct manager *m;
};

static int sock_setup(void **state)
{
        struct sock_test *t = calloc(1, sizeof(*t));
        snprintf(t->dir, sizeof(t->dir), "/tmp/vt-ctl-XXXXXX");
        assert_non_null(mkdtemp(t->dir));
        snprintf(t->path, sizeof(t->path), "%s/control.sock", t->dir);
        assert_int_equal(manager_new(&t->m), 0);
        *state = t;
        return 0;
}

static int sock_teardown(void **state)
{
        struct sock_test *t = *state;
        manager_free(t->m);
        unlink(t->path);
        rmdir(t->dir);
        free(t);
        return 0;
}

/* Sends request (len bytes), runs the loop until the daemon closes, returns the reply. */
static char *ask(struct sock_test *t, const char *request, size_t len)
{
        static char reply[8192];
        size_t have = 0, sent = 0;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", t->path);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        bool shut = false;
        for (int i = 0; i < 20000; i++) {
                if (sent < len) {
                        ssize_t n = send(fd, request + sent, len - sent, MSG_NOSIGNAL);
                        if (n > 0)
                                sent += (size_t)n;
                        else if (n < 0 && errno != EAGAIN)
                                sent = len; /* the daemon stopped reading */
                }
                if (sent == len && !shut) {
                        shutdown(fd, SHUT_WR);
                        shut = true;
                }
                sd_event_run(t->m->event, 1000);
                ssize_t n = recv(fd, reply + have, sizeof(reply) - 1 - have, 0);
                if (n == 0)
                        break;
                if (n > 0)
                        have += (size_t)n;
        }
        close(fd);
        reply[have] = '\0';
        return reply;
}

static void socket_end_to_end(void **state)
{
        struct sock_test *t = *state;
        /* a stale socket file from a daemon that died is replaced */
        int stale = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", t->path);
        assert_int_equal(bind(stale, (struct sockaddr *)&sa, sizeof(sa)), 0);
        close(stale);

        unsetenv("LISTEN_FDS");
        assert_int_equal(control_start(t->m->event, t->path, manager_execute, t->m, &t->m->control),
                         0);
        assert_non_null(t->m->control);
        assert_string_equal(control_path(t->m->control), t->path);
        struct stat st;
        assert_int_equal(stat(t->path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0600);

        /* a second daemon on the same live socket is refused */
        struct control *other;
        assert_int_equal(control_start(t->m->event, t->path, manager_execute, t->m, &other),
                         -EADDRINUSE);

        assert_string_equal(ask(t, "status\n", 7), "ok\nno card served\n");
        assert_string_equal(ask(t, "status --json\r\n", 15), "ok\n{\"cards\":[]}\n");
        assert_string_equal(ask(t, "status", 6), "ok\nno card served\n"); /* no newline, then EOF */
        assert_string_equal(ask(t, "bogus\n", 6),
                            "error: unknown request 'bogus': expected status, insert, "
                            "remove, reset, trace, fault or touch\n");
        assert_string_equal(ask(t, "stat\0us\n", 8), "error: malformed request\n");
        static char big[100000];
        memset(big, 'a', sizeof(big));
        assert_string_equal(ask(t, big, sizeof(big)),
                            "error: request too long (at most 1024 bytes with its newline)\n");
        memset(big, 's', CONTROL_LINE_MAX);
        big[CONTROL_LINE_MAX] = '\n';
        assert_string_equal(ask(t, big, CONTROL_LINE_MAX + 1),
                            "error: request too long (at most 1024 bytes with its newline)\n");
        memcpy(big, "status", 6);
        memset(big + 6, ' ', CONTROL_LINE_MAX - 7);
        big[CONTROL_LINE_MAX - 1] = '\n';
        assert_string_equal(ask(t, big, CONTROL_LINE_MAX),
                            "ok\nno card served\n"); /* the largest line: 1024 bytes */
        /* and still serving */
        assert_string_equal(ask(t, "status\n", 7), "ok\nno card served\n");

        control_free(t->m->control);
        t->m->control = NULL;
        assert_int_equal(stat(t->path, &st), -1); /* removed at the end */
}

static void no_socket_without_a_path(void **state)
{
        struct sock_test *t = *state;
        struct control *c = (struct control *)1;
        unsetenv("LISTEN_FDS");
        unsetenv("RUNTIME_DIRECTORY");
        assert_int_equal(control_start(t->m->event, "", manager_execute, t->m, &c), 0);
        assert_null(c);
        setenv("RUNTIME_DIRECTORY", t->dir, 1);
        assert_int_equal(control_start(t->m->event, NULL, manager_execute, t->m, &c), 0);
        assert_non_null(c);
        assert_string_equal(control_path(c), t->path);
        control_free(c);
        unsetenv("RUNTIME_DIRECTORY");
        assert_int_equal(
            control_start(t->m->event, "/nonexistent/dir/control.sock", manager_execute, t->m, &c),
            -ENOENT);
}

/* A directory others may write is refused: they could put their own socket in its place */
static void socket_directory_checked(void **state)
{
        struct sock_test *t = *state;
        struct control *c = NULL;
        char link[sizeof(t->dir) + 8], path[sizeof(link) + 16];
        assert_int_equal(chmod(t->dir, 0777), 0);
        assert_int_equal(control_start(t->m->event, t->path, manager_execute, t->m, &c), -EPERM);
        assert_int_equal(chmod(t->dir, 01777), 0);
        assert_int_equal(control_start(t->m->event, t->path, manager_execute, t->m, &c), -EPERM);
        assert_null(c);
        assert_int_equal(access(t->path, F_OK), -1);
        assert_int_equal(chmod(t->dir, 0700), 0);
        snprintf(link, sizeof(link), "%s.link", t->dir);
        snprintf(path, sizeof(path), "%s/control.sock", link);
        assert_int_equal(symlink(t->dir, link), 0);
        assert_int_equal(control_start(t->m->event, path, manager_execute, t->m, &c), -ENOTDIR);
        unlink(link);
        if (geteuid() == 0) {
                assert_int_equal(chown(t->dir, 65534, 65534), 0);
                assert_int_equal(control_start(t->m->event, t->path, manager_execute, t->m, &c),
                                 -EPERM);
                assert_int_equal(chown(t->dir, 0, 0), 0);
        }
        assert_int_equal(control_start(t->m->event, t->path, manager_execute, t->m, &c), 0);
        control_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(split),
            cmocka_unit_test(input_lines),
            cmocka_unit_test(fault_words),
            cmocka_unit_test(faults_match_and_spend),
            cmocka_unit_test(requests),
            cmocka_unit_test_setup_teardown(verbs_with_cards, cards_setup, cards_teardown),
            cmocka_unit_test_setup_teardown(socket_end_to_end, sock_setup, sock_teardown),
            cmocka_unit_test_setup_teardown(no_socket_without_a_path, sock_setup, sock_teardown),
            cmocka_unit_test_setup_teardown(socket_directory_checked, sock_setup, sock_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
