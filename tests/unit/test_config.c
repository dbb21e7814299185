/* SPDX-License-Identifier: Apache-2.0 */
/* vtokend.conf: valid files, and errors that name the file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "peer.h"

static char path[64];

static int load(const char *text, struct conf *c, char *err, size_t n)
{
        snprintf(path, sizeof(path), "/tmp/vt-conf-XXXXXX");
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        int r = conf_load(path, c, err, n);
        unlink(path);
        return r;
}

static void expect_error(const char *text, int line, const char *what)
{
        struct conf c;
        char err[1200], want[128];
        assert_int_equal(load(text, &c, err, sizeof(err)), -EINVAL);
        snprintf(want, sizeof(want), "%s:%d: ", path, line);
        if (strncmp(err, want, strlen(want)) != 0 || !strstr(err, what))
                fail_msg("error '%s' does not start with '%s' and mention '%s'", err, want, what);
}

static void valid(void **state)
{
        (void)state;
        struct conf c;
        char err[1200];
        assert_int_equal(load("[daemon]\ncontrol = /run/vtoken/control.sock ; a comment\n"
                              "[card ecert]\nimage = /var/lib/vtoken/ecert\nvpcd = "
                              "127.0.0.1:35963\nprofile = ecert\n"
                              "# another\n[card two]\nvpcd=localhost:35964\nimage=/x\n",
                              &c, err, sizeof(err)),
                         0);
        assert_string_equal(c.control, "/run/vtoken/control.sock");
        assert_int_equal(c.n_cards, 2);
        assert_string_equal(c.cards[0].name, "ecert");
        assert_string_equal(c.cards[0].image, "/var/lib/vtoken/ecert");
        assert_string_equal(c.cards[0].host, "127.0.0.1");
        assert_int_equal(c.cards[0].port, 35963);
        assert_string_equal(c.cards[0].profile, "ecert");
        assert_string_equal(c.cards[1].host, "localhost");
        assert_string_equal(c.cards[1].profile, "piv");
        assert_int_equal(c.cards[0].touch_timeout_ms, 15000); /* the default */
        assert_string_equal(c.trace, "");
}

/* pcscd-user: a name or a uid, given to every card wherever the [daemon] section is */
static void pcscd_user(void **state)
{
        (void)state;
        struct conf c;
        char err[1200];
        assert_int_equal(load("[card a]\nimage = /x\nvpcd = h:1\n", &c, err, sizeof(err)), 0);
        assert_int_equal(c.cards[0].pcscd_uid, VT_UID_NONE);
        assert_int_equal(load("[card a]\nimage = /x\nvpcd = h:1\n[daemon]\npcscd-user = nobody\n",
                              &c, err, sizeof(err)),
                         0);
        assert_int_equal(c.cards[0].pcscd_uid, 65534);
        assert_int_equal(load("[daemon]\npcscd-user = 1234\n[card a]\nimage = /x\nvpcd = h:1\n", &c,
                              err, sizeof(err)),
                         0);
        assert_int_equal(c.cards[0].pcscd_uid, 1234);
        expect_error("[daemon]\npcscd-user = no-such-user-here\n[card a]\nimage = /x\nvpcd = h:1\n",
                     2, "unknown pcscd-user");
}

/* one image, one card: PIN tries and changes of two cards on one image would overwrite each
 * other */
static void one_card_per_image(void **state)
{
        (void)state;
        expect_error(
            "[card a]\nimage = /srv/x\nvpcd = h:1\n[card b]\nimage = /srv//x/\nvpcd = h:2\n", 4,
            "image /srv//x/ is already card 'a'");
        expect_error(
            "[card a]\nimage = /srv/x\nvpcd = h:1\n\n[card b]\nimage = /srv/./x\nvpcd = h:2\n", 5,
            "already card 'a'");
        expect_error(
            "[card a]\nimage = /tmp\nvpcd = h:1\n[card b]\nimage = /tmp/../tmp\nvpcd = h:2\n", 4,
            "already card 'a'");
        struct conf c;
        char err[1200];
        assert_int_equal(load("[card a]\nimage = /srv/x\nvpcd = h:1\n[card b]\nimage = /srv/x2\n"
                              "vpcd = h:2\n",
                              &c, err, sizeof(err)),
                         0);
}

/* nothing silently overridden, nothing left to guess */
static void strictness(void **state)
{
        (void)state;
        expect_error("[card a]\nimage = /x\nvpcd = h:1\nimage = /y\n", 4,
                     "'image' is given twice in [card a]");
        expect_error("[card a]\nimage = /x\nvpcd = h:1\ntouch-timeout = 1\ntouch-timeout = 2\n", 5,
                     "'touch-timeout' is given twice");
        expect_error("[daemon]\ncontrol = /a\n[card a]\nimage = /x\nvpcd = h:1\n[daemon]\n"
                     "control = /b\n",
                     7, "'control' is given twice in [daemon]");
        expect_error("[card a]\nimage = /x\nvpcd = 127.0.0.1:35963\n[card b]\nimage = /y\n"
                     "vpcd = localhost:35963\n",
                     6, "vpcd localhost:35963 is already used by card 'a'");
        expect_error("[card a]\nimage = var/lib/x\nvpcd = h:1\n", 2,
                     "'image' must be an absolute path, not 'var/lib/x'");
        expect_error("[daemon]\ncontrol = control.sock\n[card a]\nimage = /x\nvpcd = h:1\n", 2,
                     "'control' must be an absolute path");
        expect_error("[daemon]\ntrace = ./t.txt\n[card a]\nimage = /x\nvpcd = h:1\n", 2,
                     "'trace' must be an absolute path");
        /* the same key in two cards is no repetition */
        struct conf c;
        char err[1200];
        assert_int_equal(
            load("[card a]\nimage = /x\nvpcd = h:1\n[card b]\nimage = /y\nvpcd = h:2\n", &c, err,
                 sizeof(err)),
            0);
        /* a directory given as the file */
        assert_int_equal(conf_load("/tmp", &c, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "/tmp is a directory: --config takes the configuration file "
                                 "itself (such as /tmp/vtokend.conf)");
}

static void resolve_hosts(void **state)
{
        (void)state;
        struct conf c;
        char err[1200];
        assert_int_equal(load("[card a]\nimage = /x\nvpcd = localhost:1\n\n[card b]\nimage = /y\n"
                              "vpcd = no-such-host.invalid:2\n",
                              &c, err, sizeof(err)),
                         0);
        assert_int_equal(conf_resolve_hosts(&c, err, sizeof(err)), -EINVAL);
        char want[128];
        snprintf(want, sizeof(want),
                 "%s:5: [card b]: cannot resolve vpcd host no-such-host.invalid", path);
        if (strncmp(err, want, strlen(want)) != 0)
                fail_msg("'%s' does not start with '%s'", err, want);
        c.n_cards = 1;
        assert_int_equal(conf_resolve_hosts(&c, err, sizeof(err)), 0);
}

static void trace_and_touch_timeout(void **state)
{
        (void)state;
        struct conf c;
        char err[1200];
        assert_int_equal(load("[daemon]\ntrace = /tmp/apdus.txt\n[card a]\nimage = /x\nvpcd = h:1\n"
                              "touch-timeout = 2.5\n",
                              &c, err, sizeof(err)),
                         0);
        assert_string_equal(c.trace, "/tmp/apdus.txt");
        assert_int_equal(c.cards[0].touch_timeout_ms, 2500);
        expect_error("[card a]\nimage = /x\nvpcd = h:1\ntouch-timeout = 0\n", 4,
                     "bad touch-timeout");
        expect_error("[card a]\nimage = /x\nvpcd = h:1\ntouch-timeout = 5s\n", 4,
                     "bad touch-timeout");
        expect_error("[card a]\nimage = /x\nvpcd = h:1\ntouch-timeout = 3601\n", 4,
                     "bad touch-timeout");
        expect_error("[daemon]\ntrace =\n[card a]\nimage = /x\nvpcd = h:1\n", 2, "empty value");
}

/* timing: a named table for one card, else the image's own (""). */
static void timing(void **state)
{
        (void)state;
        struct conf c;
        char err[1200];
        assert_int_equal(load("[card a]\nimage = /x\nvpcd = h:1\ntiming = yubikey5\n[card b]\n"
                              "image = /y\nvpcd = h:2\n",
                              &c, err, sizeof(err)),
                         0);
        assert_string_equal(c.cards[0].timing, "yubikey5");
        assert_string_equal(c.cards[1].timing, "");
        expect_error("[card a]\nimage = /x\nvpcd = h:1\ntiming = fast\n", 4,
                     "unknown timing 'fast': expected instant or yubikey5");
        expect_error("[card a]\nimage = /x\nvpcd = h:1\ntiming = instant\ntiming = yubikey5\n", 5,
                     "'timing' is given twice");
}

static void errors_name_the_line(void **state)
{
        (void)state;
        expect_error("[card a]\nimage = /x\n", 1, "missing key 'vpcd'");
        expect_error("[daemon]\n\n[card a]\nvpcd = 127.0.0.1:1\n", 3, "missing key 'image'");
        expect_error("[card a]\nimage = /x\nvpcd = 127.0.0.1:1\ncolour = red\n", 4,
                     "unknown key 'colour'");
        expect_error("[card a]\nimage = /x\nvpcd = 127.0.0.1:70000\n", 3, "bad vpcd endpoint");
        expect_error("[card a]\nimage = /x\nvpcd = 127.0.0.1\n", 3, "bad vpcd endpoint");
        expect_error("[card a]\nimage = /x\nvpcd = 127.0.0.1:0\n", 3, "bad vpcd endpoint");
        expect_error("[card a]\nimage = /x\nvpcd = 127.0.0.1:abc\n", 3, "bad vpcd endpoint");
        expect_error("[cards]\nx = 1\n", 1, "unknown section");
        expect_error("[card a]\nimage = /x\nvpcd = h:1\n[card a]\nimage = /y\n", 4,
                     "defined twice");
        expect_error("[card a]\nimage = /x\nvpcd = h:1\n[card b]\nimage = /y\nvpcd = h:1\n", 6,
                     "already used");
        expect_error("[card a]\nimage = /x\nvpcd = h:1\nprofile = yubikey\n", 4, "unknown profile");
        expect_error("[daemon]\nlog-level = loud\n", 2, "unknown log-level");
        expect_error("[daemon]\ncontrol = /x\n", 2, "no [card NAME] section");
        expect_error("[card a]\nthis line is not ini\n", 2, "syntax error");
        /* the header's line, not the first key's */
        char many[2048] = "";
        for (int i = 0; i <= VT_CONF_CARDS_MAX; i++)
                snprintf(many + strlen(many), sizeof(many) - strlen(many),
                         "[card c%d]\nimage = /x%d\nvpcd = h:%d\n", i, i, i + 1);
        expect_error(many, 3 * VT_CONF_CARDS_MAX + 1, "too many cards");
        /* vtoken ctl names a card by one word */
        expect_error("[daemon]\n[card my card]\nimage = /x\nvpcd = h:1\n", 2,
                     "card name 'my card'");
}

/* inih reads lines of at most 198 characters: a longer one is named, not split in two */
static void long_lines(void **state)
{
        (void)state;
        char text[1024], value[300];
        struct conf c;
        char err[1200];
        memset(value, 'x', sizeof(value) - 1);
        value[sizeof(value) - 1] = '\0';
        snprintf(text, sizeof(text), "[card a]\nimage = /%s\nvpcd = h:1\n", value);
        expect_error(text, 2, "line too long");
        snprintf(text, sizeof(text), "[card a]\nvpcd = h:1\nimage = /%s", value);
        expect_error(text, 3, "line too long"); /* the last line, without a newline */
        value[198 - strlen("image = /")] = '\0';
        snprintf(text, sizeof(text), "[card a]\nimage = /%s\nvpcd = h:1\n", value);
        assert_int_equal(load(text, &c, err, sizeof(err)), 0);
        assert_int_equal(strlen(c.cards[0].image), 198 - strlen("image = "));
        snprintf(text, sizeof(text), "[card a]\nvpcd = h:1\nimage = /%s", value);
        assert_int_equal(load(text, &c, err, sizeof(err)), 0);
}

/* A NUL byte is refused, naming its line and byte: the parser would end the line there, and
 * the rest of a long physical line would come back as a line of its own (one that reads as a
 * comment could set vpcd). */
static void nul_bytes(void **state)
{
        (void)state;
        char text[600], err[1200];
        struct conf c;
        size_t n = (size_t)snprintf(text, sizeof(text), "[card a]\nimage = /a\n; note");
        text[n++] = '\0';
        memset(text + n, ' ', 250);
        n += 250;
        n += (size_t)snprintf(text + n, sizeof(text) - n, "vpcd = 127.0.0.1:1\n");
        snprintf(path, sizeof(path), "/tmp/vt-conf-XXXXXX");
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, n), (ssize_t)n);
        close(fd);
        int r = conf_load(path, &c, err, sizeof(err));
        char want[128];
        snprintf(want, sizeof(want), "%s:3: a NUL byte at byte 7 of the line", path);
        unlink(path);
        assert_int_equal(r, -EINVAL);
        if (!strstr(err, want))
                fail_msg("error '%s' does not say '%s'", err, want);
        /* the same text, handed over without a file */
        assert_int_equal(conf_parse("text", text, n, &c, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "text:3: a NUL byte at byte 7"));
}

/* Only a regular file of bounded size is read: a device or a FIFO would never end. */
static void not_a_file(void **state)
{
        (void)state;
        struct conf c;
        char err[1200], fifo[64];
        assert_int_equal(conf_load("/dev/zero", &c, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "/dev/zero is not a regular file: the configuration is read from "
                                 "a file of text");
        snprintf(fifo, sizeof(fifo), "/tmp/vt-conf-fifo-%d", (int)getpid());
        assert_int_equal(mkfifo(fifo, 0600), 0);
        int r = conf_load(fifo, &c, err, sizeof(err)); /* nobody writes: it must not wait */
        unlink(fifo);
        assert_int_equal(r, -EINVAL);
        assert_non_null(strstr(err, "is not a regular file"));

        snprintf(path, sizeof(path), "/tmp/vt-conf-XXXXXX");
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (off_t)VT_CONF_SIZE_MAX + 1),
                         0); /* zeros, but it is the size */
        close(fd);
        r = conf_load(path, &c, err, sizeof(err));
        unlink(path);
        assert_int_equal(r, -EINVAL);
        assert_non_null(strstr(err, "is larger than 1024 KiB"));
}

static void missing_file(void **state)
{
        (void)state;
        struct conf c;
        char err[1200];
        assert_int_equal(conf_load("/nonexistent/vtokend.conf", &c, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "/nonexistent/vtokend.conf: No such file or directory");
}

static void default_card(void **state)
{
        (void)state;
        struct conf c;
        setenv("STATE_DIRECTORY", "/var/lib/vt-test:/other", 1);
        conf_default(&c);
        assert_int_equal(c.n_cards, 1);
        assert_string_equal(c.cards[0].image, "/var/lib/vt-test/default");
        assert_int_equal(c.cards[0].port, 35963);
        unsetenv("STATE_DIRECTORY");
        setenv("XDG_STATE_HOME", "/home/u/.local/state", 1);
        conf_default(&c);
        assert_string_equal(c.cards[0].image, "/home/u/.local/state/vtoken/default");
        unsetenv("XDG_STATE_HOME");
}

/* conf_parse reads a text as conf_load reads the file that holds it, and names it alike */
static void parse_from_text(void **state)
{
        (void)state;
        static const char text[] = "[daemon]\ncontrol = /run/v/c.sock\n[card a]\n"
                                   "image = /var/lib/a\nvpcd = 127.0.0.1:35964\n";
        struct conf file, mem;
        char err[600] = "", exact[sizeof(text) - 1];
        assert_int_equal(load(text, &file, err, sizeof(err)), 0);
        memcpy(exact, text, sizeof(exact)); /* no NUL after the text */
        assert_int_equal(conf_parse("mem.conf", exact, sizeof(exact), &mem, err, sizeof(err)), 0);
        assert_string_equal(mem.path, "mem.conf");
        assert_string_equal(mem.control, file.control);
        assert_int_equal(mem.n_cards, 1);
        assert_string_equal(mem.cards[0].name, file.cards[0].name);
        assert_string_equal(mem.cards[0].image, file.cards[0].image);
        assert_string_equal(mem.cards[0].host, file.cards[0].host);
        assert_int_equal(mem.cards[0].port, 35964);
        assert_int_equal(
            conf_parse("mem.conf", "[card a]\nimage = a\n", 19, &mem, err, sizeof(err)), -EINVAL);
        if (strncmp(err, "mem.conf:2: ", 12) != 0 || !strstr(err, "absolute path"))
                fail_msg("error '%s' should name mem.conf:2 and the absolute path", err);
        assert_int_equal(conf_parse("empty.conf", "", 0, &mem, err, sizeof(err)), -EINVAL);
        if (strncmp(err, "empty.conf:0: ", 14) != 0 || !strstr(err, "no [card NAME]"))
                fail_msg("error '%s' should name empty.conf and the missing card", err);
}

static void driver_transport(void **state)
{
        (void)state;
        struct conf c;
        char err[1200];
        assert_int_equal(
            load("[card a]\nimage = /a\nsocket = /run/vtoken/a.sock\ntransport = driver\n"
                 "[card b]\nimage = /b\ntransport = vpcd\nvpcd = 127.0.0.1:35963\n"
                 "[card c]\nimage = /c\nvpcd = 127.0.0.1:35964\n",
                 &c, err, sizeof(err)),
            0);
        assert_int_equal(c.cards[0].transport, CONF_TRANSPORT_DRIVER);
        assert_string_equal(c.cards[0].socket, "/run/vtoken/a.sock");
        assert_int_equal(c.cards[1].transport, CONF_TRANSPORT_VPCD);
        assert_int_equal(c.cards[2].transport, CONF_TRANSPORT_VPCD); /* the default */
        assert_int_equal(conf_resolve_hosts(&c, err, sizeof(err)), 0);

        expect_error("[card a]\nimage = /a\ntransport = driver\n", 1, "missing key 'socket'");
        expect_error("[card a]\nimage = /a\ntransport = usb\n", 3,
                     "unknown transport 'usb': expected vpcd or driver");
        expect_error("[card a]\nimage = /a\ntransport = driver\nsocket = /s\nvpcd = "
                     "127.0.0.1:1\n",
                     1, "'vpcd' is for transport = vpcd");
        expect_error("[card a]\nimage = /a\nvpcd = 127.0.0.1:1\nsocket = /s\n", 1,
                     "'socket' is for transport = driver");
        expect_error("[card a]\nimage = /a\ntransport = driver\nsocket = run/a.sock\n", 4,
                     "'socket' must be an absolute path");
        expect_error("[card a]\nimage = /a\ntransport = driver\nsocket = "
                     "/run/vtoken/0123456789012345678901234567890123456789012345678901234567890123"
                     "456789012345678901234567890.sock\n",
                     4, "more than a local socket's address holds");
        expect_error("[card a]\nimage = /a\ntransport = driver\nsocket = /run/v/s\n"
                     "[card b]\nimage = /b\ntransport = driver\nsocket = /run//v/s\n",
                     5, "socket /run//v/s is already card 'a'");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(valid),
            cmocka_unit_test(parse_from_text),
            cmocka_unit_test(trace_and_touch_timeout),
            cmocka_unit_test(timing),
            cmocka_unit_test(errors_name_the_line),
            cmocka_unit_test(long_lines),
            cmocka_unit_test(nul_bytes),
            cmocka_unit_test(not_a_file),
            cmocka_unit_test(missing_file),
            cmocka_unit_test(pcscd_user),
            cmocka_unit_test(one_card_per_image),
            cmocka_unit_test(strictness),
            cmocka_unit_test(resolve_hosts),
            cmocka_unit_test(default_card),
            cmocka_unit_test(driver_transport),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
