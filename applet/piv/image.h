/* SPDX-License-Identifier: Apache-2.0 */
/* A card image in memory: the card's identity and policy, and the PIV application's
 * persistent state (slots, PIN and PUK, management key, data objects). Pure: how it is kept on
 * disk is store/'s business (store/image_store.h); applets change it only through a store
 * (applet/store.h), committing first and applying after. */
#ifndef VT_IMAGE_H
#define VT_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pin_rules.h"
#include "table.h"

#include <openssl/evp.h>

#define VT_ATR_MAX_IMG 33

/* card.ini's compat: what the card pretends to be for tools that only trust one maker's
 * tokens. yubikey: the ATR of a YubiKey 5 NFC and the YubiKey management AID answered,
 * whatever atr and yubikey_mgmt_aid say (the image's version stays its own). */
enum vt_compat { VT_COMPAT_NONE = 0, VT_COMPAT_YUBIKEY = 1 };

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

struct vt_pgp_state;

struct vt_image {
        char *dir;
        char profile[16];            /* piv | ecert */
        char applet[16];             /* piv */
        uint8_t compat;              /* enum vt_compat */
        uint8_t atr[VT_ATR_MAX_IMG]; /* the ATR the card presents (compat's when set) */
        size_t atr_len;
        uint8_t guid[16];
        uint32_t serial;
        uint8_t version[3];    /* reported by the YubiKey FD command */
        bool firmware;         /* version is the YubiKey firmware the card answers as, defaults
                                  included (card.ini firmware); false for an image made before
                                  (card.ini version): its management key defaults to 3DES */
        bool pin_complexity;   /* 5.7's PIN complexity: trivial PINs and PUKs refused */
        bool yubikey_mgmt_aid; /* answer SELECT of the YubiKey management AID (compat's) */
        bool global_pin;       /* the global PIN (reference 00) is enabled */

        struct vt_pin_rules pin_rules;
        struct vt_secret pin, puk;

        uint8_t mgm_alg; /* VT_ALG_3DES or AES */
        uint8_t mgm_key[32];
        size_t mgm_key_len;
        uint8_t mgm_touch;

        struct vt_slot slots[VT_SLOTS];
        struct vt_object objects[VT_OBJECTS_MAX];
        size_t n_objects;

        /* the OpenPGP application's state (applet/openpgp/pgp_state.h); NULL when the card has
         * none */
        struct vt_pgp_state *openpgp;

        /* atr and yubikey_mgmt_aid as card.ini has them, kept while compat overrides them */
        uint8_t own_atr[VT_ATR_MAX_IMG];
        size_t own_atr_len;
        bool own_mgmt_aid;
};

void vt_image_free(struct vt_image *img);

/* What an applet proposes to a store (applet/store.h, applet name "piv"): the new state of one
 * part of the image. img is the image as it is (unchanged until the commit succeeded). */
enum piv_change_kind {
        PIV_CHANGE_SECRETS, /* proposed: PIN, PUK (tries and limits), management key */
        PIV_CHANGE_SLOT,    /* slot: a slot's new key, certificate and policies */
        PIV_CHANGE_OBJECT,  /* tag, data, len: a data object's new value; len 0 removes it */
};

struct piv_change {
        enum piv_change_kind kind;
        const struct vt_image *img;
        const struct vt_image *proposed;
        const struct vt_slot *slot;
        uint32_t tag;
        const uint8_t *data;
        size_t len;
};

/* A deep copy of img (keys shared by reference count); NULL when out of memory. */
struct vt_image *vt_image_clone(const struct vt_image *img);
/* Applies a change to img as a store keeps it (a copy of what the change holds); 0 or -1 when
 * out of memory or the change names no slot of img. */
int vt_image_apply(struct vt_image *img, const struct piv_change *ch);

struct vt_slot *vt_image_slot(struct vt_image *img, uint8_t ref);
struct vt_object *vt_image_object(struct vt_image *img, uint32_t tag);

/* An image in memory only: all slots laid out and empty, YubiKey-like defaults. dir (the
 * directory it is or will be kept in) is copied. NULL when out of memory. */
struct vt_image *vt_image_new(const char *dir);
/* The object with this tag, created empty when missing; NULL when the table is full. */
struct vt_object *vt_image_object_add(struct vt_image *img, uint32_t tag);
/* Replaces an object's value with a copy of data (len 0 removes the object); 0 or -1. Does not
 * commit. */
int vt_image_set_object(struct vt_image *img, uint32_t tag, const uint8_t *data, size_t len);
/* "PIV Authentication", "Digital Signature", ... for a key reference. */
const char *vt_slot_purpose(uint8_t ref);
/* The management key is the well-known YubiKey default, 0102...08 three times (3DES, or
 * AES-192 as 5.7 has it). */
bool vt_mgm_key_is_default(const struct vt_image *img);
/* Whether the card's firmware is major.minor or later. */
bool vt_fw_at_least(const struct vt_image *img, uint8_t major, uint8_t minor);
/* The algorithm of the default management key, which RESET restores: AES-192 from firmware 5.7,
 * 3DES before and for images made before vtoken knew firmware. */
uint8_t vt_default_mgm_alg(const struct vt_image *img);
/* Whether the firmware has a slot key algorithm (RSA-3072/4096, Ed25519, X25519 from 5.7) or a
 * management-key algorithm (AES from 5.4). */
bool vt_fw_has_alg(const struct vt_image *img, uint8_t alg);
/* Names of the policies as card.ini and `vtoken show` spell them. */
const char *vt_pin_policy_name(uint8_t policy);
const char *vt_touch_policy_name(uint8_t policy);
const char *vt_charset_name(uint8_t charset);
/* The reverse: 0, or -1 for a name that is none of them. */
int vt_pin_policy_parse(const char *name, uint8_t *policy);
int vt_touch_policy_parse(const char *name, uint8_t *policy);
int vt_charset_parse(const char *name, uint8_t *charset);
/* Whether every policy and charset value of the image has a name (so it can be written). */
bool vt_image_names_valid(const struct vt_image *img);

/* Switches the card's compatibility mode: sets atr and yubikey_mgmt_aid from it, and back to
 * card.ini's own values when it goes to none. Does not commit. */
void vt_image_set_compat(struct vt_image *img, uint8_t compat);
/* "none", "yubikey"; NULL for an unknown value. Parse: 0 or -1. */
const char *vt_compat_name(uint8_t compat);
int vt_compat_parse(const char *name, uint8_t *compat);

/* PIN and PUK reference data. */
void vt_secret_set(struct vt_secret *s, const uint8_t padded[8]);
bool vt_secret_matches(const struct vt_secret *s, const uint8_t padded[8]);

#endif
