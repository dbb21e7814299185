/* SPDX-License-Identifier: Apache-2.0 */
/* The card image in memory: identity, compatibility modes, and the units it carries. */
#include "image.h"

#include "registry.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static const char *const compats[] = {"none", "yubikey"};

/* A YubiKey 5 NFC's ATR: OpenSC 0.23 types the card as a YubiKey by its historical bytes. */
static const uint8_t yubikey_atr[] = {0x3B, 0xFD, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE,
                                      0x15, 0x80, 0x73, 0xC0, 0x21, 0xC0, 0x57, 0x59,
                                      0x75, 0x62, 0x69, 0x4B, 0x65, 0x79, 0x40};

const char *vt_compat_name(uint8_t compat)
{
        return compat < sizeof(compats) / sizeof(compats[0]) ? compats[compat] : NULL;
}

const char *vt_compat_at(size_t i)
{
        return i < sizeof(compats) / sizeof(compats[0]) ? compats[i] : NULL;
}

int vt_compat_parse(const char *name, uint8_t *compat)
{
        for (size_t i = 0; i < sizeof(compats) / sizeof(compats[0]); i++)
                if (!strcmp(name, compats[i])) {
                        *compat = (uint8_t)i;
                        return 0;
                }
        return -1;
}

void vt_image_set_compat(struct vt_image *img, uint8_t compat)
{
        if (img->compat == VT_COMPAT_NONE) {
                memcpy(img->own_atr, img->atr, sizeof(img->atr));
                img->own_atr_len = img->atr_len;
                img->own_mgmt_aid = img->yubikey_mgmt_aid;
        } else {
                memcpy(img->atr, img->own_atr, sizeof(img->atr));
                img->atr_len = img->own_atr_len;
                img->yubikey_mgmt_aid = img->own_mgmt_aid;
        }
        img->compat = compat;
        if (compat == VT_COMPAT_YUBIKEY) {
                memcpy(img->atr, yubikey_atr, sizeof(yubikey_atr));
                img->atr_len = sizeof(yubikey_atr);
                img->yubikey_mgmt_aid = true;
        }
}

struct vt_image *vt_image_new(const char *dir)
{
        struct vt_image *img = calloc(1, sizeof(*img));
        if (!img || !(img->dir = strdup(dir ? dir : ""))) {
                free(img);
                return NULL;
        }
        memcpy(img->profile, "piv", 4);
        vt_timing_builtin("instant", &img->timing);
        return img;
}

void vt_image_free(struct vt_image *img)
{
        if (!img)
                return;
        free(img->dir);
        for (size_t i = 0; i < img->n_units; i++)
                if (img->units[i].unit->state_free)
                        img->units[i].unit->state_free(img->units[i].state);
        OPENSSL_cleanse(img, sizeof(*img));
        free(img);
}

struct vt_image *vt_image_clone(const struct vt_image *img)
{
        struct vt_image *c = vt_image_new(img->dir);
        if (!c)
                return NULL;
        char *dir = c->dir;
        *c = *img;
        c->dir = dir;
        c->n_units = 0;
        for (size_t i = 0; i < img->n_units; i++) {
                const struct vt_image_unit *iu = &img->units[i];
                void *st = NULL;
                if (iu->state && !(st = iu->unit->state_clone(iu->state)))
                        goto fail;
                if (vt_image_add_unit(c, iu->unit, st) < 0)
                        goto fail;
        }
        return c;
fail:
        vt_image_free(c);
        return NULL;
}

int vt_image_add_unit(struct vt_image *img, const struct vt_applet_unit *unit, void *state)
{
        if (img->n_units == VT_IMAGE_UNITS_MAX || vt_image_carries(img, unit)) {
                if (unit->state_free)
                        unit->state_free(state);
                return -1;
        }
        img->units[img->n_units++] = (struct vt_image_unit){unit, state};
        return 0;
}

void *vt_image_state(const struct vt_image *img, const struct vt_applet_unit *unit)
{
        for (size_t i = 0; i < img->n_units; i++)
                if (img->units[i].unit == unit)
                        return img->units[i].state;
        return NULL;
}

bool vt_image_carries(const struct vt_image *img, const struct vt_applet_unit *unit)
{
        for (size_t i = 0; i < img->n_units; i++)
                if (img->units[i].unit == unit)
                        return true;
        return false;
}

bool vt_fw_at_least(const struct vt_image *img, uint8_t major, uint8_t minor)
{
        return img->version[0] > major || (img->version[0] == major && img->version[1] >= minor);
}
