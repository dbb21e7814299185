/* SPDX-License-Identifier: Apache-2.0 */
/* The applet registry: card.ini's applets list and the forms earlier versions wrote, a change
 * dispatched to the unit that made it, the management applet's READ CONFIG made of the units a
 * card carries, and GET RESPONSE with nothing pending answered per applet. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store_test.h"
#include "test_util.h"

#include "card.h"
#include "image_store.h"
#include "mgmt.h"
#include "openpgp.h"
#include "piv.h"
#include "piv_state.h"
#include "profile.h"
#include "registry.h"
#include "sw.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A private copy (0700, files 0600) of tests/data/old-images/NAME, into dir. */
static void copy_old_image(const char *name, char *dir, size_t cap)
{
        const char *data = getenv("VT_TEST_DATA");
        char from[512], src[768], dst[768];
        struct dirent *e;
        DIR *d;

        assert_non_null(data);
        snprintf(dir, cap, "/tmp/vt-registry-XXXXXX");
        assert_non_null(mkdtemp(dir));
        snprintf(from, sizeof(from), "%s/old-images/%s", data, name);
        assert_non_null(d = opendir(from));
        while ((e = readdir(d))) {
                uint8_t buf[8192];
                if (e->d_name[0] == '.')
                        continue;
                snprintf(src, sizeof(src), "%s/%s", from, e->d_name);
                snprintf(dst, sizeof(dst), "%s/%s", dir, e->d_name);
                int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0600);
                assert_true(in >= 0 && out >= 0);
                ssize_t n = read(in, buf, sizeof(buf));
                assert_true(n > 0);
                assert_int_equal(write(out, buf, (size_t)n), n);
                close(in);
                close(out);
        }
        closedir(d);
}

static char *read_text(const char *dir, const char *name)
{
        static char text[8192];
        char path[768];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        int fd = open(path, O_RDONLY);
        assert_true(fd >= 0);
        ssize_t n = read(fd, text, sizeof(text) - 1);
        assert_true(n > 0);
        text[n] = 0;
        close(fd);
        return text;
}

/* An image of an earlier version (applet = piv+openpgp) loads as the same card; written again
 * it still says applet = piv+openpgp (which the earlier version reads), and loads again. */
static void test_old_piv_openpgp_image_loads(void **state)
{
        char dir[64];
        struct vt_image *img, *again;
        (void)state;

        copy_old_image("piv+openpgp", dir, sizeof(dir));
        assert_non_null(strstr(read_text(dir, "card.ini"), "\napplet = piv+openpgp\n"));
        img = load_image_or_fail(dir, "the old image");
        assert_int_equal(img->n_units, 2);
        assert_ptr_equal(img->units[0].unit, &vt_unit_piv);
        assert_ptr_equal(img->units[1].unit, &vt_unit_openpgp);
        assert_non_null(vt_piv_slot(vt_piv_of(img), 0x9A)->key);
        assert_int_equal(vt_piv_of(img)->pin.max_tries, 3);
        assert_int_equal(vt_pgp_of(img)->serial, img->serial);

        assert_int_equal(vt_image_save(dir, img), 0);
        const char *text = read_text(dir, "card.ini");
        assert_non_null(strstr(text, "\napplet = piv+openpgp\n"));
        assert_null(strstr(text, "\napplets ="));
        again = load_image_or_fail(dir, "the image written again");
        assert_same_image(img, again);
        assert_int_equal(again->n_units, 2);
        assert_ptr_equal(again->units[1].unit, &vt_unit_openpgp);
        vt_image_free(again);
        vt_image_free(img);
        rm_rf(dir);
}

/* An OpenPGP card of an earlier version kept PIV's sections and state too: it loads carrying
 * OpenPGP alone, and written again it has no PIV section left. */
static void test_old_openpgp_image_loads(void **state)
{
        char dir[64];
        struct vt_image *img, *again;
        (void)state;

        copy_old_image("openpgp", dir, sizeof(dir));
        assert_non_null(strstr(read_text(dir, "card.ini"), "\n[pin]\n"));
        img = load_image_or_fail(dir, "the old OpenPGP image");
        assert_int_equal(img->n_units, 1);
        assert_ptr_equal(img->units[0].unit, &vt_unit_openpgp);
        assert_null(vt_piv_of(img));
        assert_int_equal(vt_pgp_of(img)->pw1.s.max_tries, 3);
        assert_int_equal(vt_image_save(dir, img), 0);
        const char *text = read_text(dir, "card.ini");
        assert_non_null(strstr(text, "\napplets = openpgp\n"));
        assert_null(strstr(text, "[pin]"));
        again = load_image_or_fail(dir, "the image written again");
        assert_int_equal(again->n_units, 1);
        vt_image_free(again);
        vt_image_free(img);
        rm_rf(dir);
}

/* What README's "Images and releases" says: a card of a PIV profile is written as the previous
 * release reads it (applet = ...), a card without PIV as applets = ..., a key that release
 * refuses. */
static void test_which_images_the_previous_release_reads(void **state)
{
        static const struct {
                const char *profile, *line;
        } cases[] = {
            {"piv", "\napplet = piv\n"},
            {"piv+openpgp", "\napplet = piv+openpgp\n"},
            {"openpgp", "\napplets = openpgp\n"},
            {"oath", "\napplets = oath\n"},
        };
        char dir[64], err[512];
        (void)state;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct vt_init_opts o = {.profile = cases[i].profile, .force = true};
                snprintf(dir, sizeof(dir), "/tmp/vt-registry-XXXXXX");
                assert_non_null(mkdtemp(dir));
                rm_rf(dir);
                if (vt_image_create(dir, &o, err, sizeof(err)) != 0)
                        fail_msg("profile %s: %s", cases[i].profile, err);
                const char *text = read_text(dir, "card.ini");
                if (!strstr(text, cases[i].line))
                        fail_msg("profile %s: card.ini has no '%s':\n%s", cases[i].profile,
                                 cases[i].line, text);
                rm_rf(dir);
        }
}

static void rewrite_card_ini(const char *dir, const char *from, const char *to)
{
        char text[8192], path[768];
        const char *old = read_text(dir, "card.ini");
        const char *at = strstr(old, from);
        assert_non_null(at);
        snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - old), old, to, at + strlen(from));
        snprintf(path, sizeof(path), "%s/card.ini", dir);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

/* An applet this build does not know is refused, naming file and line; so is one listed twice
 * or a card.ini with both keys. */
static void test_unknown_applet_refused(void **state)
{
        static const struct {
                const char *value, *why;
        } cases[] = {
            {"applets = piv oath2", "card.ini:4: unknown applet 'oath2'"},
            {"applet = piv+fido9", "card.ini:4: unknown applet 'fido9'"},
            {"applets = piv piv", "card.ini:4: applet 'piv' listed twice"},
            {"applets = mgmt", "card.ini:4: unknown applet 'mgmt'"},
            {"applets = piv\napplet = piv", "card.ini:5: one of applets and applet only"},
        };
        char dir[64], err[512];
        (void)state;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                copy_old_image("piv+openpgp", dir, sizeof(dir));
                rewrite_card_ini(dir, "applet = piv+openpgp", cases[i].value);
                err[0] = 0;
                assert_null(vt_image_load(dir, err, sizeof(err)));
                if (!strstr(err, cases[i].why) || !strstr(err, dir))
                        fail_msg("'%s': '%s' should say '%s'", cases[i].value, err, cases[i].why);
                rm_rf(dir);
        }
}

/* The applets in card.ini's order, as the card installs them. */
static void test_applets_order_kept(void **state)
{
        char dir[64];
        struct vt_image *img;
        (void)state;

        copy_old_image("piv+openpgp", dir, sizeof(dir));
        rewrite_card_ini(dir, "applet = piv+openpgp", "applets = openpgp piv");
        img = load_image_or_fail(dir, "openpgp first");
        assert_ptr_equal(img->units[0].unit, &vt_unit_openpgp);
        assert_ptr_equal(img->units[1].unit, &vt_unit_piv);
        assert_int_equal(vt_image_save(dir, img), 0);
        assert_non_null(strstr(read_text(dir, "card.ini"), "\napplets = openpgp piv\n"));
        vt_image_free(img);
        rm_rf(dir);
}

/* A memory store applies a change to the mirror's state of the unit that made it, and to no
 * other unit's. */
static void test_mem_store_dispatches_by_unit(void **state)
{
        struct vt_image *img = vt_piv_image_new("mem");
        struct vt_mem_store m;
        struct vt_store s;
        static const uint8_t data[] = {0x53, 0x01, 0x42};
        (void)state;

        assert_non_null(img);
        assert_int_equal(vt_image_add_unit(img, &vt_unit_openpgp, vt_unit_openpgp.state_new(img)),
                         0);
        m = (struct vt_mem_store){.mirror = vt_image_clone(img)};
        s = vt_mem_store(&m);
        const struct piv_change ch = {.kind = PIV_CHANGE_OBJECT,
                                      .st = vt_piv_of(img),
                                      .tag = 0x5FC109,
                                      .data = data,
                                      .len = sizeof(data)};
        assert_int_equal(vt_store_commit(&s, &vt_unit_piv, &ch), 0);
        assert_int_equal(vt_piv_of(m.mirror)->n_objects, 1);
        assert_int_equal(vt_piv_of(img)->n_objects, 0); /* the live state is the applet's */

        struct vt_pgp_state *next = pgp_state_clone(vt_pgp_of(img));
        assert_non_null(next);
        next->sig_count = 7;
        const struct pgp_change pch = {.cur = vt_pgp_of(img), .next = next};
        assert_int_equal(vt_store_commit(&s, &vt_unit_openpgp, &pch), 0);
        assert_int_equal(vt_pgp_of(m.mirror)->sig_count, 7);
        assert_int_equal(vt_piv_of(m.mirror)->n_objects, 1);
        assert_int_equal(m.commits, 2);
        pgp_state_free(next);
        vt_image_free(m.mirror);
        vt_image_free(img);
}

static size_t apdu(struct vt_card *c, const char *hex, uint8_t *out)
{
        uint8_t cmd[300];
        size_t n = hex_decode(hex, cmd, sizeof(cmd));
        return vt_card_transmit(c, cmd, n, out);
}

#define SELECT_MGMT "00 A4 04 00 08 A0 00 00 05 27 47 11 17"
#define SELECT_PIV  "00 A4 04 00 09 A0 00 00 03 08 00 00 10 00"
#define SELECT_PGP  "00 A4 04 00 06 D2 76 00 01 24 01"

/* The applications READ CONFIG reports (tags 01 supported and 03 enabled, USB), from a card
 * carrying these units. */
static uint16_t read_config_apps(struct vt_image *img, uint16_t *enabled)
{
        struct vt_mem_store m = {0};
        struct vt_store s = vt_mem_store(&m);
        struct vt_card card;
        uint8_t out[VT_RAPDU_MAX];
        char err[128];
        uint16_t supported = 0;
        size_t n;

        vt_image_set_compat(img, VT_COMPAT_YUBIKEY);
        assert_int_equal(vt_card_setup(&card, img, &s, err, sizeof(err)), 0);
        vt_card_power_on(&card);
        n = apdu(&card, SELECT_MGMT, out);
        assert_int_equal(out[n - 2] << 8 | out[n - 1], SW_OK);
        n = apdu(&card, "00 1D 00 00 00", out);
        assert_int_equal(out[n - 2] << 8 | out[n - 1], SW_OK);
        assert_int_equal(out[0], n - 3);
        *enabled = 0;
        for (size_t i = 1; i + 2 <= n - 2;) {
                uint8_t tag = out[i], len = out[i + 1];
                if ((tag == 0x01 || tag == 0x03) && len == 2)
                        *(tag == 0x01 ? &supported : enabled) =
                            (uint16_t)(out[i + 2] << 8 | out[i + 3]);
                if (tag == 0x02) /* the serial, big-endian */
                        assert_int_equal((uint32_t)out[i + 2] << 24 | (uint32_t)out[i + 3] << 16 |
                                             (uint32_t)out[i + 4] << 8 | out[i + 5],
                                         img->serial);
                i += 2u + len;
        }
        vt_card_release(&card);
        return supported;
}

static void test_read_config_reports_the_units_carried(void **state)
{
        struct vt_image *img = vt_piv_image_new("mem");
        uint16_t enabled;
        (void)state;

        assert_non_null(img);
        img->serial = 12345678;
        img->version[0] = 5, img->version[1] = 4, img->version[2] = 3;
        assert_int_equal(read_config_apps(img, &enabled), VT_YK_CAP_PIV);
        assert_int_equal(enabled, VT_YK_CAP_PIV);
        assert_int_equal(vt_image_add_unit(img, &vt_unit_openpgp, vt_unit_openpgp.state_new(img)),
                         0);
        assert_int_equal(read_config_apps(img, &enabled), VT_YK_CAP_PIV | VT_YK_CAP_OPENPGP);
        assert_int_equal(enabled, VT_YK_CAP_PIV | VT_YK_CAP_OPENPGP);
        vt_image_free(img);
}

/* GET RESPONSE with nothing pending: PIV selected answers 6A80 as a YubiKey's PIV does;
 * OpenPGP and no applet keep ISO's 6985. */
static void test_idle_get_response_per_applet(void **state)
{
        struct vt_image *img = vt_piv_image_new("mem");
        struct vt_mem_store m = {0};
        struct vt_store s = vt_mem_store(&m);
        struct vt_card card;
        uint8_t out[VT_RAPDU_MAX];
        char err[128];
        size_t n;
        (void)state;

        assert_non_null(img);
        assert_int_equal(vt_image_add_unit(img, &vt_unit_openpgp, vt_unit_openpgp.state_new(img)),
                         0);
        assert_int_equal(vt_card_setup(&card, img, &s, err, sizeof(err)), 0);
        vt_card_power_on(&card);
        n = apdu(&card, "00 C0 00 00 00", out);
        assert_int_equal(out[n - 2] << 8 | out[n - 1], SW_CONDITIONS_NOT_SATISFIED);
        apdu(&card, SELECT_PIV, out);
        n = apdu(&card, "00 C0 00 00 00", out);
        assert_int_equal(out[n - 2] << 8 | out[n - 1], SW_WRONG_DATA);
        n = apdu(&card, SELECT_PGP, out);
        assert_int_equal(out[n - 2] << 8 | out[n - 1], SW_OK);
        n = apdu(&card, "00 C0 00 00 00", out);
        assert_int_equal(out[n - 2] << 8 | out[n - 1], SW_CONDITIONS_NOT_SATISFIED);
        vt_card_release(&card);
        vt_image_free(img);
}

/* The registry's names: what card.ini may list. */
/* The limits follow units.def: a card has room for an applet of every unit, and a card that
 * carries every unit the build has installs them all. */
static void test_limits_follow_the_registry(void **state)
{
        struct vt_image *img = vt_piv_image_new("all");
        struct vt_mem_store m = {0};
        struct vt_store s;
        struct vt_card card;
        char err[128];
        size_t n = 0;
        (void)state;

        while (vt_unit_at(n))
                n++;
        assert_int_equal(VT_CARD_APPLETS_MAX, n);
        assert_int_equal(VT_IMAGE_UNITS_MAX, n);
        assert_non_null(img);
        img->yubikey_mgmt_aid = true;
        for (size_t i = 0; i < n; i++) {
                const struct vt_applet_unit *u = vt_unit_at(i);
                if (u->hidden || vt_image_carries(img, u))
                        continue;
                assert_int_equal(vt_image_add_unit(img, u, u->state_new ? u->state_new(img) : NULL),
                                 0);
        }
        assert_non_null(m.mirror = vt_image_clone(img));
        s = vt_mem_store(&m);
        assert_int_equal(vt_card_setup(&card, img, &s, err, sizeof(err)), 0);
        assert_int_equal(card.n_applets, n);
        vt_card_release(&card);
        vt_image_free(m.mirror);
        vt_image_free(img);
}

static void test_unit_names(void **state)
{
        const struct vt_applet_unit *u[VT_IMAGE_UNITS_MAX];
        char names[128], err[128];
        size_t n;
        (void)state;

        vt_unit_names(names, sizeof(names), " ");
        assert_non_null(strstr(names, "piv"));
        assert_non_null(strstr(names, "openpgp"));
        assert_null(strstr(names, "mgmt")); /* card-level: never listed */
        assert_int_equal(vt_units_parse("piv+openpgp", u, VT_IMAGE_UNITS_MAX, &n, err, sizeof(err)),
                         0);
        assert_int_equal(n, 2);
        assert_ptr_equal(u[0], &vt_unit_piv);
        assert_int_equal(vt_units_parse(" ", u, VT_IMAGE_UNITS_MAX, &n, err, sizeof(err)), -1);
        assert_ptr_equal(vt_unit_find("openpgp"), &vt_unit_openpgp);
        assert_null(vt_unit_find("mgmt"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_old_piv_openpgp_image_loads),
            cmocka_unit_test(test_old_openpgp_image_loads),
            cmocka_unit_test(test_which_images_the_previous_release_reads),
            cmocka_unit_test(test_unknown_applet_refused),
            cmocka_unit_test(test_applets_order_kept),
            cmocka_unit_test(test_mem_store_dispatches_by_unit),
            cmocka_unit_test(test_read_config_reports_the_units_carried),
            cmocka_unit_test(test_idle_get_response_per_applet),
            cmocka_unit_test(test_unit_names),
            cmocka_unit_test(test_limits_follow_the_registry),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
