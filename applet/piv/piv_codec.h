/* SPDX-License-Identifier: Apache-2.0 */
/* PIV's store codec (struct vt_unit_codec of applet/registry.h), for its registry row. */
#ifndef VT_PIV_CODEC_H
#define VT_PIV_CODEC_H

#include "registry.h"

int vt_piv_ini_key(const struct vt_image *card, void *state, const char *section, const char *key,
                   const char *v, char *err, size_t errlen);
void vt_piv_ini_write(const struct vt_image *card, const void *state, bool card_keys,
                      struct vt_text *t);
int vt_piv_load(const struct vt_image *card, void *state, const struct vt_codec_reader *rd,
                char *err, size_t errlen);
int vt_piv_save(const struct vt_image *card, const void *state, const struct vt_codec_sink *sink);
int vt_piv_commit(const struct vt_image *card, const void *state, const void *change,
                  const struct vt_codec_sink *sink);

#endif
