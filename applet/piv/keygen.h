/* SPDX-License-Identifier: Apache-2.0 */
/* Keys and certificates for card slots: PIV's algorithm ids mapped to the crypto layer's
 * (applet/crypto), generation of every PIV key type, the PIV algorithm of a key, and X.509
 * certificates (self-signed or issued by a CA key). */
#ifndef VT_KEYGEN_H
#define VT_KEYGEN_H

#include "crypto.h"

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* A fresh key of the given enum vt_alg (RSA 1024..4096, P-256, P-384, Ed25519, X25519); NULL
 * for an unknown algorithm or a failure. */
EVP_PKEY *vt_key_generate(uint8_t alg);

/* The enum vt_alg of a key, VT_ALG_NONE when the key type or size has no PIV algorithm. */
uint8_t vt_key_alg(const EVP_PKEY *key);

/* Names as the command line and card.ini spell them: rsa2048, p256, ed25519, 3des, aes128 ...
 * vt_alg_name returns NULL for an unknown id; vt_alg_from_name returns VT_ALG_NONE for an
 * unknown name. */
const char *vt_alg_name(uint8_t alg);
uint8_t vt_alg_from_name(const char *name);
/* true for the algorithms a slot key can have (not the management-key ciphers) */
int vt_alg_is_key(uint8_t alg);
/* The crypto layer's algorithm of a slot key's id; VT_CRYPTO_NONE for the management-key
 * ciphers and unknown ids. */
enum vt_crypto_alg vt_alg_crypto(uint8_t alg);

/* Parses a DN in OpenSSL's /CN=.../O=... form; NULL when malformed. */
X509_NAME *vt_dn_parse(const char *dn);

/* A certificate for `key` with the given subject, valid from now for `days`, with a random
 * serial. Issued by `ca_key`/`ca_cert` when given, else self-signed; a key that cannot sign
 * (X25519) without a CA is certified by a throwaway Ed25519 issuer key named like the subject.
 * `ca` makes it a CA certificate (basicConstraints CA:TRUE, keyCertSign). */
X509 *vt_cert_make(EVP_PKEY *key, const X509_NAME *subject, EVP_PKEY *ca_key, X509 *ca_cert,
                   int days, int ca);

/* The key usage and extended key usage of a certificate, as OpenSSL's configuration spells them
 * ("critical,digitalSignature", "clientAuth,codeSigning" or OIDs); eku NULL: none. */
struct vt_cert_usage {
        const char *ku;
        const char *eku;
};

/* vt_cert_make with the given usage (vt_cert_make: the usage a key can have, for client
 * authentication and mail). NULL also when usage holds a value OpenSSL does not know. */
X509 *vt_cert_make_usage(EVP_PKEY *key, const X509_NAME *subject, EVP_PKEY *ca_key, X509 *ca_cert,
                         int days, int ca, const struct vt_cert_usage *usage);

/* The usage that fits a slot's purpose and its key: 9A and 9E client authentication, 9C
 * signatures (non-repudiation, mail protection), 9D and the retired keys key encipherment or
 * agreement (mail protection). */
void vt_slot_usage(uint8_t ref, EVP_PKEY *key, struct vt_cert_usage *u);

/* Every usage a key can have, for client authentication and mail: the e-Cert token's. */
void vt_general_usage(EVP_PKEY *key, struct vt_cert_usage *u);

/* DER encoding of a certificate into a malloc'd buffer; 0 or -1. */
int vt_cert_der(X509 *cert, uint8_t **der, size_t *len);

/* 1 when the public half of key matches the certificate's public key. */
int vt_key_matches_cert(EVP_PKEY *key, X509 *cert);

#endif
