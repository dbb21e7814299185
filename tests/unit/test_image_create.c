/* SPDX-License-Identifier: Apache-2.0 */
/* Creating images from the piv and ecert profiles: what the card holds afterwards, the PIN
 * envelope, and that a refused or replaced image leaves no trace. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store_test.h"

#define load(dir) load_image_or_fail((dir), "load failed")

#include "attest.h"
#include "piv_state.h"
#include "keygen.h"
#include "openpgp.h"
#include "pgp_state.h"
#include "pin.h"
#include "profile.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct fixture {
        char parent[64];
        char dir[96];
};

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
        assert_memory_equal(img->version, "\x05\x04\x03", 3); /* the default firmware */
        assert_memory_not_equal(img->guid, zero, 16);
        assert_true(img->serial >= 10000000 && img->serial <= 99999999);
        assert_true(secret_is(&vt_piv_of(img)->pin, "123456"));
        assert_false(secret_is(&vt_piv_of(img)->pin, "654321"));
        assert_true(secret_is(&vt_piv_of(img)->puk, "12345678"));
        assert_int_equal(vt_piv_of(img)->pin.max_tries, 3);
        assert_int_equal(vt_piv_of(img)->pin.tries_left, 3);
        assert_int_equal(vt_piv_of(img)->puk.max_tries, 3);
        assert_int_equal(vt_piv_of(img)->pin_rules.min_len, 6);
        assert_int_equal(vt_piv_of(img)->pin_rules.max_len, 8);
        assert_int_equal(vt_piv_of(img)->pin_rules.charset, VT_PIN_CHARS_ANY);
        assert_int_equal(vt_piv_of(img)->mgm_alg, VT_ALG_3DES);
        assert_int_equal(vt_piv_of(img)->mgm_key_len, 24);
        assert_memory_equal(vt_piv_of(img)->mgm_key, mgm, 24);
        assert_int_equal(vt_piv_slot(vt_piv_of(img), 0x9A)->alg, VT_ALG_RSA2048);
        assert_int_equal(vt_piv_slot(vt_piv_of(img), 0x9C)->alg, VT_ALG_P256);
        assert_int_equal(vt_piv_slot(vt_piv_of(img), 0x9D)->alg, VT_ALG_RSA2048);
        assert_int_equal(vt_piv_slot(vt_piv_of(img), 0x9E)->alg, VT_ALG_P256);
        for (size_t i = 0; i < VT_SLOTS; i++) {
                struct vt_slot *s = &vt_piv_of(img)->slots[i];
                bool used = s->ref == 0x9A || s->ref == 0x9C || s->ref == 0x9D || s->ref == 0x9E ||
                            s->ref == 0xF9;
                assert_int_equal(!!s->key, used);
                assert_int_equal(!!s->cert, used);
                assert_int_equal(s->generated, used);
        }
        assert_int_equal(img->compat, VT_COMPAT_NONE);
        assert_true(img->yubikey_mgmt_aid);
        vt_image_free(img);
        assert_int_equal(entries(f->parent), 1); /* the image, and no envelope, no temp dir */
}

static X509 *read_cert(const char *path)
{
        FILE *fp = fopen(path, "r");
        X509 *x;

        assert_non_null(fp);
        x = PEM_read_X509(fp, NULL, NULL, NULL);
        fclose(fp);
        assert_non_null(x);
        return x;
}

static X509 *slot_cert(const struct vt_slot *s)
{
        const uint8_t *p = s->cert;
        X509 *x = d2i_X509(NULL, &p, (long)s->cert_len);

        assert_non_null(x);
        return x;
}

static void cn_of(X509 *x, char *out, int cap)
{
        assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out, cap) >
                    0);
}

/* Verifies leaf against the trusted CA with untrusted intermediates, as `openssl verify
 * -CAfile ca -untrusted f9 leaf` does. */
static int chain_verifies(X509 *ca, X509 *mid, X509 *leaf)
{
        X509_STORE *store = X509_STORE_new();
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        STACK_OF(X509) *untrusted = sk_X509_new_null();
        int r;

        assert_int_equal(X509_STORE_add_cert(store, ca), 1);
        if (mid)
                assert_true(sk_X509_push(untrusted, mid) > 0);
        assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, untrusted), 1);
        r = X509_verify_cert(ctx);
        X509_STORE_CTX_free(ctx);
        sk_X509_free(untrusted);
        X509_STORE_free(store);
        return r;
}

/* Each image has its attestation key F9 and certificate, issued by a CA of its own whose
 * certificate is in the image; an attestation certificate of a slot chains through F9 to it. */
static void check_attestation(const char *dir, const struct vt_image *other_ca_of)
{
        char path[256], cn[128], want[128];
        struct vt_image *img = load(dir);
        struct vt_slot *f9 = vt_piv_slot(vt_piv_of(img), 0xF9),
                       *s = vt_piv_slot(vt_piv_of(img), 0x9A);
        X509 *ca, *f9x, *att, *leaf;
        uint8_t *der;
        size_t len;

        assert_non_null(f9->key);
        assert_int_equal(f9->alg, VT_ALG_P256);
        assert_true(f9->generated);
        snprintf(path, sizeof(path), "%s/attestation-ca.crt.pem", dir);
        ca = read_cert(path);
        f9x = slot_cert(f9);
        cn_of(ca, cn, sizeof(cn));
        snprintf(want, sizeof(want), "vtoken TEST Attestation CA %u", (unsigned)img->serial);
        assert_string_equal(cn, want);
        assert_int_equal(X509_check_issued(ca, f9x), X509_V_OK);
        assert_int_equal(X509_check_ca(f9x), 1); /* F9 issues the attestation certificates */
        assert_int_equal(vt_key_matches_cert(f9->key, f9x), 1);
        assert_int_equal(chain_verifies(ca, NULL, f9x), 1);

        /* what ATTEST answers for 9A */
        assert_int_equal(vt_attest(img, f9, s, VT_PIN_ONCE, VT_TOUCH_NEVER, &der, &len), 0);
        const uint8_t *p = der;
        att = d2i_X509(NULL, &p, (long)len);
        assert_non_null(att);
        OPENSSL_free(der);
        assert_int_equal(chain_verifies(ca, f9x, att), 1);
        assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(att), s->key), 1);
        /* another image's CA does not vouch for this card */
        if (other_ca_of) {
                leaf = slot_cert(vt_piv_slot(vt_piv_of(other_ca_of), 0xF9));
                assert_int_equal(chain_verifies(ca, NULL, leaf), 0);
                X509_free(leaf);
        }
        X509_free(att);
        X509_free(f9x);
        X509_free(ca);
        vt_image_free(img);
}

static void test_attestation_per_image(void **state)
{
        struct fixture *f = *state;
        struct vt_init_opts o = {0};
        char err[512], second[128];
        struct vt_image *first;

        create_ok(f->dir, &o);
        check_attestation(f->dir, NULL);
        first = load(f->dir);
        snprintf(second, sizeof(second), "%s/ecert", f->parent);
        o.profile = "ecert";
        create_ok(second, &o);
        check_attestation(second, first);
        vt_image_free(first);
        /* --generate and --import leave F9 to the image too */
        o = (struct vt_init_opts){
            .force = true, .n_generate = 1, .generate = {{0x9A, VT_ALG_ED25519, NULL}}};
        assert_int_equal(vt_image_create(f->dir, &o, err, sizeof(err)), 0);
        check_attestation(f->dir, NULL);
}

static void test_yubikey_compat(void **state)
{
        struct fixture *f = *state;
        static const uint8_t yk_atr[] = {0x3B, 0xFD, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE,
                                         0x15, 0x80, 0x73, 0xC0, 0x21, 0xC0, 0x57, 0x59,
                                         0x75, 0x62, 0x69, 0x4B, 0x65, 0x79, 0x40};
        static const uint8_t neutral[] = {0x3B, 0x88, 0x01, 0x50, 0x49, 0x56,
                                          0x73, 0x69, 0x6D, 0x30, 0x31, 0xB0};
        struct vt_init_opts o = {.compat = "yubikey"};
        struct vt_image *img;
        char err[512];

        create_ok(f->dir, &o);
        img = load(f->dir);
        assert_int_equal(img->compat, VT_COMPAT_YUBIKEY);
        assert_int_equal(img->atr_len, sizeof(yk_atr));
        assert_memory_equal(img->atr, yk_atr, sizeof(yk_atr));
        assert_true(img->yubikey_mgmt_aid);
        assert_memory_equal(img->version, "\x05\x04\x03", 3); /* the default firmware */
        /* card.ini keeps its own ATR and setting: compat = none brings them back */
        img->own_mgmt_aid = false;
        assert_int_equal(vt_save_card(f->dir, img), 0);
        vt_image_free(img);
        img = load(f->dir);
        assert_memory_equal(img->atr, yk_atr, sizeof(yk_atr));
        assert_true(img->yubikey_mgmt_aid);
        vt_image_set_compat(img, VT_COMPAT_NONE);
        assert_int_equal(img->atr_len, sizeof(neutral));
        assert_memory_equal(img->atr, neutral, sizeof(neutral));
        assert_false(img->yubikey_mgmt_aid);
        assert_int_equal(vt_save_card(f->dir, img), 0);
        vt_image_free(img);
        img = load(f->dir);
        assert_int_equal(img->compat, VT_COMPAT_NONE);
        assert_memory_equal(img->atr, neutral, sizeof(neutral));
        assert_false(img->yubikey_mgmt_aid);
        vt_image_free(img);

        o = (struct vt_init_opts){.compat = "yubikey5", .force = true};
        assert_int_equal(vt_image_create(f->dir, &o, err, sizeof(err)), -2);
        assert_non_null(strstr(err, "unknown compat"));
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
        assert_true(secret_is(&vt_piv_of(img)->pin, pin));
        assert_int_equal(vt_piv_of(img)->pin.max_tries, 15);
        assert_int_equal(vt_piv_of(img)->pin_rules.charset, VT_PIN_CHARS_STRONG);
        vt_pin_pad(pin, padded);
        assert_true(vt_pin_acceptable(&vt_piv_of(img)->pin_rules, padded));
        assert_non_null(vt_piv_slot(vt_piv_of(img), 0x9A)->cert);
        assert_non_null(vt_piv_slot(vt_piv_of(img), 0x9C)->cert);
        assert_null(vt_piv_slot(vt_piv_of(img), 0x9D)->key);
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
        assert_int_equal(piv_slot_parse("9a", &ref), 0);
        assert_int_equal(ref, 0x9A);
        assert_int_equal(piv_slot_parse("9E", &ref), 0);
        assert_int_equal(ref, 0x9E);
        assert_int_equal(piv_slot_parse("82", &ref), 0);
        assert_int_equal(piv_slot_parse("95", &ref), 0);
        assert_int_equal(ref, 0x95);
        assert_int_equal(piv_slot_parse("9b", &ref), -1);
        assert_int_equal(piv_slot_parse("96", &ref), -1);
        assert_int_equal(piv_slot_parse("81", &ref), -1);
        assert_int_equal(piv_slot_parse("f9", &ref), -1);
        assert_int_equal(piv_slot_parse("9a0", &ref), -1);
        assert_int_equal(piv_slot_parse("", &ref), -1);
        assert_int_equal(piv_slot_parse("x9", &ref), -1);
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
            {.ca_key = "/nonexistent.key"}, /* without its CERT */
            {.compat = "yubikey4"},
        };

        /* -2: the options are wrong in themselves (a usage error); -1: the files are */
        const int want[] = {-2, -2, -2, -2, -2, -2, -2, -2, -2, -1, -2, -2};

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err[0] = '\0';
                assert_int_equal(vt_image_create(f->dir, &bad[i], err, sizeof(err)), want[i]);
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
        assert_int_equal(vt_piv_slot(vt_piv_of(after), 0x9C)->alg, VT_ALG_ED25519);
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
        assert_non_null(vt_piv_slot(vt_piv_of(img), 0x9A)->key);
        vt_image_free(img);
        assert_int_equal(stat(f->dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
}

/* The profile's PINs reach every unit through its row's set_pins: PIV's PIN and PUK, and
 * OpenPGP's PW1 and PW3, with --retries; each unit refuses what does not fit it, PIV as a usage
 * error (-2). */
static void test_pins_through_the_units(void **state)
{
        struct fixture *f = *state;
        struct vt_init_opts o = {
            .profile = "piv+openpgp", .pin = "246810", .puk = "87654321", .retries = 5};
        struct vt_image *img;
        char err[512] = "";

        create_ok(f->dir, &o);
        img = load(f->dir);
        assert_true(secret_is(&vt_piv_of(img)->pin, "246810"));
        assert_true(secret_is(&vt_piv_of(img)->puk, "87654321"));
        assert_int_equal(vt_piv_of(img)->pin.max_tries, 5);
        assert_true(pgp_pw_matches(&vt_pgp_of(img)->pw1, (const uint8_t *)"246810", 6));
        assert_true(pgp_pw_matches(&vt_pgp_of(img)->pw3, (const uint8_t *)"87654321", 8));
        assert_int_equal(vt_pgp_of(img)->pw1.s.max_tries, 5);
        assert_int_equal(vt_pgp_of(img)->pw3.s.max_tries, 5);
        vt_image_free(img);

        o = (struct vt_init_opts){.profile = "piv", .pin = "12345", .force = true};
        assert_int_equal(vt_image_create(f->dir, &o, err, sizeof(err)), -2);
        assert_string_equal(err, "the PIN must have 6 to 8 characters");
        o = (struct vt_init_opts){.profile = "openpgp", .puk = "1234567", .force = true};
        assert_int_equal(vt_image_create(f->dir, &o, err, sizeof(err)), -1);
        assert_string_equal(err, "the OpenPGP admin PIN (--puk) must have 8 to 127 characters");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        const struct CMUnitTest tests[] = {
            T(test_piv_defaults),
            T(test_pins_through_the_units),
            T(test_ecert_random_pin_and_envelope),
            T(test_attestation_per_image),
            T(test_yubikey_compat),
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
