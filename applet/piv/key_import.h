/* SPDX-License-Identifier: Apache-2.0 */
/* PIV's framing of a key import (YubiKey IMPORT KEY): its TLVs cut into the crypto layer's raw
 * parts (applet/crypto/crypto.h), PIV's algorithm id mapped by vt_alg_crypto. */
#ifndef VT_KEY_IMPORT_H
#define VT_KEY_IMPORT_H

#include "buf.h"
#include "crypto.h"

#include <stdint.h>

#include <openssl/evp.h>

/* A private key from the YubiKey IMPORT KEY data (BER-TLV): RSA 01 p, 02 q (03 dp, 04 dq, 05
 * qinv are recomputed from p and q; e is 65537), EC 06 d, Ed25519 07 and X25519 08 the raw
 * private key. NULL when the data is malformed or the key is not of algorithm alg (a wrong
 * size included). */
EVP_PKEY *vt_key_import(uint8_t alg, struct reader data);

#endif
