/* SPDX-License-Identifier: Apache-2.0 */
/* The YubiKey OATH application (YKOATH, as ykman and Yubico Authenticator use it): TOTP and HOTP
 * credentials computed with HMAC-SHA1, SHA-256 or SHA-512, an optional access key checked by a
 * mutual challenge-response, and the touch-required property.
 *
 * The card has no clock: a TOTP client sends the time step as the challenge. A vt_oath keeps the
 * session (unlocked or not, the challenge SELECT gave out) over a persistent vt_oath_state; every
 * change of that state (a credential put, deleted or renamed, a HOTP counter moved on, the access
 * key set or removed, a reset) is made durable by the store the applet was given before the
 * applet applies it and answers (applet/store.h, unit vt_unit_oath, a struct oath_change). */
#ifndef VT_OATH_H
#define VT_OATH_H

#include "card.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A0 00 00 05 27 21 01 */
extern const uint8_t vt_oath_aid[7];

#define OATH_NAME_MAX   64  /* bytes of a credential's name ("issuer:account", "60/...") */
#define OATH_SECRET_MAX 128 /* a key up to the hash's block size (SHA-512's 128 bytes) */
#define OATH_ACCESS_MAX 64  /* bytes of the access key (ykman's PBKDF2 output is 16) */
#define OATH_SALT_LEN   8   /* the device's id, SELECT's tag 71: the access key's PBKDF2 salt */
#define OATH_CREDS_MAX  64  /* firmware 5.7's room; earlier firmware has 32 */

/* The high nibble of a key's first byte. */
#define OATH_HOTP 0x10
#define OATH_TOTP 0x20
/* The low nibble. */
#define OATH_SHA1   0x01
#define OATH_SHA256 0x02
#define OATH_SHA512 0x03
/* Property bits (tag 78). */
#define OATH_PROP_TOUCH 0x02

struct oath_cred {
        uint8_t name[OATH_NAME_MAX];
        uint8_t name_len;
        uint8_t type;     /* OATH_HOTP or OATH_TOTP */
        uint8_t alg;      /* OATH_SHA1, OATH_SHA256 or OATH_SHA512 */
        uint8_t digits;   /* 6..8 */
        uint8_t props;    /* OATH_PROP_* */
        uint32_t counter; /* HOTP: the counter the next code uses */
        uint8_t secret[OATH_SECRET_MAX];
        uint8_t secret_len;
};

/* The persistent state; a flat value (copied by assignment, wiped when freed). */
struct vt_oath_state {
        uint8_t salt[OATH_SALT_LEN];
        uint8_t key_alg; /* 0: no access key; else OATH_SHA* of the key's HMAC */
        uint8_t key[OATH_ACCESS_MAX];
        uint8_t key_len;
        size_t n;
        struct oath_cred creds[OATH_CREDS_MAX];
};

/* A new state in the factory condition: no credential, no access key, a random salt. NULL when
 * out of memory or without randomness. */
struct vt_oath_state *oath_state_new(void);
struct vt_oath_state *oath_state_clone(const struct vt_oath_state *st);
void oath_state_free(struct vt_oath_state *st);
/* How many credentials firmware version holds: 32, and 64 from 5.7. */
size_t oath_room(const uint8_t version[3]);
/* The credential named so; NULL when there is none. */
const struct oath_cred *oath_state_find(const struct vt_oath_state *st, const uint8_t *name,
                                        size_t len);
/* Adds cred, or replaces the credential of its name; 0, or -1 when room is full. */
int oath_state_put(struct vt_oath_state *st, const struct oath_cred *cred, size_t room);

/* What the applet proposes to a store (unit vt_unit_oath): the whole next state. */
struct oath_change {
        const struct vt_oath_state *cur;
        const struct vt_oath_state *next;
};

/* "SHA1", "SHA256", "SHA512" (as otpauth:// URIs name them); NULL for another value. Parse:
 * 0 or -1, any case. */
const char *oath_alg_name(uint8_t alg);
int oath_alg_parse(const char *name, uint8_t *alg);
/* The HMAC of data with a credential's key and hash (out has room for 64 bytes); its length, or
 * 0 on failure. */
size_t oath_hmac(uint8_t alg, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
                 uint8_t *out);
/* The code RFC 4226 truncates from an HMAC: digits decimal digits as a number. */
uint32_t oath_code(const uint8_t *mac, size_t mac_len, uint8_t digits);

/* The unit's registry row (oath_unit.c). */
struct vt_applet_unit;
extern const struct vt_applet_unit vt_unit_oath;

struct vt_oath;

/* The applet over st (kept, not copied; st must outlive it) and a copy of store, answering as
 * firmware version[3] does (RENAME from 5.3, 64 credentials from 5.7). NULL when out of memory. */
struct vt_oath *vt_oath_new(struct vt_oath_state *st, const struct vt_store *store,
                            const uint8_t version[3]);
void vt_oath_free(struct vt_oath *o);
/* Fills out with the applet: name "oath", its AID and callbacks; destroy frees o. */
void vt_oath_applet(struct vt_oath *o, struct vt_applet *out);

#endif
