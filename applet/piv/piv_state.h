/* SPDX-License-Identifier: Apache-2.0 */
/* The PIV application's persistent state (slots, PIN and PUK, management key, data objects),
 * the state of the registry unit vt_unit_piv on a card image (applet/image.h). Pure: how it is
 * kept on disk is its codec's business (piv_codec.c); the applet changes it only through a
 * store (applet/store.h), committing first and applying after. */
#ifndef VT_PIV_STATE_H
#define VT_PIV_STATE_H

#include "image.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pin_rules.h"
#include "table.h"

#include <openssl/evp.h>

/* PIV algorithm identifiers (SP 800-78 and YubiKey extensions). */
enum vt_alg {
        VT_ALG_NONE = 0x00,
        VT_ALG_3DES = 0x03,
        VT_ALG_AES128 = 0x08,
        VT_ALG_AES192 = 0x0A,
        VT_ALG_AES256 = 0x0C,
        VT_ALG_RSA1024 = 0x06,
        VT_ALG_RSA2048 = 0x07,
        VT_ALG_RSA3072 = 0x05,
        VT_ALG_RSA4096 = 0x16,
        VT_ALG_P256 = 0x11,
        VT_ALG_P384 = 0x14,
        VT_ALG_ED25519 = 0xE0,
        VT_ALG_X25519 = 0xE1,
};

/* YubiKey PIN and touch policies (the values of tags AA and AB). */
enum vt_pin_policy { VT_PIN_DEFAULT = 0, VT_PIN_NEVER = 1, VT_PIN_ONCE = 2, VT_PIN_ALWAYS = 3 };
enum vt_touch_policy {
        VT_TOUCH_DEFAULT = 0,
        VT_TOUCH_NEVER = 1,
        VT_TOUCH_ALWAYS = 2,
        VT_TOUCH_CACHED = 3
};

struct vt_slot {
        uint8_t ref;          /* key reference, e.g. 0x9A */
        uint8_t alg;          /* enum vt_alg, VT_ALG_NONE when empty */
        uint8_t pin_policy;   /* enum vt_pin_policy */
        uint8_t touch_policy; /* enum vt_touch_policy */
        bool generated;       /* generated on the card (else imported) */
        EVP_PKEY *key;        /* NULL when empty */
        uint8_t *cert;        /* DER certificate, NULL when none */
        size_t cert_len;
};

/* Another data object (printed information, facial image, ...), by its BER tag. */
struct vt_object {
        uint32_t tag;
        uint8_t *data; /* the value written with PUT DATA, as GET DATA returns it (53 ...) */
        size_t len;
};

#define VT_OBJECTS_MAX 64

struct vt_piv_state {
        bool global_pin; /* the global PIN (reference 00) is enabled */

        struct vt_pin_rules pin_rules;
        struct vt_secret pin, puk;

        uint8_t mgm_alg; /* VT_ALG_3DES or AES */
        uint8_t mgm_key[32];
        size_t mgm_key_len;
        uint8_t mgm_touch;

        struct vt_slot slots[VT_SLOTS];
        struct vt_object objects[VT_OBJECTS_MAX];
        size_t n_objects;
};

extern const struct vt_applet_unit vt_unit_piv;

/* The PIV state of a card; NULL when it carries no PIV. */
struct vt_piv_state *vt_piv_of(const struct vt_image *img);

/* A state in its factory condition (the piv profile's defaults): all slots laid out and empty,
 * YubiKey-like PIN, PUK and retries, 3DES management key unset. NULL when out of memory. */
struct vt_piv_state *vt_piv_state_new(void);
void vt_piv_state_free(struct vt_piv_state *st);
/* A deep copy (keys shared by reference count); NULL when out of memory. */
struct vt_piv_state *vt_piv_state_clone(const struct vt_piv_state *st);
/* A card image carrying PIV alone, its state new: what the unit tests start from. NULL when
 * out of memory. */
struct vt_image *vt_piv_image_new(const char *dir);

/* What the applet proposes to a store (applet/store.h, unit vt_unit_piv): the new state of one
 * part of its state. st is the state as it is (unchanged until the commit succeeded). */
enum piv_change_kind {
        PIV_CHANGE_SECRETS, /* proposed: PIN, PUK (tries and limits), management key */
        PIV_CHANGE_SLOT,    /* slot: a slot's new key, certificate and policies */
        PIV_CHANGE_OBJECT,  /* tag, data, len: a data object's new value; len 0 removes it */
};

struct piv_change {
        enum piv_change_kind kind;
        const struct vt_piv_state *st;
        const struct vt_piv_state *proposed;
        const struct vt_slot *slot;
        uint32_t tag;
        const uint8_t *data;
        size_t len;
};

/* Applies a change to st as a store keeps it (a copy of what the change holds); 0 or -1 when
 * out of memory or the change names no slot of st. */
int vt_piv_state_apply(struct vt_piv_state *st, const struct piv_change *ch);

struct vt_slot *vt_piv_slot(struct vt_piv_state *st, uint8_t ref);
struct vt_object *vt_piv_object(struct vt_piv_state *st, uint32_t tag);

/* The object with this tag, created empty when missing; NULL when the table is full. */
struct vt_object *vt_piv_object_add(struct vt_piv_state *st, uint32_t tag);
/* Replaces an object's value with a copy of data (len 0 removes the object); 0 or -1. Does not
 * commit. */
int vt_piv_set_object(struct vt_piv_state *st, uint32_t tag, const uint8_t *data, size_t len);
/* "PIV Authentication", "Digital Signature", ... for a key reference. */
const char *vt_slot_purpose(uint8_t ref);
/* The management key holds the well-known YubiKey default bytes, 0102...08 three times (3DES
 * or AES-192): what `vtoken show` warns of. */
bool vt_mgm_key_well_known(const struct vt_piv_state *st);
/* The management key is a default one, what GET METADATA's "default" says: those bytes as 3DES
 * (the historic default, on every firmware), or as AES-192 where that is the factory key (5.7
 * on). Before 5.7 an AES-192 key of the default bytes is not default: ykman 4.0.9's
 * test_management_key_metadata sets it on a YubiKey and expects default_value False. */
bool vt_mgm_key_is_default(const struct vt_image *card, const struct vt_piv_state *st);
/* The algorithm of the default management key, which RESET restores: AES-192 from firmware 5.7,
 * 3DES before and for images made before vtoken knew firmware. */
uint8_t vt_default_mgm_alg(const struct vt_image *img);
/* Whether the firmware has a slot key algorithm (RSA-3072/4096, Ed25519, X25519 from 5.7) or a
 * management-key algorithm (AES from 5.4). */
bool vt_fw_has_alg(const struct vt_image *img, uint8_t alg);
/* Names of the policies as card.ini and `vtoken show` spell them (a charset's: pin_rules.h). */
const char *vt_pin_policy_name(uint8_t policy);
const char *vt_touch_policy_name(uint8_t policy);
/* The reverse: 0, or -1 for a name that is none of them. */
int vt_pin_policy_parse(const char *name, uint8_t *policy);
int vt_touch_policy_parse(const char *name, uint8_t *policy);
/* Whether every policy and charset value of the state has a name (so it can be written). */
bool vt_piv_names_valid(const struct vt_piv_state *st);

/* The parts of its store codec (piv_codec.c) others use: the state file's text parsed into st
 * (0, or -1 with a message naming card->dir/state); the tag of an object file name
 * ("obj-5fc109.bin", exactly as the codec writes it), 0 or -1 for any other name. */
int vt_piv_parse_state(const struct vt_image *card, struct vt_piv_state *st, const char *text,
                       size_t len, char *err, size_t errlen);
int vt_object_file_tag(const char *name, uint32_t *tag);

/* PIN and PUK reference data. */
void vt_secret_set(struct vt_secret *s, const uint8_t padded[8]);
bool vt_secret_matches(const struct vt_secret *s, const uint8_t padded[8]);

#endif
