/* SPDX-License-Identifier: Apache-2.0 */
/* OpenPGP's `vtoken show` (the show hook of its registry row). */
#ifndef VT_PGP_SHOW_H
#define VT_PGP_SHOW_H

#include "registry.h"

void vt_pgp_show(const struct vt_image *card, const void *state, const struct vt_show *out);

#endif
