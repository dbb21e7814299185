/* SPDX-License-Identifier: Apache-2.0 */
#include "personality.h"

#include "profile.h"

#include <stdio.h>
#include <string.h>

/* The profile whose card is a whole YubiKey 5, and the compat that makes it present itself as
 * one, for the firmware personalities. */
#define YUBIKEY_PROFILE "yubikey5"
#define YUBIKEY_COMPAT  "yubikey"

static size_t n_profiles(void)
{
        size_t n = 0;
        while (vt_profile_at(n))
                n++;
        return n;
}

int vt_personality_at(size_t i, struct vt_personality *out)
{
        size_t np = n_profiles();

        memset(out, 0, sizeof(*out));
        if (i < np) {
                out->profile = vt_profile_at(i);
                snprintf(out->name, sizeof(out->name), "%s", out->profile);
                return 0;
        }
        if (!vt_profile_known(YUBIKEY_PROFILE) || !vt_firmware_at(i - np))
                return -1;
        out->profile = YUBIKEY_PROFILE;
        out->firmware = vt_firmware_at(i - np);
        out->compat = YUBIKEY_COMPAT;
        snprintf(out->name, sizeof(out->name), "yubikey-%s", out->firmware);
        return 0;
}

int vt_personality_find(const char *name, struct vt_personality *out)
{
        for (size_t i = 0; vt_personality_at(i, out) == 0; i++)
                if (!strcmp(out->name, name))
                        return 0;
        return -1;
}

void vt_personality_names(char *out, size_t n)
{
        struct vt_personality p;
        size_t len = 0;

        if (!n)
                return;
        out[0] = '\0';
        for (size_t i = 0; len < n && vt_personality_at(i, &p) == 0; i++) {
                int w = snprintf(out + len, n - len, "%s%s", i ? ", " : "", p.name);
                len += w < 0 ? n : (size_t)w;
        }
}

int vt_personality_describe(const struct vt_personality *p, char *out, size_t n)
{
        char profile[512];
        const char *fw = p->firmware, *note = NULL;
        int w;

        if (vt_profile_describe(p->profile, profile, sizeof(profile)) < 0)
                return -1;
        for (size_t i = 0; vt_firmware_at(i); i++)
                if (fw && !strcmp(fw, vt_firmware_at(i)))
                        note = vt_firmware_note(i);
        if (fw)
                w = snprintf(out, n, "%s; firmware %s%s%s%s", profile, fw, note ? " (" : "",
                             note ? note : "", note ? ")" : "");
        else
                w = snprintf(out, n, "%s", profile);
        if (w >= 0 && (size_t)w < n && p->compat)
                w += snprintf(out + w, n - (size_t)w, "; compat %s (a YubiKey 5 NFC's ATR)",
                              p->compat);
        return w < 0 || (size_t)w >= n ? -1 : 0;
}
