/* SPDX-License-Identifier: Apache-2.0 */
/* What the FIDO applet's files share: its live context, CTAP status codes. */
#ifndef VT_FIDO_INTERNAL_H
#define VT_FIDO_INTERNAL_H

#include "fido.h"

#include <openssl/evp.h>

/* CTAP status codes (CTAP 2.1, 8.2) */
#define CTAP_OK                        0x00
#define CTAP1_ERR_INVALID_COMMAND      0x01
#define CTAP1_ERR_INVALID_PARAMETER    0x02
#define CTAP1_ERR_INVALID_LENGTH       0x03
#define CTAP2_ERR_CBOR_UNEXPECTED_TYPE 0x11
#define CTAP2_ERR_INVALID_CBOR         0x12
#define CTAP2_ERR_MISSING_PARAMETER    0x14
#define CTAP2_ERR_CREDENTIAL_EXCLUDED  0x19
#define CTAP2_ERR_UNSUPPORTED_ALG      0x26
#define CTAP2_ERR_KEY_STORE_FULL       0x28
#define CTAP2_ERR_UNSUPPORTED_OPTION   0x2B
#define CTAP2_ERR_INVALID_OPTION       0x2C
#define CTAP2_ERR_NO_CREDENTIALS       0x2E
#define CTAP2_ERR_USER_ACTION_TIMEOUT  0x2F
#define CTAP2_ERR_NOT_ALLOWED          0x30
#define CTAP2_ERR_PIN_INVALID          0x31
#define CTAP2_ERR_PIN_BLOCKED          0x32
#define CTAP2_ERR_PIN_AUTH_INVALID     0x33
#define CTAP2_ERR_PIN_AUTH_BLOCKED     0x34
#define CTAP2_ERR_PIN_NOT_SET          0x35
#define CTAP2_ERR_PUAT_REQUIRED        0x36
#define CTAP2_ERR_PIN_POLICY_VIOLATION 0x37
#define CTAP1_ERR_OTHER                0x7F

/* CTAP2 commands */
#define CTAP_MAKE_CREDENTIAL   0x01
#define CTAP_GET_ASSERTION     0x02
#define CTAP_GET_INFO          0x04
#define CTAP_CLIENT_PIN        0x06
#define CTAP_RESET             0x07
#define CTAP_GET_NEXT          0x08
#define CTAP_CRED_MGMT         0x0A
#define CTAP_SELECTION         0x0B
#define CTAP_CRED_MGMT_PREVIEW 0x41

#define FIDO_UP_PENDING 0x100 /* not answered: the command waits for the user's touch */

#define FIDO_PERM_MC 0x01
#define FIDO_PERM_GA 0x02
#define FIDO_PERM_CM 0x04

/* whose authenticatorGetInfo the card answers */
enum fido_model { FIDO_MODEL_VTOKEN = 0, FIDO_MODEL_YK54, FIDO_MODEL_YK57 };

struct vt_fido {
        struct vt_fido_state *st;
        enum fido_model model;
        uint8_t fw[3];              /* the firmware a YubiKey model reports */
        struct vt_store store;      /* a copy: the caller's may not outlive the card */
        const struct vt_card *card; /* its presence clock */
        /* presence by touch, as over NFC: the CTAP2 command waiting for it (answered 9100 and
         * polled with NFCCTAP_GETRESPONSE) and since when; the touch the last approved command
         * took; U2F refused for want of a touch since (0: not waiting) */
        uint8_t up_cmd[VT_CHAIN_MAX];
        size_t up_len;
        bool up_waiting, up_given;
        uint64_t up_since, touch_taken, u2f_since;
        /* until power off: the PIN's key agreement key and token */
        EVP_PKEY *ka;
        uint8_t token[32];
        bool token_valid;
        uint8_t token_perms;
        char token_rp[FIDO_RP_MAX + 1]; /* empty: not bound */
        unsigned pin_fails;             /* consecutive wrong PINs since power on */
        /* GetNextAssertion: the resident credentials left to answer */
        uint8_t next_rp_hash[32], next_cdh[32];
        size_t next[FIDO_RESIDENT_MAX], n_next, next_pos;
        bool next_uv;
        uint8_t next_hmac[256]; /* hmac-secret's input, for each of them */
        size_t next_hmac_len;
        /* CredentialManagement's enumerations: resident indexes still to give */
        size_t cm_list[FIDO_RESIDENT_MAX], cm_n, cm_pos;
        bool cm_rps; /* the list is of relying parties (one credential each names it) */
};

int fido_cred_mgmt(struct vt_fido *f, struct reader in, struct writer *w);

/* U2F's presence for a command that enforces it: true when given (at once, or by a touch since
 * the first refusal of this wait, which the command takes); false: answer 6985, the client
 * asks again, as a key does until it is touched. */
bool fido_u2f_present(struct vt_fido *f);

/* Commits next as the new state, then makes it live; 0, or -1 when the store refused. */
int fido_commit(struct vt_fido *f, const struct vt_fido_state *next);

#endif
