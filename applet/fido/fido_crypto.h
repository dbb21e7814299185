/* SPDX-License-Identifier: Apache-2.0 */
/* The FIDO applet's cryptography: credential keys, COSE public keys, signatures, sealed
 * credential ids, and the image's attestation CA and certificate. */
#ifndef VT_FIDO_CRYPTO_H
#define VT_FIDO_CRYPTO_H

#include "buf.h"
#include "fido.h"

#include <openssl/evp.h>

/* What a credential id carries once opened. */
struct fido_key {
        int alg;
        uint8_t cred_protect;
        bool hmac_secret;        /* made with hmac-secret: cred_random answers salts */
        uint8_t cred_random[32]; /* hmac-secret's CredRandom (both, with and without UV) */
        EVP_PKEY *key;
};

EVP_PKEY *fido_keygen(int alg);
/* A new credential id for key, bound to rp_hash; 0 or -1. */
int fido_seal(const uint8_t secret[32], const uint8_t rp_hash[32], const struct fido_key *k,
              uint8_t *id, size_t *id_len);
/* Opens a credential id made by fido_seal for rp_hash: 0 (k->key to free), -1 when it is not
 * ours or not this relying party's. */
int fido_unseal(const uint8_t secret[32], const uint8_t rp_hash[32], const uint8_t *id,
                size_t id_len, struct fido_key *k);
void fido_key_clear(struct fido_key *k);
/* The COSE_Key of a public key (ES256 or EdDSA). */
void fido_cose_pub(struct writer *w, EVP_PKEY *key, int alg);
/* An ES256 (DER) or EdDSA signature of data; 0 or -1. */
int fido_sign(EVP_PKEY *key, const uint8_t *data, size_t len, uint8_t *sig, size_t *sig_len);
/* The uncompressed point 04||X||Y of a P-256 key; 0 or -1. */
int fido_ec_point(EVP_PKEY *key, uint8_t out[65]);
/* A new attestation CA and certificate into st (subject names carry serial); 0 or -1. */
int fido_make_attestation(struct vt_fido_state *st, uint32_t serial);
EVP_PKEY *fido_der_key(const uint8_t *der, size_t len);

#endif
