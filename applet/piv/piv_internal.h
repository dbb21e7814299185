/* SPDX-License-Identifier: Apache-2.0 */
/* What the files of the PIV applet share: the session, the commit helpers, slot access. */
#ifndef VT_PIV_INTERNAL_H
#define VT_PIV_INTERNAL_H

#include "piv.h"

#include "buf.h"
#include "piv_state.h"
#include "store.h"
#include "sw.h"

#include <stdbool.h>
#include <stdint.h>

#define INS_VERIFY           0x20
#define INS_CHANGE_REFERENCE 0x24
#define INS_RESET_RETRY      0x2C
#define INS_GENERATE         0x47
#define INS_GENERAL_AUTH     0x87
#define INS_GET_DATA         0xCB
#define INS_PUT_DATA         0xDB
#define INS_YK_MOVE_KEY      0xF6
#define INS_YK_METADATA      0xF7
#define INS_YK_GET_SERIAL    0xF8
#define INS_YK_ATTEST        0xF9
#define INS_YK_SET_RETRIES   0xFA
#define INS_YK_RESET         0xFB
#define INS_YK_GET_VERSION   0xFD
#define INS_YK_IMPORT        0xFE
#define INS_YK_SET_MGMKEY    0xFF

#define REF_GLOBAL_PIN 0x00
#define REF_PIN        0x80
#define REF_PUK        0x81
#define REF_MGM        0x9B
#define REF_ATTEST     0xF9

#define TAG_TAG_LIST   0x5C
#define TAG_DATA       0x53
#define TAG_DYN_AUTH   0x7C
#define TAG_WITNESS    0x80
#define TAG_CHALLENGE  0x81
#define TAG_RESPONSE   0x82
#define TAG_EXPONENT   0x85
#define TAG_PIN_POLICY 0xAA
#define TAG_TOUCH      0xAB

#define VT_MGM_NONCE_MAX 16

enum mgm_step { MGM_IDLE, MGM_WITNESS_SENT, MGM_CHALLENGE_SENT };

struct vt_piv {
        struct vt_image *img;    /* the card: identity, firmware */
        struct vt_piv_state *st; /* PIV's own state on it */
        struct vt_store store;
        bool pin_verified;
        bool pin_fresh; /* a VERIFY since the last use of a PIN-always key */
        bool mgm_authed;
        enum mgm_step mgm_step;
        uint8_t mgm_nonce[VT_MGM_NONCE_MAX];
};

extern const uint8_t piv_aid[11];

/* ---- commit first, then apply (piv.c) ---- */

/* Proposes next's PIN, PUK and management key; applies them to the live image once the store
 * made them durable. SW_OK, or SW_MEMORY_FAILURE with nothing changed. */
uint16_t piv_commit_secrets(struct vt_piv *p, const struct vt_piv_state *next);
/* Proposes a slot's new content (key, certificate, policies; next->ref names the slot) and,
 * once durable, puts it in the slot and frees what it replaced. On failure the slot stays as it
 * was, and the caller still owns next's key and certificate. */
uint16_t piv_commit_slot(struct vt_piv *p, const struct vt_slot *next);
/* Proposes a data object's new value (a copy of data; len 0 removes it). */
uint16_t piv_commit_object(struct vt_piv *p, uint32_t tag, const uint8_t *data, size_t len);

/* ---- session and slots (piv.c) ---- */

void piv_clear_security(struct vt_piv *p);
/* A key algorithm as clients number it: piv-go says 22 for Ed25519. */
uint8_t piv_key_alg(uint8_t alg);
/* The slot of a key reference usable in GENERAL AUTHENTICATE, GENERATE and IMPORT, or NULL. */
struct vt_slot *piv_key_slot(struct vt_piv *p, uint8_t ref);
/* The PIN policy that applies to a slot (its default resolved). */
uint8_t piv_pin_policy(const struct vt_slot *s);
/* The touch policy that applies to a slot (its default resolved: never). */
uint8_t piv_touch_policy(const struct vt_slot *s);
/* The object tag of a tag list `5C len tag` at the start of data; rest is what follows it. */
int piv_parse_tag_list(const uint8_t *data, size_t len, uint32_t *tag, struct reader *rest);
/* A one-byte policy of a template (tags AA, AB): 0 when absent; *bad when malformed. */
uint8_t piv_policy_byte(struct reader tmpl, uint32_t tag, uint8_t max, bool *bad);

/* ---- the commands, by file ---- */

/* piv_data.c */
uint16_t piv_get_data(struct vt_piv *p, const struct apdu *a, struct writer *out);
uint16_t piv_put_data(struct vt_piv *p, const struct apdu *a);
/* piv_auth.c */
uint16_t piv_verify(struct vt_piv *p, const struct apdu *a);
uint16_t piv_change_reference(struct vt_piv *p, const struct apdu *a);
uint16_t piv_reset_retry_counter(struct vt_piv *p, const struct apdu *a);
uint16_t piv_general_authenticate(struct vt_piv *p, const struct apdu *a, struct writer *out);
/* Whether a GENERAL AUTHENTICATE with the management key carries the client's answer (the step
 * a touch is asked for), not a request for a challenge or witness. */
bool piv_mgm_answer_step(const struct apdu *a);
/* piv_keys.c */
uint16_t piv_generate(struct vt_piv *p, const struct apdu *a, struct writer *out);
/* The template of a GENERATE and the algorithm it asks for (piv_key_alg's numbering): 0, or -1
 * when it is malformed. */
int piv_generate_alg(const struct apdu *a, struct reader *tmpl, uint8_t *alg);
uint16_t piv_import(struct vt_piv *p, const struct apdu *a);
/* piv_yubikey.c */
uint16_t piv_yk_process(struct vt_piv *p, const struct apdu *a, struct writer *out);

#endif
