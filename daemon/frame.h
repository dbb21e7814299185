/* SPDX-License-Identifier: Apache-2.0 */
/* vpcd framing: a 2-byte big-endian length, then that many bytes, in both directions.
 * A 1-byte message from vpcd is a control code. Pure: no sockets here. */
#ifndef VT_FRAME_H
#define VT_FRAME_H

#include "rxbuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER 2
#define FRAME_MAX    0xFFFF

enum vpcd_ctrl {
        VPCD_CTRL_OFF = 0x00,
        VPCD_CTRL_ON = 0x01,
        VPCD_CTRL_RESET = 0x02,
        VPCD_CTRL_ATR = 0x04,
};

/* What a frame from vpcd asks for: a power change (VPCD_CTRL_OFF, _ON, _RESET in its one byte),
 * the ATR, the answer to a command APDU (two bytes or more), or nothing (empty, or a control
 * code unknown to us; neither is answered, or the stream would go out of step). */
enum vpcd_msg { VPCD_MSG_POWER, VPCD_MSG_ATR, VPCD_MSG_APDU, VPCD_MSG_EMPTY, VPCD_MSG_UNKNOWN };
enum vpcd_msg frame_vpcd_msg(const uint8_t *body, size_t len);

/* The receive side is the shared rxbuf (driver/rxbuf.h) with vpcd's header: a 2-byte length. */
void frame_rx_init(struct rxbuf *rx, uint8_t *buf, size_t cap);

/* Whether a frame is under way whose missing bytes all fit one TCP segment of the smallest
 * MSS (536 bytes): they then arrive together, with nothing held back waiting for our ACK. */
#define FRAME_ONE_SEGMENT 536
bool frame_rx_body_one_segment(const struct rxbuf *rx);

/* Writes the header for a body of len bytes placed at out + FRAME_HEADER; returns the whole
 * frame's length. */
size_t frame_seal(uint8_t *out, size_t len);

#endif
