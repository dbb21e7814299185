/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the bytes vtokend sends, as vtoken's reader driver takes them inside pcscd
 * (driver/vtlink.c): read in chunks of any size, split into messages, each given to the
 * driver's state (presence, the answer to the request in flight).
 *
 * Input: one byte naming the request in flight (0: none, else its low two bits pick POWER_ON,
 * POWER_OFF, RESET or APDU), then records of a 1-byte chunk size and that many bytes of stream.
 * A stream the driver refuses ends the connection, and the rest of the input starts a new one,
 * as the driver's reconnect does. Checked after every message: an answer is only ever taken for
 * a request in flight, fits its buffer, and is of a kind that request may get. */
#include "vtlink.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t requests[] = {VTL_POWER_ON, VTL_POWER_OFF, VTL_RESET, VTL_APDU};

static uint8_t rxbuf[VTL_HEADER + VTL_BODY_MAX];
static struct vtl_driver d;

static void check(const struct vtl_driver *s)
{
        if (s->answered && (!s->asked || s->answer_len > sizeof(s->answer)))
                abort();
        if (s->answered && s->answer_type == VTL_ATR &&
            (s->answer_len < 2 || s->answer_len > VTL_ATR_MAX))
                abort();
        if (s->answered && s->answer_type == VTL_RAPDU && s->answer_len < 2)
                abort();
        if (s->present && !s->hello)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        struct rxbuf rx;
        vtl_rx_init(&rx, rxbuf, sizeof(rxbuf));
        vtl_driver_reset(&d);
        uint8_t asked = data[0] ? requests[data[0] & 3] : 0;
        d.asked = asked;
        size_t i = 1;
        while (i < size) {
                size_t chunk = data[i++];
                if (chunk > size - i)
                        chunk = size - i;
                size_t room;
                uint8_t *space = rxbuf_space(&rx, &room);
                if (chunk > room)
                        chunk = room;
                memcpy(space, data + i, chunk);
                rxbuf_commit(&rx, chunk);
                i += chunk;
                for (;;) {
                        struct vtl_msg m;
                        int k = vtl_rx_next(&rx, &m);
                        int ev = k > 0 ? vtl_driver_take(&d, &m) : 0;
                        if (k > 0)
                                rxbuf_consume(&rx);
                        check(&d);
                        if (k < 0 || ev < 0) { /* the driver hangs up and reconnects */
                                vtl_rx_init(&rx, rxbuf, sizeof(rxbuf));
                                vtl_driver_reset(&d);
                                d.asked = asked;
                                break;
                        }
                        if (k == 0)
                                break;
                        if (ev & VTL_EV_ANSWER) { /* the request was answered: the next one */
                                d.answered = false;
                                d.asked = asked;
                        }
                }
        }
        return 0;
}
