/* SPDX-License-Identifier: Apache-2.0 */
/* OpenPGP's registry row (applet/registry.h). */
#include "openpgp.h"
#include "pgp_codec.h"
#include "pgp_state.h"

#include "registry.h"

/* GnuPG's range of manufacturer IDs for serial numbers assigned at random */
#define OPENPGP_MANUFACTURER 0xFFFE

/* As a new card ships: its serial the card's, so two cards are two cards in GnuPG too. */
struct vt_pgp_state *vt_pgp_of(const struct vt_image *img)
{
        return vt_image_state(img, &vt_unit_openpgp);
}

static void *state_new(const struct vt_image *card)
{
        return pgp_state_new(OPENPGP_MANUFACTURER, card->serial);
}

static void *state_clone(const void *st)
{
        return pgp_state_clone(st);
}

static void state_free(void *st)
{
        pgp_state_free(st);
}

/* The state becomes a copy of the proposed one. */
static int state_apply(void *st, const void *change)
{
        const struct pgp_change *ch = change;
        struct vt_pgp_state *copy = pgp_state_clone(ch->next);
        if (!copy)
                return -1;
        pgp_state_move(st, copy);
        return 0;
}

static void identity(void *st, const struct vt_image *card)
{
        ((struct vt_pgp_state *)st)->serial = card->serial;
}

static int install(struct vt_card *c, struct vt_image *img, void *state,
                   const struct vt_store *store)
{
        (void)state; /* vt_image_state(img, &vt_unit_openpgp) */
        return vt_pgp_install(c, img, store);
}

const struct vt_applet_unit vt_unit_openpgp = {
    .name = "openpgp",
    .title = "OpenPGP",
    .aid = vt_pgp_rid_pix,
    .aid_len = sizeof(vt_pgp_rid_pix),
    .yk_capability = VT_YK_CAP_OPENPGP,
    .state_new = state_new,
    .state_clone = state_clone,
    .state_free = state_free,
    .state_apply = state_apply,
    .identity = identity,
    .install = install,
    .codec =
        {
            .load = vt_pgp_load,
            .save = vt_pgp_save,
            .commit = vt_pgp_commit,
        },
};
