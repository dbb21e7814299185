/* SPDX-License-Identifier: Apache-2.0 */
/* The OpenPGP state in a card image: openpgp.ini and openpgp-*.key.pem as vt_image_save and
 * the file store's commits write them (0600, atomically, never through a link), what load reads
 * back, and how it refuses a broken file with its name and line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pgp_assert.h"
#include "store_test.h"
#include "test_util.h"

#include "card.h"
#include "image_dir.h"
#include "image_store.h"
#include "openpgp.h"
#include "pin.h"
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
        char dir[64];
        struct vt_image *img;
};

static EVP_PKEY *ed25519, *cv25519;

static int group_setup(void **state)
{
        (void)state;
        ed25519 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        cv25519 = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
        return ed25519 && cv25519 ? 0 : -1;
}

static int group_teardown(void **state)
{
        (void)state;
        EVP_PKEY_free(ed25519);
        EVP_PKEY_free(cv25519);
        return 0;
}

static void put_key(struct vt_pgp_state *st, int ref, const char *alg, EVP_PKEY *key)
{
        struct pgp_key *k = &st->keys[ref];
        k->attr_len = pgp_attr_of_alg(pgp_alg_by_name(alg), ref, k->attr);
        assert_int_equal(EVP_PKEY_up_ref(key), 1);
        k->key = key;
        k->origin = 2;
        memset(k->fpr, 0xAB, sizeof(k->fpr));
        k->time[3] = 7;
}

/* A card with PIV and OpenPGP: Ed25519 signature key, Cv25519 decryption key, a name, a
 * certificate, a resetting code, PW1 with one try spent. Saved in a fresh directory. */
static int setup(void **state)
{
        static const uint8_t atr[] = {0x3B, 0x80, 0x80, 0x01, 0x01};
        struct fixture *f = calloc(1, sizeof(*f));
        uint8_t padded[8];
        assert_non_null(f);
        snprintf(f->dir, sizeof(f->dir), "/tmp/vt-pgpimg-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        assert_non_null(f->img = vt_piv_image_new(f->dir));
        memcpy(f->img->atr, atr, sizeof(atr));
        f->img->atr_len = sizeof(atr);
        f->img->firmware = true;
        f->img->version[0] = 5;
        vt_pin_pad("123456", padded);
        vt_secret_set(&vt_piv_of(f->img)->pin, padded);
        vt_secret_set(&vt_piv_of(f->img)->puk, padded);
        memcpy(vt_piv_of(f->img)->mgm_key, vt_piv_default_mgm_key, sizeof(vt_piv_default_mgm_key));
        vt_piv_of(f->img)->mgm_key_len = sizeof(vt_piv_default_mgm_key);
        struct vt_pgp_state *st = pgp_state_new(0xFFFE, 0x0ABCDEF1);
        assert_non_null(st);
        assert_int_equal(vt_image_add_unit(f->img, &vt_unit_openpgp, st), 0);
        put_key(st, PGP_SIG, "ed25519", ed25519);
        put_key(st, PGP_DEC, "cv25519", cv25519);
        assert_int_equal(pgp_state_set_do(st, PGP_DO_NAME, (const uint8_t *)"Doe<<Jane", 9), 0);
        assert_int_equal(pgp_state_set_do(st, PGP_DO_CERT_SIG, (const uint8_t *)"\x30\x00", 2), 0);
        /* the largest objects: a 255-byte URL, a 2048-byte certificate */
        static uint8_t big[2048];
        memset(big, 'u', sizeof(big));
        assert_int_equal(pgp_state_set_do(st, PGP_DO_URL, big, 255), 0);
        assert_int_equal(pgp_state_set_do(st, PGP_DO_CERT_AUT, big, sizeof(big)), 0);
        pgp_pw_set(&st->rc, (const uint8_t *)"resetting", 9);
        st->pw1.s.tries_left = 2;
        st->sig_count = 41;
        st->pw1_multi = false;
        st->keys[PGP_AUT].uif = 3;
        assert_int_equal(vt_image_save(f->dir, f->img), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        rm_rf(f->dir);
        vt_image_free(f->img);
        free(f);
        return 0;
}

static void test_round_trip(void **state)
{
        struct fixture *f = *state;
        struct vt_image *b = load_image_or_fail(f->dir, "load");
        assert_non_null(vt_pgp_of(b));
        assert_int_equal(vt_pgp_of(b)->serial, 0x0ABCDEF1);
        assert_int_equal(vt_pgp_of(b)->manufacturer, 0xFFFE);
        assert_int_equal(vt_pgp_of(b)->sig_count, 41);
        assert_same_pgp(vt_pgp_of(f->img), vt_pgp_of(b));
        assert_true(pgp_pw_matches(&vt_pgp_of(b)->pw1, (const uint8_t *)"123456", 6));
        assert_true(pgp_pw_matches(&vt_pgp_of(b)->rc, (const uint8_t *)"resetting", 9));
        vt_image_free(b);
}

static void test_files_are_private_and_hold_no_password(void **state)
{
        struct fixture *f = *state;
        static const char *names[] = {"openpgp.ini",         "openpgp-sig.key.pem",
                                      "openpgp-dec.key.pem", "openpgp-name.bin",
                                      "openpgp-url.bin",     "openpgp-cert-aut.bin"};
        char path[512], text[8192];
        struct stat st;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", f->dir, names[i]);
                assert_int_equal(stat(path, &st), 0);
                assert_int_equal(st.st_mode & 07777, 0600);
        }
        snprintf(path, sizeof(path), "%s/openpgp-aut.key.pem", f->dir);
        assert_int_equal(access(path, F_OK), -1);
        snprintf(path, sizeof(path), "%s/openpgp.ini", f->dir);
        FILE *fp = fopen(path, "r");
        size_t n = fread(text, 1, sizeof(text) - 1, fp);
        fclose(fp);
        text[n] = '\0';
        assert_null(strstr(text, "123456"));
        assert_null(strstr(text, "resetting"));
        assert_non_null(strstr(
            text,
            "[key sig]\n; the key is in openpgp-sig.key.pem\nattributes = 162B06010401DA470F01\n"));
        snprintf(path, sizeof(path), "%s/openpgp-name.bin", f->dir);
        fp = fopen(path, "r");
        n = fread(text, 1, sizeof(text) - 1, fp);
        fclose(fp);
        assert_int_equal(n, 9);
        assert_memory_equal(text, "Doe<<Jane", 9);
        snprintf(path, sizeof(path), "%s/openpgp-lang.bin", f->dir); /* empty: no file */
        assert_int_equal(access(path, F_OK), -1);
}

/* A card over the file store: what the commands change is on disk before they answer. */
static void test_card_commits_to_the_files(void **state)
{
        struct fixture *f = *state;
        struct vt_file_store fs;
        struct vt_store store;
        struct vt_card card;
        uint8_t cmd[64], out[VT_RAPDU_MAX];
        char err[256];
        int dirfd = vt_dir_open(f->dir, err, sizeof(err));
        struct vt_image *img = load_image_or_fail(f->dir, "load"), *b;
        assert_true(dirfd >= 0);
        vt_file_store_init(&fs, dirfd, img);
        store = vt_file_store(&fs);
        assert_int_equal(vt_card_setup(&card, img, &store, err, sizeof(err)), 0);
        vt_card_power_on(&card);
#define SEND(hex, sw)                                                                              \
        do {                                                                                       \
                size_t n_ = vt_card_transmit(&card, cmd, hex_decode(hex, cmd, sizeof(cmd)), out);  \
                assert_int_equal(out[n_ - 2] << 8 | out[n_ - 1], sw);                              \
        } while (0)
        SEND("00 A4 04 00 06 D2 76 00 01 24 01", 0x9000);
        SEND("00 20 00 82 06 30 30 30 30 30 30", 0x63C1);
        b = load_image_or_fail(f->dir, "after VERIFY");
        assert_int_equal(vt_pgp_of(b)->pw1.s.tries_left, 1);
        vt_image_free(b);
        SEND("00 20 00 83 08 31 32 33 34 35 36 37 38", 0x9000);
        SEND("00 DA 00 5B 03 41 42 43", 0x9000);
        SEND("00 47 80 00 00 00 02 A4 00 00 00", 0x9000);
        b = load_image_or_fail(f->dir, "after GENERATE");
        assert_int_equal(vt_pgp_of(b)->dos[PGP_DO_NAME].len, 3);
        assert_same_pgp(vt_pgp_of(img), vt_pgp_of(b));
        vt_image_free(b);
        /* the factory reset removes every key file */
        for (int i = 0; i < 3; i++)
                SEND("00 20 00 83 08 30 30 30 30 30 30 30 30", i < 2 ? 0x63C2 - i : 0x63C0);
        SEND("00 E6 00 00", 0x9000);
        SEND("00 44 00 00", 0x9000);
        char path[512];
        for (int i = 0; i < PGP_KEYS; i++) {
                snprintf(path, sizeof(path), "%s/openpgp-%s.key.pem", f->dir, pgp_key_name(i));
                assert_int_equal(access(path, F_OK), -1);
        }
        b = load_image_or_fail(f->dir, "after the factory reset");
        assert_same_pgp(vt_pgp_of(img), vt_pgp_of(b));
        assert_int_equal(vt_pgp_of(b)->serial, 0x0ABCDEF1);
        vt_image_free(b);
#undef SEND
        vt_card_release(&card);
        vt_image_free(img);
        close(dirfd);
}

static void load_fails(const char *dir, const char *file, const char *why)
{
        char err[512] = "";
        struct vt_image *img = vt_image_load(dir, err, sizeof(err));
        assert_null(img);
        if (!strstr(err, file) || !strstr(err, why))
                fail_msg("'%s' should name %s and say '%s'", err, file, why);
}

static void replace_line(const char *dir, const char *from, const char *to)
{
        char path[512], text[8192], out[8192];
        snprintf(path, sizeof(path), "%s/openpgp.ini", dir);
        FILE *fp = fopen(path, "r");
        size_t n = fread(text, 1, sizeof(text) - 1, fp);
        fclose(fp);
        text[n] = '\0';
        char *at = strstr(text, from);
        assert_non_null(at);
        snprintf(out, sizeof(out), "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
        fp = fopen(path, "w");
        fputs(out, fp);
        fclose(fp);
}

static void test_broken_files_are_named(void **state)
{
        struct fixture *f = *state;
        char path[512];
        replace_line(f->dir, "signature_counter = 41", "signature_counter = lots");
        load_fails(f->dir, "openpgp.ini:8", "signature_counter must be");
        replace_line(f->dir, "signature_counter = lots", "colour = blue");
        load_fails(f->dir, "openpgp.ini:8", "unknown key 'colour'");
        replace_line(f->dir, "colour = blue", "signature_counter = 41");
        /* a key that is not what the attributes say */
        replace_line(f->dir, "attributes = 162B06010401DA470F01",
                     "attributes = 132A8648CE3D030107");
        load_fails(f->dir, "openpgp-sig.key.pem", "not of the algorithm");
        replace_line(f->dir, "attributes = 132A8648CE3D030107",
                     "attributes = 162B06010401DA470F01");
        /* an object larger than it can be */
        snprintf(path, sizeof(path), "%s/openpgp-sex.bin", f->dir);
        FILE *fp = fopen(path, "w");
        fputs("12", fp);
        fclose(fp);
        load_fails(f->dir, "openpgp-sex.bin", "more than the 1");
        unlink(path);
        /* a planted link */
        snprintf(path, sizeof(path), "%s/openpgp-aut.key.pem", f->dir);
        assert_int_equal(symlink("/etc/shadow", path), 0);
        load_fails(f->dir, "openpgp-aut.key.pem", "symbolic link");
        unlink(path);
        snprintf(path, sizeof(path), "%s/openpgp.ini", f->dir);
        unlink(path);
        load_fails(f->dir, "openpgp.ini", "No such file");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        const struct CMUnitTest tests[] = {
            T(test_round_trip),
            T(test_files_are_private_and_hold_no_password),
            T(test_card_commits_to_the_files),
            T(test_broken_files_are_named),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
