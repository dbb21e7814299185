/* SPDX-License-Identifier: Apache-2.0 */
/* PIV's `vtoken show` (the show hook of its registry row). */
#ifndef VT_PIV_SHOW_H
#define VT_PIV_SHOW_H

#include "registry.h"

void vt_piv_show(const struct vt_image *card, const void *state, const struct vt_show *out);

#endif
