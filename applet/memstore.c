/* SPDX-License-Identifier: Apache-2.0 */
#include "store.h"

#include "registry.h"

#include <errno.h>

static int mem_commit(void *ctx, const struct vt_applet_unit *unit, const void *change)
{
        struct vt_mem_store *m = ctx;
        if (m->fail_always || m->fail_next > 0) {
                if (m->fail_next > 0)
                        m->fail_next--;
                m->failures++;
                return -EIO;
        }
        void *st = m->mirror ? vt_image_state(m->mirror, unit) : NULL;
        if (st && unit->state_apply(st, change) < 0)
                return -ENOMEM;
        m->commits++;
        return 0;
}

static const struct vt_store_ops mem_ops = {.commit = mem_commit};

struct vt_store vt_mem_store(struct vt_mem_store *m)
{
        struct vt_store s = {&mem_ops, m};
        return s;
}
