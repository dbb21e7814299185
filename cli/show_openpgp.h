/* SPDX-License-Identifier: Apache-2.0 */
/* The OpenPGP part of `vtoken show`, as text and as JSON. */
#ifndef VT_SHOW_OPENPGP_H
#define VT_SHOW_OPENPGP_H

#include "piv_state.h"

/* Nothing when the image has no OpenPGP application. */
void vt_show_openpgp_text(const struct vt_image *img);
/* `,\n  "openpgp": {...}` (or `,\n  "openpgp": null`) to follow a member of show's object. */
void vt_show_openpgp_json(const struct vt_image *img);

#endif
