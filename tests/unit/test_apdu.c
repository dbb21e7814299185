/* SPDX-License-Identifier: Apache-2.0 */
/* APDU parsing: ISO 7816-3 cases 1-4, short and extended, and malformed commands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "apdu.h"
#include "sw.h"

#define PARSE(a, ...)                                                                              \
        ({                                                                                         \
                static const uint8_t b_[] = {__VA_ARGS__};                                         \
                apdu_parse(b_, sizeof(b_), (a));                                                   \
        })

static void case1(void **state)
{
        (void)state;
        struct apdu a;
        assert_int_equal(PARSE(&a, 0x00, 0x20, 0x00, 0x80), 0);
        assert_int_equal(a.ins, 0x20);
        assert_int_equal(a.p2, 0x80);
        assert_int_equal(a.lc, 0);
        assert_false(a.has_le);
        assert_null(a.data);
}

static void case2_short(void **state)
{
        (void)state;
        struct apdu a;
        assert_int_equal(PARSE(&a, 0x00, 0xFD, 0x00, 0x00, 0x03), 0);
        assert_true(a.has_le);
        assert_int_equal(a.ne, 3);
        assert_int_equal(PARSE(&a, 0x00, 0xC0, 0x00, 0x00, 0x00), 0);
        assert_int_equal(a.ne, 256); /* Le = 00 means 256 */
        assert_false(a.extended);
}

static void case3_short(void **state)
{
        (void)state;
        struct apdu a;
        assert_int_equal(PARSE(&a, 0x00, 0xA4, 0x04, 0x00, 0x02, 0xA0, 0x00), 0);
        assert_int_equal(a.lc, 2);
        assert_int_equal(a.data[0], 0xA0);
        assert_false(a.has_le);
}

static void case4_short(void **state)
{
        (void)state;
        struct apdu a;
        assert_int_equal(PARSE(&a, 0x00, 0xCB, 0x3F, 0xFF, 0x03, 0x5C, 0x01, 0x7E, 0x00), 0);
        assert_int_equal(a.lc, 3);
        assert_int_equal(a.data[2], 0x7E);
        assert_true(a.has_le);
        assert_int_equal(a.ne, 256);
        assert_int_equal(PARSE(&a, 0x00, 0xCB, 0x3F, 0xFF, 0x03, 0x5C, 0x01, 0x7E, 0x08), 0);
        assert_int_equal(a.ne, 8);
}

static void case2_extended(void **state)
{
        (void)state;
        struct apdu a;
        assert_int_equal(PARSE(&a, 0x00, 0xCA, 0x00, 0x00, 0x00, 0x01, 0x00), 0);
        assert_true(a.extended);
        assert_int_equal(a.ne, 256);
        assert_int_equal(PARSE(&a, 0x00, 0xCA, 0x00, 0x00, 0x00, 0x00, 0x00), 0);
        assert_int_equal(a.ne, 65536); /* Le = 0000 means 65536 */
}

static void case3_and_4_extended(void **state)
{
        (void)state;
        struct apdu a;
        assert_int_equal(PARSE(&a, 0x00, 0xDB, 0x3F, 0xFF, 0x00, 0x00, 0x02, 0xAB, 0xCD), 0);
        assert_true(a.extended);
        assert_int_equal(a.lc, 2);
        assert_false(a.has_le);
        assert_int_equal(PARSE(&a, 0x00, 0x87, 0x07, 0x9A, 0x00, 0x00, 0x01, 0x7C, 0x01, 0x02), 0);
        assert_int_equal(a.lc, 1);
        assert_int_equal(a.ne, 0x0102);
        assert_int_equal(PARSE(&a, 0x00, 0x87, 0x07, 0x9A, 0x00, 0x00, 0x01, 0x7C, 0x00, 0x00), 0);
        assert_int_equal(a.ne, 65536);
}

static void extended_large(void **state)
{
        (void)state;
        static uint8_t b[7 + 1000 + 2];
        b[1] = 0x87;
        b[5] = 1000 >> 8;
        b[6] = 1000 & 0xFF;
        struct apdu a;
        assert_int_equal(apdu_parse(b, sizeof(b), &a), 0);
        assert_int_equal(a.lc, 1000);
        assert_ptr_equal(a.data, b + 7);
}

static void malformed(void **state)
{
        (void)state;
        struct apdu a;
        /* truncated headers */
        assert_int_equal(apdu_parse(NULL, 0, &a), SW_WRONG_LENGTH);
        assert_int_equal(PARSE(&a, 0x00), SW_WRONG_LENGTH);
        assert_int_equal(PARSE(&a, 0x00, 0xA4, 0x04), SW_WRONG_LENGTH);
        /* Lc beyond the data */
        assert_int_equal(PARSE(&a, 0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00), SW_WRONG_LENGTH);
        /* more than one Le byte after short data */
        assert_int_equal(PARSE(&a, 0x00, 0xA4, 0x04, 0x00, 0x01, 0xA0, 0x00, 0x00),
                         SW_WRONG_LENGTH);
        /* extended: truncated Lc, Lc beyond data, Lc of zero, one-byte Le */
        assert_int_equal(PARSE(&a, 0x00, 0xCA, 0x00, 0x00, 0x00, 0x01), SW_WRONG_LENGTH);
        assert_int_equal(PARSE(&a, 0x00, 0xCA, 0x00, 0x00, 0x00, 0x00, 0x05, 0x01),
                         SW_WRONG_LENGTH);
        assert_int_equal(PARSE(&a, 0x00, 0xCA, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01),
                         SW_WRONG_LENGTH);
        assert_int_equal(PARSE(&a, 0x00, 0xCA, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00),
                         SW_WRONG_LENGTH);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(case1),          cmocka_unit_test(case2_short),
            cmocka_unit_test(case3_short),    cmocka_unit_test(case4_short),
            cmocka_unit_test(case2_extended), cmocka_unit_test(case3_and_4_extended),
            cmocka_unit_test(extended_large), cmocka_unit_test(malformed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
