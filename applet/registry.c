/* SPDX-License-Identifier: Apache-2.0 */
#include "registry.h"

#include "openpgp/openpgp.h"
#include "piv/piv.h"

#include <stdio.h>
#include <string.h>

/* PIV and OpenPGP on one card, as a YubiKey 5 carries them. */
static int install_piv_openpgp(struct vt_card *c, struct vt_image *img,
                               const struct vt_store *store)
{
        return vt_piv_install(c, img, store) < 0 ? -1 : vt_pgp_install(c, img, store);
}

static const struct {
        const char *name;
        int (*install)(struct vt_card *c, struct vt_image *img, const struct vt_store *store);
} applets[] = {
    {"piv", vt_piv_install},
    {"openpgp", vt_pgp_install},
    {"piv+openpgp", install_piv_openpgp},
};

static int find(const char *name)
{
        for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++)
                if (strcmp(applets[i].name, name) == 0)
                        return (int)i;
        return -1;
}

int vt_applet_known(const char *name)
{
        return find(name) >= 0;
}

int vt_card_setup(struct vt_card *c, struct vt_image *img, const struct vt_store *store, char *err,
                  size_t errlen)
{
        int i = find(img->applet);
        vt_card_init(c, img->atr, img->atr_len);
        if (i < 0) {
                snprintf(err, errlen, "unknown applet '%s'", img->applet);
                return -1;
        }
        if (applets[i].install(c, img, store) < 0) {
                vt_card_release(c);
                snprintf(err, errlen, "out of memory");
                return -1;
        }
        return 0;
}
