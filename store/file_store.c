/* SPDX-License-Identifier: Apache-2.0 */
/* The file store: a card's proposed changes made durable in its image directory, each before
 * the card applies it. The unit that made a change says which files it touches (its codec's
 * commit); they are all written before any is put in place, so a failed write leaves every file
 * as it was. */
#include "image_store.h"

#include <errno.h>
#include <string.h>

void vt_file_store_init(struct vt_file_store *fs, int dirfd, const struct vt_image *img)
{
        memset(fs, 0, sizeof(*fs));
        fs->dirfd = dirfd;
        fs->img = img;
}

static int file_commit(void *ctx, const struct vt_applet_unit *unit, const void *change)
{
        struct vt_file_store *fs = ctx;
        struct vt_image_sink s;
        struct vt_codec_sink sink;
        int r;

        if (!fs->swept) {
                vt_sweep_leftovers(fs->dirfd);
                fs->swept = true;
        }
        if (!unit->codec.commit || !vt_image_carries(fs->img, unit))
                return -EINVAL;
        errno = 0;
        vt_image_sink_init(&s, fs->dirfd, fs->img, &sink);
        r = unit->codec.commit(fs->img, vt_image_state(fs->img, unit), change, &sink);
        return vt_image_sink_end(&s, r);
}

static const struct vt_store_ops file_ops = {.commit = file_commit};

struct vt_store vt_file_store(struct vt_file_store *fs)
{
        struct vt_store s = {&file_ops, fs};
        return s;
}
