/* SPDX-License-Identifier: Apache-2.0 */
/* PIV's registry row (applet/registry.h). */
#include "piv.h"
#include "piv_codec.h"
#include "piv_show.h"
#include "piv_state.h"

#include "pin.h"
#include "registry.h"

#include <stdio.h>

#include <openssl/crypto.h>

extern const uint8_t piv_aid[11];

static void *unit_state_new(const struct vt_image *card)
{
        (void)card;
        return vt_piv_state_new();
}

VT_UNIT_CLONE_FREE(struct vt_piv_state, vt_piv_state_clone, vt_piv_state_free)

static int unit_state_apply(void *st, const void *change)
{
        return vt_piv_state_apply(st, change);
}

/* One PIN or PUK as the profile gives it, with its tries. 0, or -2 (a usage error). */
static int set_secret(struct vt_piv_state *st, struct vt_secret *s, const char *value,
                      uint8_t tries, const struct vt_unit_pins *pins, char *err, size_t errlen)
{
        uint8_t padded[VT_PIN_FIELD];
        const char *what = s == &st->pin ? "PIN" : "PUK";
        bool ok;

        if (vt_pin_pad(value, padded) < 0) {
                snprintf(err, errlen, "the %s is longer than %d characters", what, VT_PIN_FIELD);
                return -2;
        }
        ok = s == &st->pin ? vt_pin_acceptable(&st->pin_rules, padded) : vt_puk_acceptable(padded);
        if (ok)
                vt_secret_set(s, padded);
        OPENSSL_cleanse(padded, sizeof(padded));
        if (!ok && s == &st->pin && st->pin_rules.charset == VT_PIN_CHARS_STRONG)
                snprintf(err, errlen,
                         "the PIN does not meet the %s profile's policy: exactly %u characters "
                         "with upper case, lower case, a digit and a symbol",
                         pins->profile, st->pin_rules.max_len);
        else if (!ok && s == &st->pin)
                snprintf(err, errlen, "the PIN must have %u to %u characters",
                         st->pin_rules.min_len, st->pin_rules.max_len);
        else if (!ok)
                snprintf(err, errlen, "the PUK must have 6 to 8 characters");
        if (!ok)
                return -2;
        s->max_tries = s->tries_left = tries;
        return 0;
}

/* The profile's PIN policy, PIN and PUK (--puk, else the profile's). */
static int set_pins(void *state, const struct vt_unit_pins *pins, char *err, size_t errlen)
{
        struct vt_piv_state *st = state;
        st->pin_rules = *pins->rules;
        int r = set_secret(st, &st->pin, pins->pin, pins->pin_tries, pins, err, errlen);
        if (r == 0)
                r = set_secret(st, &st->puk, pins->puk ? pins->puk : pins->profile_puk,
                               pins->puk_tries, pins, err, errlen);
        return r;
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
    VT_UNIT_STATE_HOOKS,
    .install = install,
    .set_pins = set_pins,
    .show = vt_piv_show,
    .show_verbatim = true,
    .codec =
        {
            .ini_key = vt_piv_ini_key,
            .ini_write = vt_piv_ini_write,
            .load = vt_piv_load,
            .save = vt_piv_save,
            .commit = vt_piv_commit,
        },
};
