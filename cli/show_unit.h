/* SPDX-License-Identifier: Apache-2.0 */
/* `vtoken show` of a unit that shows itself (its registry row's show hook, through the emitter
 * struct vt_show of applet/registry.h): rendered as text and as JSON. */
#ifndef VT_SHOW_UNIT_H
#define VT_SHOW_UNIT_H

#include "registry.h"

/* "\nTitle\n" and its fields, indented. */
void vt_show_unit_text(const struct vt_image *img, const struct vt_applet_unit *unit,
                       const void *state);
/* `,\n  "name": {...}` to follow a member of show's object. */
void vt_show_unit_json(const struct vt_image *img, const struct vt_applet_unit *unit,
                       const void *state);

/* A unit whose row sets show_verbatim writes its part (text or JSON) itself; state NULL when the
 * card does not carry it. host: what cli/show.c computes for units. */
void vt_show_unit_verbatim(const struct vt_image *img, const struct vt_applet_unit *unit,
                           const void *state, bool json, const struct vt_show_host *host);

#endif
