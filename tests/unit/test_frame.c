/* SPDX-License-Identifier: Apache-2.0 */
/* vpcd framing: split reads, the largest frame, a length larger than the buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "frame.h"

static void feed(struct rxbuf *rx, const uint8_t *p, size_t n)
{
        size_t room;
        uint8_t *space = rxbuf_space(rx, &room);
        assert_true(n <= room);
        memcpy(space, p, n);
        rxbuf_commit(rx, n);
}

static void split_reads(void **state)
{
        (void)state;
        uint8_t buf[64];
        struct rxbuf rx;
        frame_rx_init(&rx, buf, sizeof(buf));
        const uint8_t stream[] = {0x00, 0x01, 0x04, 0x00, 0x04, 0x00,
                                  0xA4, 0x04, 0x00, 0x00, 0x01, 0x00};
        const uint8_t *body;
        size_t len;
        /* one byte at a time: nothing until the frame is whole */
        feed(&rx, stream, 1);
        assert_int_equal(rxbuf_next(&rx, &body, &len), 0);
        feed(&rx, stream + 1, 1);
        assert_int_equal(rxbuf_next(&rx, &body, &len), 0);
        feed(&rx, stream + 2, 1);
        assert_int_equal(rxbuf_next(&rx, &body, &len), 1);
        assert_int_equal(len, 1);
        assert_int_equal(body[0], VPCD_CTRL_ATR);
        rxbuf_consume(&rx);
        /* the rest in one read: two frames back to back */
        feed(&rx, stream + 3, sizeof(stream) - 3);
        assert_int_equal(rxbuf_next(&rx, &body, &len), 1);
        assert_int_equal(len, 4);
        assert_memory_equal(body, stream + 5, 4);
        rxbuf_consume(&rx);
        assert_int_equal(rxbuf_next(&rx, &body, &len), 1);
        assert_int_equal(len, 1);
        assert_int_equal(body[0], VPCD_CTRL_OFF);
        rxbuf_consume(&rx);
        assert_int_equal(rxbuf_next(&rx, &body, &len), 0);
        assert_int_equal(rx.have, 0);
}

static void largest_frame(void **state)
{
        (void)state;
        uint8_t *buf = malloc(FRAME_HEADER + FRAME_MAX);
        uint8_t *src = malloc(FRAME_HEADER + FRAME_MAX);
        struct rxbuf rx;
        frame_rx_init(&rx, buf, FRAME_HEADER + FRAME_MAX);
        for (size_t i = 0; i < FRAME_MAX; i++)
                src[FRAME_HEADER + i] = (uint8_t)(i * 7);
        assert_int_equal(frame_seal(src, FRAME_MAX), FRAME_HEADER + FRAME_MAX);
        assert_int_equal(src[0], 0xFF);
        assert_int_equal(src[1], 0xFF);
        const uint8_t *body;
        size_t len;
        /* in uneven pieces, as TCP delivers them */
        size_t off = 0, step = 1;
        while (off < FRAME_HEADER + FRAME_MAX) {
                size_t n =
                    step < FRAME_HEADER + FRAME_MAX - off ? step : FRAME_HEADER + FRAME_MAX - off;
                assert_int_equal(rxbuf_next(&rx, &body, &len), 0);
                feed(&rx, src + off, n);
                off += n;
                step = step * 3 + 1;
        }
        assert_int_equal(rxbuf_next(&rx, &body, &len), 1);
        assert_int_equal(len, FRAME_MAX);
        assert_memory_equal(body, src + FRAME_HEADER, FRAME_MAX);
        free(buf);
        free(src);
}

static void length_larger_than_buffer(void **state)
{
        (void)state;
        uint8_t buf[258];
        struct rxbuf rx;
        frame_rx_init(&rx, buf, sizeof(buf));
        const uint8_t hdr[] = {0x01, 0x01}; /* 257 bytes announced, room for 256 */
        const uint8_t *body;
        size_t len;
        feed(&rx, hdr, 1);
        assert_int_equal(rxbuf_next(&rx, &body, &len), 0);
        feed(&rx, hdr + 1, 1);
        assert_int_equal(rxbuf_next(&rx, &body, &len), -1);
        /* exactly the buffer is fine */
        frame_rx_init(&rx, buf, sizeof(buf));
        uint8_t full[258] = {0x01, 0x00};
        feed(&rx, full, sizeof(full));
        assert_int_equal(rxbuf_next(&rx, &body, &len), 1);
        assert_int_equal(len, 256);
}

static void empty_frame(void **state)
{
        (void)state;
        uint8_t buf[16];
        struct rxbuf rx;
        frame_rx_init(&rx, buf, sizeof(buf));
        const uint8_t z[] = {0x00, 0x00};
        const uint8_t *body;
        size_t len;
        feed(&rx, z, 2);
        assert_int_equal(rxbuf_next(&rx, &body, &len), 1);
        assert_int_equal(len, 0);
        rxbuf_consume(&rx);
        assert_int_equal(rx.have, 0);
}

/* What each frame from vpcd asks for */
static void vpcd_messages(void **state)
{
        (void)state;
        const uint8_t off = VPCD_CTRL_OFF, on = VPCD_CTRL_ON, reset = VPCD_CTRL_RESET,
                      atr = VPCD_CTRL_ATR, other = 0x03, apdu[] = {0x00, 0xA4};
        assert_int_equal(frame_vpcd_msg(&off, 1), VPCD_MSG_POWER);
        assert_int_equal(frame_vpcd_msg(&on, 1), VPCD_MSG_POWER);
        assert_int_equal(frame_vpcd_msg(&reset, 1), VPCD_MSG_POWER);
        assert_int_equal(frame_vpcd_msg(&atr, 1), VPCD_MSG_ATR);
        assert_int_equal(frame_vpcd_msg(&other, 1), VPCD_MSG_UNKNOWN);
        assert_int_equal(frame_vpcd_msg(apdu, 0), VPCD_MSG_EMPTY);
        assert_int_equal(frame_vpcd_msg(apdu, 2), VPCD_MSG_APDU);
        assert_int_equal(frame_vpcd_msg(&off, 2), VPCD_MSG_APDU); /* two bytes: a command */
}

/* vpcd's QUICKACK is re-armed except while a body that fits one segment is on its way */
static void one_segment_body(void **state)
{
        (void)state;
        static uint8_t buf[FRAME_HEADER + 2000];
        struct rxbuf rx;
        frame_rx_init(&rx, buf, sizeof(buf));
        assert_false(frame_rx_body_one_segment(&rx)); /* a header to come */
        const uint8_t small[] = {0x00, 0x05};
        feed(&rx, small, 1);
        assert_false(frame_rx_body_one_segment(&rx));
        feed(&rx, small + 1, 1);
        assert_true(frame_rx_body_one_segment(&rx));
        const uint8_t body[5] = {0};
        feed(&rx, body, 5);
        assert_false(frame_rx_body_one_segment(&rx)); /* whole: the next read starts a frame */
        rxbuf_consume(&rx);
        const uint8_t edge[] = {FRAME_ONE_SEGMENT >> 8, FRAME_ONE_SEGMENT & 0xFF};
        feed(&rx, edge, 2);
        assert_true(frame_rx_body_one_segment(&rx));
        frame_rx_init(&rx, buf, sizeof(buf));
        const uint8_t big[] = {(FRAME_ONE_SEGMENT + 1) >> 8, (FRAME_ONE_SEGMENT + 1) & 0xFF};
        feed(&rx, big, 2);
        assert_false(frame_rx_body_one_segment(&rx)); /* may come in two segments */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(split_reads),
            cmocka_unit_test(largest_frame),
            cmocka_unit_test(length_larger_than_buffer),
            cmocka_unit_test(empty_frame),
            cmocka_unit_test(vpcd_messages),
            cmocka_unit_test(one_segment_body),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
