/* SPDX-License-Identifier: Apache-2.0 */
/* Command APDUs (ISO 7816-3 cases 1-4, short and extended). */
#ifndef VT_APDU_H
#define VT_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The instructions and class bits of ISO 7816-4 that the card core handles itself. */
#define CLA_CHAIN        0x10
#define CLA_PROPRIETARY  0x80
#define INS_SELECT       0xA4
#define INS_GET_RESPONSE 0xC0

struct apdu {
        uint8_t cla, ins, p1, p2;
        const uint8_t *data; /* Lc bytes; NULL when lc == 0 */
        size_t lc;
        size_t ne; /* expected response length; 0 when Le is absent */
        bool has_le;
        bool extended;
};

/* Returns 0, or the status word that rejects the bytes (SW_WRONG_LENGTH). */
uint16_t apdu_parse(const uint8_t *buf, size_t len, struct apdu *a);

#endif
