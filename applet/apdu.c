/* SPDX-License-Identifier: Apache-2.0 */
#include "apdu.h"

#include "buf.h"
#include "sw.h"

#include <string.h>

/* Decoding follows ISO 7816-3 12.1.3: the length of the command alone tells the case. */
uint16_t apdu_parse(const uint8_t *buf, size_t len, struct apdu *a)
{
        struct reader r = rd_init(buf, len);
        const uint8_t *hdr;
        memset(a, 0, sizeof(*a));
        if (rd_bytes(&r, 4, &hdr) != 0)
                return SW_WRONG_LENGTH;
        a->cla = hdr[0];
        a->ins = hdr[1];
        a->p1 = hdr[2];
        a->p2 = hdr[3];
        if (r.left == 0)
                return 0; /* case 1 */

        uint8_t b;
        uint16_t n;
        rd_u8(&r, &b);
        if (r.left == 0) { /* case 2 short */
                a->has_le = true;
                a->ne = b ? b : 256;
                return 0;
        }
        if (b != 0) { /* case 3 or 4 short */
                if (rd_bytes(&r, b, &a->data) != 0)
                        return SW_WRONG_LENGTH;
                a->lc = b;
                if (r.left == 0)
                        return 0;
                if (r.left != 1)
                        return SW_WRONG_LENGTH;
                rd_u8(&r, &b);
                a->has_le = true;
                a->ne = b ? b : 256;
                return 0;
        }
        /* b == 0 and more follows: extended */
        a->extended = true;
        if (rd_u16(&r, &n) != 0)
                return SW_WRONG_LENGTH;
        if (r.left == 0) { /* case 2 extended */
                a->has_le = true;
                a->ne = n ? n : 65536;
                return 0;
        }
        if (n == 0 || rd_bytes(&r, n, &a->data) != 0)
                return SW_WRONG_LENGTH;
        a->lc = n;
        if (r.left == 0)
                return 0; /* case 3 extended */
        if (rd_u16(&r, &n) != 0 || r.left != 0)
                return SW_WRONG_LENGTH;
        a->has_le = true;
        a->ne = n ? n : 65536;
        return 0;
}
