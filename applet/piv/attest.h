/* SPDX-License-Identifier: Apache-2.0 */
/* YubiKey-style attestation: a certificate for a slot's public key, issued by the attestation
 * key F9 under the F9 certificate's subject, carrying the YubiKey attestation extensions
 * (firmware version, serial, PIN and touch policy, form factor). */
#ifndef VT_ATTEST_H
#define VT_ATTEST_H

#include "piv_state.h"

#include <stddef.h>
#include <stdint.h>

/* DER of the attestation certificate of slot s into *der (free with OPENSSL_free); 0 or -1. Its
 * validity is the F9 certificate's (the card has no clock). pin and touch are the effective
 * policies. */
int vt_attest(const struct vt_image *img, const struct vt_slot *f9, const struct vt_slot *s,
              uint8_t pin, uint8_t touch, uint8_t **der, size_t *len);

#endif
