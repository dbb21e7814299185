/* SPDX-License-Identifier: Apache-2.0 */
/* The OATH unit's file, oath.ini: what is saved loads back the same (names INI cannot carry as
 * text go as hex), a change is written whole, and a damaged file is refused naming the file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "image.h"
#include "oath.h"
#include "oath_codec.h"
#include "registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One file in memory, as the store would read and write it. */
struct file {
        char text[16384];
        size_t len;
        bool present;
        unsigned puts;
};

static int mem_read(void *ctx, const char *name, uint8_t **data, size_t *len)
{
        struct file *f = ctx;
        if (strcmp(name, "oath.ini") != 0 || !f->present)
                return -ENOENT;
        *data = malloc(f->len + 1);
        assert_non_null(*data);
        memcpy(*data, f->text, f->len);
        (*data)[f->len] = 0;
        *len = f->len;
        return 0;
}

static int mem_each(void *ctx, int (*fn)(void *arg, const char *name), void *arg)
{
        struct file *f = ctx;
        return f->present ? fn(arg, "oath.ini") : 0;
}

static int mem_put(void *ctx, const char *name, const void *data, size_t len)
{
        struct file *f = ctx;
        assert_string_equal(name, "oath.ini");
        assert_true(len < sizeof(f->text));
        memcpy(f->text, data, len);
        f->text[len] = '\0';
        f->len = len;
        f->present = true;
        f->puts++;
        return 0;
}

static int mem_remove(void *ctx, const char *name)
{
        (void)ctx;
        (void)name;
        fail_msg("oath.ini is never removed");
        return 0;
}

static void assert_same(const struct vt_oath_state *a, const struct vt_oath_state *b)
{
        assert_memory_equal(a->salt, b->salt, sizeof(a->salt));
        assert_int_equal(a->key_alg, b->key_alg);
        assert_int_equal(a->key_len, b->key_len);
        assert_memory_equal(a->key, b->key, a->key_len);
        assert_int_equal(a->n, b->n);
        for (size_t i = 0; i < a->n; i++) {
                const struct oath_cred *x = &a->creds[i], *y = &b->creds[i];
                assert_int_equal(x->name_len, y->name_len);
                assert_memory_equal(x->name, y->name, x->name_len);
                assert_int_equal(x->type, y->type);
                assert_int_equal(x->alg, y->alg);
                assert_int_equal(x->digits, y->digits);
                assert_int_equal(x->props, y->props);
                assert_int_equal(x->counter, y->counter);
                assert_int_equal(x->secret_len, y->secret_len);
                assert_memory_equal(x->secret, y->secret, x->secret_len);
        }
}

static struct oath_cred cred(const char *name, size_t name_len, uint8_t type, uint8_t alg,
                             uint8_t digits, size_t secret_len)
{
        struct oath_cred c = {.type = type, .alg = alg, .digits = digits};
        memcpy(c.name, name, name_len);
        c.name_len = (uint8_t)name_len;
        for (size_t i = 0; i < secret_len; i++)
                c.secret[i] = (uint8_t)(i * 7 + 1);
        c.secret_len = (uint8_t)secret_len;
        return c;
}

static int load(struct file *f, struct vt_oath_state *st, char *err, size_t errlen)
{
        struct vt_image *card = vt_image_new("/images/yk");
        const struct vt_codec_reader rd = {mem_read, mem_each, f};
        assert_non_null(card);
        int r = vt_oath_load(card, st, &rd, err, errlen);
        vt_image_free(card);
        return r;
}

static void test_saved_state_loads_back(void **state)
{
        struct file f = {0};
        struct vt_oath_state *st = oath_state_new(), *back = oath_state_new();
        struct vt_image *card = vt_image_new("/images/yk");
        const struct vt_codec_sink sink = {mem_put, mem_remove, NULL, &f};
        char err[256];
        (void)state;
        assert_non_null(st);
        assert_non_null(back);
        assert_non_null(card);
        struct oath_cred a = cred("Example:alice", 13, OATH_TOTP, OATH_SHA1, 6, 20);
        struct oath_cred b = cred("a;b\x01 ", 5, OATH_HOTP, OATH_SHA256, 8, 32);
        struct oath_cred c = cred("60/slow", 7, OATH_TOTP, OATH_SHA512, 7, 128);
        b.counter = 4000000000u;
        c.props = OATH_PROP_TOUCH;
        assert_int_equal(oath_state_put(st, &a, 32), 0);
        assert_int_equal(oath_state_put(st, &b, 32), 0);
        assert_int_equal(oath_state_put(st, &c, 32), 0);
        st->key_alg = OATH_SHA1;
        st->key_len = 16;
        memset(st->key, 0xA5, 16);
        assert_int_equal(vt_oath_save(card, st, &sink), 0);
        assert_non_null(strstr(f.text, "name = Example:alice\n"));
        assert_non_null(strstr(f.text, "name_hex = 613B620120\n")); /* ';', a control, a space */
        assert_non_null(strstr(f.text, "counter = 4000000000\n"));
        assert_non_null(strstr(f.text, "touch = yes\n"));
        if (load(&f, back, err, sizeof(err)) != 0)
                fail_msg("%s", err);
        assert_same(st, back);

        /* a change is written whole: the proposed state */
        struct vt_oath_state *next = oath_state_clone(st);
        next->creds[1].counter++;
        const struct oath_change ch = {st, next};
        assert_int_equal(vt_oath_commit(card, st, &ch, &sink), 0);
        assert_int_equal(f.puts, 2);
        assert_int_equal(load(&f, back, err, sizeof(err)), 0);
        assert_same(next, back);
        oath_state_free(next);
        oath_state_free(st);
        oath_state_free(back);
        vt_image_free(card);
}

static void test_damaged_files_are_refused(void **state)
{
        static const struct {
                const char *text, *why;
        } bad[] = {
            {"[oath]\n", "oath.ini:1: [oath] has no device_id"},
            {"[oath]\ndevice_id = 0102\n", "device_id"},
            {"[oath]\ndevice_id = 0102030405060708\ncolour = red\n", "unknown key 'colour'"},
            {"[oath]\ndevice_id = 0102030405060708\naccess_key = 00\n", "go together"},
            {"[oath]\ndevice_id = 0102030405060708\n[slot 9a]\nx = 1\n", "unknown section"},
            {"[oath]\ndevice_id = 0102030405060708\n[credential 1]\nname = a\ntype = totp\n"
             "algorithm = SHA1\ndigits = 9\nsecret = 00\n",
             "digits"},
            {"[oath]\ndevice_id = 0102030405060708\n[credential 1]\nname = a\ntype = motp\n",
             "type"},
            {"[oath]\ndevice_id = 0102030405060708\n[credential 1]\nname = a\ntype = totp\n"
             "algorithm = SHA1\ndigits = 6\ntouch = no\nsecret = 00\n[credential 2]\nname = a\n"
             "type = totp\nalgorithm = SHA1\ndigits = 6\ntouch = no\nsecret = 00\n",
             "two credentials of one name"},
            {"[oath]\ndevice_id = 0102030405060708\n[credential 1]\nname = a\n",
             "oath.ini:3: [credential 1] has no type"},
        };
        struct vt_oath_state *st = oath_state_new();
        char err[256];
        (void)state;
        assert_non_null(st);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct file f = {.present = true};
                f.len = strlen(bad[i].text);
                memcpy(f.text, bad[i].text, f.len);
                err[0] = '\0';
                assert_int_equal(load(&f, st, err, sizeof(err)), -1);
                if (!strstr(err, "/images/yk/oath.ini") || !strstr(err, bad[i].why))
                        fail_msg("case %zu: '%s' does not say '%s'", i, err, bad[i].why);
        }
        struct file none = {0};
        assert_int_equal(load(&none, st, err, sizeof(err)), -1); /* a card with OATH has it */
        oath_state_free(st);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_saved_state_loads_back),
            cmocka_unit_test(test_damaged_files_are_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
