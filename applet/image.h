/* SPDX-License-Identifier: Apache-2.0 */
/* A card image in memory: the whole card's identity and policy (ATR, GUID, serial, firmware,
 * compat) and the applets it carries, each as its registry unit (applet/registry.h) with that
 * unit's persistent state, of the unit's own type (struct vt_piv_state of applet/piv/,
 * struct vt_pgp_state of applet/openpgp/, ...). Pure: how it is kept on disk is store/'s
 * business, through each unit's codec; applets change their state only through a store
 * (applet/store.h), committing first and applying after. */
#ifndef VT_CARD_IMAGE_H
#define VT_CARD_IMAGE_H

#include "timing.h"
#include "units_count.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VT_ATR_MAX_IMG     33
#define VT_IMAGE_UNITS_MAX VT_UNITS_COUNT /* one of each unit of the registry */

/* card.ini's compat: what the card pretends to be for tools that only trust one maker's
 * tokens. yubikey: the ATR of a YubiKey 5 NFC and the YubiKey management AID answered,
 * whatever atr and yubikey_mgmt_aid say (the image's version stays its own). */
enum vt_compat { VT_COMPAT_NONE = 0, VT_COMPAT_YUBIKEY = 1 };

struct vt_applet_unit;

/* One applet the card carries: its registry row and its persistent state (NULL for a unit
 * without persistent state). */
struct vt_image_unit {
        const struct vt_applet_unit *unit;
        void *state;
};

struct vt_image {
        char *dir;
        char profile[16];            /* the profile it was made from: piv | ecert | ... */
        uint8_t compat;              /* enum vt_compat */
        uint8_t atr[VT_ATR_MAX_IMG]; /* the ATR the card presents (compat's when set) */
        size_t atr_len;
        uint8_t guid[16];
        uint32_t serial;
        uint8_t version[3];      /* the firmware version the card reports */
        bool firmware;           /* version is the YubiKey firmware the card answers as, defaults
                                    included (card.ini firmware); false for an image made before
                                    (card.ini version): its management key defaults to 3DES */
        bool pin_complexity;     /* 5.7's PIN complexity: trivial PINs and PUKs refused (a
                                    device setting: READ CONFIG reports it) */
        bool yubikey_mgmt_aid;   /* answer SELECT of the YubiKey management AID (compat's) */
        struct vt_timing timing; /* how long its commands take (card.ini timing, [timing]) */

        /* the applets, in card.ini's order (applets = ...) */
        struct vt_image_unit units[VT_IMAGE_UNITS_MAX];
        size_t n_units;

        /* atr and yubikey_mgmt_aid as card.ini has them, kept while compat overrides them */
        uint8_t own_atr[VT_ATR_MAX_IMG];
        size_t own_atr_len;
        bool own_mgmt_aid;
};

/* A card in memory only, carrying no applet yet; dir (the directory it is or will be kept in)
 * is copied. NULL when out of memory. */
struct vt_image *vt_image_new(const char *dir);
/* Frees img and each unit's state (its unit's state_free). */
void vt_image_free(struct vt_image *img);
/* A deep copy (each state through its unit's state_clone); NULL when out of memory. */
struct vt_image *vt_image_clone(const struct vt_image *img);

/* Adds unit with its state (taken over, also on failure) to the card's applets. 0, or -1 when
 * the card already carries it or carries VT_IMAGE_UNITS_MAX. */
int vt_image_add_unit(struct vt_image *img, const struct vt_applet_unit *unit, void *state);
/* The state of unit on this card; NULL when the card does not carry it. */
void *vt_image_state(const struct vt_image *img, const struct vt_applet_unit *unit);
/* Whether the card carries unit. */
bool vt_image_carries(const struct vt_image *img, const struct vt_applet_unit *unit);

/* Whether the card's firmware is major.minor or later. */
bool vt_fw_at_least(const struct vt_image *img, uint8_t major, uint8_t minor);

/* Switches the card's compatibility mode: sets atr and yubikey_mgmt_aid from it, and back to
 * card.ini's own values when it goes to none. Does not commit. */
void vt_image_set_compat(struct vt_image *img, uint8_t compat);

/* The compat names, in one table: "none", "yubikey"; NULL past the last. */
const char *vt_compat_name(uint8_t compat);
const char *vt_compat_at(size_t i);
/* The reverse: 0, or -1 for a name that is none of them. */
int vt_compat_parse(const char *name, uint8_t *compat);

#endif
