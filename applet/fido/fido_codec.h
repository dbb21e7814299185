/* SPDX-License-Identifier: Apache-2.0 */
/* The FIDO unit's store codec (applet/registry.h's struct vt_unit_codec). */
#ifndef VT_FIDO_CODEC_H
#define VT_FIDO_CODEC_H

#include "fido.h"
#include "registry.h"

int vt_fido_load(const struct vt_image *card, void *state, const struct vt_codec_reader *rd,
                 char *err, size_t errlen);
int vt_fido_save(const struct vt_image *card, const void *state, const struct vt_codec_sink *sink);
int vt_fido_commit(const struct vt_image *card, const void *state, const void *change,
                   const struct vt_codec_sink *sink);

#endif
