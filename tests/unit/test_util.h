/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the unit tests (include after cmocka.h). */
#ifndef VT_TEST_UTIL_H
#define VT_TEST_UTIL_H

#include "card.h"
#include "piv_state.h"
#include "registry.h"
#include "store.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>

/* A disk under a unit test of one unit: the unit's state as the last commit that succeeded left
 * it (through the unit's own state_apply, as a memory store does), the commits counted, and the
 * next fail_next commits failing as a full disk does. */
struct test_disk {
        const struct vt_applet_unit *unit;
        void *st;
        unsigned commits;
        unsigned fail_next;
};

static inline int test_disk_commit(void *ctx, const struct vt_applet_unit *unit, const void *change)
{
        struct test_disk *d = ctx;
        assert_ptr_equal(unit, d->unit);
        if (d->fail_next > 0) {
                d->fail_next--;
                return -EIO;
        }
        assert_int_equal(unit->state_apply(d->st, change), 0);
        d->commits++;
        return 0;
}

/* The store an applet under test commits to: d. */
static inline struct vt_store test_disk_store(struct test_disk *d)
{
        static const struct vt_store_ops ops = {.commit = test_disk_commit};
        return (struct vt_store){&ops, d};
}

/* One command to card c: the answer's data into resp (*resp_len bytes), its status word
 * returned. */
static inline uint16_t test_transmit(struct vt_card *c, const uint8_t *cmd, size_t len,
                                     uint8_t *resp, size_t *resp_len)
{
        *resp_len = vt_card_transmit(c, cmd, len, resp);
        assert_true(*resp_len >= 2);
        *resp_len -= 2;
        return (uint16_t)(resp[*resp_len] << 8 | resp[*resp_len + 1]);
}

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

/* A store over another that refuses only its fail_at-th commit (counted from 1), as a disk that
 * fails once: which commit comes first is then seen from outside. */
struct nth_store {
        struct vt_store inner;
        unsigned seen, fail_at;
};

static inline int nth_commit(void *ctx, const struct vt_applet_unit *unit, const void *change)
{
        struct nth_store *n = ctx;
        if (++n->seen == n->fail_at)
                return -EIO;
        return vt_store_commit(&n->inner, unit, change);
}

/* n set over inner; the store returned commits through n, which must outlive it. */
static inline struct vt_store nth_store_over(struct nth_store *n, struct vt_store inner,
                                             unsigned fail_at)
{
        static const struct vt_store_ops ops = {.commit = nth_commit};
        *n = (struct nth_store){.inner = inner, .fail_at = fail_at};
        return (struct vt_store){&ops, n};
}

#endif
