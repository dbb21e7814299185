/* SPDX-License-Identifier: Apache-2.0 */
/* OpenPGP's registry row (applet/registry.h). */
#include "openpgp.h"
#include "pgp_codec.h"
#include "pgp_show.h"
#include "pgp_state.h"

#include "registry.h"

#include <stdio.h>
#include <string.h>

/* GnuPG's range of manufacturer IDs for serial numbers assigned at random */
#define OPENPGP_MANUFACTURER 0xFFFE

/* As a new card ships: its serial the card's, so two cards are two cards in GnuPG too. */
struct vt_pgp_state *vt_pgp_of(const struct vt_image *img)
{
        return vt_image_state(img, &vt_unit_openpgp);
}

static void *unit_state_new(const struct vt_image *card)
{
        return pgp_state_new(OPENPGP_MANUFACTURER, card->serial);
}

VT_UNIT_CLONE_FREE(struct vt_pgp_state, pgp_state_clone, pgp_state_free)

/* The state becomes a copy of the proposed one. */
static int unit_state_apply(void *st, const void *change)
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

/* PW1 the card's PIN, PW3 --puk (else 12345678, as a card ships), with the profile's tries; a
 * strong PIN policy of the profile (e-Cert's) becomes PW1's. */
static int set_pins(void *state, const struct vt_unit_pins *pins, char *err, size_t errlen)
{
        struct vt_pgp_state *st = state;
        const char *pw1 = pins->pin;
        const char *pw3 = pins->puk ? pins->puk : "12345678";

        st->pw1.s.max_tries = pins->pin_tries;
        st->rc.s.max_tries = st->pw3.s.max_tries = pins->puk_tries;
        if (pins->rules->charset == VT_PIN_CHARS_STRONG)
                st->pw1_rules = *pins->rules;
        if (!pgp_pw_acceptable(&st->pw1_rules, (const uint8_t *)pw1, strlen(pw1))) {
                snprintf(err, errlen, "the OpenPGP PIN (--pin) must have %u to %u characters%s",
                         st->pw1_rules.min_len, st->pw1_rules.max_len,
                         st->pw1_rules.charset == VT_PIN_CHARS_STRONG
                             ? " with upper case, lower case, a digit and a symbol"
                             : "");
                return -1;
        }
        if (!pgp_pw_acceptable(&st->pw3_rules, (const uint8_t *)pw3, strlen(pw3))) {
                snprintf(err, errlen,
                         "the OpenPGP admin PIN (--puk) must have 8 to 127 characters");
                return -1;
        }
        pgp_pw_set(&st->pw1, (const uint8_t *)pw1, strlen(pw1));
        pgp_pw_set(&st->pw3, (const uint8_t *)pw3, strlen(pw3));
        return 0;
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
    VT_UNIT_STATE_HOOKS,
    .identity = identity,
    .install = install,
    .set_pins = set_pins,
    .show = vt_pgp_show,
    .show_verbatim = true,
    .codec =
        {
            .load = vt_pgp_load,
            .save = vt_pgp_save,
            .commit = vt_pgp_commit,
        },
};
