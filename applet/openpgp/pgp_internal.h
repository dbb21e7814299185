/* SPDX-License-Identifier: Apache-2.0 */
/* What the files of the OpenPGP applet share: the session, the commit helper, access checks. */
#ifndef VT_PGP_INTERNAL_H
#define VT_PGP_INTERNAL_H

#include "openpgp.h"

#include "buf.h"
#include "pgp_state.h"
#include "store.h"
#include "sw.h"

#include <stdbool.h>
#include <stdint.h>

#define INS_ACTIVATE         0x44
#define INS_VERIFY           0x20
#define INS_MSE              0x22
#define INS_CHANGE_REFERENCE 0x24
#define INS_PSO              0x2A
#define INS_RESET_RETRY      0x2C
#define INS_GENERATE         0x47
#define INS_GET_CHALLENGE    0x84
#define INS_INTERNAL_AUTH    0x88
#define INS_SELECT_DATA      0xA5
#define INS_GET_DATA         0xCA
#define INS_GET_NEXT_DATA    0xCC
#define INS_PUT_DATA         0xDA
#define INS_PUT_DATA_ODD     0xDB
#define INS_TERMINATE        0xE6

#define PSO_CDS      0x9E9A
#define PSO_DECIPHER 0x8086

#define REF_PW1_SIG 0x81
#define REF_PW1     0x82
#define REF_PW3     0x83

#define TAG_CRT_SIG 0xB6
#define TAG_CRT_DEC 0xB8
#define TAG_CRT_AUT 0xA4

/* The application is terminated (TERMINATE DF): 62 85 to everything but ACTIVATE FILE. */
#define SW_TERMINATED 0x6285

#define PGP_AID_LEN 16

struct vt_pgp {
        struct vt_pgp_state *st;
        struct vt_store store;
        uint8_t aid[PGP_AID_LEN];
        bool pw1_sig;   /* PW1 verified for signing (81) */
        bool pw1_other; /* PW1 verified for the other operations (82) */
        bool pw3;
        uint8_t cert; /* the occurrence of 7F21 SELECT DATA chose */
};

/* A copy of the state to change and propose; NULL when out of memory. */
struct vt_pgp_state *pgp_propose(const struct vt_pgp *p);
/* Proposes next (keys: bit i when key slot i's key changed) and, once durable, makes it the
 * live state. next is consumed either way. SW_OK, or SW_MEMORY_FAILURE with nothing changed. */
uint16_t pgp_commit(struct vt_pgp *p, struct vt_pgp_state *next, unsigned keys);
/* Whether the session satisfies an access condition (enum pgp_access). */
bool pgp_allowed(const struct vt_pgp *p, uint8_t access);
void pgp_clear_security(struct vt_pgp *p);
/* The key slot named by a control reference template (B6, B8, A4) at the start of data; -1. */
int pgp_crt_ref(const uint8_t *data, size_t len);
/* The algorithm of a key slot's attributes (NULL when they name none). */
const struct pgp_alg *pgp_slot_alg(const struct vt_pgp_state *st, int ref);

/* pgp_data.c */
uint16_t pgp_get_data(struct vt_pgp *p, const struct apdu *a, struct writer *out);
uint16_t pgp_get_next_data(struct vt_pgp *p, const struct apdu *a, struct writer *out);
uint16_t pgp_select_data(struct vt_pgp *p, const struct apdu *a);
uint16_t pgp_put_data(struct vt_pgp *p, const struct apdu *a);
/* pgp_auth.c */
uint16_t pgp_verify(struct vt_pgp *p, const struct apdu *a);
uint16_t pgp_change_reference(struct vt_pgp *p, const struct apdu *a);
uint16_t pgp_reset_retry_counter(struct vt_pgp *p, const struct apdu *a);
/* pgp_keys.c */
uint16_t pgp_generate(struct vt_pgp *p, const struct apdu *a, struct writer *out);
uint16_t pgp_import(struct vt_pgp *p, const struct apdu *a);
uint16_t pgp_pso(struct vt_pgp *p, const struct apdu *a, struct writer *out);
uint16_t pgp_internal_authenticate(struct vt_pgp *p, const struct apdu *a, struct writer *out);
uint16_t pgp_get_challenge(const struct apdu *a, struct writer *out);
uint16_t pgp_terminate(struct vt_pgp *p);
uint16_t pgp_activate(struct vt_pgp *p);

#endif
