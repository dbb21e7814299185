/* SPDX-License-Identifier: Apache-2.0 */
/* The management key (9B) and what it guards: GENERATE ASYMMETRIC KEY PAIR, PUT DATA and SET
 * MANAGEMENT KEY, in the message layouts yubico-piv-tool and piv-tool parse. */
#include "piv_test.h"

#include "buf.h"
#include "sw.h"

#include <openssl/core_names.h>
#include <openssl/rand.h>

/* External authentication: the card's challenge comes back encrypted. */
static uint16_t external_auth(struct fixture *f, uint8_t alg, const uint8_t *key)
{
        uint8_t cmd[64], response[16];
        size_t bs = (size_t)EVP_CIPHER_get_block_size(cipher_of(alg));
        snprintf((char *)cmd, sizeof(cmd), "00 87 %02X 9B 04 7C 02 81 00", alg);
        assert_int_equal(xfer(f, (const char *)cmd), SW_OK);
        assert_int_equal(f->resp_len, 4 + bs);
        assert_int_equal(f->resp[2], 0x81);
        mgm_block(alg, key, true, f->resp + 4, response);
        struct writer w = wr_init(cmd, sizeof(cmd));
        size_t m = wr_open(&w, 0x7C);
        wr_tlv(&w, 0x82, response, bs);
        wr_close(&w, m);
        return xfer_chained(f, 0x87, alg, 0x9B, cmd, w.len);
}

static const uint8_t aes_key[32] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F};

static void test_mutual_auth_3des_default_key(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        /* piv-tool and old clients name 3DES 00 or 01 */
        vt_card_reset(&f->card);
        xfer(f, SELECT_PIV);
        expect_sw(f, "00 87 01 9B 04 7C 02 80 00", SW_OK);
        assert_int_equal(f->resp_len, 12);
        expect_sw(f, "00 87 00 9B 04 7C 02 80 00", SW_OK);
        assert_int_equal(f->resp_len, 12);
        /* step two with an empty 82, as SP 800-73-4 writes it, works as well */
        uint8_t witness[8], cmd[32];
        mgm_block(VT_ALG_3DES, test_mgm_key, false, f->resp + 4, witness);
        struct writer w = wr_init(cmd, sizeof(cmd));
        size_t m = wr_open(&w, 0x7C);
        wr_tlv(&w, 0x80, witness, 8);
        wr_tlv(&w, 0x81, "challen!", 8);
        wr_tlv(&w, 0x82, NULL, 0);
        wr_close(&w, m);
        assert_int_equal(xfer_chained(f, 0x87, 0x00, 0x9B, cmd, w.len), SW_OK);
        assert_int_equal(f->resp_len, 12);
}

static void test_wrong_management_key_is_refused_and_not_blocked(void **state)
{
        struct fixture *f = *state;
        uint8_t wrong[24];
        memset(wrong, 0x42, sizeof(wrong));
        xfer(f, SELECT_PIV);
        for (int i = 0; i < 5; i++)
                assert_int_equal(mutual_auth(f, VT_ALG_3DES, wrong),
                                 SW_SECURITY_STATUS_NOT_SATISFIED);
        expect(f, "00 47 00 9A 05 AC 03 80 01 11", "69 82");
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        /* the second step without the first */
        expect(f,
               "00 87 03 9B 16 7C 14 80 08 00 00 00 00 00 00 00 00 81 08 00 00 00 00 00 00 00 00",
               "69 85");
        expect(f, "00 87 11 9B 04 7C 02 80 00", "6A 86"); /* not the key's algorithm */
}

static void test_aes_management_keys(void **state)
{
        struct fixture *f = *state;
        static const uint8_t algs[] = {VT_ALG_AES128, VT_ALG_AES192, VT_ALG_AES256};
        xfer(f, SELECT_PIV);
        for (size_t i = 0; i < sizeof(algs); i++) {
                vt_piv_of(f->img)->mgm_alg = algs[i];
                vt_piv_of(f->img)->mgm_key_len =
                    (size_t)EVP_CIPHER_get_key_length(cipher_of(algs[i]));
                memcpy(vt_piv_of(f->img)->mgm_key, aes_key, vt_piv_of(f->img)->mgm_key_len);
                assert_int_equal(mutual_auth(f, algs[i], aes_key), SW_OK);
                assert_int_equal(external_auth(f, algs[i], aes_key), SW_OK);
                expect(f, "00 87 03 9B 04 7C 02 80 00", "6A 86");
        }
        uint8_t wrong[32] = {0};
        assert_int_equal(external_auth(f, VT_ALG_AES256, wrong), SW_SECURITY_STATUS_NOT_SATISFIED);
}

static void test_generate_p256_answers_fixed_layout_and_persists(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, "00 47 00 9A 05 AC 03 80 01 11", "69 82");
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        assert_int_equal(xfer(f, "00 47 00 9A 0B AC 09 80 01 11 AA 01 03 AB 01 02 00"), SW_OK);
        /* yubico-piv-tool parses 7F 49 43 86 41 04 at fixed offsets */
        assert_int_equal(f->resp_len, 5 + 65);
        assert_memory_equal(f->resp, "\x7F\x49\x43\x86\x41\x04", 6);

        const struct vt_slot *s = vt_piv_slot(vt_piv_of(f->img), 0x9A);
        uint8_t pub[65];
        size_t len;
        assert_int_equal(s->alg, VT_ALG_P256);
        assert_int_equal(s->pin_policy, VT_PIN_ALWAYS);
        assert_int_equal(s->touch_policy, VT_TOUCH_ALWAYS);
        assert_true(s->generated);
        assert_int_equal(EVP_PKEY_get_octet_string_param(s->key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                         pub, 65, &len),
                         1);
        assert_memory_equal(f->resp + 5, pub, 65);

        struct vt_image *disk = reload(f);
        const struct vt_slot *d = vt_piv_slot(vt_piv_of(disk), 0x9A);
        assert_int_equal(d->alg, VT_ALG_P256);
        assert_int_equal(d->pin_policy, VT_PIN_ALWAYS);
        assert_int_equal(EVP_PKEY_eq(d->key, s->key), 1);
        vt_image_free(disk);
}

static void test_generate_every_algorithm(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        expect_sw(f, "00 47 00 9E 05 AC 03 80 01 14", SW_OK);
        assert_memory_equal(f->resp, "\x7F\x49\x63\x86\x61\x04", 6); /* P-384 */
        expect_sw(f, "00 47 00 82 05 AC 03 80 01 E0", SW_OK);
        assert_memory_equal(f->resp, "\x7F\x49\x22\x86\x20", 5); /* Ed25519 */
        expect_sw(f, "00 47 00 83 05 AC 03 80 01 E1", SW_OK);
        assert_memory_equal(f->resp, "\x7F\x49\x22\x86\x20", 5); /* X25519 */
        expect_sw(f, "00 47 00 9D 05 AC 03 80 01 07", SW_OK);
        /* 7F 49 82 01 09 81 82 01 00 <n> 82 03 01 00 01 */
        assert_int_equal(f->resp_len, 5 + 4 + 256 + 5);
        assert_memory_equal(f->resp, "\x7F\x49\x82\x01\x09\x81\x82\x01\x00", 9);
        assert_memory_equal(f->resp + 9 + 256, "\x82\x03\x01\x00\x01", 5);
        assert_int_equal(vt_piv_slot(vt_piv_of(f->img), 0x9D)->alg, VT_ALG_RSA2048);
}

static void test_generate_refusals_change_nothing(void **state)
{
        struct fixture *f = *state;
        EVP_PKEY *before = vt_piv_slot(vt_piv_of(f->img), 0x9A)->key;
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        expect(f, "00 47 00 9B 05 AC 03 80 01 11", "6A 86");
        expect(f, "00 47 01 9A 05 AC 03 80 01 11", "6A 86");
        expect(f, "00 47 00 9A 05 AC 03 80 01 03", "6A 80"); /* 3DES is no key pair */
        expect(f, "00 47 00 9A 05 AC 03 81 01 11", "6A 80");
        expect(f, "00 47 00 9A 08 AC 06 80 01 11 AA 01 07", "6A 80");
        f->mem.fail_next = 1;
        expect(f, "00 47 00 9A 05 AC 03 80 01 11", "65 81");
        assert_ptr_equal(vt_piv_slot(vt_piv_of(f->img), 0x9A)->key, before);
        assert_int_equal(vt_piv_slot(vt_piv_of(f->img), 0x9A)->alg, VT_ALG_RSA2048);
}

static void test_put_data_certificate_chained(void **state)
{
        struct fixture *f = *state;
        const struct vt_slot *s9c = vt_piv_slot(vt_piv_of(f->img), 0x9C);
        uint8_t cmd[4096];
        /* the 9C certificate written into 9E, as ykpiv import-certificate sends it */
        size_t n = cert_put_data(0x5FC101, s9c->cert, s9c->cert_len, cmd, sizeof(cmd));
        xfer(f, SELECT_PIV);
        assert_int_equal(xfer_chained(f, 0xDB, 0x3F, 0xFF, cmd, n),
                         SW_SECURITY_STATUS_NOT_SATISFIED);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        assert_int_equal(xfer_chained(f, 0xDB, 0x3F, 0xFF, cmd, n), SW_OK);

        assert_int_equal(xfer(f, "00 CB 3F FF 05 5C 03 5F C1 01 00"), SW_OK);
        assert_int_equal(f->resp_len, n - 5);
        assert_memory_equal(f->resp, cmd + 5, f->resp_len);
        struct vt_image *disk = reload(f);
        const struct vt_slot *d = vt_piv_slot(vt_piv_of(disk), 0x9E);
        assert_int_equal(d->cert_len, s9c->cert_len);
        assert_memory_equal(d->cert, s9c->cert, d->cert_len);
        vt_image_free(disk);

        /* an empty 53 deletes it */
        expect(f, "00 DB 3F FF 07 5C 03 5F C1 01 53 00", "90 00");
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 01 00", "6A 82");
}

static void test_put_data_objects(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        expect(f, "00 DB 3F FF 0B 5C 03 5F C1 09 53 04 01 02 41 42", "90 00");
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 09 00", "69 82");
        expect(f, VERIFY_PIN, "90 00");
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 09 00", "53 04 01 02 41 42 90 00");
        /* an object written over the built-in CHUID takes its place */
        expect(f, "00 DB 3F FF 09 5C 03 5F C1 02 53 02 99 00", "90 00");
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 02 00", "53 02 99 00 90 00");
        struct vt_image *disk = reload(f);
        assert_non_null(vt_piv_object(vt_piv_of(disk), 0x5FC109));
        vt_image_free(disk);
        expect(f, "00 DB 3F FF 07 5C 03 5F C1 02 53 00", "90 00");
        expect_sw(f, "00 CB 3F FF 05 5C 03 5F C1 02 00", SW_OK);
        assert_int_equal(f->resp_len, 0x3D);
        /* malformed, discovery, a failed commit */
        expect(f, "00 DB 3F FF 05 5C 03 5F C1 09", "6A 80");
        expect(f, "00 DB 3F FF 09 5C 03 5F C1 09 54 02 01 02", "6A 80");
        expect(f, "00 DB 3F FF 07 5C 01 7E 53 02 01 02", "6A 86");
        f->mem.fail_next = 1;
        expect(f, "00 DB 3F FF 09 5C 03 5F C1 09 53 02 01 02", "65 81");
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 09 00", "53 04 01 02 41 42 90 00");
}

static void test_set_management_key(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f,
               "00 FF FF FF 1B 03 9B 18 01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08 01 02 03 "
               "04 05 06 07 08",
               "69 82");
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        /* AES-128, as ykman sets it */
        expect(f, "00 FF FF FF 13 08 9B 10 10 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F",
               "90 00");
        assert_int_equal(vt_piv_of(f->img)->mgm_alg, VT_ALG_AES128);
        assert_int_equal(mutual_auth(f, VT_ALG_AES128, aes_key), SW_OK);
        struct vt_image *disk = reload(f);
        assert_int_equal(vt_piv_of(disk)->mgm_alg, VT_ALG_AES128);
        assert_int_equal(vt_piv_of(disk)->mgm_key_len, 16);
        assert_memory_equal(vt_piv_of(disk)->mgm_key, aes_key, 16);
        vt_image_free(disk);
        /* a key of the wrong size for its algorithm */
        expect(f, "00 FF FF FF 13 03 9B 10 10 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F",
               "6A 80");
        expect(f, "00 FF FF FF 13 08 9A 10 10 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F",
               "6A 80");
}

static void test_reset_clears_management_authentication(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        vt_card_reset(&f->card);
        xfer(f, SELECT_PIV);
        expect(f, "00 47 00 9A 05 AC 03 80 01 11", "69 82");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(test_mutual_auth_3des_default_key),
            T(test_wrong_management_key_is_refused_and_not_blocked),
            T(test_aes_management_keys),
            T(test_generate_p256_answers_fixed_layout_and_persists),
            T(test_generate_every_algorithm),
            T(test_generate_refusals_change_nothing),
            T(test_put_data_certificate_chained),
            T(test_put_data_objects),
            T(test_set_management_key),
            T(test_reset_clears_management_authentication),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
