/* SPDX-License-Identifier: Apache-2.0 */
/* The vtokend-driver protocol (driver/vtlink.c): messages split across reads, what the driver
 * accepts from vtokend and what makes it hang up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "vtlink.h"

static uint8_t buf[VTL_HEADER + VTL_BODY_MAX];
static struct vtl_driver d;

static size_t put(uint8_t *out, uint8_t type, const void *body, size_t len)
{
        if (len)
                memcpy(out + VTL_HEADER, body, len);
        return vtl_seal(out, type, len);
}

/* Feeds one message to the driver state; its VTL_EV_* or -1. */
static int take(uint8_t type, const void *body, size_t len)
{
        uint8_t msg[128];
        size_t n = put(msg, type, body, len);
        struct rxbuf rx;
        vtl_rx_init(&rx, buf, sizeof(buf));
        size_t room;
        memcpy(rxbuf_space(&rx, &room), msg, n);
        rxbuf_commit(&rx, n);
        struct vtl_msg m;
        if (vtl_rx_next(&rx, &m) != 1)
                return -2;
        return vtl_driver_take(&d, &m);
}

static void split_reads(void **state)
{
        (void)state;
        uint8_t stream[64];
        size_t n = put(stream, VTL_HELLO, "\x01\x01", 2);
        n += put(stream + n, VTL_RAPDU, "\x90\x00", 2);
        struct rxbuf rx;
        vtl_rx_init(&rx, buf, sizeof(buf));
        struct vtl_msg m;
        for (size_t i = 0; i < n; i++) { /* one byte at a time */
                size_t room;
                *rxbuf_space(&rx, &room) = stream[i];
                rxbuf_commit(&rx, 1);
                int k = vtl_rx_next(&rx, &m);
                if (i == 5) {
                        assert_int_equal(k, 1);
                        assert_int_equal(m.type, VTL_HELLO);
                        assert_int_equal(m.len, 2);
                        rxbuf_consume(&rx);
                } else if (i == n - 1) {
                        assert_int_equal(k, 1);
                        assert_int_equal(m.type, VTL_RAPDU);
                        assert_memory_equal(m.body, "\x90\x00", 2);
                } else {
                        assert_int_equal(k, 0);
                }
        }
}

static void broken_streams(void **state)
{
        (void)state;
        struct rxbuf rx;
        struct vtl_msg m;
        size_t room;
        /* a length beyond VTL_BODY_MAX */
        vtl_rx_init(&rx, buf, sizeof(buf));
        memcpy(rxbuf_space(&rx, &room), "\x22\x01\x00\x11", 4);
        rxbuf_commit(&rx, 4);
        assert_int_equal(vtl_rx_next(&rx, &m), -1);
        /* an unknown type */
        vtl_rx_init(&rx, buf, sizeof(buf));
        memcpy(rxbuf_space(&rx, &room), "\x7f\x00\x00\x00", 4);
        rxbuf_commit(&rx, 4);
        assert_int_equal(vtl_rx_next(&rx, &m), -1);
        /* a known type with a body it cannot have */
        assert_false(vtl_valid(VTL_PRESENT, (const uint8_t *)"x", 1));
        assert_false(vtl_valid(VTL_ATR, (const uint8_t *)"x", 1));
        assert_false(vtl_valid(VTL_HELLO, (const uint8_t *)"\x01\x02", 2));
        assert_false(vtl_valid(VTL_APDU, (const uint8_t *)"\x00\xa4\x04", 3));
}

static void hello_first(void **state)
{
        (void)state;
        vtl_driver_reset(&d);
        assert_int_equal(take(VTL_PRESENT, NULL, 0), -1); /* nothing before HELLO */
        vtl_driver_reset(&d);
        assert_int_equal(take(VTL_HELLO, "\x02\x01", 2), -1); /* another version */
        vtl_driver_reset(&d);
        assert_int_equal(take(VTL_HELLO, "\x01\x00", 2), VTL_EV_NONE);
        assert_false(d.present);
        assert_int_equal(take(VTL_HELLO, "\x01\x00", 2), -1); /* a second HELLO */
        vtl_driver_reset(&d);
        assert_int_equal(take(VTL_HELLO, "\x01\x01", 2), VTL_EV_PRESENCE);
        assert_true(d.present);
}

static void insertion(void **state)
{
        (void)state;
        vtl_driver_reset(&d);
        assert_int_equal(take(VTL_HELLO, "\x01\x00", 2), VTL_EV_NONE);
        assert_int_equal(take(VTL_PRESENT, NULL, 0), VTL_EV_PRESENCE);
        assert_true(d.present);
        assert_int_equal(take(VTL_PRESENT, NULL, 0), VTL_EV_NONE);
}

static void answers(void **state)
{
        (void)state;
        vtl_driver_reset(&d);
        take(VTL_HELLO, "\x01\x01", 2);
        assert_int_equal(take(VTL_RAPDU, "\x90\x00", 2), -1); /* nobody asked */
        vtl_driver_reset(&d);
        take(VTL_HELLO, "\x01\x01", 2);
        d.asked = VTL_APDU;
        assert_int_equal(take(VTL_WAIT, NULL, 0), VTL_EV_ALIVE);
        assert_int_equal(take(VTL_ATR, "\x3b\x00", 2), -1); /* not an APDU's answer */
        vtl_driver_reset(&d);
        take(VTL_HELLO, "\x01\x01", 2);
        d.asked = VTL_APDU;
        assert_int_equal(take(VTL_RAPDU, "\x6a\x82", 2), VTL_EV_ANSWER);
        assert_int_equal(d.answer_type, VTL_RAPDU);
        assert_int_equal(d.answer_len, 2);
        assert_memory_equal(d.answer, "\x6a\x82", 2);
        assert_int_equal(take(VTL_RAPDU, "\x90\x00", 2), -1); /* answered already */
        vtl_driver_reset(&d);
        take(VTL_HELLO, "\x01\x01", 2);
        d.asked = VTL_POWER_ON;
        assert_int_equal(take(VTL_NOCARD, NULL, 0), VTL_EV_ANSWER);
        assert_int_equal(d.answer_type, VTL_NOCARD);
        vtl_driver_reset(&d);
        take(VTL_HELLO, "\x01\x01", 2);
        d.asked = VTL_POWER_OFF;
        assert_int_equal(take(VTL_DONE, NULL, 0), VTL_EV_ANSWER);
        assert_int_equal(take(VTL_WAIT, NULL, 0), -1); /* no request waits */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(split_reads), cmocka_unit_test(broken_streams),
            cmocka_unit_test(hello_first), cmocka_unit_test(insertion),
            cmocka_unit_test(answers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
