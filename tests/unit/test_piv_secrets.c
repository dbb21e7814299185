/* SPDX-License-Identifier: Apache-2.0 */
/* Secrets that must not outlive their use: a PIN blocked in CHANGE REFERENCE DATA ends the
 * session's verification, the card's chaining and response buffers keep no PIN and no
 * decrypted data once the command is done, and RESET never leaves the default PIN beside an
 * old key. */
#include "piv_test.h"

#include <openssl/rsa.h>

/* RSA-2048 ciphertext of "hello" (PKCS#1 v1.5) under the 9A key. */
static size_t rsa_ciphertext(uint8_t ct[256])
{
        static const char msg[] = "hello";
        size_t ctlen = 256;
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(keys.rsa2048, NULL);
        assert_int_equal(EVP_PKEY_encrypt_init(ctx), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
        assert_int_equal(EVP_PKEY_encrypt(ctx, ct, &ctlen, (const uint8_t *)msg, strlen(msg)), 1);
        EVP_PKEY_CTX_free(ctx);
        return ctlen;
}

static bool holds(const uint8_t *buf, size_t len, const uint8_t *needle, size_t n)
{
        return memmem(buf, len, needle, n) != NULL;
}

/* The PIN blocked by wrong old PINs in CHANGE REFERENCE DATA: the session that verified it
 * before can no longer use PIN-protected keys, nor reset the PIN with SET PIN RETRIES. */
static void test_pin_blocked_by_change_reference_ends_verification(void **state)
{
        struct fixture *f = *state;
        uint8_t block[256] = {0};
        struct reader res;
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "90 00");
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        expect(f, "00 24 00 80 10 30 30 30 30 30 30 FF FF 31 32 33 34 35 36 FF FF", "63 C2");
        expect(f, "00 24 00 80 10 30 30 30 30 30 30 FF FF 31 32 33 34 35 36 FF FF", "63 C1");
        expect(f, "00 24 00 80 10 30 30 30 30 30 30 FF FF 31 32 33 34 35 36 FF FF", "63 C0");
        assert_int_equal(vt_piv_of(f->img)->pin.tries_left, 0);
        assert_false(vt_piv_pin_verified(f->piv));
        assert_int_equal(gen_auth(f, 0x07, 0x9A, 0x81, block, sizeof(block), &res),
                         SW_SECURITY_STATUS_NOT_SATISFIED);
        /* SET PIN RETRIES would give the blocked PIN its default back */
        expect(f, "00 FA 05 05", "69 82");
        expect(f, PIN_STATUS, "69 83");
        assert_int_equal(vt_piv_of(f->img)->pin.tries_left, 0);
}

/* A wrong old PIN in CHANGE REFERENCE DATA logs out as a wrong VERIFY does. */
static void test_wrong_pin_in_change_reference_logs_out(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "90 00");
        expect(f, "00 24 00 80 10 30 30 30 30 30 30 FF FF 31 32 33 34 35 36 FF FF", "63 C2");
        assert_false(vt_piv_pin_verified(f->piv));
        expect(f, PIN_STATUS, "63 C2");
}

/* A PIN sent in chained pieces is gone from the chaining buffer after the VERIFY. */
static void test_chained_pin_is_wiped(void **state)
{
        struct fixture *f = *state;
        static const uint8_t pin[] = "123456";
        xfer(f, SELECT_PIV);
        expect(f, "10 20 00 80 04 31 32 33 34", "90 00");
        expect(f, "00 20 00 80 04 35 36 FF FF", "90 00");
        assert_true(vt_piv_pin_verified(f->piv));
        assert_false(holds(f->card.chain, sizeof(f->card.chain), pin, 6));
        /* a chain broken off by another command is wiped too */
        expect(f, "10 20 00 80 04 31 32 33 34", "90 00");
        expect_sw(f, "00 CB 3F FF 03 5C 01 7E 00", SW_OK);
        assert_false(holds(f->card.chain, sizeof(f->card.chain), pin, 4));
        /* and one cut by a reset */
        expect(f, "10 20 00 80 04 31 32 33 34", "90 00");
        vt_card_reset(&f->card);
        assert_false(holds(f->card.chain, sizeof(f->card.chain), pin, 4));
}

/* Decrypted data leaves the response buffer once the host has it all. */
static void test_decrypted_data_is_wiped_after_delivery(void **state)
{
        struct fixture *f = *state;
        uint8_t ct[256], pt[256];
        struct reader res;
        size_t ctlen = rsa_ciphertext(ct);
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "90 00");
        assert_int_equal(gen_auth(f, 0x07, 0x9A, 0x81, ct, ctlen, &res), SW_OK);
        assert_int_equal(res.left, sizeof(pt));
        memcpy(pt, res.p, sizeof(pt));
        assert_true(f->apdus > 1); /* 260 bytes: it came through GET RESPONSE */
        assert_false(holds(f->card.response, sizeof(f->card.response), pt + 200, 56));
}

/* Decrypted data not yet fetched goes when the card resets, powers off, or gets another
 * command, and GET RESPONSE then has nothing to give. */
static void test_pending_decrypted_data_is_wiped(void **state)
{
        struct fixture *f = *state;
        static const char *const cmds[] = {SELECT_PIV, PIN_STATUS, NULL, NULL};
        uint8_t ct[256], tmpl[300], first[5 + 255], cmd[300], out[VT_RAPDU_MAX];
        size_t ctlen = rsa_ciphertext(ct);
        size_t n = auth_template(0x81, ct, ctlen, tmpl, sizeof(tmpl));
        /* the template's last bytes, the command that completes the chain */
        assert_true(n > 255);
        const uint8_t head[] = {0x00, 0x87, 0x07, 0x9A, (uint8_t)(n - 255)};
        const uint8_t first_head[] = {0x10, 0x87, 0x07, 0x9A, 0xFF};
        memcpy(first, first_head, sizeof(first_head));
        memcpy(first + 5, tmpl, 255);
        memcpy(cmd, head, sizeof(head));
        memcpy(cmd + 5, tmpl + 255, n - 255);
        cmd[5 + n - 255] = 0x00;
        for (int i = 0; i < 4; i++) {
                uint8_t tail[16];
                xfer(f, SELECT_PIV);
                expect(f, VERIFY_PIN, "90 00");
                assert_int_equal(xfer_raw(f, first, sizeof(first)), SW_OK);
                size_t len = vt_card_transmit(&f->card, cmd, 6 + n - 255, out);
                assert_int_equal(len, 256 + 2);
                assert_int_equal(out[256], 0x61);
                assert_int_equal(out[257], 0x08); /* of 7C 82 01 04 82 82 01 00 <256> */
                memcpy(tail, f->card.response + 264 - sizeof(tail), sizeof(tail));
                if (cmds[i])
                        xfer(f, cmds[i]);
                else if (i == 2)
                        vt_card_reset(&f->card);
                else
                        vt_card_power_off(&f->card), vt_card_power_on(&f->card);
                assert_false(holds(f->card.response, sizeof(f->card.response), tail, 16));
                /* nothing pending: PIV selected answers as a YubiKey's does, no applet 69 85 */
                expect(f, "00 C0 00 00 00", i < 2 ? "6A 80" : "69 85");
        }
}

/* RESET gives the PIN its well-known default only once every key is gone from the store: when
 * the store fails to remove a key, the PIN and PUK stay blocked, on the card and in the store. */
static void test_reset_keeps_pin_blocked_while_a_key_remains(void **state)
{
        struct fixture *f = *state;
        EVP_PKEY *key9a = vt_piv_slot(vt_piv_of(f->img), 0x9A)->key;
        xfer(f, SELECT_PIV);
        for (int i = 0; i < 3; i++)
                xfer(f, VERIFY_WRONG);
        for (int i = 0; i < 3; i++)
                xfer(f, "00 24 00 81 10 30 30 30 30 30 30 30 30 30 30 30 30 30 30 30 30");
        assert_int_equal(vt_piv_of(f->img)->pin.tries_left, 0);
        assert_int_equal(vt_piv_of(f->img)->puk.tries_left, 0);
        /* the first slot commit of RESET (the removal of 9A's key) fails */
        f->mem.fail_next = 1;

        expect(f, "00 FB 00 00", "65 81");
        assert_int_equal(f->mem.failures, 1);
        expect(f, VERIFY_PIN, "69 83");
        assert_int_equal(vt_piv_of(f->img)->pin.tries_left, 0);
        assert_int_equal(vt_piv_of(f->img)->puk.tries_left, 0);
        assert_ptr_equal(vt_piv_slot(vt_piv_of(f->img), 0x9A)->key, key9a);

        struct vt_image *disk = reload(f);
        assert_int_equal(vt_piv_of(disk)->pin.tries_left, 0);
        assert_int_equal(vt_piv_of(disk)->puk.tries_left, 0);
        assert_ptr_equal(vt_piv_slot(vt_piv_of(disk), 0x9A)->key, key9a);
        vt_image_free(disk);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(test_pin_blocked_by_change_reference_ends_verification),
            T(test_wrong_pin_in_change_reference_logs_out),
            T(test_chained_pin_is_wiped),
            T(test_decrypted_data_is_wiped_after_delivery),
            T(test_pending_decrypted_data_is_wiped),
            T(test_reset_keeps_pin_blocked_while_a_key_remains),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
