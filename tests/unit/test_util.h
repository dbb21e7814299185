/* Helpers shared by the unit tests (include after cmocka.h). */
#ifndef VT_TEST_UTIL_H
#define VT_TEST_UTIL_H

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Bytes written as hex, spaces allowed ("00 A4 04 00"); returns how many. */
static inline size_t hex_decode(const char *hex, uint8_t *out, size_t cap)
{
        size_t n = 0;
        while (*hex) {
                if (isspace((unsigned char)*hex)) {
                        hex++;
                        continue;
                }
                unsigned v;
                assert_true(sscanf(hex, "%2x", &v) == 1);
                assert_true(n < cap);
                out[n++] = (uint8_t)v;
                hex += 2;
        }
        return n;
}

#endif
