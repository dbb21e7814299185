/* SPDX-License-Identifier: Apache-2.0 */
/* The card image in memory: its name tables, compatibility modes, slots and objects. */
#include "image.h"

#include "pgp_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static const char *const pin_policies[] = {"default", "never", "once", "always"};
static const char *const touch_policies[] = {"default", "never", "always", "cached"};
static const char *const charsets[] = {"any", "digits", "strong"};
static const char *const compats[] = {"none", "yubikey"};

/* A YubiKey 5 NFC's ATR: OpenSC 0.23 types the card as a YubiKey by its historical bytes. */
static const uint8_t yubikey_atr[] = {0x3B, 0xFD, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE,
                                      0x15, 0x80, 0x73, 0xC0, 0x21, 0xC0, 0x57, 0x59,
                                      0x75, 0x62, 0x69, 0x4B, 0x65, 0x79, 0x40};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t n, uint8_t v)
{
        return v < n ? names[v] : NULL;
}

const char *vt_pin_policy_name(uint8_t policy)
{
        return name_of(pin_policies, N(pin_policies), policy);
}

const char *vt_touch_policy_name(uint8_t policy)
{
        return name_of(touch_policies, N(touch_policies), policy);
}

const char *vt_charset_name(uint8_t charset)
{
        return name_of(charsets, N(charsets), charset);
}

const char *vt_compat_name(uint8_t compat)
{
        return name_of(compats, N(compats), compat);
}

static int parse_name(const char *v, const char *const *names, size_t n, uint8_t *out)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(v, names[i])) {
                        *out = (uint8_t)i;
                        return 0;
                }
        return -1;
}

int vt_pin_policy_parse(const char *name, uint8_t *policy)
{
        return parse_name(name, pin_policies, N(pin_policies), policy);
}

int vt_touch_policy_parse(const char *name, uint8_t *policy)
{
        return parse_name(name, touch_policies, N(touch_policies), policy);
}

int vt_charset_parse(const char *name, uint8_t *charset)
{
        return parse_name(name, charsets, N(charsets), charset);
}

bool vt_image_names_valid(const struct vt_image *img)
{
        if (img->pin_rules.charset >= N(charsets) || img->compat >= N(compats) ||
            img->mgm_touch >= N(touch_policies))
                return false;
        for (size_t i = 0; i < VT_SLOTS; i++)
                if (img->slots[i].pin_policy >= N(pin_policies) ||
                    img->slots[i].touch_policy >= N(touch_policies))
                        return false;
        return true;
}

int vt_compat_parse(const char *name, uint8_t *compat)
{
        return parse_name(name, compats, N(compats), compat);
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

/* ---- in-memory image ---------------------------------------------------------------- */

struct vt_image *vt_image_new(const char *dir)
{
        struct vt_image *img = calloc(1, sizeof(*img));

        if (!img || !(img->dir = strdup(dir))) {
                free(img);
                return NULL;
        }
        for (size_t i = 0; i < VT_SLOTS; i++)
                img->slots[i].ref = piv_slots[i].ref;
        snprintf(img->profile, sizeof(img->profile), "piv");
        snprintf(img->applet, sizeof(img->applet), "piv");
        img->pin_rules = (struct vt_pin_rules){6, 8, VT_PIN_CHARS_ANY};
        img->pin.max_tries = img->pin.tries_left = VT_PIV_DEFAULT_TRIES;
        img->puk.max_tries = img->puk.tries_left = VT_PIV_DEFAULT_TRIES;
        img->mgm_alg = VT_ALG_3DES;
        return img;
}

void vt_image_free(struct vt_image *img)
{
        if (!img)
                return;
        free(img->dir);
        for (size_t i = 0; i < VT_SLOTS; i++) {
                EVP_PKEY_free(img->slots[i].key);
                free(img->slots[i].cert);
        }
        for (size_t i = 0; i < img->n_objects; i++)
                free(img->objects[i].data);
        pgp_state_free(img->openpgp);
        OPENSSL_cleanse(img, sizeof(*img));
        free(img);
}

const char *vt_slot_purpose(uint8_t ref)
{
        const struct piv_slot_info *s = piv_slot_info(ref);
        return s ? s->name : "Retired Key Management";
}

bool vt_mgm_key_is_default(const struct vt_image *img)
{
        return (img->mgm_alg == VT_ALG_3DES || img->mgm_alg == VT_ALG_AES192) &&
               img->mgm_key_len == sizeof(vt_piv_default_mgm_key) &&
               CRYPTO_memcmp(img->mgm_key, vt_piv_default_mgm_key,
                             sizeof(vt_piv_default_mgm_key)) == 0;
}

bool vt_fw_at_least(const struct vt_image *img, uint8_t major, uint8_t minor)
{
        return img->version[0] > major || (img->version[0] == major && img->version[1] >= minor);
}

uint8_t vt_default_mgm_alg(const struct vt_image *img)
{
        return img->firmware && vt_fw_at_least(img, 5, 7) ? VT_ALG_AES192 : VT_ALG_3DES;
}

bool vt_fw_has_alg(const struct vt_image *img, uint8_t alg)
{
        switch (alg) {
        case VT_ALG_RSA3072:
        case VT_ALG_RSA4096:
        case VT_ALG_ED25519:
        case VT_ALG_X25519:
                return vt_fw_at_least(img, 5, 7);
        case VT_ALG_AES128:
        case VT_ALG_AES192:
        case VT_ALG_AES256:
                return vt_fw_at_least(img, 5, 4);
        default:
                return true;
        }
}

struct vt_slot *vt_image_slot(struct vt_image *img, uint8_t ref)
{
        for (size_t i = 0; i < VT_SLOTS; i++)
                if (img->slots[i].ref == ref)
                        return &img->slots[i];
        return NULL;
}

struct vt_object *vt_image_object(struct vt_image *img, uint32_t tag)
{
        for (size_t i = 0; i < img->n_objects; i++)
                if (img->objects[i].tag == tag)
                        return &img->objects[i];
        return NULL;
}

struct vt_object *vt_image_object_add(struct vt_image *img, uint32_t tag)
{
        struct vt_object *o = vt_image_object(img, tag);

        if (o || img->n_objects == VT_OBJECTS_MAX)
                return o;
        o = &img->objects[img->n_objects++];
        *o = (struct vt_object){.tag = tag};
        return o;
}

int vt_image_set_object(struct vt_image *img, uint32_t tag, const uint8_t *data, size_t len)
{
        struct vt_object *o;
        uint8_t *copy = NULL;

        if (len == 0) {
                if ((o = vt_image_object(img, tag))) {
                        free(o->data);
                        *o = img->objects[--img->n_objects];
                }
                return 0;
        }
        if (!(copy = malloc(len)) || !(o = vt_image_object_add(img, tag))) {
                free(copy);
                return -1;
        }
        memcpy(copy, data, len);
        free(o->data);
        o->data = copy;
        o->len = len;
        return 0;
}

/* A copy of a slot's key and certificate for another image. */
static int copy_slot(struct vt_slot *dst, const struct vt_slot *src)
{
        *dst = *src;
        dst->key = NULL;
        dst->cert = NULL;
        if (src->cert && !(dst->cert = malloc(src->cert_len)))
                return -1;
        if (src->cert)
                memcpy(dst->cert, src->cert, src->cert_len);
        if (src->key && EVP_PKEY_up_ref(src->key) != 1) {
                free(dst->cert);
                dst->cert = NULL;
                return -1;
        }
        dst->key = src->key;
        return 0;
}

static void free_slot(struct vt_slot *s)
{
        EVP_PKEY_free(s->key);
        free(s->cert);
        s->key = NULL;
        s->cert = NULL;
}

struct vt_image *vt_image_clone(const struct vt_image *img)
{
        struct vt_image *c = vt_image_new(img->dir ? img->dir : "");
        if (!c)
                return NULL;
        char *dir = c->dir;
        *c = *img;
        c->dir = dir;
        c->n_objects = 0;
        c->openpgp = NULL;
        for (size_t i = 0; i < VT_SLOTS; i++)
                c->slots[i].key = NULL, c->slots[i].cert = NULL;
        if (img->openpgp && !(c->openpgp = pgp_state_clone(img->openpgp)))
                goto fail;
        for (size_t i = 0; i < VT_SLOTS; i++)
                if (copy_slot(&c->slots[i], &img->slots[i]) < 0)
                        goto fail;
        for (size_t i = 0; i < img->n_objects; i++)
                if (vt_image_set_object(c, img->objects[i].tag, img->objects[i].data,
                                        img->objects[i].len) < 0)
                        goto fail;
        return c;
fail:
        vt_image_free(c);
        return NULL;
}

int vt_image_apply(struct vt_image *img, const struct piv_change *ch)
{
        struct vt_slot *s, copy;
        switch (ch->kind) {
        case PIV_CHANGE_SECRETS:
                img->pin = ch->proposed->pin;
                img->puk = ch->proposed->puk;
                img->mgm_alg = ch->proposed->mgm_alg;
                memcpy(img->mgm_key, ch->proposed->mgm_key, sizeof(img->mgm_key));
                img->mgm_key_len = ch->proposed->mgm_key_len;
                img->mgm_touch = ch->proposed->mgm_touch;
                return 0;
        case PIV_CHANGE_SLOT:
                if (!(s = vt_image_slot(img, ch->slot->ref)) || copy_slot(&copy, ch->slot) < 0)
                        return -1;
                free_slot(s);
                *s = copy;
                return 0;
        case PIV_CHANGE_OBJECT:
                return vt_image_set_object(img, ch->tag, ch->data, ch->len);
        }
        return -1;
}
