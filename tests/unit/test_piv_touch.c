/* SPDX-License-Identifier: Apache-2.0 */
/* Which commands need a touch, as the PIV applet tells the card (vt_card_receive's step): the
 * GENERAL AUTHENTICATE of a key whose touch policy asks for one, decided on the whole command
 * after chaining, whatever its encoding. With the management key (touch policy ALWAYS) only the
 * step that carries the client's answer needs it, not the request for a witness or challenge. */
#include "piv_test.h"

#define WITNESS_8   "01 02 03 04 05 06 07 08"
#define CHALLENGE_8 "11 12 13 14 15 16 17 18"
#define MUTUAL_BODY "7C 14 80 08 " WITNESS_8 " 81 08 " CHALLENGE_8

/* Gives the card one APDU (hex) without running it; returns the step. */
static struct vt_card_step receive(struct fixture *f, const char *hex)
{
        static uint8_t cmd[VT_CHAIN_MAX], out[VT_RAPDU_MAX];
        struct vt_card_step step;
        size_t n = hex_decode(hex, cmd, sizeof(cmd));
        vt_card_receive(&f->card, cmd, n, out, &step);
        if (!step.ready) {
                assert_int_equal(step.touch, VT_TOUCH_NONE);
                f->sw = (uint16_t)(out[step.len - 2] << 8 | out[step.len - 1]);
        }
        return step;
}

static void expect_touch(struct fixture *f, const char *hex, enum vt_touch_need need, uint8_t key)
{
        struct vt_card_step step = receive(f, hex);
        assert_true(step.ready);
        if (step.touch != need)
                fail_msg("%s: touch %d, expected %d", hex, step.touch, need);
        if (need != VT_TOUCH_NONE)
                assert_int_equal(step.touch_key, key);
}

static void test_management_key_answer_needs_a_touch(void **state)
{
        struct fixture *f = *state;
        vt_piv_of(f->img)->mgm_touch = VT_TOUCH_ALWAYS;
        xfer(f, SELECT_PIV);
        /* asking for a witness or a challenge: no touch */
        expect_touch(f, "00 87 03 9B 04 7C 02 80 00", VT_TOUCH_NONE, 0);
        expect_touch(f, "00 87 03 9B 04 7C 02 81 00", VT_TOUCH_NONE, 0);
        expect_touch(f, "00 87 03 9B 04 7C 02 81 00 00", VT_TOUCH_NONE, 0);
        /* the answer, short without Le, short with Le, extended with Le */
        expect_touch(f, "00 87 03 9B 16 " MUTUAL_BODY, VT_TOUCH_EACH, 0x9B);
        expect_touch(f, "00 87 03 9B 16 " MUTUAL_BODY " 00", VT_TOUCH_EACH, 0x9B);
        expect_touch(f, "00 87 03 9B 00 00 16 " MUTUAL_BODY " 00 00", VT_TOUCH_EACH, 0x9B);
        /* external authentication's answer, and mutual with an empty 82 */
        expect_touch(f, "00 87 03 9B 0C 7C 0A 82 08 " WITNESS_8, VT_TOUCH_EACH, 0x9B);
        expect_touch(f, "00 87 03 9B 18 7C 16 80 08 " WITNESS_8 " 81 08 " CHALLENGE_8 " 82 00",
                     VT_TOUCH_EACH, 0x9B);
        /* an answer sent in two pieces: the first is answered at once, the whole one decides */
        struct vt_card_step step = receive(f, "10 87 03 9B 0C 7C 14 80 08 " WITNESS_8);
        assert_false(step.ready);
        assert_int_equal(f->sw, SW_OK);
        expect_touch(f, "00 87 03 9B 0A 81 08 " CHALLENGE_8 " 00", VT_TOUCH_EACH, 0x9B);
        /* a request for a witness sent in pieces still needs none */
        step = receive(f, "10 87 03 9B 02 7C 02");
        assert_false(step.ready);
        expect_touch(f, "00 87 03 9B 02 80 00 00", VT_TOUCH_NONE, 0);
}

static void test_management_key_without_touch_policy(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect_touch(f, "00 87 03 9B 16 " MUTUAL_BODY " 00", VT_TOUCH_NONE, 0);
        vt_piv_of(f->img)->mgm_touch = VT_TOUCH_NEVER;
        expect_touch(f, "00 87 03 9B 16 " MUTUAL_BODY " 00", VT_TOUCH_NONE, 0);
}

#define SIGN_9A "7C 06 82 00 81 02 01 02"

static void test_slot_touch_policies(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect_touch(f, "00 87 07 9A 08 " SIGN_9A " 00", VT_TOUCH_NONE, 0); /* default: never */
        vt_piv_slot(vt_piv_of(f->img), 0x9A)->touch_policy = VT_TOUCH_NEVER;
        expect_touch(f, "00 87 07 9A 08 " SIGN_9A " 00", VT_TOUCH_NONE, 0);
        vt_piv_slot(vt_piv_of(f->img), 0x9A)->touch_policy = VT_TOUCH_CACHED;
        expect_touch(f, "00 87 07 9A 08 " SIGN_9A " 00", VT_TOUCH_CACHABLE, 0x9A);
        expect_touch(f, "00 87 07 9A 00 00 08 " SIGN_9A " 00 00", VT_TOUCH_CACHABLE, 0x9A);
        vt_piv_slot(vt_piv_of(f->img), 0x9C)->touch_policy = VT_TOUCH_ALWAYS;
        expect_touch(f, "00 87 11 9C 08 " SIGN_9A, VT_TOUCH_EACH, 0x9C);
        /* a slot without a key has nothing to touch for: the command fails without one */
        vt_piv_slot(vt_piv_of(f->img), 0x95)->touch_policy = VT_TOUCH_ALWAYS;
        expect_touch(f, "00 87 11 95 08 " SIGN_9A, VT_TOUCH_NONE, 0);
        /* other commands never need one */
        expect_touch(f, VERIFY_PIN, VT_TOUCH_NONE, 0);
        expect_touch(f, "00 47 00 9A 05 AC 03 80 01 11", VT_TOUCH_NONE, 0);
        expect_touch(f, "00 F9 9A 00 00", VT_TOUCH_NONE, 0);
}

/* A chained GENERAL AUTHENTICATE decides on its last part: the earlier ones are answered 9000
 * and are no command to touch for. */
static void test_chained_general_authenticate_decides_on_the_last_part(void **state)
{
        struct fixture *f = *state;
        vt_piv_slot(vt_piv_of(f->img), 0x9A)->touch_policy = VT_TOUCH_CACHED;
        xfer(f, SELECT_PIV);
        struct vt_card_step step = receive(f, "10 87 07 9A 04 7C 06 82 00");
        assert_false(step.ready);
        assert_int_equal(f->sw, SW_OK);
        step = receive(f, "10 87 07 9A 02 81 02");
        assert_false(step.ready);
        assert_int_equal(f->sw, SW_OK);
        expect_touch(f, "00 87 07 9A 02 01 02 00", VT_TOUCH_CACHABLE, 0x9A);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(test_management_key_answer_needs_a_touch),
            T(test_management_key_without_touch_policy),
            T(test_slot_touch_policies),
            T(test_chained_general_authenticate_decides_on_the_last_part),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
