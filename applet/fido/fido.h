/* SPDX-License-Identifier: Apache-2.0 */
/* The FIDO applet (CTAP2 over ISO 7816, the NFC path, and U2F/CTAP1): its persistent state,
 * its change, and the calls its registry row (fido_unit.c) and its codec use.
 *
 * Credentials are private to a card image: a credential id is the credential's private key
 * sealed (AES-256-GCM, the relying party's id hash as associated data) under the image's
 * secret, so a non-resident credential lives only in its id; a resident (discoverable) one is
 * also listed in the state with its user. */
#ifndef VT_FIDO_H
#define VT_FIDO_H

#include "card.h"
#include "image.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FIDO_RP_MAX       128 /* relying party id */
#define FIDO_USER_ID_MAX  64
#define FIDO_NAME_MAX     64
#define FIDO_CRED_ID_MAX  224
#define FIDO_RESIDENT_MAX 25
#define FIDO_CERT_MAX     1024
#define FIDO_KEY_DER_MAX  160
#define FIDO_PIN_TRIES    8
#define FIDO_PIN_MIN      4
#define FIDO_ALG_ES256    (-7)
#define FIDO_ALG_EDDSA    (-8)

extern const uint8_t vt_fido_aid[8];

/* A discoverable credential. */
struct fido_resident {
        uint8_t id[FIDO_CRED_ID_MAX];
        size_t id_len;
        char rp_id[FIDO_RP_MAX + 1];
        uint8_t user_id[FIDO_USER_ID_MAX];
        size_t user_id_len;
        char user_name[FIDO_NAME_MAX + 1];
        char display_name[FIDO_NAME_MAX + 1];
        int alg;
        uint8_t cred_protect; /* 1..3 */
};

struct vt_fido_state {
        uint8_t secret[32]; /* seals credential ids */
        uint8_t aaguid[16];
        uint32_t counter;                  /* the signature counter, shared by all credentials */
        uint8_t att_key[FIDO_KEY_DER_MAX]; /* the attestation key (P-256), DER */
        size_t att_key_len;
        uint8_t att_cert[FIDO_CERT_MAX];
        size_t att_cert_len;
        uint8_t ca_cert[FIDO_CERT_MAX]; /* the image's attestation CA, which issued att_cert */
        size_t ca_cert_len;
        bool pin_set;
        uint8_t pin_hash[16]; /* LEFT(SHA-256(PIN), 16) */
        uint8_t pin_len;      /* in code points */
        uint8_t pin_tries;
        /* user presence: false, given at once (CI); true, each command that needs it waits for
         * the card's touch (`vtoken ctl touch`) */
        bool presence_touch;
        struct fido_resident rk[FIDO_RESIDENT_MAX];
        size_t n_rk;
};

/* What the applet hands vt_store_commit: the whole next state. */
struct fido_change {
        const struct vt_fido_state *next;
};

struct vt_fido_state *fido_state_new(uint32_t serial);
struct vt_fido_state *fido_state_clone(const struct vt_fido_state *st);
void fido_state_free(struct vt_fido_state *st);
/* The state after a reset: new secret (every credential gone), no PIN; attestation kept. */
void fido_state_reset(struct vt_fido_state *st);

struct vt_fido;
/* card: the card it is an applet of, whose presence clock (vt_card.presence, which may be set
 * later) times presence by touch and the reset window; NULL for none. */
struct vt_fido *vt_fido_new(struct vt_fido_state *st, const struct vt_store *store,
                            const struct vt_card *card);
void vt_fido_free(struct vt_fido *f);
/* Answers as a YubiKey 5 NFC of firmware fw (major, minor, patch) does: its getInfo (5.4's
 * before 5.7) and its AAGUID in attestations (--compat yubikey). */
void vt_fido_yubikey(struct vt_fido *f, const uint8_t fw[3]);
void vt_fido_applet(struct vt_fido *f, struct vt_applet *ap);

extern const struct vt_applet_unit vt_unit_fido;

#endif
