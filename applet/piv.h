/* The PIV card application (NIST SP 800-73-4 with the YubiKey 5 extensions clients rely on).
 *
 * A vt_piv keeps the session's security state (PIN verified, management key authenticated)
 * over a card image; the image holds everything persistent and is committed through the
 * vt_image_commit_* calls before a response that reports a change leaves the card. */
#ifndef VT_PIV_H
#define VT_PIV_H

#include "card.h"
#include "image.h"

#include <stdbool.h>

struct vt_piv;

/* The applet keeps img (not a copy); img must outlive it. NULL on allocation failure. */
struct vt_piv *vt_piv_new(struct vt_image *img);
void vt_piv_free(struct vt_piv *p);

/* Fills out with the PIV applet: name "piv", the PIV AID, and its callbacks. */
void vt_piv_applet(struct vt_piv *p, struct vt_applet *out);

/* The YubiKey management AID A0 00 00 05 27 47 11 17: SELECT answers the ASCII version
 * "x.y.z"; every other command 6D00. Add it only when img->yubikey_mgmt_aid. */
void vt_piv_mgmt_applet(struct vt_piv *p, struct vt_applet *out);

/* True while the application PIN is verified in this session. */
bool vt_piv_pin_verified(const struct vt_piv *p);

#endif
