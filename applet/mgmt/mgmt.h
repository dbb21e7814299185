/* SPDX-License-Identifier: Apache-2.0 */
/* The YubiKey management application, a card-level unit (mgmt.c). */
#ifndef VT_MGMT_H
#define VT_MGMT_H

#include "card.h"
#include "image.h"

extern const struct vt_applet_unit vt_unit_mgmt;

/* Fills out with the management applet of card img (no destroy: img is the card's). */
void vt_mgmt_applet(struct vt_image *img, struct vt_applet *out);

#endif
