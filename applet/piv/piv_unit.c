/* SPDX-License-Identifier: Apache-2.0 */
/* PIV's registry row (applet/registry.h). */
#include "piv.h"
#include "piv_codec.h"
#include "piv_state.h"

#include "registry.h"

extern const uint8_t piv_aid[11];

static void *state_new(const struct vt_image *card)
{
        (void)card;
        return vt_piv_state_new();
}

static void *state_clone(const void *st)
{
        return vt_piv_state_clone(st);
}

static void state_free(void *st)
{
        vt_piv_state_free(st);
}

static int state_apply(void *st, const void *change)
{
        return vt_piv_state_apply(st, change);
}

static int install(struct vt_card *c, struct vt_image *img, void *state,
                   const struct vt_store *store)
{
        (void)state; /* vt_piv_of(img) */
        return vt_piv_install(c, img, store);
}

const struct vt_applet_unit vt_unit_piv = {
    .name = "piv",
    .title = "PIV",
    .aid = piv_aid,
    .aid_len = sizeof(piv_aid),
    .yk_capability = VT_YK_CAP_PIV,
    .state_new = state_new,
    .state_clone = state_clone,
    .state_free = state_free,
    .state_apply = state_apply,
    .install = install,
    .codec =
        {
            .ini_key = vt_piv_ini_key,
            .ini_write = vt_piv_ini_write,
            .load = vt_piv_load,
            .save = vt_piv_save,
            .commit = vt_piv_commit,
        },
};
