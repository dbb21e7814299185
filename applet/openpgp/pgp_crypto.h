/* SPDX-License-Identifier: Apache-2.0 */
/* OpenPGP's framing of the card's key operations (applet/crypto): generation, public keys as
 * GENERATE ASYMMETRIC KEY PAIR answers them, signatures (PSO: COMPUTE DIGITAL SIGNATURE and
 * INTERNAL AUTHENTICATE), decryption (PSO: DECIPHER, RSA and ECDH) and key import (PUT DATA
 * 4D). Results are enum vt_crypto_result. */
#ifndef VT_PGP_CRYPTO_H
#define VT_PGP_CRYPTO_H

#include "buf.h"
#include "crypto.h"
#include "pgp_state.h"

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* A fresh key of the algorithm; NULL on failure. */
EVP_PKEY *pgp_key_generate(const struct pgp_alg *alg);

/* 7F49 { 81 n, 82 e } for RSA, 7F49 { 86 point } for curves (uncompressed point; the raw
 * 32 bytes for Ed25519 and X25519). 0 or -1. */
int pgp_write_public(EVP_PKEY *key, struct writer *w);

/* A signature: RSA PKCS#1 v1.5 of a DigestInfo, ECDSA of a hash (r || s, each the field's
 * size), EdDSA of the data. */
int pgp_sign(EVP_PKEY *key, const struct pgp_alg *alg, const uint8_t *in, size_t inlen,
             uint8_t out[VT_CRYPTO_MAX], size_t *outlen);

/* DECIPHER: RSA with data "00 || cryptogram" (PKCS#1 v1.5), or ECDH with the data
 * A6 { 7F49 { 86 point } } (the shared secret: X for the NIST and brainpool curves). */
int pgp_decipher(EVP_PKEY *key, const struct pgp_alg *alg, const uint8_t *in, size_t inlen,
                 uint8_t out[VT_CRYPTO_MAX], size_t *outlen);

/* A private key from the extended header list of a key import: template is the content of
 * 7F48 (tags and lengths), data the content of 5F48 (the values, concatenated in that order).
 * RSA: 91 e, 92 p, 93 q (the rest is recomputed); curves: 92 the private key (99 the public
 * key, checked when given). NULL when malformed or not of algorithm alg. */
EVP_PKEY *pgp_key_import(const struct pgp_alg *alg, struct reader tmpl, struct reader data);

#endif
