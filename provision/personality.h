/* SPDX-License-Identifier: Apache-2.0 */
/* Card personalities: the cards `vtoken matrix` runs a command against, named from the tables
 * that already say what a card is (profile.c's profiles and firmware personalities, the compat
 * modes of image.h), never listed a second time:
 *   - each profile as it is made ("piv", "ecert", "openpgp", "piv+openpgp", "oath", "fido",
 *     "yubikey5", ...), and
 *   - a whole YubiKey 5 (the yubikey5 profile, compat yubikey: its ATR and management AID) at
 *     each firmware personality ("yubikey-5.4.3", "yubikey-5.7.1", ...).
 * A profile or firmware added to its table is a personality with no change here. */
#ifndef VT_PERSONALITY_H
#define VT_PERSONALITY_H

#include <stddef.h>

#define VT_PERSONALITY_NAME_MAX 48

struct vt_personality {
        char name[VT_PERSONALITY_NAME_MAX];
        const char *profile;  /* a profile's name (profile.h) */
        const char *firmware; /* NULL: the profile's */
        const char *compat;   /* NULL: none */
};

/* The i-th personality into out: 0, or -1 past the last. */
int vt_personality_at(size_t i, struct vt_personality *out);

/* The personality called name into out: 0, or -1 when there is none. */
int vt_personality_find(const char *name, struct vt_personality *out);

/* All their names, ", " between them (for a refusal's message). */
void vt_personality_names(char *out, size_t n);

/* What makes p different, for people: its profile's description (vt_profile_describe), then
 * its firmware and what that adds, and its compat. 0, or -1 when out is too short. */
int vt_personality_describe(const struct vt_personality *p, char *out, size_t n);

#endif
