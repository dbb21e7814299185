/* SPDX-License-Identifier: Apache-2.0 */
/* Image files are read strictly (issue 23, "parsers that forgive"): a card made by the yubikey5
 * profile (PIV with keys, OpenPGP, OATH, FIDO) is broken one way at a time, and each break must
 * fail the load with the file and line and what is wrong, never load with a default that gives
 * tries back or weakens a policy. Per file: a key missing, a key twice, a section twice, a value
 * out of range, a file cut short inside a line, a contradiction with another file; and the
 * generic refusals of every file (NUL and control bytes, over-long lines). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store_test.h"

#include "image_store.h"
#include "profile.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char template_dir[64] = "/tmp/vt-strict-tpl-XXXXXX";

struct fixture {
        char dir[64];
};

static char *slurp(const char *dir, const char *name, size_t *len)
{
        char path[256];
        struct stat st;
        char *text;
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_RDONLY);
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_non_null(text = calloc(1, (size_t)st.st_size + 1));
        assert_int_equal(read(fd, text, (size_t)st.st_size), st.st_size);
        close(fd);
        *len = (size_t)st.st_size;
        return text;
}

/* Writes file name as the bytes of parts a, b and c (b and c may be empty). */
static void put3(const char *dir, const char *name, const char *a, size_t alen, const char *b,
                 size_t blen, const char *c, size_t clen)
{
        char path[256];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, a, alen), (ssize_t)alen);
        assert_int_equal(write(fd, b, blen), (ssize_t)blen);
        assert_int_equal(write(fd, c, clen), (ssize_t)clen);
        close(fd);
}

static void put(const char *dir, const char *name, const char *text, size_t len)
{
        put3(dir, name, text, len, "", 0, "", 0);
}

static int group_setup(void **state)
{
        struct vt_init_opts opts = {.profile = "yubikey5"};
        char err[512] = "";

        (void)state;
        assert_non_null(mkdtemp(template_dir));
        assert_int_equal(rmdir(template_dir), 0);
        if (vt_image_create(template_dir, &opts, err, sizeof(err)) != 0)
                fail_msg("vt_image_create: %s", err);
        return 0;
}

static int group_teardown(void **state)
{
        (void)state;
        rm_rf(template_dir);
        return 0;
}

/* A private copy of the template, which loads. */
static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        DIR *d = opendir(template_dir);
        struct dirent *e;

        assert_non_null(f);
        assert_non_null(d);
        snprintf(f->dir, sizeof(f->dir), "/tmp/vt-strict-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        while ((e = readdir(d))) {
                size_t len;
                char *text;
                if (e->d_name[0] == '.')
                        continue;
                text = slurp(template_dir, e->d_name, &len);
                put(f->dir, e->d_name, text, len);
                free(text);
        }
        closedir(d);
        vt_image_free(load_image_or_fail(f->dir, "the copy of the template"));
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        rm_rf(f->dir);
        free(f);
        return 0;
}

/* Replaces the first `from` in file name by `to`; the test fails when there is none. */
static void edit(const struct fixture *f, const char *name, const char *from, const char *to)
{
        size_t len;
        char *text = slurp(f->dir, name, &len), *at = strstr(text, from);

        if (!at) {
                fail_msg("%s has no '%s'", name, from);
                return;
        }
        put3(f->dir, name, text, (size_t)(at - text), to, strlen(to), at + strlen(from),
             len - (size_t)(at - text) - strlen(from));
        free(text);
}

/* The line of file name where the n-th (1-based) `what` begins. */
static int line_of(const struct fixture *f, const char *name, const char *what, int n)
{
        size_t len;
        char *text = slurp(f->dir, name, &len), *at = text;
        int line = 1;

        for (int i = 0; i < n; i++, at++)
                if (!(at = strstr(at, what)))
                        fail_msg("%s has no %d '%s'", name, n, what);
        at--;
        for (const char *p = text; p < at; p++)
                line += *p == '\n';
        free(text);
        return line;
}

/* The image must not load; the message names dir/name:line (line 0: dir/name alone) and says
 * why. */
static void refused(const struct fixture *f, const char *name, int line, const char *why)
{
        char err[512] = "", want[160];
        struct vt_image *img = vt_image_load(f->dir, err, sizeof(err));

        if (img) {
                vt_image_free(img);
                fail_msg("loaded, but should be refused for '%s' in %s", why, name);
        }
        if (line)
                snprintf(want, sizeof(want), "%s/%s:%d: ", f->dir, name, line);
        else
                snprintf(want, sizeof(want), "%s/%s", f->dir, name);
        if (!strstr(err, want) || !strstr(err, why))
                fail_msg("'%s' should name '%s' and say '%s'", err, want, why);
}

/* ---- the cases issue 23 names ------------------------------------------------------------- */

/* A card that had one wrong PW1 loses its tries_left line: it must not answer 63C3 again. */
static void test_openpgp_missing_counter(void **state)
{
        struct fixture *f = *state;
        int pw1 = line_of(f, "openpgp.ini", "[pw1]", 1);

        edit(f, "openpgp.ini", "tries_left = 3\n", "");
        refused(f, "openpgp.ini", pw1, "[pw1] has no tries_left");
}

/* OpenPGP's retries missing: not the factory's 3. */
static void test_openpgp_missing_retries(void **state)
{
        struct fixture *f = *state;
        int pw1 = line_of(f, "openpgp.ini", "[pw1]", 1);

        edit(f, "openpgp.ini", "retries = 3\n", "");
        refused(f, "openpgp.ini", pw1, "[pw1] has no retries");
}

static void test_piv_missing_retries(void **state)
{
        struct fixture *f = *state;
        int pin = line_of(f, "card.ini", "[pin]", 1);

        edit(f, "card.ini", "retries = 3\n", "");
        refused(f, "card.ini", pin, "[pin] has no retries");
}

/* A blocked PIN followed by a second tries_left must not become 3 of 3. */
static void test_state_key_twice(void **state)
{
        struct fixture *f = *state;

        edit(f, "state", "tries_left = 3\nblocked = no\n",
             "tries_left = 0\nblocked = yes\ntries_left = 3\n");
        refused(f, "state", line_of(f, "state", "tries_left", 2),
                "'tries_left' again in [pin] (first at line 6)");
}

/* card.ini cut short inside [pin]: no default policy for what is lost. */
static void test_policy_truncated(void **state)
{
        struct fixture *f = *state;
        size_t len;
        char *text = slurp(f->dir, "card.ini", &len);
        char *at = strstr(text, "charset = any\n");

        assert_non_null(at);
        put(f->dir, "card.ini", text, (size_t)(at - text) + 9); /* "charset =" */
        refused(f, "card.ini", line_of(f, "card.ini", "charset", 1),
                "the file ends inside this line: it was cut short");
        put(f->dir, "card.ini", text, (size_t)(at - text)); /* cut at a line's end */
        refused(f, "card.ini", line_of(f, "card.ini", "[pin]", 1), "[pin] has no charset");
        free(text);
}

static void test_piv_deleted_key(void **state)
{
        struct fixture *f = *state;
        char path[128];

        snprintf(path, sizeof(path), "%s/9a.key.pem", f->dir);
        assert_int_equal(unlink(path), 0);
        refused(f, "card.ini", line_of(f, "card.ini", "origin = generated", 1), /* [slot 9a]'s */
                "[slot 9a] says origin = generated, but 9a.key.pem is missing");
}

/* ---- card.ini ------------------------------------------------------------------------------ */

static void test_card_ini_classes(void **state)
{
        struct fixture *f = *state;
        size_t len;
        char *orig = slurp(f->dir, "card.ini", &len);

        edit(f, "card.ini", "serial = ", "serial = 12\nserial = ");
        refused(f, "card.ini", line_of(f, "card.ini", "serial", 2), "'serial' again in [card]");
        edit(f, "card.ini", "serial = 12\n", "");

        edit(f, "card.ini", "[puk]\n", "[pin]\nretries = 2\n\n[puk]\n");
        refused(f, "card.ini", line_of(f, "card.ini", "[pin]", 2), "[pin] again (first at line");
        edit(f, "card.ini", "[pin]\nretries = 2\n\n[puk]\n", "[puk]\n");

        edit(f, "card.ini", "[puk]\nretries = 3", "[puk]\nretries = 16");
        refused(f, "card.ini", line_of(f, "card.ini", "retries = 16", 1), "retries must be 1..15");
        edit(f, "card.ini", "retries = 16", "retries = 3");

        edit(f, "card.ini", "guid = ", "; guid = ");
        refused(f, "card.ini", line_of(f, "card.ini", "[card]", 1), "[card] has no guid");
        edit(f, "card.ini", "; guid = ", "guid = ");

        /* two slots' sections under one name */
        edit(f, "card.ini", "[slot 9c]", "[slot 9a]");
        refused(f, "card.ini", line_of(f, "card.ini", "[slot 9a]", 2), "[slot 9a] again");
        put(f->dir, "card.ini", orig, len);
        vt_image_free(load_image_or_fail(f->dir, "card.ini as it was"));
        free(orig);
}

/* The slot's files and its section go together, both ways. */
static void test_piv_slot_files_and_sections(void **state)
{
        struct fixture *f = *state;
        size_t len;
        char *text = slurp(f->dir, "card.ini", &len), *from = strstr(text, "[slot 9c]"),
             *to = from ? strstr(from + 1, "[slot") : NULL;

        if (!from || !to) {
                fail_msg("card.ini has no [slot 9c] before another slot");
                return;
        }
        put3(f->dir, "card.ini", text, (size_t)(from - text), to, strlen(to), "", 0);
        refused(f, "9c.key.pem", 0, "slot 9c has a key, but card.ini has no [slot 9c]");
        free(text);
}

/* The generic refusals, the same for every file: here card.ini and state. */
static void test_bytes_and_lines(void **state)
{
        struct fixture *f = *state;
        char line[400];
        size_t len;
        char *orig = slurp(f->dir, "card.ini", &len);

        const char *puk = strstr(orig, "[puk]\n");
        assert_non_null(puk);
        puk += 6;
        put3(f->dir, "card.ini", orig, (size_t)(puk - orig), "; note\0retries = 15\n", 20, puk,
             len - (size_t)(puk - orig));
        refused(f, "card.ini", line_of(f, "card.ini", "; note", 1),
                "not a text file: a control byte 0x00");
        put(f->dir, "card.ini", orig, len);

        /* a comment longer than inih reads whole: its tail would be read as a line */
        snprintf(line, sizeof(line), "; %198sretries = 15\n[puk]\n", "");
        edit(f, "card.ini", "[puk]\n", line);
        refused(f, "card.ini", line_of(f, "card.ini", "; ", 2), "longer than 197 characters");
        put(f->dir, "card.ini", orig, len);

        /* an indented line goes on with the key above it: a key that takes one line */
        edit(f, "state", "tries_left = 3\n", "tries_left = 0\n  3\n");
        refused(f, "state", line_of(f, "state", "  3", 1),
                "an indented line goes on with 'tries_left'");
        free(orig);
}

/* ---- state ---------------------------------------------------------------------------------- */

static void test_state_classes(void **state)
{
        struct fixture *f = *state;

        edit(f, "state", "[puk]\n", "[pin]\n\n[puk]\n");
        refused(f, "state", line_of(f, "state", "[pin]", 2), "[pin] again");
        edit(f, "state", "[pin]\n\n[puk]\n", "[puk]\n");

        edit(f, "state", "touch = ", "; touch = ");
        refused(f, "state", line_of(f, "state", "[management]", 1), "[management] has no touch");
        edit(f, "state", "; touch = ", "touch = ");

        edit(f, "state", "tries_left = 3\nblocked = no", "tries_left = 16\nblocked = no");
        refused(f, "state", line_of(f, "state", "tries_left = 16", 1), "tries_left must be 0..15");
        edit(f, "state", "tries_left = 16\nblocked = no", "tries_left = 3\nblocked = no");

        size_t len;
        char *text = slurp(f->dir, "state", &len);
        put(f->dir, "state", text, len - 3); /* touch = defau */
        refused(f, "state", line_of(f, "state", "touch = ", 1), "cut short");
        free(text);
}

/* ---- openpgp.ini ---------------------------------------------------------------------------- */

static void test_openpgp_classes(void **state)
{
        struct fixture *f = *state;

        edit(f, "openpgp.ini", "tries_left = 3\n", "tries_left = 3\ntries_left = 1\n");
        refused(f, "openpgp.ini", line_of(f, "openpgp.ini", "tries_left = 1", 1),
                "'tries_left' again in [pw1]");
        edit(f, "openpgp.ini", "tries_left = 1\n", "");

        edit(f, "openpgp.ini", "[rc]\n", "[pw1]\n[rc]\n");
        refused(f, "openpgp.ini", line_of(f, "openpgp.ini", "[pw1]", 2), "[pw1] again");
        edit(f, "openpgp.ini", "[pw1]\n[rc]\n", "[rc]\n");

        /* more tries than retries: tries are only ever lost */
        edit(f, "openpgp.ini", "tries_left = 3\n", "tries_left = 4\n");
        refused(f, "openpgp.ini", line_of(f, "openpgp.ini", "tries_left = 4", 1),
                "[pw1] tries_left 4 above its retries 3");
        edit(f, "openpgp.ini", "tries_left = 4\n", "tries_left = 3\n");

        edit(f, "openpgp.ini", "charset = any\n", "");
        refused(f, "openpgp.ini", line_of(f, "openpgp.ini", "[pw1]", 1), "[pw1] has no charset");
        edit(f, "openpgp.ini", "max_length = 127\n", "max_length = 127\ncharset = any\n");

        edit(f, "openpgp.ini", "[key aut]", "[key xyz]");
        refused(f, "openpgp.ini", line_of(f, "openpgp.ini", "[key xyz]", 1) + 1, /* its key */
                "unknown section [key xyz]");
        edit(f, "openpgp.ini", "[key xyz]", "[key aut]");
        vt_image_free(load_image_or_fail(f->dir, "openpgp.ini as it was"));
}

/* A key file and its [key] section's origin go together. */
static void test_openpgp_key_files(void **state)
{
        struct fixture *f = *state;
        size_t len;
        char *key = slurp(f->dir, "9a.key.pem", &len);
        char path[128];

        put(f->dir, "openpgp-sig.key.pem", key, len);
        refused(f, "openpgp-sig.key.pem", 0, "a key, but openpgp.ini:");
        snprintf(path, sizeof(path), "%s/openpgp-sig.key.pem", f->dir);
        assert_int_equal(unlink(path), 0);
        edit(f, "openpgp.ini", "origin = none", "origin = generated");
        refused(f, "openpgp.ini", line_of(f, "openpgp.ini", "origin = generated", 1),
                "[key sig] says origin = generated, but openpgp-sig.key.pem is missing");
        free(key);
}

static void test_openpgp_truncated(void **state)
{
        struct fixture *f = *state;
        size_t len;
        char *text = slurp(f->dir, "openpgp.ini", &len);
        char *at = strstr(text, "[pw3]");

        assert_non_null(at);
        put(f->dir, "openpgp.ini", text, (size_t)(at - text) + 3);
        refused(f, "openpgp.ini", line_of(f, "openpgp.ini", "[pw", 2), "cut short");
        put(f->dir, "openpgp.ini", text, (size_t)(at - text));
        refused(f, "openpgp.ini", 0, "no [pw3] section");
        free(text);
}

/* ---- oath.ini ------------------------------------------------------------------------------- */

static const char hotp[] = "\n[credential 1]\nname = Example:alice\ntype = hotp\n"
                           "algorithm = SHA1\ndigits = 6\ntouch = yes\ncounter = 41\n"
                           "secret = 3132333435363738393031323334353637383930\n";

static void test_oath_classes(void **state)
{
        struct fixture *f = *state;
        size_t len;
        char *text = slurp(f->dir, "oath.ini", &len);

        put3(f->dir, "oath.ini", text, len, hotp, sizeof(hotp) - 1, "", 0);
        vt_image_free(load_image_or_fail(f->dir, "a HOTP credential added"));

        edit(f, "oath.ini", "counter = 41\n", ""); /* a counter never goes back to 0 */
        refused(f, "oath.ini", 0, "a HOTP credential without its counter");
        edit(f, "oath.ini", "touch = yes\n", "touch = yes\ncounter = 41\n");

        edit(f, "oath.ini", "touch = yes\n", ""); /* no touch: a weaker policy */
        refused(f, "oath.ini", line_of(f, "oath.ini", "[credential 1]", 1),
                "[credential 1] has no touch");
        edit(f, "oath.ini", "digits = 6\n", "digits = 6\ntouch = yes\n");

        edit(f, "oath.ini", "digits = 6\n", "digits = 6\ndigits = 8\n");
        refused(f, "oath.ini", line_of(f, "oath.ini", "digits = 8", 1), "'digits' again");
        edit(f, "oath.ini", "digits = 8\n", "");

        edit(f, "oath.ini", "digits = 6", "digits = 9");
        refused(f, "oath.ini", line_of(f, "oath.ini", "digits = 9", 1), "digits: 6, 7 or 8");
        edit(f, "oath.ini", "digits = 9", "digits = 6");

        /* one credential's section twice: two half credentials, or the second overwriting */
        edit(f, "oath.ini", "counter = 41\n", "counter = 41\n[credential 1]\ncounter = 0\n");
        refused(f, "oath.ini", line_of(f, "oath.ini", "[credential 1]", 2), "[credential 1] again");
        put3(f->dir, "oath.ini", text, len, hotp, sizeof(hotp) - 1, "", 0);

        put3(f->dir, "oath.ini", text, len, hotp, sizeof(hotp) - 3, "",
             0); /* the secret cut short */
        refused(f, "oath.ini", line_of(f, "oath.ini", "secret = ", 1), "cut short");
        free(text);
}

/* ---- fido.ini ------------------------------------------------------------------------------- */

static void test_fido_classes(void **state)
{
        struct fixture *f = *state;
        char path[128];

        edit(f, "fido.ini", "pin_tries = 8\n", "");
        refused(f, "fido.ini", line_of(f, "fido.ini", "[fido]", 1), "[fido] has no pin_tries");
        edit(f, "fido.ini", "counter = 0\n", "counter = 0\npin_tries = 8\n");

        edit(f, "fido.ini", "presence = auto\n", ""); /* presence: touch would be stronger */
        refused(f, "fido.ini", line_of(f, "fido.ini", "[fido]", 1), "[fido] has no presence");
        edit(f, "fido.ini", "pin_tries = 8\n", "pin_tries = 8\npresence = auto\n");

        edit(f, "fido.ini", "pin_tries = 8\n", "pin_tries = 0\npin_tries = 8\n");
        refused(f, "fido.ini", line_of(f, "fido.ini", "pin_tries = 8", 1), "'pin_tries' again");
        edit(f, "fido.ini", "pin_tries = 0\n", "");

        edit(f, "fido.ini", "pin_tries = 8", "pin_tries = 9");
        refused(f, "fido.ini", line_of(f, "fido.ini", "pin_tries = 9", 1), "pin_tries: 0 to 8");
        edit(f, "fido.ini", "pin_tries = 9", "pin_tries = 8");

        edit(f, "fido.ini", "presence = auto\n", "presence = auto\n[fido]\n");
        refused(f, "fido.ini", line_of(f, "fido.ini", "[fido]", 2), "[fido] again");
        edit(f, "fido.ini", "presence = auto\n[fido]\n", "presence = auto\n");

        /* a PIN's length without its hash: no PIN at all would be a weaker card */
        edit(f, "fido.ini", "presence = auto\n", "presence = auto\npin_length = 4\n");
        refused(f, "fido.ini", 0, "pin_hash (16 bytes) and pin_length go together");
        edit(f, "fido.ini", "pin_length = 4\n", "");

        snprintf(path, sizeof(path), "%s/fido-attestation-key.pem", f->dir);
        assert_int_equal(unlink(path), 0);
        refused(f, "fido-attestation-key.pem", 0, "missing");
}

static void test_fido_truncated(void **state)
{
        struct fixture *f = *state;
        size_t len;
        char *text = slurp(f->dir, "fido.ini", &len);

        put(f->dir, "fido.ini", text, len - 3);
        refused(f, "fido.ini", line_of(f, "fido.ini", "presence", 1), "cut short");
        free(text);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(test_openpgp_missing_counter),
            T(test_openpgp_missing_retries),
            T(test_piv_missing_retries),
            T(test_state_key_twice),
            T(test_policy_truncated),
            T(test_piv_deleted_key),
            T(test_card_ini_classes),
            T(test_piv_slot_files_and_sections),
            T(test_bytes_and_lines),
            T(test_state_classes),
            T(test_openpgp_classes),
            T(test_openpgp_key_files),
            T(test_openpgp_truncated),
            T(test_oath_classes),
            T(test_fido_classes),
            T(test_fido_truncated),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
