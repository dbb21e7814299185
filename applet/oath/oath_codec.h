/* SPDX-License-Identifier: Apache-2.0 */
/* The OATH unit's store codec: oath.ini (applet/registry.h's struct vt_unit_codec). */
#ifndef VT_OATH_CODEC_H
#define VT_OATH_CODEC_H

#include "oath.h"
#include "registry.h"

int vt_oath_load(const struct vt_image *card, void *state, const struct vt_codec_reader *rd,
                 char *err, size_t errlen);
int vt_oath_save(const struct vt_image *card, const void *state, const struct vt_codec_sink *sink);
int vt_oath_commit(const struct vt_image *card, const void *state, const void *change,
                   const struct vt_codec_sink *sink);

#endif
