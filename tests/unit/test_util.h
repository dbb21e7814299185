/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the unit tests (include after cmocka.h). */
#ifndef VT_TEST_UTIL_H
#define VT_TEST_UTIL_H

#include "piv_state.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>

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

/* a and b hold the same persistent state a card changes: PIN, PUK, management key, slots
 * (keys compared by value) and data objects. */
static inline void assert_same_image(struct vt_image *a, struct vt_image *b)
{
        assert_memory_equal(&vt_piv_of(a)->pin, &vt_piv_of(b)->pin, sizeof(vt_piv_of(a)->pin));
        assert_memory_equal(&vt_piv_of(a)->puk, &vt_piv_of(b)->puk, sizeof(vt_piv_of(a)->puk));
        assert_int_equal(vt_piv_of(a)->mgm_alg, vt_piv_of(b)->mgm_alg);
        assert_int_equal(vt_piv_of(a)->mgm_key_len, vt_piv_of(b)->mgm_key_len);
        assert_memory_equal(vt_piv_of(a)->mgm_key, vt_piv_of(b)->mgm_key,
                            sizeof(vt_piv_of(a)->mgm_key));
        assert_int_equal(vt_piv_of(a)->mgm_touch, vt_piv_of(b)->mgm_touch);
        for (size_t i = 0; i < VT_SLOTS; i++) {
                const struct vt_slot *x = &vt_piv_of(a)->slots[i], *y = &vt_piv_of(b)->slots[i];
                assert_int_equal(x->ref, y->ref);
                assert_int_equal(x->alg, y->alg);
                assert_int_equal(x->pin_policy, y->pin_policy);
                assert_int_equal(x->touch_policy, y->touch_policy);
                assert_int_equal(x->generated, y->generated);
                assert_int_equal(!x->key, !y->key);
                if (x->key)
                        assert_int_equal(EVP_PKEY_eq(x->key, y->key), 1);
                assert_int_equal(x->cert_len, y->cert_len);
                if (x->cert_len)
                        assert_memory_equal(x->cert, y->cert, x->cert_len);
        }
        assert_int_equal(vt_piv_of(a)->n_objects, vt_piv_of(b)->n_objects);
        for (size_t i = 0; i < vt_piv_of(a)->n_objects; i++) {
                const struct vt_object *x = &vt_piv_of(a)->objects[i];
                const struct vt_object *y = vt_piv_object(vt_piv_of(b), x->tag);
                assert_non_null(y);
                assert_int_equal(x->len, y->len);
                assert_memory_equal(x->data, y->data, x->len);
        }
}

#endif
