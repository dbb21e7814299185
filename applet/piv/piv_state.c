/* SPDX-License-Identifier: Apache-2.0 */
/* The PIV state in memory: its name tables, slots and objects. */
#include "piv_state.h"

#include "pgp_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static const char *const pin_policies[] = {"default", "never", "once", "always"};
static const char *const touch_policies[] = {"default", "never", "always", "cached"};
static const char *const charsets[] = {"any", "digits", "strong"};

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

bool vt_piv_names_valid(const struct vt_piv_state *st)
{
        if (st->pin_rules.charset >= N(charsets) || st->mgm_touch >= N(touch_policies))
                return false;
        for (size_t i = 0; i < VT_SLOTS; i++)
                if (st->slots[i].pin_policy >= N(pin_policies) ||
                    st->slots[i].touch_policy >= N(touch_policies))
                        return false;
        return true;
}

/* ---- in-memory image ---------------------------------------------------------------- */

struct vt_piv_state *vt_piv_state_new(void)
{
        struct vt_piv_state *st = calloc(1, sizeof(*st));
        if (!st)
                return NULL;
        for (size_t i = 0; i < VT_SLOTS; i++)
                st->slots[i].ref = piv_slots[i].ref;
        st->pin_rules = (struct vt_pin_rules){6, 8, VT_PIN_CHARS_ANY};
        st->pin.max_tries = st->pin.tries_left = VT_PIV_DEFAULT_TRIES;
        st->puk.max_tries = st->puk.tries_left = VT_PIV_DEFAULT_TRIES;
        st->mgm_alg = VT_ALG_3DES;
        return st;
}

void vt_piv_state_free(struct vt_piv_state *st)
{
        if (!st)
                return;
        for (size_t i = 0; i < VT_SLOTS; i++) {
                EVP_PKEY_free(st->slots[i].key);
                free(st->slots[i].cert);
        }
        for (size_t i = 0; i < st->n_objects; i++)
                free(st->objects[i].data);
        OPENSSL_cleanse(st, sizeof(*st));
        free(st);
}

struct vt_piv_state *vt_piv_of(const struct vt_image *img)
{
        return vt_image_state(img, &vt_unit_piv);
}

struct vt_image *vt_piv_image_new(const char *dir)
{
        struct vt_image *img = vt_image_new(dir);
        struct vt_piv_state *st = vt_piv_state_new();
        if (!img || !st || vt_image_add_unit(img, &vt_unit_piv, st) < 0) {
                vt_image_free(img);
                vt_piv_state_free(st);
                return NULL;
        }
        return img;
}

const char *vt_slot_purpose(uint8_t ref)
{
        const struct piv_slot_info *s = piv_slot_info(ref);
        return s ? s->name : "Retired Key Management";
}

bool vt_mgm_key_is_default(const struct vt_image *card, const struct vt_piv_state *st)
{
        return (st->mgm_alg == VT_ALG_3DES || st->mgm_alg == vt_default_mgm_alg(card)) &&
               vt_mgm_key_well_known(st);
}

bool vt_mgm_key_well_known(const struct vt_piv_state *st)
{
        return (st->mgm_alg == VT_ALG_3DES || st->mgm_alg == VT_ALG_AES192) &&
               st->mgm_key_len == sizeof(vt_piv_default_mgm_key) &&
               CRYPTO_memcmp(st->mgm_key, vt_piv_default_mgm_key, sizeof(vt_piv_default_mgm_key)) ==
                   0;
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

struct vt_slot *vt_piv_slot(struct vt_piv_state *st, uint8_t ref)
{
        for (size_t i = 0; i < VT_SLOTS; i++)
                if (st->slots[i].ref == ref)
                        return &st->slots[i];
        return NULL;
}

struct vt_object *vt_piv_object(struct vt_piv_state *st, uint32_t tag)
{
        for (size_t i = 0; i < st->n_objects; i++)
                if (st->objects[i].tag == tag)
                        return &st->objects[i];
        return NULL;
}

struct vt_object *vt_piv_object_add(struct vt_piv_state *st, uint32_t tag)
{
        struct vt_object *o = vt_piv_object(st, tag);

        if (o || st->n_objects == VT_OBJECTS_MAX)
                return o;
        o = &st->objects[st->n_objects++];
        *o = (struct vt_object){.tag = tag};
        return o;
}

int vt_piv_set_object(struct vt_piv_state *st, uint32_t tag, const uint8_t *data, size_t len)
{
        struct vt_object *o;
        uint8_t *copy = NULL;

        if (len == 0) {
                if ((o = vt_piv_object(st, tag))) {
                        free(o->data);
                        *o = st->objects[--st->n_objects];
                }
                return 0;
        }
        if (!(copy = malloc(len)) || !(o = vt_piv_object_add(st, tag))) {
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

struct vt_piv_state *vt_piv_state_clone(const struct vt_piv_state *st)
{
        struct vt_piv_state *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        *c = *st;
        c->n_objects = 0;
        for (size_t i = 0; i < VT_SLOTS; i++)
                c->slots[i].key = NULL, c->slots[i].cert = NULL;
        for (size_t i = 0; i < VT_SLOTS; i++)
                if (copy_slot(&c->slots[i], &st->slots[i]) < 0)
                        goto fail;
        for (size_t i = 0; i < st->n_objects; i++)
                if (vt_piv_set_object(c, st->objects[i].tag, st->objects[i].data,
                                      st->objects[i].len) < 0)
                        goto fail;
        return c;
fail:
        vt_piv_state_free(c);
        return NULL;
}

int vt_piv_state_apply(struct vt_piv_state *st, const struct piv_change *ch)
{
        struct vt_slot *s, copy;
        switch (ch->kind) {
        case PIV_CHANGE_SECRETS:
                st->pin = ch->proposed->pin;
                st->puk = ch->proposed->puk;
                st->mgm_alg = ch->proposed->mgm_alg;
                memcpy(st->mgm_key, ch->proposed->mgm_key, sizeof(st->mgm_key));
                st->mgm_key_len = ch->proposed->mgm_key_len;
                st->mgm_touch = ch->proposed->mgm_touch;
                return 0;
        case PIV_CHANGE_SLOT:
                if (!(s = vt_piv_slot(st, ch->slot->ref)) || copy_slot(&copy, ch->slot) < 0)
                        return -1;
                free_slot(s);
                *s = copy;
                return 0;
        case PIV_CHANGE_OBJECT:
                return vt_piv_set_object(st, ch->tag, ch->data, ch->len);
        }
        return -1;
}
