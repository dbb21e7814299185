/* SPDX-License-Identifier: Apache-2.0 */
/* The OpenPGP card application 3.4 (OpenPGP Smart Card Application 3.4.1, as GnuPG's scdaemon
 * and OpenSC's openpgp driver use it).
 *
 * A vt_pgp keeps the session's security state (PW1 for signing, PW1 for the other operations,
 * PW3) over the OpenPGP state of a card image (the state of unit vt_unit_openpgp); every change
 * of that state is made durable by the store the applet was given before the applet applies it
 * (applet/store.h, a struct pgp_change of pgp_state.h). */
#ifndef VT_OPENPGP_H
#define VT_OPENPGP_H

#include "card.h"
#include "piv_state.h"
#include "pgp_state.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

/* D2 76 00 01 24 01: the OpenPGP application's AID without version, maker and serial. */
extern const uint8_t vt_pgp_rid_pix[6];

struct vt_pgp;

/* Its registry row (pgp_unit.c), and the OpenPGP state of a card (NULL when it carries
 * none). */
extern const struct vt_applet_unit vt_unit_openpgp;
struct vt_pgp_state *vt_pgp_of(const struct vt_image *img);

/* The applet keeps st (not a copy) and a copy of store; st must outlive it. NULL on allocation
 * failure. */
struct vt_pgp *vt_pgp_new(struct vt_pgp_state *st, const struct vt_store *store);
void vt_pgp_free(struct vt_pgp *p);

/* Fills out with the OpenPGP applet: name "openpgp", the card's AID, and its callbacks (no
 * destroy). */
void vt_pgp_applet(struct vt_pgp *p, struct vt_applet *out);

/* Puts the OpenPGP applet of img (its vt_unit_openpgp state) into card c; the card frees it. 0 or
 * -1 (no OpenPGP state, out of memory, card full). */
int vt_pgp_install(struct vt_card *c, struct vt_image *img, const struct vt_store *store);

#endif
