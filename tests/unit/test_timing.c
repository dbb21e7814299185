/* SPDX-License-Identifier: Apache-2.0 */
/* Timing personalities: the named tables and their published figures, the rows and the values
 * they take, card.ini's timing and [timing] (written, read back, refused with file and line),
 * and what the PIV applet says each command is. */
#include "piv_test.h"
#include "store_test.h"

#include "timing.h"

#include <stdlib.h>

static uint32_t cost(const struct vt_timing *t, uint8_t kind, uint8_t alg)
{
        return vt_timing_cost(t, (struct vt_op){kind, alg});
}

/* instant costs nothing; yubikey5 is jsign's YubiKey 5 NFC (firmware 5.1.2) to the µs. */
static void test_tables(void **state)
{
        struct vt_timing t;
        struct vt_op op;
        (void)state;
        assert_string_equal(vt_timing_at(0), "instant");
        assert_string_equal(vt_timing_at(1), "yubikey5");
        assert_null(vt_timing_at(2));
        assert_non_null(vt_timing_about(1));
        assert_int_equal(vt_timing_builtin("fast", &t), -1);

        assert_int_equal(vt_timing_builtin("instant", &t), 0);
        for (size_t i = 0; vt_timing_row_at(i, &op); i++)
                assert_int_equal(vt_timing_cost(&t, op), 0);

        assert_int_equal(vt_timing_builtin("yubikey5", &t), 0);
        assert_string_equal(t.name, "yubikey5");
        assert_true(vt_timing_is_builtin(&t));
        assert_int_equal(cost(&t, VT_OP_SELECT, VT_CRYPTO_NONE), 1257);
        assert_int_equal(cost(&t, VT_OP_READ_CERT, VT_CRYPTO_NONE), 7298);
        assert_int_equal(cost(&t, VT_OP_VERIFY, VT_CRYPTO_NONE), 9135);
        assert_int_equal(cost(&t, VT_OP_SIGN, VT_CRYPTO_RSA1024), 56238);
        assert_int_equal(cost(&t, VT_OP_SIGN, VT_CRYPTO_RSA2048), 138491);
        assert_int_equal(cost(&t, VT_OP_SIGN, VT_CRYPTO_P256), 71572);
        assert_int_equal(cost(&t, VT_OP_SIGN, VT_CRYPTO_P384), 118563);
        assert_int_equal(cost(&t, VT_OP_SIGN, VT_CRYPTO_RSA3072), 517010);
        assert_int_equal(cost(&t, VT_OP_SIGN, VT_CRYPTO_RSA4096), 855868);
        /* every row of the table has a figure (published or estimated), none is left at 0 */
        for (size_t i = 0; vt_timing_row_at(i, &op); i++)
                assert_true(vt_timing_cost(&t, op) > 0);
        /* out of range asks cost nothing rather than read past the table */
        assert_int_equal(cost(&t, VT_OP_N, 0), 0);
        assert_int_equal(cost(&t, VT_OP_SIGN, VT_CRYPTO_N_ALGS), 0);
        t.us[VT_OP_VERIFY][VT_CRYPTO_NONE] = 1;
        assert_false(vt_timing_is_builtin(&t));
}

/* docs/timing.md's table is the yubikey5 table: every row, to the µs. */
static void test_docs_table(void **state)
{
        const char *data = getenv("VT_TEST_DATA");
        char path[4096], line[512];
        struct vt_timing yk, doc;
        struct vt_op op;
        size_t rows = 0, want = 0;
        FILE *fp;
        (void)state;
        if (!data)
                skip();
        snprintf(path, sizeof(path), "%s/../../docs/timing.md", data);
        assert_non_null(fp = fopen(path, "r"));
        vt_timing_builtin("yubikey5", &yk);
        vt_timing_builtin("instant", &doc);
        while (fgets(line, sizeof(line), fp)) {
                char row[64], ms[32], err[256];
                if (sscanf(line, "| %63[a-z0-9-] | %31[0-9.] |", row, ms) != 2)
                        continue;
                if (vt_timing_set(&doc, row, ms, err, sizeof(err)) < 0)
                        fail_msg("docs/timing.md: %s", err);
                rows++;
        }
        fclose(fp);
        for (size_t i = 0; vt_timing_row_at(i, &op); i++, want++) {
                char name[32];
                vt_timing_row_name(op, name, sizeof(name));
                if (vt_timing_cost(&doc, op) != vt_timing_cost(&yk, op))
                        fail_msg("docs/timing.md's %s is %u us, the table's %u us", name,
                                 vt_timing_cost(&doc, op), vt_timing_cost(&yk, op));
        }
        assert_int_equal(rows, want);
}

/* Each row has one name; only the algorithms an op takes make rows. */
static void test_rows(void **state)
{
        struct vt_op op;
        char names[128][32], buf[32];
        size_t n = 0;
        (void)state;
        for (; vt_timing_row_at(n, &op); n++) {
                assert_true(n < 128);
                assert_true(vt_timing_row_name(op, names[n], sizeof(names[n])));
                for (size_t j = 0; j < n; j++)
                        assert_string_not_equal(names[j], names[n]);
        }
        assert_true(n > 20);
        assert_true(vt_timing_row_name((struct vt_op){VT_OP_SIGN, VT_CRYPTO_RSA2048}, buf, 32));
        assert_string_equal(buf, "sign-rsa2048");
        assert_true(vt_timing_row_name((struct vt_op){VT_OP_READ_CERT, VT_CRYPTO_NONE}, buf, 32));
        assert_string_equal(buf, "read-cert");
        assert_false(vt_timing_row_name((struct vt_op){VT_OP_DECRYPT, VT_CRYPTO_P256}, buf, 32));
        assert_false(vt_timing_row_name((struct vt_op){VT_OP_AGREE, VT_CRYPTO_RSA2048}, buf, 32));
        assert_false(vt_timing_row_name((struct vt_op){VT_OP_SIGN, VT_CRYPTO_X25519}, buf, 32));
        assert_false(vt_timing_row_name((struct vt_op){VT_OP_VERIFY, VT_CRYPTO_P256}, buf, 32));
        assert_false(vt_timing_row_name((struct vt_op){VT_OP_SIGN, VT_CRYPTO_NONE}, buf, 32));
}

/* Values are milliseconds with at most three decimals, 0 to 60000; anything else is refused,
 * naming the row. */
static void test_set(void **state)
{
        static const struct {
                const char *ms;
                uint32_t us;
        } good[] = {{"250", 250000}, {"0.5", 500},        {"138.491", 138491},
                    {"0", 0},        {"60000", 60000000}, {"007.250", 7250}};
        static const char *const bad[] = {
            "",   "1.", ".5",   "1.2345", "60000.001",           "-1", "abc", "1e3",
            " 5", "5 ", "0x10", "70000",  "99999999999999999999"};
        struct vt_timing t;
        char err[256], ms[16];
        (void)state;
        vt_timing_builtin("instant", &t);
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                assert_int_equal(vt_timing_set(&t, "sign-p256", good[i].ms, err, sizeof(err)), 0);
                assert_int_equal(cost(&t, VT_OP_SIGN, VT_CRYPTO_P256), good[i].us);
                vt_timing_format_ms(good[i].us, ms, sizeof(ms));
                assert_int_equal(vt_timing_set(&t, "verify", ms, err, sizeof(err)), 0);
                assert_int_equal(cost(&t, VT_OP_VERIFY, VT_CRYPTO_NONE), good[i].us);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (vt_timing_set(&t, "sign-p256", bad[i], err, sizeof(err)) != -1)
                        fail_msg("'%s' taken as a time", bad[i]);
                if (!strstr(err, "sign-p256") || !strstr(err, "milliseconds"))
                        fail_msg("'%s': message '%s'", bad[i], err);
        }
        assert_int_equal(vt_timing_set(&t, "sign-fast", "1", err, sizeof(err)), -1);
        assert_non_null(strstr(err, "unknown timing row 'sign-fast'"));
        assert_int_equal(vt_timing_set(&t, "decrypt-p256", "1", err, sizeof(err)), -1);
        assert_int_equal(vt_timing_set(&t, "Verify", "1", err, sizeof(err)), -1);
}

/* ---- card.ini ---------------------------------------------------------------------------- */

struct ini_fixture {
        char dir[64];
        char *card, *state;
};

static int ini_setup(void **state)
{
        struct ini_fixture *f = calloc(1, sizeof(*f));
        struct vt_image *img = vt_piv_image_new("mem");
        FILE *fp;
        char path[128];
        long n;
        assert_non_null(f);
        assert_non_null(img);
        snprintf(f->dir, sizeof(f->dir), "/tmp/vt-timing.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        memcpy(img->atr, test_atr, sizeof(test_atr));
        img->atr_len = sizeof(test_atr);
        img->version[0] = 5;
        img->version[1] = 4;
        img->version[2] = 3;
        img->firmware = true;
        vt_piv_of(img)->mgm_alg = VT_ALG_3DES;
        memcpy(vt_piv_of(img)->mgm_key, test_mgm_key, sizeof(test_mgm_key));
        vt_piv_of(img)->mgm_key_len = sizeof(test_mgm_key);
        assert_int_equal(vt_image_save(f->dir, img), 0);
        vt_image_free(img);
        for (int i = 0; i < 2; i++) {
                snprintf(path, sizeof(path), "%s/%s", f->dir, i ? "state" : "card.ini");
                assert_non_null(fp = fopen(path, "r"));
                fseek(fp, 0, SEEK_END);
                n = ftell(fp);
                rewind(fp);
                char *text = calloc(1, (size_t)n + 1);
                assert_non_null(text);
                assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
                fclose(fp);
                *(i ? &f->state : &f->card) = text;
        }
        *state = f;
        return 0;
}

static int ini_teardown(void **state)
{
        struct ini_fixture *f = *state;
        rm_rf(f->dir);
        free(f->card);
        free(f->state);
        free(f);
        return 0;
}

/* card.ini with extra appended, and the keys of extra's "[card]" (the last section in it) put
 * at the top of card.ini's own [card] (a section is given once); NULL and the loader's message in
 * err when refused. */
static struct vt_image *parse_with(struct ini_fixture *f, const char *extra, char *err,
                                   size_t errlen)
{
        size_t n = strlen(f->card) + strlen(extra) + 1;
        char *text = malloc(n);
        const char *card_keys = strstr(extra, "[card]\n");
        const char *after_header = strstr(f->card, "[card]\n");
        assert_non_null(text);
        assert_non_null(after_header);
        after_header += strlen("[card]\n");
        if (card_keys) /* card.ini's header, extra's [card] keys, card.ini's rest, extra's rest */
                snprintf(text, n, "%.*s%s%s%.*s", (int)(after_header - f->card), f->card,
                         card_keys + strlen("[card]\n"), after_header, (int)(card_keys - extra),
                         extra);
        else
                snprintf(text, n, "%s%s", f->card, extra);
        struct vt_image *img =
            vt_image_parse("/x", text, strlen(text), f->state, strlen(f->state), err, errlen);
        free(text);
        return img;
}

/* A card without timing is instant, and its card.ini says nothing of it. */
static void test_ini_default(void **state)
{
        struct ini_fixture *f = *state;
        char err[512] = "";
        assert_null(strstr(f->card, "timing"));
        struct vt_image *img = parse_with(f, "", err, sizeof(err));
        if (!img)
                fail_msg("%s", err);
        assert_string_equal(img->timing.name, "instant");
        assert_true(vt_timing_is_builtin(&img->timing));
        vt_image_free(img);
}

/* timing and [timing] are read (in any order), written back as they were, and read again. */
static void test_ini_round_trip(void **state)
{
        struct ini_fixture *f = *state;
        char err[512] = "", dir[80];
        struct vt_image *img = parse_with(
            f, "\n[timing]\nverify = 20\nsign-rsa2048 = 250.5\n[card]\ntiming = yubikey5\n", err,
            sizeof(err));
        if (!img)
                fail_msg("%s", err);
        assert_string_equal(img->timing.name, "yubikey5");
        assert_int_equal(cost(&img->timing, VT_OP_SIGN, VT_CRYPTO_RSA2048), 250500);
        assert_int_equal(cost(&img->timing, VT_OP_VERIFY, VT_CRYPTO_NONE), 20000);
        assert_int_equal(cost(&img->timing, VT_OP_SIGN, VT_CRYPTO_P256), 71572); /* the base's */

        snprintf(dir, sizeof(dir), "%s/again", f->dir);
        assert_int_equal(mkdir(dir, 0700), 0);
        assert_int_equal(vt_image_save(dir, img), 0);
        struct vt_image *back = load_image_or_fail(dir, "written with a timing");
        assert_memory_equal(&back->timing, &img->timing, sizeof(img->timing));
        const char *written = NULL;
        FILE *fp;
        char path[128], text[8192] = "";
        snprintf(path, sizeof(path), "%s/card.ini", dir);
        assert_non_null(fp = fopen(path, "r"));
        text[fread(text, 1, sizeof(text) - 1, fp)] = 0;
        fclose(fp);
        assert_non_null(strstr(text, "timing = yubikey5\n"));
        assert_non_null(written = strstr(text, "[timing]\n"));
        /* only the rows that differ from yubikey5 */
        assert_non_null(strstr(written, "verify = 20\n"));
        assert_non_null(strstr(written, "sign-rsa2048 = 250.500\n"));
        assert_null(strstr(written, "sign-p256"));
        vt_image_free(back);
        vt_image_free(img);
}

/* Strict: an unknown table, an unknown row, a bad value and a row given twice are refused,
 * with the file and the line. */
static void test_ini_refused(void **state)
{
        struct ini_fixture *f = *state;
        static const struct {
                const char *extra, *why;
        } cases[] = {
            {"\n[card]\ntiming = fast\n", "unknown timing 'fast': expected instant or yubikey5"},
            {"\n[timing]\nsign-fast = 3\n", "unknown timing row 'sign-fast'"},
            {"\n[timing]\nverify = soon\n", "verify: 'soon' is no time"},
            {"\n[timing]\nverify = 3\nselect = 1\nverify = 4\n",
             "'verify' again in [timing] (first at line"},
            {"\n[timing]\nagree-rsa2048 = 3\n", "unknown timing row 'agree-rsa2048'"},
        };
        size_t lines = 1;
        for (const char *p = f->card; *p; p++)
                lines += *p == '\n';
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char err[512] = "", want[64];
                /* the line of the culprit: the last line of the extra text, or of the keys put
                 * into [card] after its header */
                const char *card_keys = strstr(cases[i].extra, "[card]\n");
                size_t line = lines - 1;
                if (card_keys) {
                        line = 0;
                        for (const char *p = f->card; p <= strstr(f->card, "[card]\n"); p++)
                                line += *p == '\n';
                }
                for (const char *p = card_keys ? card_keys : cases[i].extra; *p; p++)
                        line += *p == '\n';
                assert_null(parse_with(f, cases[i].extra, err, sizeof(err)));
                snprintf(want, sizeof(want), "/x/card.ini:%zu: ", line);
                if (!strstr(err, want) || !strstr(err, cases[i].why))
                        fail_msg("case %zu: '%s' should say '%s%s'", i, err, want, cases[i].why);
        }
}

/* ---- what PIV says of its commands --------------------------------------------------------- */

/* The op of the APDU (hex), or of its last part when data needs chaining; ready says whether
 * the APDU completed a command. */
static struct vt_op op_of(struct fixture *f, const char *hex, bool *ready)
{
        uint8_t cmd[512], out[VT_RAPDU_MAX];
        struct vt_card_step step;
        size_t n = hex_decode(hex, cmd, sizeof(cmd));
        vt_card_receive(&f->card, cmd, n, out, &step);
        *ready = step.ready;
        if (step.ready)
                vt_card_execute(&f->card, out);
        return step.op;
}

static struct vt_op op_chained(struct fixture *f, uint8_t p1, uint8_t p2, const uint8_t *data,
                               size_t len)
{
        uint8_t cmd[5 + 255 + 1], out[VT_RAPDU_MAX];
        struct vt_card_step step;
        while (len > 255) {
                memcpy(cmd, (uint8_t[]){0x10, 0x87, p1, p2, 255}, 5);
                memcpy(cmd + 5, data, 255);
                vt_card_receive(&f->card, cmd, 5 + 255, out, &step);
                assert_false(step.ready); /* a part of a chain is no command: no cost */
                assert_int_equal(step.op.kind, VT_OP_OTHER);
                data += 255;
                len -= 255;
        }
        memcpy(cmd, (uint8_t[]){0x00, 0x87, p1, p2, (uint8_t)len}, 5);
        memcpy(cmd + 5, data, len);
        cmd[5 + len] = 0;
        vt_card_receive(&f->card, cmd, 5 + len + 1, out, &step);
        assert_true(step.ready);
        vt_card_execute(&f->card, out);
        return step.op;
}

/* 7C 82 01 06 82 00 81 82 01 00 BLOCK: an RSA-2048 challenge; a signature block or not. */
static size_t rsa_template(uint8_t *t, bool signature)
{
        static const uint8_t head[] = {0x7C, 0x82, 0x01, 0x06, 0x82, 0x00, 0x81, 0x82, 0x01, 0x00};
        memcpy(t, head, sizeof(head));
        uint8_t *b = t + sizeof(head);
        memset(b, 0x5A, 256);
        if (signature) {
                b[0] = 0x00;
                b[1] = 0x01;
                memset(b + 2, 0xFF, 256 - 2 - 33);
                b[256 - 33] = 0x00;
        } else {
                b[0] = 0x00;
                b[1] = 0x02;
        }
        return sizeof(head) + 256;
}

#define EXPECT_OP(op, k, a)                                                                        \
        do {                                                                                       \
                assert_int_equal((op).kind, (k));                                                  \
                assert_int_equal((op).alg, (a));                                                   \
        } while (0)

static void test_piv_ops(void **state)
{
        struct fixture *f = *state;
        struct vt_timing yk;
        uint8_t t[300];
        bool ready;
        struct vt_op op;
        vt_timing_builtin("yubikey5", &yk);

        EXPECT_OP(op_of(f, SELECT_PIV, &ready), VT_OP_SELECT, VT_CRYPTO_NONE);
        EXPECT_OP(op_of(f, PIN_STATUS, &ready), VT_OP_OTHER, VT_CRYPTO_NONE);
        EXPECT_OP(op_of(f, VERIFY_PIN, &ready), VT_OP_VERIFY, VT_CRYPTO_NONE);
        /* the certificate of 9A (5FC105) is a certificate read; the CHUID is not */
        op = op_of(f, "00 CB 3F FF 05 5C 03 5F C1 05 00", &ready);
        EXPECT_OP(op, VT_OP_READ_CERT, VT_CRYPTO_NONE);
        assert_int_equal(vt_timing_cost(&yk, op), 7298);
        /* its GET RESPONSEs belong to it: answered at once, no command (the daemon holds only
         * a whole command's answer) */
        op = op_of(f, "00 C0 00 00 00", &ready);
        assert_false(ready);
        EXPECT_OP(op, VT_OP_OTHER, VT_CRYPTO_NONE);
        EXPECT_OP(op_of(f, "00 CB 3F FF 05 5C 03 5F C1 02 00", &ready), VT_OP_OTHER,
                  VT_CRYPTO_NONE);

        /* signatures by the slot's key, whatever P1 claims */
        op = op_chained(f, 0x07, 0x9A, t, rsa_template(t, true));
        EXPECT_OP(op, VT_OP_SIGN, VT_CRYPTO_RSA2048);
        assert_int_equal(vt_timing_cost(&yk, op), 138491);
        EXPECT_OP(op_chained(f, 0x07, 0x9A, t, rsa_template(t, false)), VT_OP_DECRYPT,
                  VT_CRYPTO_RSA2048);
        op = op_of(f,
                   "00 87 11 9C 26 7C 24 82 00 81 20"
                   " 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11"
                   " 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 00",
                   &ready);
        EXPECT_OP(op, VT_OP_SIGN, VT_CRYPTO_P256);
        assert_int_equal(vt_timing_cost(&yk, op), 71572);
        op = op_of(f,
                   "00 87 14 9D 36 7C 34 82 00 81 30"
                   " 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11"
                   " 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11"
                   " 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 00",
                   &ready);
        EXPECT_OP(op, VT_OP_SIGN, VT_CRYPTO_P384);
        assert_int_equal(vt_timing_cost(&yk, op), 118563);
        /* an exponent (85) asks for a key agreement */
        EXPECT_OP(op_of(f, "00 87 11 9E 07 7C 05 82 00 85 01 04 00", &ready), VT_OP_AGREE,
                  VT_CRYPTO_P256);
        EXPECT_OP(op_of(f, "00 87 E1 83 07 7C 05 82 00 85 01 09 00", &ready), VT_OP_AGREE,
                  VT_CRYPTO_X25519);
        EXPECT_OP(op_of(f, "00 87 E0 82 07 7C 05 82 00 81 01 AA 00", &ready), VT_OP_SIGN,
                  VT_CRYPTO_ED25519);
        /* the management key's challenge and a slot without a key cost as any command */
        EXPECT_OP(op_of(f, "00 87 03 9B 04 7C 02 80 00 00", &ready), VT_OP_OTHER, VT_CRYPTO_NONE);
        EXPECT_OP(op_of(f, "00 87 11 85 07 7C 05 82 00 81 01 AA 00", &ready), VT_OP_OTHER,
                  VT_CRYPTO_NONE);
        /* a key generation by the algorithm it asks for */
        EXPECT_OP(op_of(f, "00 47 00 9A 05 AC 03 80 01 07", &ready), VT_OP_GENERATE,
                  VT_CRYPTO_RSA2048);
        EXPECT_OP(op_of(f, "00 47 00 9A 05 AC 03 80 01 14", &ready), VT_OP_GENERATE,
                  VT_CRYPTO_P384);
        EXPECT_OP(op_of(f, "00 47 00 9A 02 AC 00", &ready), VT_OP_OTHER, VT_CRYPTO_NONE);
}

int main(void)
{
        const struct CMUnitTest plain[] = {
            cmocka_unit_test(test_tables),
            cmocka_unit_test(test_rows),
            cmocka_unit_test(test_docs_table),
            cmocka_unit_test(test_set),
            cmocka_unit_test_setup_teardown(test_ini_default, ini_setup, ini_teardown),
            cmocka_unit_test_setup_teardown(test_ini_round_trip, ini_setup, ini_teardown),
            cmocka_unit_test_setup_teardown(test_ini_refused, ini_setup, ini_teardown),
        };
        const struct CMUnitTest piv[] = {
            cmocka_unit_test_setup_teardown(test_piv_ops, setup, teardown),
        };
        int r = cmocka_run_group_tests_name("timing", plain, NULL, NULL);
        return r | cmocka_run_group_tests_name("timing-piv", piv, group_setup, group_teardown);
}
