/* SPDX-License-Identifier: Apache-2.0 */
/* authenticatorClientPIN (CTAP 2.1, 6.5): PIN/UV auth protocols 1 and 2, the PIN, its retries
 * (spent durably before the comparison), and the pinUvAuthToken the other commands check. */
#ifndef VT_FIDO_PIN_H
#define VT_FIDO_PIN_H

#include "buf.h"
#include "fido_internal.h"

int fido_client_pin(struct vt_fido *f, struct reader in, struct writer *w);

/* Checks a command's pinUvAuthParam (param) over msg with the token: CTAP_OK, or the CTAP
 * error to answer (protocol unknown, no token, wrong MAC, permission or relying party not
 * the token's). rp NULL: none to check. */
int fido_pin_check(struct vt_fido *f, struct reader param, struct reader proto, const uint8_t *msg,
                   size_t msg_len, uint8_t perm, const char *rp, size_t rp_len);

/* hmac-secret's GetAssertion input (CTAP 2.1, 12.5: a map of 1 keyAgreement, 2 saltEnc,
 * 3 saltAuth, 4 pinUvAuthProtocol, 1 when absent) for a credential whose id keeps seed: the
 * outputs HMAC-SHA-256(CredRandom, salt) of its one or two salts, CredRandom the credential's
 * value with (uv) or without user verification, encrypted for the platform into out.
 * CTAP_OK, or the error to answer. */
#define FIDO_HMAC_OUT_MAX (16 + 64)
int fido_hmac_secret(struct vt_fido *f, struct reader in, const uint8_t seed[32], bool uv,
                     uint8_t out[FIDO_HMAC_OUT_MAX], size_t *out_len);

#endif
