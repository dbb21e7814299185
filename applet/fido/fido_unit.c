/* SPDX-License-Identifier: Apache-2.0 */
/* FIDO's registry row (applet/registry.h): its state, its applet, its files, its `vtoken
 * show` (discoverable credentials without their keys). */
#include "fido.h"
#include "fido_codec.h"

#include "registry.h"

#include <stdio.h>

static void *unit_state_new(const struct vt_image *card)
{
        return fido_state_new(card->serial);
}

VT_UNIT_CLONE_FREE(struct vt_fido_state, fido_state_clone, fido_state_free)
VT_UNIT_APPLY_NEXT(struct vt_fido_state, struct fido_change)

static int install(struct vt_card *c, struct vt_image *img, void *state,
                   const struct vt_store *store)
{
        struct vt_fido *f = vt_fido_new(state, store, c);
        struct vt_applet ap;
        if (!f)
                return -1;
        if (img->compat == VT_COMPAT_YUBIKEY)
                vt_fido_yubikey(f, img->version);
        vt_fido_applet(f, &ap);
        return vt_card_add_applet(c, &ap);
}

static void show(const struct vt_image *card, const void *state, const struct vt_show *out)
{
        const struct vt_fido_state *st = state;
        char hex[2 * FIDO_USER_ID_MAX + 1];
        (void)card;
        out->flag(out->ctx, "pin_set", st->pin_set);
        out->num(out->ctx, "pin_tries", st->pin_tries);
        out->num(out->ctx, "signature_counter", st->counter);
        out->begin_list(out->ctx, "credentials");
        for (size_t i = 0; i < st->n_rk; i++) {
                const struct fido_resident *c = &st->rk[i];
                for (size_t k = 0; k < c->user_id_len; k++)
                        snprintf(hex + 2 * k, 3, "%02x", c->user_id[k]);
                hex[2 * c->user_id_len] = 0;
                out->begin(out->ctx, NULL);
                out->str(out->ctx, "rp", c->rp_id);
                out->str(out->ctx, "user_id", hex);
                out->str(out->ctx, "user_name", c->user_name);
                out->str(out->ctx, "display_name", c->display_name);
                out->str(out->ctx, "algorithm", c->alg == FIDO_ALG_EDDSA ? "EdDSA" : "ES256");
                out->num(out->ctx, "cred_protect", c->cred_protect);
                out->end(out->ctx);
        }
        out->end(out->ctx);
}

const struct vt_applet_unit vt_unit_fido = {
    .name = "fido",
    .title = "FIDO",
    .aid = vt_fido_aid,
    .aid_len = sizeof(vt_fido_aid),
    .yk_capability = VT_YK_CAP_FIDO2 | VT_YK_CAP_U2F,
    VT_UNIT_STATE_HOOKS,
    .install = install,
    .codec =
        {
            .load = vt_fido_load,
            .save = vt_fido_save,
            .commit = vt_fido_commit,
        },
    .show = show,
};
