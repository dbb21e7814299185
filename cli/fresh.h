/* SPDX-License-Identifier: Apache-2.0 */
/* Throwaway cards for `vtoken run --fresh`: each is a copy of a template image made once per
 * machine, user, profile and build of vtoken in the cache directory, so key generation is paid
 * once; the copy gets a GUID and serial of its own, so two fresh cards are two cards. */
#ifndef VT_FRESH_H
#define VT_FRESH_H

#include <stddef.h>

/* The cache directory: $XDG_CACHE_HOME/vtoken, else /var/cache/vtoken for root, else
 * ~/.cache/vtoken. */
void vt_cache_dir(char *out, size_t n);

/* Makes dest (which must not exist) a fresh card of profile: the template (made first when it
 * is missing, under a lock, atomically) copied, with a PIN envelope beside it when the
 * template has one. 0, or -1 with a message naming the path and the fix in err. */
int vt_fresh_card(const char *profile, const char *dest, char *err, size_t errlen);

/* A fresh card of a profile at a firmware and compat (vtoken init's --firmware and --compat;
 * NULL: the profile's), from a template of its own named name in the cache ("yubikey-5.7.1"):
 * vtoken matrix's personalities. As vt_fresh_card. */
struct vt_fresh_kind {
        const char *name; /* the template's name: the profile's, or a personality's */
        const char *profile, *firmware, *compat;
};
int vt_fresh_card_of(const struct vt_fresh_kind *k, const char *dest, char *err, size_t errlen);

#endif
