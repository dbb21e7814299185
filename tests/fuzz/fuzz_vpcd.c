/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the vpcd receive path. The bytes vpcd sends arrive in pieces, as reads of
 * a socket return them; they go into the link's frame buffer (daemon/frame.c) the way
 * daemon/vpcd.c puts them there, and every whole frame is answered as vpcd.c answers it: a
 * control code powers the card or asks for the ATR, anything longer is a command APDU for a
 * PIV card.
 *
 * Input: one byte, the largest piece a read returns (0: as much as fits), then the stream.
 *
 * Checked beside the sanitizers: each frame is the announced number of bytes found at its
 * place in the stream (a second, plain reading of the stream); the bytes of a frame once
 * consumed are wiped from the buffer (a VERIFY's PIN is not kept); every answer is a valid
 * frame, its header announcing its body, of 2 to 65538 bytes for a command. */
#include "card.h"
#include "frame.h"
#include "piv_state.h"
#include "pin.h"
#include "registry.h"
#include "store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct vt_image *first;
static struct vt_card card;
static uint8_t rxbuf[FRAME_HEADER + FRAME_MAX];
static uint8_t tx[FRAME_HEADER + VT_RAPDU_MAX];

static void free_first(void)
{
        vt_image_free(first);
}

/* A PIV card without keys: enough for the stream to reach the card; fuzz_card fuzzes the card
 * itself. */
static void make_first(void)
{
        static const uint8_t atr[] = {0x3B, 0xF8, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x15,
                                      0x59, 0x75, 0x62, 0x69, 0x6B, 0x65, 0x79, 0x34, 0xD4};
        uint8_t padded[8];
        if (!(first = vt_piv_image_new("fuzz")))
                abort();
        atexit(free_first);
        memcpy(first->atr, atr, sizeof(atr));
        first->atr_len = sizeof(atr);
        first->version[0] = 5;
        vt_pin_pad("123456", padded);
        vt_secret_set(&vt_piv_of(first)->pin, padded);
        vt_pin_pad("12345678", padded);
        vt_secret_set(&vt_piv_of(first)->puk, padded);
        vt_piv_of(first)->mgm_key_len = 24;
}

/* vpcd.c's answer(): the length of the answer frame's body, or 0 for none. */
static size_t answer(const uint8_t *body, size_t len)
{
        struct vt_card_step step;
        size_t n;
        switch (frame_vpcd_msg(body, len)) {
        case VPCD_MSG_POWER:
                if (body[0] == VPCD_CTRL_ON)
                        vt_card_power_on(&card);
                else if (body[0] == VPCD_CTRL_RESET)
                        vt_card_reset(&card);
                else
                        vt_card_power_off(&card);
                return 0;
        case VPCD_MSG_ATR:
                memcpy(tx + FRAME_HEADER, card.atr, card.atr_len);
                return frame_seal(tx, card.atr_len);
        case VPCD_MSG_APDU:
                if (!card.powered) /* as served.c's on_apdu */
                        vt_card_power_on(&card);
                vt_card_receive(&card, body, len, tx + FRAME_HEADER, &step);
                n = step.ready ? vt_card_execute(&card, tx + FRAME_HEADER) : step.len;
                if (n < 2 || n > VT_RAPDU_MAX)
                        abort();
                return frame_seal(tx, n);
        case VPCD_MSG_EMPTY:
        case VPCD_MSG_UNKNOWN:
                return 0;
        }
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vt_mem_store mem = {0};
        struct vt_store store;
        struct frame_rx rx;
        char err[128];
        size_t piece, sent = 0, parsed = 0; /* bytes of the stream put in, and framed */
        if (!first)
                make_first();
        if (size < 1)
                return 0;
        piece = data[0] ? data[0] : sizeof(rxbuf);
        data++;
        size--;
        if (!(mem.mirror = vt_image_clone(first)))
                abort();
        store = vt_mem_store(&mem);
        struct vt_image *img = vt_image_clone(first);
        if (!img || vt_card_setup(&card, img, &store, err, sizeof(err)) != 0)
                abort();
        frame_rx_init(&rx, rxbuf, sizeof(rxbuf));

        while (sent < size) {
                size_t room;
                uint8_t *space = frame_rx_space(&rx, &room);
                size_t n = size - sent < piece ? size - sent : piece;
                if (room == 0)
                        abort(); /* vpcd.c would read 0 bytes and take it for a closed link */
                n = n < room ? n : room;
                memcpy(space, data + sent, n);
                frame_rx_commit(&rx, n);
                sent += n;
                for (;;) {
                        const uint8_t *body;
                        size_t len, had = rx.have;
                        int r = frame_rx_next(&rx, &body, &len);
                        if (r < 0)
                                abort(); /* a 16-bit length always fits the link's buffer */
                        if (r == 0)
                                break;
                        if (body != rx.buf + FRAME_HEADER ||
                            len != (size_t)(data[parsed] << 8 | data[parsed + 1]) ||
                            memcmp(body, data + parsed + FRAME_HEADER, len) != 0)
                                abort();
                        parsed += FRAME_HEADER + len;
                        size_t out = answer(body, len);
                        if (out && (size_t)(tx[0] << 8 | tx[1]) != out - FRAME_HEADER)
                                abort();
                        frame_rx_consume(&rx);
                        if (rx.have != had - (FRAME_HEADER + len))
                                abort();
                        for (size_t i = rx.have; i < had; i++)
                                if (rx.buf[i])
                                        abort(); /* consumed bytes are wiped */
                }
        }
        if (parsed + rx.have != size)
                abort();
        vt_card_release(&card);
        vt_image_free(img);
        vt_image_free(mem.mirror);
        return 0;
}
