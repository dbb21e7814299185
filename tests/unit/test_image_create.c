/* Creating images from the piv and ecert profiles: what the card holds afterwards, the PIN
 * envelope, and that a refused or replaced image leaves no trace. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "image.h"
#include "keygen.h"
#include "pin.h"
#include "profile.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
        char parent[64];
        char dir[96];
};

static void rm_rf(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char path[512];
        struct stat st;

        if (!d)
                return;
        while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                        rm_rf(path);
                else
                        unlink(path);
        }
        closedir(d);
        rmdir(dir);
}

static int entries(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;

        assert_non_null(d);
        while ((e = readdir(d)))
                n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
        closedir(d);
        return n;
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        snprintf(f->parent, sizeof(f->parent), "/tmp/vt-create-XXXXXX");
        assert_non_null(mkdtemp(f->parent));
        snprintf(f->dir, sizeof(f->dir), "%s/card", f->parent);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        rm_rf(f->parent);
        free(f);
        return 0;
}

static struct vt_image *load(const char *dir)
{
        char err[512] = "";
        struct vt_image *img = vt_image_load(dir, err, sizeof(err));

        if (!img)
                fail_msg("%s", err);
        return img;
}

static bool secret_is(const struct vt_secret *s, const char *value)
{
        uint8_t padded[8];

        assert_int_equal(vt_pin_pad(value, padded), 0);
        return vt_secret_matches(s, padded);
}

static void create_ok(const char *dir, const struct vt_init_opts *o)
{
        char err[512] = "";

        if (vt_image_create(dir, o, err, sizeof(err)) != 0)
                fail_msg("create: %s", err);
}

static void test_piv_defaults(void **state)
{
        struct fixture *f = *state;
        struct vt_init_opts o = {0};
        static const uint8_t atr[] = {0x3B, 0x88, 0x01, 0x50, 0x49, 0x56,
                                      0x73, 0x69, 0x6D, 0x30, 0x31, 0xB0};
        static const uint8_t mgm[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                        5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};
        static const uint8_t zero[16];
        struct vt_image *img;
        struct stat st;

        create_ok(f->dir, &o);
        img = load(f->dir);
        assert_int_equal(stat(f->dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        assert_string_equal(img->profile, "piv");
        assert_memory_equal(img->atr, atr, sizeof(atr));
        assert_int_equal(img->atr_len, sizeof(atr));
        assert_memory_equal(img->version, "\x05\x07\x01", 3);
        assert_memory_not_equal(img->guid, zero, 16);
        assert_true(img->serial >= 10000000 && img->serial <= 99999999);
        assert_true(secret_is(&img->pin, "123456"));
        assert_false(secret_is(&img->pin, "654321"));
        assert_true(secret_is(&img->puk, "12345678"));
        assert_int_equal(img->pin.max_tries, 3);
        assert_int_equal(img->pin.tries_left, 3);
        assert_int_equal(img->puk.max_tries, 3);
        assert_int_equal(img->pin_rules.min_len, 6);
        assert_int_equal(img->pin_rules.max_len, 8);
        assert_int_equal(img->pin_rules.charset, VT_PIN_CHARS_ANY);
        assert_int_equal(img->mgm_alg, VT_ALG_3DES);
        assert_int_equal(img->mgm_key_len, 24);
        assert_memory_equal(img->mgm_key, mgm, 24);
        assert_int_equal(vt_image_slot(img, 0x9A)->alg, VT_ALG_RSA2048);
        assert_int_equal(vt_image_slot(img, 0x9C)->alg, VT_ALG_P256);
        assert_int_equal(vt_image_slot(img, 0x9D)->alg, VT_ALG_RSA2048);
        assert_int_equal(vt_image_slot(img, 0x9E)->alg, VT_ALG_P256);
        for (size_t i = 0; i < VT_SLOTS; i++) {
                struct vt_slot *s = &img->slots[i];
                bool used = s->ref == 0x9A || s->ref == 0x9C || s->ref == 0x9D || s->ref == 0x9E;
                assert_int_equal(!!s->key, used);
                assert_int_equal(!!s->cert, used);
                assert_int_equal(s->generated, used);
        }
        vt_image_free(img);
        assert_int_equal(entries(f->parent), 1); /* the image, and no envelope, no temp dir */
}

static void test_ecert_random_pin_and_envelope(void **state)
{
        struct fixture *f = *state;
        char pin[16] = "", env[256], line[128], want[256];
        struct vt_init_opts o = {
            .profile = "ecert", .initial_pin = pin, .initial_pin_len = sizeof(pin)};
        struct vt_image *img;
        uint8_t padded[8];
        struct stat st;
        FILE *fp;
        bool found = false;

        create_ok(f->dir, &o);
        assert_int_equal(strlen(pin), 8);
        img = load(f->dir);
        assert_string_equal(img->profile, "ecert");
        assert_true(secret_is(&img->pin, pin));
        assert_int_equal(img->pin.max_tries, 15);
        assert_int_equal(img->pin_rules.charset, VT_PIN_CHARS_STRONG);
        vt_pin_pad(pin, padded);
        assert_true(vt_pin_acceptable(&img->pin_rules, padded));
        assert_non_null(vt_image_slot(img, 0x9A)->cert);
        assert_non_null(vt_image_slot(img, 0x9C)->cert);
        assert_null(vt_image_slot(img, 0x9D)->key);
        vt_image_free(img);

        assert_int_equal(vt_pin_envelope_path(f->dir, env, sizeof(env)), 0);
        snprintf(want, sizeof(want), "%s/card.pin-envelope.txt", f->parent);
        assert_string_equal(env, want);
        assert_int_equal(stat(env, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_non_null(fp = fopen(env, "r"));
        snprintf(want, sizeof(want), "Initial PIN: %s\n", pin);
        while (fgets(line, sizeof(line), fp))
                found |= strcmp(line, want) == 0;
        fclose(fp);
        assert_true(found);
        snprintf(want, sizeof(want), "%s/ca.crt.pem", f->dir);
        assert_int_equal(access(want, F_OK), 0);
}

static void test_random_pins_differ(void **state)
{
        struct fixture *f = *state;
        char a[16], b[16];
        struct vt_init_opts o = {.profile = "ecert",
                                 .initial_pin = a,
                                 .initial_pin_len = sizeof(a),
                                 .n_generate = 1,
                                 .generate = {{0x9E, VT_ALG_P256, NULL}}};

        create_ok(f->dir, &o);
        o.initial_pin = b;
        o.force = true;
        create_ok(f->dir, &o);
        assert_string_not_equal(a, b);
}

static void test_envelope_path(void **state)
{
        char out[64];

        (void)state;
        assert_int_equal(vt_pin_envelope_path("/var/lib/vtoken/ecert//", out, sizeof(out)), 0);
        assert_string_equal(out, "/var/lib/vtoken/ecert.pin-envelope.txt");
        assert_int_equal(vt_pin_envelope_path("img", out, sizeof(out)), 0);
        assert_string_equal(out, "img.pin-envelope.txt");
        assert_int_equal(vt_pin_envelope_path("/a/very/long/path/that/does/not/fit", out, 16), -1);
}

static void test_slot_parse(void **state)
{
        uint8_t ref;

        (void)state;
        assert_int_equal(vt_slot_parse("9a", &ref), 0);
        assert_int_equal(ref, 0x9A);
        assert_int_equal(vt_slot_parse("9E", &ref), 0);
        assert_int_equal(ref, 0x9E);
        assert_int_equal(vt_slot_parse("82", &ref), 0);
        assert_int_equal(vt_slot_parse("95", &ref), 0);
        assert_int_equal(ref, 0x95);
        assert_int_equal(vt_slot_parse("9b", &ref), -1);
        assert_int_equal(vt_slot_parse("96", &ref), -1);
        assert_int_equal(vt_slot_parse("81", &ref), -1);
        assert_int_equal(vt_slot_parse("f9", &ref), -1);
        assert_int_equal(vt_slot_parse("9a0", &ref), -1);
        assert_int_equal(vt_slot_parse("", &ref), -1);
        assert_int_equal(vt_slot_parse("x9", &ref), -1);
}

/* Each refused creation leaves the parent directory as empty as it was. */
static void test_refused_leaves_nothing(void **state)
{
        struct fixture *f = *state;
        char err[512];
        struct vt_init_opts bad[] = {
            {.profile = "ecert", .pin = "weakweak"},
            {.pin = "123"},
            {.puk = "12"},
            {.retries = 16},
            {.profile = "nope"},
            {.subject = "CN=x"},
            {.n_generate = 1, .generate = {{0x9B, VT_ALG_P256, NULL}}},
            {.n_generate = 1, .generate = {{0x9A, VT_ALG_3DES, NULL}}},
            {.n_generate = 2, .generate = {{0x9A, VT_ALG_P256, NULL}, {0x9A, VT_ALG_P384, NULL}}},
            {.n_import = 1, .import = {{0x9A, 0, "/nonexistent.p12"}}},
            {.ca_key = "/nonexistent.key"},
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err[0] = '\0';
                assert_int_equal(vt_image_create(f->dir, &bad[i], err, sizeof(err)), -1);
                assert_true(err[0] != '\0');
                assert_int_equal(entries(f->parent), 0);
        }
}

static void test_existing_image_needs_force(void **state)
{
        struct fixture *f = *state;
        struct vt_init_opts o = {.n_generate = 1, .generate = {{0x9C, VT_ALG_P256, NULL}}};
        struct vt_image *before, *after;
        char err[512];

        create_ok(f->dir, &o);
        before = load(f->dir);
        o.generate[0].alg = VT_ALG_ED25519;
        assert_int_equal(vt_image_create(f->dir, &o, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "--force"));
        after = load(f->dir);
        assert_memory_equal(before->guid, after->guid, 16);
        vt_image_free(after);

        o.force = true;
        create_ok(f->dir, &o);
        after = load(f->dir);
        assert_memory_not_equal(before->guid, after->guid, 16);
        assert_int_equal(vt_image_slot(after, 0x9C)->alg, VT_ALG_ED25519);
        assert_int_equal(entries(f->parent), 1); /* the old image is gone */
        vt_image_free(after);
        vt_image_free(before);
}

static void test_force_refuses_a_foreign_directory(void **state)
{
        struct fixture *f = *state;
        struct vt_init_opts o = {.force = true};
        char err[512], path[160];
        FILE *fp;

        assert_int_equal(mkdir(f->dir, 0755), 0);
        snprintf(path, sizeof(path), "%s/precious.txt", f->dir);
        assert_non_null(fp = fopen(path, "w"));
        fclose(fp);
        assert_int_equal(vt_image_create(f->dir, &o, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "not a card image"));
        assert_int_equal(access(path, F_OK), 0);
}

static void test_fills_an_empty_directory(void **state)
{
        struct fixture *f = *state;
        struct vt_init_opts o = {.n_generate = 1, .generate = {{0x9A, VT_ALG_P256, NULL}}};
        struct vt_image *img;
        struct stat st;

        /* as systemd's StateDirectory= hands it over */
        assert_int_equal(mkdir(f->dir, 0755), 0);
        create_ok(f->dir, &o);
        img = load(f->dir);
        assert_non_null(vt_image_slot(img, 0x9A)->key);
        vt_image_free(img);
        assert_int_equal(stat(f->dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        const struct CMUnitTest tests[] = {
            T(test_piv_defaults),
            T(test_ecert_random_pin_and_envelope),
            T(test_random_pins_differ),
            cmocka_unit_test(test_envelope_path),
            cmocka_unit_test(test_slot_parse),
            T(test_refused_leaves_nothing),
            T(test_existing_image_needs_force),
            T(test_force_refuses_a_foreign_directory),
            T(test_fills_an_empty_directory),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
