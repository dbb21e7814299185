/* SPDX-License-Identifier: Apache-2.0 */
/* The private-key operations of PIV GENERAL AUTHENTICATE, and public keys as GENERATE answers
 * them, on OpenSSL 3 EVP. */
#ifndef VT_KEYOPS_H
#define VT_KEYOPS_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

enum vt_keyop_result {
        VT_KEYOP_OK = 0,
        VT_KEYOP_BAD_INPUT = -1, /* the input does not fit the key: the card answers 6A80 */
        VT_KEYOP_FAILED = -2,    /* OpenSSL failed: 6F00 */
};

/* Largest result of any operation: an RSA-4096 block. */
#define VT_KEYOP_MAX 512

/* The operation of tag 81 (challenge) with the key of algorithm alg: RSA raw private operation
 * (sign and decrypt alike; input exactly the modulus size), ECDSA of a hash (truncated or
 * left-padded to the field size; result a DER SEQUENCE), Ed25519 signature of a message. */
int vt_keyop_private(EVP_PKEY *key, uint8_t alg, const uint8_t *in, size_t inlen,
                     uint8_t out[VT_KEYOP_MAX], size_t *outlen);

/* The operation of tag 85 (exponentiation): ECDH with an uncompressed peer point (result the
 * X coordinate), or X25519 with a 32-byte peer key. */
int vt_keyop_agree(EVP_PKEY *key, uint8_t alg, const uint8_t *peer, size_t peerlen,
                   uint8_t out[VT_KEYOP_MAX], size_t *outlen);

/* Writes the public key as PIV GENERATE answers it, in a TLV of tag wrap (7F49 there, 04 in
 * YubiKey metadata): { 81 n, 82 e } for RSA, { 86 point } for EC (uncompressed) and for
 * Ed25519/X25519 (raw 32 bytes). */
int vt_keyop_write_public(EVP_PKEY *key, uint8_t alg, uint32_t wrap, struct writer *w);

/* A private key from the YubiKey IMPORT KEY data (BER-TLV): RSA 01 p, 02 q (03 dp, 04 dq, 05
 * qinv are recomputed from p and q; e is 65537), EC 06 d, Ed25519 07 and X25519 08 the raw
 * private key. NULL when the data is malformed or the key is not of algorithm alg (a wrong
 * size included). */
EVP_PKEY *vt_keyop_import(uint8_t alg, struct reader data);

/* Whether alg names a key type of a slot (RSA, EC, Ed25519, X25519). */
int vt_keyop_alg_known(uint8_t alg);

#endif
