/* SPDX-License-Identifier: Apache-2.0 */
/* The file store: a card's proposed changes made durable in its image directory, each before
 * the card applies it. */
#include "image_store.h"

#include "atomic.h"
#include "pgp_state.h"

#include <stdbool.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

void vt_file_store_init(struct vt_file_store *fs, int dirfd, const struct vt_image *img)
{
        memset(fs, 0, sizeof(*fs));
        fs->dirfd = dirfd;
        fs->saved_pin_max = img->pin.max_tries;
        fs->saved_puk_max = img->puk.max_tries;
}

/* card.ini (when the retry limits change) and state, put in place in that order: on load a
 * tries_left above a lowered limit is clamped to it, so a crash between the two renames never
 * gives back a try. */
static int save_secrets(struct vt_file_store *fs, const struct vt_image *next)
{
        struct vt_batch b;
        bool limits =
            next->pin.max_tries != fs->saved_pin_max || next->puk.max_tries != fs->saved_puk_max;

        vt_batch_init(&b, fs->dirfd);
        if ((limits && vt_batch_card(&b, next) < 0) || vt_batch_state(&b, next) < 0)
                goto fail;
        if (vt_batch_commit(&b) < 0)
                return -1;
        fs->saved_pin_max = next->pin.max_tries;
        fs->saved_puk_max = next->puk.max_tries;
        return 0;
fail:
        vt_batch_abort(&b);
        return -1;
}

/* The slot's key and certificate files that change, then card.ini with the slot's policies,
 * all written before any is put in place: a failed write leaves every file as it was. */
static int save_slot(struct vt_file_store *fs, const struct vt_image *img,
                     const struct vt_slot *slot)
{
        struct vt_image next = *img; /* shallow: card.ini as it will be */
        struct vt_batch b;
        size_t i = 0;
        int e;

        while (i < VT_SLOTS && next.slots[i].ref != slot->ref)
                i++;
        if (i == VT_SLOTS) {
                errno = EINVAL;
                return -1;
        }
        const struct vt_slot *old = &img->slots[i];
        bool key = slot->key != old->key;
        bool cert = slot->cert != old->cert || slot->cert_len != old->cert_len;
        next.slots[i] = *slot;
        vt_batch_init(&b, fs->dirfd);
        if (vt_batch_slot(&b, slot, key, cert) < 0 || vt_batch_card(&b, &next) < 0) {
                e = errno;
                vt_batch_abort(&b);
                errno = e;
                return -1;
        }
        return vt_batch_commit(&b);
}

static int save_object(struct vt_file_store *fs, uint32_t tag, const uint8_t *data, size_t len)
{
        struct vt_batch b;
        int e;

        vt_batch_init(&b, fs->dirfd);
        if (vt_batch_object(&b, tag, data, len) < 0) {
                e = errno;
                vt_batch_abort(&b);
                errno = e;
                return -1;
        }
        return vt_batch_commit(&b);
}

static int commit_piv(struct vt_file_store *fs, const struct piv_change *ch)
{
        switch (ch->kind) {
        case PIV_CHANGE_SECRETS:
                return save_secrets(fs, ch->proposed);
        case PIV_CHANGE_SLOT:
                return save_slot(fs, ch->img, ch->slot);
        case PIV_CHANGE_OBJECT:
                return save_object(fs, ch->tag, ch->data, ch->len);
        }
        errno = EINVAL;
        return -1;
}

/* The key and data-object files that change, then openpgp.ini, all written before any is put
 * in place. */
static int commit_openpgp(struct vt_file_store *fs, const struct pgp_change *ch)
{
        struct vt_batch b;
        int e;

        vt_batch_init(&b, fs->dirfd);
        if (vt_batch_openpgp(&b, ch->cur, ch->next, ch->keys) < 0) {
                e = errno;
                vt_batch_abort(&b);
                errno = e;
                return -1;
        }
        return vt_batch_commit(&b);
}

static int file_commit(void *ctx, const char *applet, const void *change)
{
        struct vt_file_store *fs = ctx;
        int r;
        if (!fs->swept) {
                vt_sweep_leftovers(fs->dirfd);
                fs->swept = true;
        }
        if (strcmp(applet, "piv") == 0)
                r = commit_piv(fs, change);
        else if (strcmp(applet, "openpgp") == 0)
                r = commit_openpgp(fs, change);
        else
                return -EINVAL;
        if (r < 0)
                return errno ? -errno : -EIO;
        return 0;
}

static const struct vt_store_ops file_ops = {.commit = file_commit};

struct vt_store vt_file_store(struct vt_file_store *fs)
{
        struct vt_store s = {&file_ops, fs};
        return s;
}
