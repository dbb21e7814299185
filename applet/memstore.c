/* SPDX-License-Identifier: Apache-2.0 */
#include "store.h"

#include "openpgp/pgp_state.h"
#include "piv/image.h"

#include <errno.h>
#include <string.h>

/* The mirror's OpenPGP state becomes a copy of the proposed one. */
static int mirror_openpgp(struct vt_image *mirror, const struct pgp_change *ch)
{
        struct vt_pgp_state *copy = pgp_state_clone(ch->next);
        if (!copy)
                return -1;
        pgp_state_free(mirror->openpgp);
        mirror->openpgp = copy;
        return 0;
}

static int mem_commit(void *ctx, const char *applet, const void *change)
{
        struct vt_mem_store *m = ctx;
        if (m->fail_always || m->fail_next > 0) {
                if (m->fail_next > 0)
                        m->fail_next--;
                m->failures++;
                return -EIO;
        }
        if (m->mirror && strcmp(applet, "piv") == 0 && vt_image_apply(m->mirror, change) < 0)
                return -ENOMEM;
        if (m->mirror && strcmp(applet, "openpgp") == 0 && mirror_openpgp(m->mirror, change) < 0)
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
