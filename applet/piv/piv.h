/* SPDX-License-Identifier: Apache-2.0 */
/* The PIV card application (NIST SP 800-73-4 with the YubiKey 5 extensions clients rely on).
 *
 * A vt_piv keeps the session's security state (PIN verified, management key authenticated)
 * over a card image; the image holds everything persistent, and every change of it is made
 * durable by the store the applet was given before the applet applies it (applet/store.h). */
#ifndef VT_PIV_H
#define VT_PIV_H

#include "card.h"
#include "piv_state.h"
#include "store.h"

#include <stdbool.h>

struct vt_piv;

/* The applet keeps img (not a copy) and a copy of store; img must outlive it. NULL on
 * allocation failure. */
struct vt_piv *vt_piv_new(struct vt_image *img, const struct vt_store *store);
void vt_piv_free(struct vt_piv *p);

/* Fills out with the PIV applet: name "piv", the PIV AID, and its callbacks (no destroy). */
void vt_piv_applet(struct vt_piv *p, struct vt_applet *out);

/* Puts the applets of img into card c (PIV, and the YubiKey management applet when the image
 * answers it); the card frees them (vt_card_release). 0 or -1 (out of memory, card full). */
int vt_piv_install(struct vt_card *c, struct vt_image *img, const struct vt_store *store);

/* True while the application PIN is verified in this session. */
bool vt_piv_pin_verified(const struct vt_piv *p);

#endif
