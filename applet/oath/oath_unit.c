/* SPDX-License-Identifier: Apache-2.0 */
/* OATH's registry row (applet/registry.h): its state, its applet, its file, its `vtoken show`. */
#include "oath.h"
#include "oath_codec.h"
#include "oath_uri.h"

#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static void *unit_state_new(const struct vt_image *card)
{
        (void)card;
        return oath_state_new();
}

VT_UNIT_CLONE_FREE(struct vt_oath_state, oath_state_clone, oath_state_free)
VT_UNIT_APPLY_NEXT(struct vt_oath_state, struct oath_change)

static int install(struct vt_card *c, struct vt_image *img, void *state,
                   const struct vt_store *store)
{
        struct vt_oath *o = vt_oath_new(state, store, img->version);
        struct vt_applet ap;
        if (!o)
                return -1;
        vt_oath_applet(o, &ap);
        return vt_card_add_applet(c, &ap);
}

/* A TOTP credential's period, as its name starts ("60/..."; ykman's reading), else 30. */
static unsigned long period_of(const struct oath_cred *c)
{
        unsigned long p = 0;
        size_t i = 0;
        while (i < c->name_len && i < 6 && c->name[i] >= '0' && c->name[i] <= '9')
                p = p * 10 + (unsigned long)(c->name[i++] - '0');
        return i > 0 && i < c->name_len && c->name[i] == '/' && p > 0 ? p : 30;
}

/* The accounts without their secrets. */
static void show(const struct vt_image *card, const void *state, const struct vt_show *out)
{
        const struct vt_oath_state *st = state;
        char name[2 * OATH_NAME_MAX + 1];
        (void)card;
        out->flag(out->ctx, "password", st->key_alg != 0);
        out->begin_list(out->ctx, "accounts");
        for (size_t i = 0; i < st->n; i++) {
                const struct oath_cred *c = &st->creds[i];
                bool plain = true;
                for (size_t k = 0; k < c->name_len; k++)
                        plain = plain && c->name[k] >= 0x20 && c->name[k] != 0x7F;
                if (plain) {
                        snprintf(name, sizeof(name), "%.*s", (int)c->name_len,
                                 (const char *)c->name);
                } else {
                        for (size_t k = 0; k < c->name_len; k++)
                                snprintf(name + 2 * k, 3, "%02x", c->name[k]);
                }
                out->begin(out->ctx, NULL);
                out->str(out->ctx, plain ? "name" : "name_hex", name);
                out->str(out->ctx, "type", c->type == OATH_HOTP ? "HOTP" : "TOTP");
                out->str(out->ctx, "algorithm", oath_alg_name(c->alg));
                out->num(out->ctx, "digits", c->digits);
                if (c->type == OATH_TOTP)
                        out->num(out->ctx, "period", (long long)period_of(c));
                else
                        out->num(out->ctx, "counter", c->counter);
                out->flag(out->ctx, "touch", c->props & OATH_PROP_TOUCH);
                out->end(out->ctx);
        }
        out->end(out->ctx);
}

/* vtoken init --oath URI: an account from an otpauth:// URI, put into the card being made. */
static int uri_check(const char *uri, char *err, size_t errlen)
{
        struct oath_cred c;
        char why[256];
        int r = oath_cred_from_uri(uri, &c, why, sizeof(why));
        OPENSSL_cleanse(&c, sizeof(c));
        if (r < 0)
                snprintf(err, errlen, "%s (otpauth://totp/Issuer:account?secret=BASE32)", why);
        return r;
}

static int uri_apply(struct vt_image *img, const char *const *uris, size_t n, char *err,
                     size_t errlen)
{
        struct vt_oath_state *st = vt_image_state(img, &vt_unit_oath);
        size_t room = oath_room(img->version);
        struct oath_cred c;
        int r = 0;
        if (!st) {
                snprintf(err, errlen,
                         "--oath: the %s profile's card carries no OATH application (the oath "
                         "and yubikey5 profiles do)",
                         img->profile);
                return -1;
        }
        for (size_t i = 0; i < n && r == 0; i++) {
                char why[256];
                if ((r = oath_cred_from_uri(uris[i], &c, why, sizeof(why))) < 0)
                        snprintf(err, errlen, "--oath: %s", why);
                else if ((r = oath_state_put(st, &c, room)) < 0)
                        snprintf(err, errlen, "--oath: no room for more than %zu accounts", room);
        }
        OPENSSL_cleanse(&c, sizeof(c));
        return r;
}

static const struct vt_unit_option options[] = {
    {"oath", "URI",
     "an OATH account from an otpauth:// URI (repeatable):\n"
     "otpauth://totp/Issuer:account?secret=BASE32&issuer=...\n"
     "(algorithm, digits, period, counter), as ykman oath\n"
     "accounts uri puts it; profiles oath and yubikey5\n",
     uri_check, uri_apply},
};

const struct vt_applet_unit vt_unit_oath = {
    .name = "oath",
    .title = "OATH",
    .aid = vt_oath_aid,
    .aid_len = sizeof(vt_oath_aid),
    .yk_capability = VT_YK_CAP_OATH,
    VT_UNIT_STATE_HOOKS,
    .install = install,
    .codec =
        {
            .load = vt_oath_load,
            .save = vt_oath_save,
            .commit = vt_oath_commit,
        },
    .show = show,
    .init_options = options,
    .n_init_options = sizeof(options) / sizeof(options[0]),
};
