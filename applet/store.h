/* SPDX-License-Identifier: Apache-2.0 */
/* The store a card is given: where an applet's proposed changes are made durable.
 *
 * Commit first, then apply: an applet builds the new state of what a command changes, hands it
 * to vt_store_commit, and changes its live state only when that returned 0. A failed commit
 * leaves the live state as it was, and a store leaves what it holds as it was too.
 *
 * The change is the unit's own (e.g. struct piv_change of applet/piv/piv_state.h); a store
 * hands it to the unit that made it (its codec's commit, its state_apply; applet/registry.h),
 * never reads it itself. The image store of store/ writes files; vt_mem_store (below) keeps
 * nothing and serves unit tests and the fuzzer; the daemon's write-fail fault wraps a store. */
#ifndef VT_STORE_H
#define VT_STORE_H

#include <stdbool.h>
#include <stddef.h>

struct vt_applet_unit;

struct vt_store_ops {
        /* Makes one change of unit durable; 0 or a negative errno. */
        int (*commit)(void *ctx, const struct vt_applet_unit *unit, const void *change);
};

struct vt_store {
        const struct vt_store_ops *ops;
        void *ctx;
};

static inline int vt_store_commit(const struct vt_store *s, const struct vt_applet_unit *unit,
                                  const void *change)
{
        return s->ops->commit(s->ctx, unit, change);
}

/* A store in memory: every commit succeeds, except while fail_next > 0 (each failed commit
 * spends one) or fail_always; it counts what it was asked. With a mirror, each change it
 * accepts is applied to that image too (the unit's state_apply on the mirror's state of that
 * unit): what a disk would hold. */
struct vt_image;
struct vt_mem_store {
        struct vt_image *mirror;
        unsigned commits;  /* commits that succeeded */
        unsigned failures; /* commits refused */
        unsigned fail_next;
        bool fail_always;
};

/* A vt_store over m. */
struct vt_store vt_mem_store(struct vt_mem_store *m);

#endif
