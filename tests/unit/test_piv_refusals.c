/* SPDX-License-Identifier: Apache-2.0 */
/* Issue 5's refusals, each with its status word and nothing changed, on the card or in the store:
 * a wrong management key, key management without management-key authentication, RESET while
 * the PIN or the PUK still works, IMPORT KEY of a key of the wrong size. */
#include "piv_test.h"

#include <openssl/core_names.h>

#define GENERATE_9A "00 47 00 9A 05 AC 03 80 01 11"

/* A wrong management key gets 6982 at the second step, every time (no blocking), and leaves
 * every command that needs the management key refused with 6982. */
static void test_wrong_management_key(void **state)
{
        struct fixture *f = *state;
        uint8_t wrong[24];
        EVP_PKEY *key9a = vt_piv_slot(vt_piv_of(f->img), 0x9A)->key;
        struct snapshot before = snap(f);
        memset(wrong, 0x42, sizeof(wrong));
        xfer(f, SELECT_PIV);
        for (int i = 0; i < 5; i++)
                assert_int_equal(mutual_auth(f, VT_ALG_3DES, wrong),
                                 SW_SECURITY_STATUS_NOT_SATISFIED);
        expect(f, GENERATE_9A, "69 82");
        expect(f, "00 DB 3F FF 08 5C 03 5F C1 09 53 01 00", "69 82"); /* PUT DATA */
        expect(f,
               "00 FF FF FF 1B 03 9B 18 11 11 11 11 11 11 11 11 11 11 11 11 "
               "11 11 11 11 11 11 11 11 11 11 11 11",
               "69 82"); /* SET MANAGEMENT KEY */
        expect(f,
               "00 FE 11 9A 22 06 20 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13 14 "
               "15 16 17 18 19 1A 1B 1C 1D 1E 1F 20",
               "69 82"); /* IMPORT KEY */
        assert_ptr_equal(vt_piv_slot(vt_piv_of(f->img), 0x9A)->key, key9a);
        assert_ptr_equal(vt_piv_slot(vt_piv_of(f->mem.mirror), 0x9A)->key, key9a);
        assert_true(vt_mgm_key_well_known(vt_piv_of(f->img)));
        assert_null(vt_piv_object(vt_piv_of(f->img), 0x5FC109));
        assert_true(vt_mgm_key_well_known(vt_piv_of(f->mem.mirror)));
        assert_null(vt_piv_object(vt_piv_of(f->mem.mirror), 0x5FC109));
        unchanged(f, &before, 0);
        /* the right key still works after all those failures */
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
}

/* GENERATE without any management-key authentication, and after a reset of the card took it
 * away: 6982, the slot keeps its key. */
static void test_generate_without_authentication(void **state)
{
        struct fixture *f = *state;
        EVP_PKEY *key9a = vt_piv_slot(vt_piv_of(f->img), 0x9A)->key;
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "90 00"); /* the PIN is no substitute */
        struct snapshot before = snap(f);
        expect(f, GENERATE_9A, "69 82");
        expect(f, "00 47 00 9E 05 AC 03 80 01 07", "69 82");
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        vt_card_reset(&f->card);
        xfer(f, SELECT_PIV);
        expect(f, GENERATE_9A, "69 82");
        assert_ptr_equal(vt_piv_slot(vt_piv_of(f->img), 0x9A)->key, key9a);
        assert_ptr_equal(vt_piv_slot(vt_piv_of(f->mem.mirror), 0x9A)->key, key9a);
        unchanged(f, &before, 0);
}

/* RESET while the PIN, the PUK or both still work: 6985 and nothing goes. */
static void test_reset_while_not_blocked(void **state)
{
        struct fixture *f = *state;
        struct snapshot before;
        xfer(f, SELECT_PIV);
        assert_int_equal(
            vt_piv_set_object(vt_piv_of(f->img), 0x5FC109, (const uint8_t *)"\x53\x01\x07", 3), 0);
        sync_mirror(f);

        before = snap(f);
        expect(f, "00 FB 00 00", "69 85"); /* neither blocked */
        unchanged(f, &before, 0);

        for (int i = 0; i < 3; i++) /* the PUK blocked, the PIN works */
                xfer(f, "00 24 00 81 10 30 30 30 30 30 30 30 30 30 30 30 30 30 30 30 30");
        before = snap(f);
        expect(f, "00 FB 00 00", "69 85");
        unchanged(f, &before, 0);
        expect(f, VERIFY_PIN, "90 00");

        vt_piv_of(f->img)->puk.tries_left = 3; /* the PIN blocked, the PUK works */
        for (int i = 0; i < 3; i++)
                xfer(f, VERIFY_WRONG);
        before = snap(f);
        expect(f, "00 FB 00 00", "69 85");
        unchanged(f, &before, 0);
        assert_non_null(vt_piv_slot(vt_piv_of(f->img), 0x9A)->key);
        assert_non_null(vt_piv_object(vt_piv_of(f->img), 0x5FC109));
        assert_int_equal(vt_piv_of(f->img)->pin.tries_left, 0);
        assert_int_equal(vt_piv_of(f->img)->puk.tries_left, 3);
        assert_non_null(vt_piv_slot(vt_piv_of(f->mem.mirror), 0x9A)->key);
        assert_non_null(vt_piv_object(vt_piv_of(f->mem.mirror), 0x5FC109));
}

static size_t bn_param(EVP_PKEY *key, const char *name, uint8_t *out, size_t width)
{
        BIGNUM *bn = NULL;
        assert_int_equal(EVP_PKEY_get_bn_param(key, name, &bn), 1);
        assert_true(BN_bn2binpad(bn, out, (int)width) == (int)width);
        BN_clear_free(bn);
        return width;
}

/* IMPORT KEY of a key whose size is not the announced algorithm's: 6A80, the slot keeps its key. */
static void test_import_of_the_wrong_size(void **state)
{
        struct fixture *f = *state;
        static const char *const rsa[] = {
            OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
            OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
        uint8_t cmd[1024], v[128];
        EVP_PKEY *key9d = vt_piv_slot(vt_piv_of(f->img), 0x9D)->key;
        struct snapshot before = snap(f);
        struct writer w;
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);

        /* RSA-1024 primes announced as RSA-2048 */
        w = wr_init(cmd, sizeof(cmd));
        for (int i = 0; i < 5; i++)
                wr_tlv(&w, (uint32_t)(i + 1), v, bn_param(keys.rsa1024, rsa[i], v, 64));
        assert_int_equal(xfer_chained(f, 0xFE, 0x07, 0x9D, cmd, w.len), SW_WRONG_DATA);
        /* a P-256 scalar announced as P-384, a P-384 one as P-256 */
        w = wr_init(cmd, sizeof(cmd));
        wr_tlv(&w, 0x06, v, bn_param(keys.p256, OSSL_PKEY_PARAM_PRIV_KEY, v, 32));
        assert_int_equal(xfer_chained(f, 0xFE, 0x14, 0x9D, cmd, w.len), SW_WRONG_DATA);
        w = wr_init(cmd, sizeof(cmd));
        wr_tlv(&w, 0x06, v, bn_param(keys.p384, OSSL_PKEY_PARAM_PRIV_KEY, v, 48));
        assert_int_equal(xfer_chained(f, 0xFE, 0x11, 0x9D, cmd, w.len), SW_WRONG_DATA);
        /* 31 bytes of Ed25519 */
        w = wr_init(cmd, sizeof(cmd));
        wr_tlv(&w, 0x07, v, 31);
        assert_int_equal(xfer_chained(f, 0xFE, 0xE0, 0x9D, cmd, w.len), SW_WRONG_DATA);

        assert_ptr_equal(vt_piv_slot(vt_piv_of(f->img), 0x9D)->key, key9d);
        assert_ptr_equal(vt_piv_slot(vt_piv_of(f->mem.mirror), 0x9D)->key, key9d);
        assert_int_equal(vt_piv_slot(vt_piv_of(f->img), 0x9D)->alg, VT_ALG_P384);
        unchanged(f, &before, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(test_wrong_management_key),
            T(test_generate_without_authentication),
            T(test_reset_while_not_blocked),
            T(test_import_of_the_wrong_size),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
