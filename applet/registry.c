/* SPDX-License-Identifier: Apache-2.0 */
#include "registry.h"

#include <stdio.h>
#include <string.h>

#define VT_UNIT(n) extern const struct vt_applet_unit vt_unit_##n;
#include "units.def"
#undef VT_UNIT

static const struct vt_applet_unit *const units[] = {
#define VT_UNIT(n) &vt_unit_##n,
#include "units.def"
#undef VT_UNIT
};

#define N_UNITS (sizeof(units) / sizeof(units[0]))

const struct vt_applet_unit *vt_unit_at(size_t i)
{
        return i < N_UNITS ? units[i] : NULL;
}

const struct vt_applet_unit *vt_unit_find(const char *name)
{
        for (size_t i = 0; i < N_UNITS; i++)
                if (!units[i]->hidden && strcmp(units[i]->name, name) == 0)
                        return units[i];
        return NULL;
}

int vt_applet_known(const char *name)
{
        return vt_unit_find(name) != NULL;
}

void vt_unit_names(char *out, size_t n, const char *sep)
{
        size_t used = 0;
        if (n)
                out[0] = 0;
        for (size_t i = 0; i < N_UNITS && used < n; i++) {
                if (units[i]->hidden)
                        continue;
                int w = snprintf(out + used, n - used, "%s%s", used ? sep : "", units[i]->name);
                if (w < 0)
                        return;
                used += (size_t)w;
        }
}

int vt_units_parse(const char *value, const struct vt_applet_unit **out, size_t cap, size_t *n,
                   char *err, size_t errlen)
{
        const char *p = value;
        *n = 0;
        for (;;) {
                char name[32];
                size_t len;
                p += strspn(p, " \t+");
                if (!*p)
                        break;
                len = strcspn(p, " \t+");
                if (len >= sizeof(name)) {
                        snprintf(err, errlen, "unknown applet '%.*s'", (int)len, p);
                        return -1;
                }
                memcpy(name, p, len);
                name[len] = 0;
                p += len;
                const struct vt_applet_unit *u = vt_unit_find(name);
                if (!u) {
                        snprintf(err, errlen, "unknown applet '%s'", name);
                        return -1;
                }
                for (size_t i = 0; i < *n; i++)
                        if (out[i] == u) {
                                snprintf(err, errlen, "applet '%s' listed twice", name);
                                return -1;
                        }
                if (*n == cap) {
                        snprintf(err, errlen, "too many applets");
                        return -1;
                }
                out[(*n)++] = u;
        }
        if (*n == 0) {
                snprintf(err, errlen, "no applet");
                return -1;
        }
        return 0;
}

int vt_card_setup(struct vt_card *c, struct vt_image *img, const struct vt_store *store, char *err,
                  size_t errlen)
{
        vt_card_init(c, img->atr, img->atr_len);
        for (size_t i = 0; i < img->n_units; i++) {
                const struct vt_image_unit *iu = &img->units[i];
                if (iu->unit->install && iu->unit->install(c, img, iu->state, store) < 0)
                        goto fail;
        }
        /* the card-level units: each decides from the image whether the card answers it */
        for (size_t i = 0; i < N_UNITS; i++)
                if (units[i]->hidden && units[i]->install &&
                    units[i]->install(c, img, NULL, store) < 0)
                        goto fail;
        return 0;
fail:
        vt_card_release(c);
        snprintf(err, errlen, "out of memory");
        return -1;
}

uint16_t vt_image_yk_capabilities(const struct vt_image *img)
{
        uint16_t caps = 0;
        for (size_t i = 0; i < img->n_units; i++)
                caps |= img->units[i].unit->yk_capability;
        return caps;
}
