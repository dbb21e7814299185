/* SPDX-License-Identifier: Apache-2.0 */
/* How OpenSC's PIV emulation (card-piv.c, pkcs15-piv.c) presents a PIV card image through
 * PKCS#11: the token's label, manufacturer, model and serial, each slot's object id and labels,
 * and the RFC 7512 URIs p11-kit writes for them (p11tool --list-all). Tests check every value
 * against what OpenSC reports for the same card inside `vtoken run`. */
#ifndef VT_PKCS11_NAMES_H
#define VT_PKCS11_NAMES_H

#include "piv_state.h"
#include "registry.h"

#include <stddef.h>
#include <stdint.h>

/* struct vt_p11_token and vt_p11_slot: registry.h (struct vt_show_host hands them to units). */

/* The token OpenSC makes of img. */
void vt_p11_token(const struct vt_image *img, struct vt_p11_token *t);
/* The objects of the key in slot ref; -1 for a slot OpenSC does not show (f9, ...). */
int vt_p11_slot(uint8_t ref, struct vt_p11_slot *s);
/* "pkcs11:model=...;manufacturer=...;serial=...;token=..." and, when label is not NULL,
 * ";id=%XX;object=LABEL;type=TYPE" (TYPE private, public or cert), into out. */
void vt_p11_uri(const struct vt_p11_token *t, const uint8_t *id, const char *label,
                const char *type, char *out, size_t cap);

#endif
