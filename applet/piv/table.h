/* SPDX-License-Identifier: Apache-2.0 */
/* PIV's one table of key slots and data objects, and its defaults: read by the applet, the
 * image store, provisioning, `vtoken show` and traces, instead of lists kept in each.
 *
 * Sources: SP 800-73-4 part 1 (tables 3 and 4: key references and their certificate
 * containers), the YubiKey 5 PIV extensions (attestation slot F9 and its certificate 5FFF01). */
#ifndef VT_PIV_TABLE_H
#define VT_PIV_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The defaults a YubiKey ships with (and returns to on RESET). */
#define VT_PIV_DEFAULT_PIN   "123456"
#define VT_PIV_DEFAULT_PUK   "12345678"
#define VT_PIV_DEFAULT_TRIES 3
#define VT_PIV_TRIES_MAX     15 /* retry counters are 1..15: the e-Cert token's 15 */
extern const uint8_t vt_piv_default_mgm_key[24]; /* 3DES 0102030405060708 three times */

/* A key reference of the card, with the object that holds its certificate. */
struct piv_slot_info {
        uint8_t ref;        /* key reference, e.g. 0x9A */
        uint32_t cert_tag;  /* data object of its certificate, e.g. 0x5FC105 */
        const char *name;   /* "PIV Authentication", ... */
        uint8_t pin_policy; /* the PIN policy a slot's default means (enum vt_pin_policy) */
        bool general_auth;  /* usable in GENERAL AUTHENTICATE, GENERATE and IMPORT */
};

/* A data object that is no certificate. */
struct piv_object_info {
        uint32_t tag;
        const char *name;
        bool pin_to_read; /* GET DATA needs the PIN */
        bool secret;      /* its content is a secret (ykman keeps a PIN-protected management
                             key in the printed information): traces redact it */
};

#define VT_SLOTS             25
#define VT_PIV_RETIRED_FIRST 0x82 /* retired key management keys: 82..95 */
#define VT_PIV_RETIRED_LAST  0x95
extern const struct piv_slot_info piv_slots[VT_SLOTS];

/* The slot of a key reference, or NULL. */
const struct piv_slot_info *piv_slot_info(uint8_t ref);
/* The slot whose certificate an object tag holds, or NULL. */
const struct piv_slot_info *piv_slot_by_cert(uint32_t tag);
/* A data object of the table, or NULL for a tag it does not name. */
const struct piv_object_info *piv_object_info(uint32_t tag);

/* Parses a slot name as `vtoken init` takes it (9a, 9c, 9d, 9e, 82..95; case-insensitive): the
 * slots usable in GENERAL AUTHENTICATE. 0 or -1. */
int piv_slot_parse(const char *name, uint8_t *ref);

#endif
