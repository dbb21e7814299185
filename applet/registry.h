/* SPDX-License-Identifier: Apache-2.0 */
/* The applets a card can carry, by the name a card image gives (card.ini's applet). */
#ifndef VT_REGISTRY_H
#define VT_REGISTRY_H

#include "card.h"
#include "store.h"

#include <stddef.h>

struct vt_image;

/* Sets card c up for image img: its ATR, and the applets the image names, each over img and
 * committing to store. 0, or -1 with the reason in err (an unknown applet, out of memory). The
 * card owns the applets: vt_card_release frees them. */
int vt_card_setup(struct vt_card *c, struct vt_image *img, const struct vt_store *store, char *err,
                  size_t errlen);

/* Whether name is an applet this build knows. */
int vt_applet_known(const char *name);

#endif
