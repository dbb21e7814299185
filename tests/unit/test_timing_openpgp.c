/* SPDX-License-Identifier: Apache-2.0 */
/* What the OpenPGP applet says each command is, for a timing table (applet/timing.h): a
 * password check, the cardholder certificate read, and the key operations by the algorithm of
 * the key they use (a key generation by the slot's attributes). */
#include "pgp_test.h"

#include "timing.h"

/* The op of a whole command (hex), which then runs. */
static struct vt_op op_of(struct fixture *f, const char *hex)
{
        uint8_t cmd[512], out[VT_RAPDU_MAX];
        struct vt_card_step step;
        size_t n = hex_decode(hex, cmd, sizeof(cmd));
        vt_card_receive(&f->card, cmd, n, out, &step);
        assert_true(step.ready);
        vt_card_execute(&f->card, out);
        return step.op;
}

#define EXPECT_OP(op, k, a)                                                                        \
        do {                                                                                       \
                struct vt_op got_ = (op);                                                          \
                assert_int_equal(got_.kind, (k));                                                  \
                assert_int_equal(got_.alg, (a));                                                   \
        } while (0)

static void test_pgp_ops(void **state)
{
        struct fixture *f = *state;
        struct vt_timing yk;
        vt_timing_builtin("yubikey5", &yk);

        EXPECT_OP(op_of(f, SELECT_PGP), VT_OP_SELECT, VT_CRYPTO_NONE);
        EXPECT_OP(op_of(f, "00 20 00 81"), VT_OP_OTHER, VT_CRYPTO_NONE); /* tries left only */
        EXPECT_OP(op_of(f, VERIFY_SIG), VT_OP_VERIFY, VT_CRYPTO_NONE);
        EXPECT_OP(op_of(f, "00 CA 7F 21 00"), VT_OP_READ_CERT, VT_CRYPTO_NONE);
        EXPECT_OP(op_of(f, "00 CA 00 6E 00"), VT_OP_OTHER, VT_CRYPTO_NONE);
        /* no key yet: a signature costs as any command */
        EXPECT_OP(op_of(f, "00 2A 9E 9A 03 01 02 03 00"), VT_OP_OTHER, VT_CRYPTO_NONE);

        /* the slots' attributes as they ship (RSA-2048) make the key generations */
        assert_int_equal(xfer(f, VERIFY_PW3), 0x9000);
        struct vt_op op = op_of(f, "00 47 80 00 02 B6 00 00");
        EXPECT_OP(op, VT_OP_GENERATE, VT_CRYPTO_RSA2048);
        assert_int_equal(vt_timing_cost(&yk, op), 20 * 138491);
        EXPECT_OP(op_of(f, "00 47 80 00 02 B8 00 00"), VT_OP_GENERATE, VT_CRYPTO_RSA2048);
        EXPECT_OP(op_of(f, "00 47 80 00 02 A4 00 00"), VT_OP_GENERATE, VT_CRYPTO_RSA2048);
        /* reading a public key back is no generation */
        EXPECT_OP(op_of(f, "00 47 81 00 02 B6 00 00"), VT_OP_OTHER, VT_CRYPTO_NONE);

        /* then their operations by the key's algorithm */
        assert_int_equal(xfer(f, VERIFY_SIG), 0x9000);
        op = op_of(f, "00 2A 9E 9A 20"
                      " 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11"
                      " 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 00");
        EXPECT_OP(op, VT_OP_SIGN, VT_CRYPTO_RSA2048);
        assert_int_equal(vt_timing_cost(&yk, op), 138491);
        EXPECT_OP(op_of(f, "00 88 00 00 03 01 02 03 00"), VT_OP_SIGN, VT_CRYPTO_RSA2048);
        EXPECT_OP(op_of(f, "00 2A 80 86 03 00 01 02 00"), VT_OP_DECRYPT, VT_CRYPTO_RSA2048);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_pgp_ops, setup, teardown),
        };
        return cmocka_run_group_tests_name("timing-openpgp", tests, NULL, NULL);
}
