/* SPDX-License-Identifier: Apache-2.0 */
/* What a first start uses when nothing is configured: the embedded default card of vtokend
 * and of `vtoken run` (one PIV card on Debian's vpcd slot, its image in the state directory). */
#ifndef VT_DEFAULTS_H
#define VT_DEFAULTS_H

#include <stddef.h>

#define VT_DEFAULT_VPCD_HOST "127.0.0.1"
#define VT_DEFAULT_VPCD_PORT 35963 /* Debian's vpcd: reader "Virtual PCD 00 00" */
#define VT_DEFAULT_PROFILE   "piv"

/* The default card's image: $STATE_DIRECTORY (its first entry), else $XDG_STATE_HOME/vtoken,
 * else /var/lib/vtoken; followed by "/default". */
void vt_default_image(char *out, size_t n);

#endif
