/* SPDX-License-Identifier: Apache-2.0 */
/* OpenPGP's store codec (struct vt_unit_codec of applet/registry.h), for its registry row. */
#ifndef VT_PGP_CODEC_H
#define VT_PGP_CODEC_H

#include "registry.h"

int vt_pgp_load(const struct vt_image *card, void *state, const struct vt_codec_reader *rd,
                char *err, size_t errlen);
int vt_pgp_save(const struct vt_image *card, const void *state, const struct vt_codec_sink *sink);
int vt_pgp_commit(const struct vt_image *card, const void *state, const void *change,
                  const struct vt_codec_sink *sink);

#endif
