/* SPDX-License-Identifier: Apache-2.0 */
/* The card layer: selection by AID, unknown AIDs and INS, chaining, GET RESPONSE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "card.h"
#include "sw.h"

static const uint8_t atr[] = {0x3B, 0x88, 0x01, 0x50, 0x49, 0x56,
                              0x73, 0x69, 0x6D, 0x30, 0x31, 0xB0};
static const uint8_t aid[] = {0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00};

/* A test applet: INS 01 echoes its data, INS 02 answers P1*256+P2 bytes 0..255 repeated,
 * INS 03 reports how often reset ran, INS 04 fails inside (no random numbers). */
static int resets;
static uint16_t t_process(void *ctx, const struct apdu *a, struct writer *w)
{
        (void)ctx;
        switch (a->ins) {
        case 0x01:
                wr_bytes(w, a->data, a->lc);
                return SW_OK;
        case 0x02:
                for (size_t i = 0; i < (size_t)(a->p1 << 8 | a->p2); i++)
                        wr_u8(w, (uint8_t)i);
                return SW_OK;
        case 0x03:
                wr_u8(w, (uint8_t)resets);
                return SW_OK;
        case 0x04: /* an internal failure after some data */
                wr_u8(w, 0x42);
                return SW_FAIL_RANDOM;
        default:
                return SW_INS_NOT_SUPPORTED;
        }
}
static void t_reset(void *ctx)
{
        (void)ctx;
        resets++;
}

static struct vt_card card;
static uint8_t out[VT_RAPDU_MAX];

static int setup(void **state)
{
        (void)state;
        struct vt_applet ap = {.name = "test",
                               .aid = aid,
                               .aid_len = sizeof(aid),
                               .process = t_process,
                               .reset = t_reset};
        vt_card_init(&card, atr, sizeof(atr));
        vt_card_add_applet(&card, &ap);
        vt_card_power_on(&card);
        resets = 0;
        return 0;
}

static size_t tx(const uint8_t *cmd, size_t len)
{
        return vt_card_transmit(&card, cmd, len, out);
}
#define TX(...)                                                                                    \
        ({                                                                                         \
                static const uint8_t c_[] = {__VA_ARGS__};                                         \
                tx(c_, sizeof(c_));                                                                \
        })
static uint16_t sw(size_t n)
{
        return (uint16_t)(out[n - 2] << 8 | out[n - 1]);
}

static void unknown_aid_and_ins(void **state)
{
        (void)state;
        /* nothing selected: every INS is unknown */
        assert_int_equal(sw(TX(0x00, 0xCA, 0xDF, 0x30, 0x05)), SW_INS_NOT_SUPPORTED);
        assert_int_equal(
            sw(TX(0x00, 0xA4, 0x04, 0x00, 0x07, 0x62, 0x76, 0x01, 0xFF, 0x00, 0x00, 0x00)),
            SW_FILE_NOT_FOUND);
        /* select by a 5-byte prefix */
        assert_int_equal(sw(TX(0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08)), SW_OK);
        assert_string_equal(vt_card_selected(&card), "test");
        /* an unknown AID does not deselect */
        assert_int_equal(sw(TX(0x00, 0xA4, 0x04, 0x00, 0x06, 0xA0, 0x00, 0x00, 0x00, 0x01, 0x01)),
                         SW_FILE_NOT_FOUND);
        assert_string_equal(vt_card_selected(&card), "test");
        size_t n = TX(0x00, 0x01, 0x00, 0x00, 0x02, 0xAB, 0xCD);
        assert_int_equal(n, 4);
        assert_int_equal(out[0], 0xAB);
        assert_int_equal(sw(n), SW_OK);
        assert_int_equal(sw(TX(0x00, 0x77, 0x00, 0x00)), SW_INS_NOT_SUPPORTED);
        /* CLA with secure messaging or a logical channel */
        assert_int_equal(sw(TX(0x0C, 0x01, 0x00, 0x00)), SW_CLA_NOT_SUPPORTED);
        assert_int_equal(sw(TX(0x01, 0x01, 0x00, 0x00)), SW_LOGICAL_CHANNEL_UNSUPPORTED);
        /* a malformed APDU */
        assert_int_equal(sw(TX(0x00, 0x01, 0x00)), SW_WRONG_LENGTH);
}

static void chaining(void **state)
{
        (void)state;
        TX(0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08);
        assert_int_equal(sw(TX(0x10, 0x01, 0x00, 0x00, 0x02, 0x01, 0x02)), SW_OK);
        assert_int_equal(sw(TX(0x10, 0x01, 0x00, 0x00, 0x01, 0x03)), SW_OK);
        size_t n = TX(0x00, 0x01, 0x00, 0x00, 0x01, 0x04);
        assert_int_equal(n, 6);
        assert_memory_equal(out, ((uint8_t[]){1, 2, 3, 4, 0x90, 0x00}), 6);
        /* another command breaks a chain off; its data is dropped */
        TX(0x10, 0x01, 0x00, 0x00, 0x01, 0x09);
        assert_int_equal(TX(0x00, 0x03, 0x00, 0x00), 3);
        n = TX(0x00, 0x01, 0x00, 0x00, 0x01, 0x05);
        assert_memory_equal(out, ((uint8_t[]){5, 0x90, 0x00}), 3);
        (void)n;
}

static void chain_overflow(void **state)
{
        (void)state;
        TX(0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08);
        static uint8_t big[5 + 255];
        big[0] = 0x10, big[1] = 0x01, big[4] = 255;
        int i;
        uint16_t s = SW_OK;
        for (i = 0; i < 100 && s == SW_OK; i++)
                s = sw(tx(big, sizeof(big)));
        assert_int_equal(s, SW_NOT_ENOUGH_MEMORY);
        assert_int_equal(i, VT_CHAIN_MAX / 255 + 1);
}

static void get_response(void **state)
{
        (void)state;
        TX(0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08);
        /* 600 bytes: 256 + 61 00, then 256 + 61 58, then 88 + 90 00 */
        size_t n = TX(0x00, 0x02, 0x02, 0x58, 0x00);
        assert_int_equal(n, 258);
        assert_int_equal(sw(n), 0x6100);
        n = TX(0x00, 0xC0, 0x00, 0x00, 0x00);
        assert_int_equal(n, 258);
        assert_int_equal(out[0], 0); /* byte 256 of the pattern */
        assert_int_equal(sw(n), 0x6158);
        n = TX(0x00, 0xC0, 0x00, 0x00, 0x58);
        assert_int_equal(n, 0x58 + 2);
        assert_int_equal(sw(n), SW_OK);
        /* nothing pending */
        assert_int_equal(sw(TX(0x00, 0xC0, 0x00, 0x00, 0x00)), SW_CONDITIONS_NOT_SATISFIED);
        /* Le smaller than the data: Le bytes and 61xx for the rest (OpenSC reads 8 first) */
        n = TX(0x00, 0x02, 0x00, 0x14, 0x08);
        assert_int_equal(n, 10);
        assert_int_equal(sw(n), 0x610C);
        /* a case-3 command without Le still gets its data */
        n = TX(0x00, 0x01, 0x00, 0x00, 0x01, 0x42);
        assert_int_equal(n, 3);
        /* extended Le: everything at once */
        n = TX(0x00, 0x02, 0x02, 0x58, 0x00, 0x00, 0x00);
        assert_int_equal(n, 602);
        assert_int_equal(sw(n), SW_OK);
}

static void power_clears_state(void **state)
{
        (void)state;
        TX(0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08);
        int before = resets;
        vt_card_reset(&card);
        assert_int_equal(resets, before + 1);
        assert_null(vt_card_selected(&card));
        vt_card_power_off(&card);
        assert_int_equal(resets, before + 2);
        assert_false(card.powered);
        /* a pending response does not survive a reset */
        vt_card_power_on(&card);
        TX(0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08);
        TX(0x00, 0x02, 0x02, 0x00, 0x00);
        vt_card_reset(&card);
        assert_int_equal(sw(TX(0x00, 0xC0, 0x00, 0x00, 0x00)), SW_CONDITIONS_NOT_SATISFIED);
}

/* An applet's internal failure is answered 6F 00, without its data, and the card keeps the
 * cause for the daemon's one log line; the next command that works clears it. The answer that
 * overflows the response buffer is one too. */
static void internal_failure_mapped_once(void **state)
{
        (void)state;
        size_t n = TX(0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08);
        assert_int_equal(sw(n), SW_OK);
        assert_null(vt_card_failure(&card));
        n = TX(0x00, 0x04, 0x00, 0x00);
        assert_int_equal(n, 2);
        assert_int_equal(sw(n), SW_UNKNOWN);
        assert_string_equal(vt_card_failure(&card), "no random numbers");
        n = TX(0x00, 0x01, 0x00, 0x00, 0x01, 0x07);
        assert_int_equal(sw(n), SW_OK);
        assert_null(vt_card_failure(&card));
        n = TX(0x00, 0x02, 0x40, 0x01, 0x00); /* 16385 bytes: one more than the buffer */
        assert_int_equal(n, 2);
        assert_int_equal(sw(n), SW_UNKNOWN);
        assert_string_equal(vt_card_failure(&card),
                            "the answer overflowed the card's response buffer");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup(unknown_aid_and_ins, setup),
            cmocka_unit_test_setup(chaining, setup),
            cmocka_unit_test_setup(internal_failure_mapped_once, setup),
            cmocka_unit_test_setup(chain_overflow, setup),
            cmocka_unit_test_setup(get_response, setup),
            cmocka_unit_test_setup(power_clears_state, setup),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
