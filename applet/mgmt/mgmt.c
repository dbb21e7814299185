/* SPDX-License-Identifier: Apache-2.0 */
/* The YubiKey management application (AID A0 00 00 05 27 47 11 17), a card-level unit: SELECT
 * answers the firmware version as ASCII "x.y.z"; READ CONFIG the device information ykman
 * reads (`ykman info`): as supported and enabled applications exactly those the card carries
 * (each unit's yk_capability), its serial, form factor and firmware from the card image. Every
 * other command is 6D00. The card answers it when its image says so (yubikey_mgmt_aid, which
 * compat = yubikey sets) and it carries more than OpenPGP. */
#include "mgmt.h"

#include "registry.h"

#include "buf.h"
#include "sw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t mgmt_aid[] = {0xA0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17};

#define INS_READ_CONFIG 0x1D

/* device information tags (ykman's TAG) */
#define TAG_USB_SUPPORTED  0x01
#define TAG_SERIAL         0x02
#define TAG_USB_ENABLED    0x03
#define TAG_FORM_FACTOR    0x04
#define TAG_VERSION        0x05
#define TAG_CONFIG_LOCK    0x0A
#define TAG_PIN_COMPLEXITY 0x16

#define FORM_FACTOR_USB_A_KEYCHAIN 0x01

static uint16_t mgmt_select(void *ctx, const struct apdu *a, struct writer *out)
{
        const struct vt_image *img = ctx;
        char v[16];
        (void)a;
        int n =
            snprintf(v, sizeof(v), "%u.%u.%u", img->version[0], img->version[1], img->version[2]);
        wr_bytes(out, v, (size_t)n);
        return SW_OK;
}

/* READ CONFIG (INS 1D): a length byte and the device information TLVs. */
static uint16_t mgmt_read_config(const struct vt_image *img, struct writer *out)
{
        static const uint8_t form_factor = FORM_FACTOR_USB_A_KEYCHAIN, unlocked = 0x00,
                             pin_complexity = 0x01;
        uint16_t caps = vt_image_yk_capabilities(img);
        const uint8_t apps[2] = {(uint8_t)(caps >> 8), (uint8_t)caps};
        uint32_t n = img->serial;
        const uint8_t serial[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                                   (uint8_t)n};
        size_t start = out->len;
        wr_u8(out, 0); /* the length, set below */
        wr_tlv(out, TAG_USB_SUPPORTED, apps, sizeof(apps));
        wr_tlv(out, TAG_SERIAL, serial, sizeof(serial));
        wr_tlv(out, TAG_USB_ENABLED, apps, sizeof(apps));
        wr_tlv(out, TAG_FORM_FACTOR, &form_factor, 1);
        wr_tlv(out, TAG_VERSION, img->version, 3);
        wr_tlv(out, TAG_CONFIG_LOCK, &unlocked, 1);
        if (img->pin_complexity)
                wr_tlv(out, TAG_PIN_COMPLEXITY, &pin_complexity, 1);
        if (!out->err)
                out->p[start] = (uint8_t)(out->len - start - 1);
        return SW_OK;
}

static uint16_t mgmt_process(void *ctx, const struct apdu *a, struct writer *out)
{
        if (a->ins == INS_READ_CONFIG && a->p1 == 0x00 && a->p2 == 0x00)
                return mgmt_read_config(ctx, out);
        return SW_INS_NOT_SUPPORTED;
}

void vt_mgmt_applet(struct vt_image *img, struct vt_applet *out)
{
        *out = (struct vt_applet){.name = "yubikey-mgmt",
                                  .aid = mgmt_aid,
                                  .aid_len = sizeof(mgmt_aid),
                                  .ctx = img,
                                  .select = mgmt_select,
                                  .process = mgmt_process};
}

static int mgmt_install(struct vt_card *c, struct vt_image *img, void *state,
                        const struct vt_store *store)
{
        struct vt_applet ap;
        (void)state;
        (void)store;
        /* A card with OpenPGP alone does not answer it, as before the registry: an OpenPGP
         * card 3.4 stays one, and GnuPG, which takes a card that answers it for a YubiKey,
         * names its keys as it always did (cardno:FFFE...). */
        if (!img->yubikey_mgmt_aid || !(vt_image_yk_capabilities(img) & ~VT_YK_CAP_OPENPGP))
                return 0;
        vt_mgmt_applet(img, &ap);
        return vt_card_add_applet(c, &ap);
}

const struct vt_applet_unit vt_unit_mgmt = {
    .name = "mgmt",
    .title = "YubiKey management",
    .aid = mgmt_aid,
    .aid_len = sizeof(mgmt_aid),
    .hidden = true,
    .install = mgmt_install,
};
