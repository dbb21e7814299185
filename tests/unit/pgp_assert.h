/* SPDX-License-Identifier: Apache-2.0 */
/* Comparing two OpenPGP states (include after cmocka.h). */
#ifndef VT_PGP_ASSERT_H
#define VT_PGP_ASSERT_H

#include "pgp_state.h"

#include <openssl/evp.h>

/* a and b hold the same: what the card uses is what the store holds. */
static inline void assert_same_pgp(const struct vt_pgp_state *a, const struct vt_pgp_state *b)
{
        assert_int_equal(a->terminated, b->terminated);
        assert_int_equal(a->pw1_multi, b->pw1_multi);
        assert_int_equal(a->sig_count, b->sig_count);
        assert_memory_equal(&a->pw1, &b->pw1, sizeof(a->pw1));
        assert_memory_equal(&a->rc, &b->rc, sizeof(a->rc));
        assert_memory_equal(&a->pw3, &b->pw3, sizeof(a->pw3));
        for (int i = 0; i < PGP_KEYS; i++) {
                const struct pgp_key *x = &a->keys[i], *y = &b->keys[i];
                assert_int_equal(x->attr_len, y->attr_len);
                assert_memory_equal(x->attr, y->attr, x->attr_len);
                assert_memory_equal(x->fpr, y->fpr, sizeof(x->fpr));
                assert_memory_equal(x->time, y->time, sizeof(x->time));
                assert_int_equal(x->origin, y->origin);
                assert_int_equal(x->uif, y->uif);
                assert_int_equal(!x->key, !y->key);
                if (x->key)
                        assert_int_equal(EVP_PKEY_eq(x->key, y->key), 1);
        }
        for (int i = 0; i < PGP_N_DOS; i++) {
                assert_int_equal(a->dos[i].len, b->dos[i].len);
                if (a->dos[i].len)
                        assert_memory_equal(a->dos[i].data, b->dos[i].data, a->dos[i].len);
        }
}

#endif
