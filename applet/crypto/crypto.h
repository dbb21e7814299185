/* SPDX-License-Identifier: Apache-2.0 */
/* The card's private-key crypto, shared by every applet: one table of the key algorithms a
 * card can hold, their generation, import from raw parts, public keys, signatures, decryption
 * and key agreement, on OpenSSL 3 EVP. An applet keeps only its framing: its algorithm ids or
 * key attributes map to enum vt_crypto_alg, its TLVs are cut into the raw parts taken here.
 * Pure: no files, clocks or sockets. */
#ifndef VT_CRYPTO_H
#define VT_CRYPTO_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

enum vt_crypto_alg {
        VT_CRYPTO_NONE = 0,
        VT_CRYPTO_RSA1024,
        VT_CRYPTO_RSA2048,
        VT_CRYPTO_RSA3072,
        VT_CRYPTO_RSA4096,
        VT_CRYPTO_P256,
        VT_CRYPTO_P384,
        VT_CRYPTO_BP256,
        VT_CRYPTO_BP384,
        VT_CRYPTO_ED25519,
        VT_CRYPTO_X25519,
        VT_CRYPTO_N_ALGS
};

enum vt_crypto_kind {
        VT_KIND_RSA,        /* RSA: raw, PKCS#1 v1.5 signatures and decryption */
        VT_KIND_EC,         /* a Weierstrass curve: ECDSA and ECDH */
        VT_KIND_EDDSA,      /* Ed25519: EdDSA of a message */
        VT_KIND_MONTGOMERY, /* X25519: key agreement only */
};

/* One row per algorithm. */
struct vt_crypto_info {
        enum vt_crypto_alg alg;
        const char *name; /* rsa2048, p256, bp256, ed25519, x25519 ... */
        enum vt_crypto_kind kind;
        uint16_t bits;     /* RSA modulus, or the curve's field */
        const char *group; /* OpenSSL's name: "RSA", the curve, "ED25519", "X25519" */
        uint16_t size;     /* bytes of the modulus, a coordinate or the raw key */
};

/* The row of alg; NULL for VT_CRYPTO_NONE or an unknown value. */
const struct vt_crypto_info *vt_crypto_info(enum vt_crypto_alg alg);
/* The algorithm of a key; VT_CRYPTO_NONE when its type or size is in no row. */
enum vt_crypto_alg vt_crypto_alg_of_key(const EVP_PKEY *key);
/* A fresh key; NULL for VT_CRYPTO_NONE or a failure. Every applet's key generation comes here;
 * the key comes from the installed key source, or OpenSSL's generator when none is. */
EVP_PKEY *vt_crypto_generate(enum vt_crypto_alg alg);

/* A key source: a new reference to a key of alg (alg is never VT_CRYPTO_NONE), or NULL. */
typedef EVP_PKEY *vt_key_source_fn(enum vt_crypto_alg alg);
/* Installs source as where vt_crypto_generate takes keys; NULL restores OpenSSL's generator (the
 * default, and what vtokend uses). For tests and fuzz targets: tests/fuzz/ installs a source that
 * hands out keys made once, as generating an RSA key costs up to seconds. Not synchronised:
 * install it before any card runs. */
void vt_crypto_set_key_source(vt_key_source_fn *source);

enum vt_crypto_result {
        VT_CRYPTO_OK = 0,
        VT_CRYPTO_BAD_INPUT = -1, /* the input does not fit the key (a card answers 6A80) */
        VT_CRYPTO_FAILED = -2,    /* OpenSSL failed (SW_FAIL_CRYPTO) */
};

/* The largest result of any operation: an RSA-4096 block. */
#define VT_CRYPTO_MAX 512

/* ---- keys (keys.c) ------------------------------------------------------------------------- */

/* The private parts an import brings, big-endian, each the bytes a reader holds (an empty
 * reader: absent). RSA: p and q (e, when absent, 65537; the rest is recomputed); curves: priv,
 * the scalar or the raw private key, leading zeros may be dropped (an MPI's form). */
struct vt_key_parts {
        struct reader e, p, q, priv;
};

/* The private key of algorithm alg from its parts; NULL when they are malformed or make a key
 * of another algorithm (RSA primes of another size). */
EVP_PKEY *vt_crypto_import(enum vt_crypto_alg alg, const struct vt_key_parts *parts);

/* The public point: uncompressed (04 x y) on a curve, the raw 32 bytes for Ed25519 and X25519.
 * out holds at least 2 * 66 + 1 bytes. 0 or -1 (an RSA key included). */
#define VT_CRYPTO_POINT_MAX (2 * 66 + 1)
int vt_crypto_public_point(EVP_PKEY *key, uint8_t out[VT_CRYPTO_POINT_MAX], size_t *len);

/* The public key in ISO/IEC 7816-8's template, as PIV and OpenPGP GENERATE answer it: a TLV of
 * tag wrap holding { 81 n, 82 e } for RSA, { 86 point } for the others. 0 or -1. */
int vt_crypto_write_public(EVP_PKEY *key, uint32_t wrap, struct writer *w);

/* ---- signatures (sign.c) ------------------------------------------------------------------- */

enum vt_sign_form {
        VT_SIGN_RSA_RAW = 1,  /* RSA: the raw private operation on an input of exactly the
                                 modulus size (else PKCS#1 v1.5 type 1 of a DigestInfo) */
        VT_SIGN_EC_PLAIN = 2, /* ECDSA: r || s, each the field's size (else a DER SEQUENCE) */
};

/* A signature by key of algorithm alg, as form (enum vt_sign_form bits) says: RSA of in, ECDSA
 * of the hash in (truncated or left-padded to the field's size), EdDSA of the message in. An
 * X25519 key cannot sign: VT_CRYPTO_BAD_INPUT. */
int vt_crypto_sign(EVP_PKEY *key, enum vt_crypto_alg alg, unsigned form, const uint8_t *in,
                   size_t inlen, uint8_t out[VT_CRYPTO_MAX], size_t *outlen);

/* ---- decryption (decrypt.c) ---------------------------------------------------------------- */

/* RSA PKCS#1 v1.5 decryption of a cryptogram as long as the modulus. */
int vt_crypto_rsa_decrypt(EVP_PKEY *key, const uint8_t *in, size_t inlen,
                          uint8_t out[VT_CRYPTO_MAX], size_t *outlen);

/* ---- key agreement (agree.c) --------------------------------------------------------------- */

/* ECDH with an uncompressed peer point (the shared secret is its X coordinate), or X25519 with
 * a 32-byte peer key. A point off the curve or a small-order X25519 key: VT_CRYPTO_BAD_INPUT. */
int vt_crypto_agree(EVP_PKEY *key, enum vt_crypto_alg alg, const uint8_t *peer, size_t peerlen,
                    uint8_t out[VT_CRYPTO_MAX], size_t *outlen);

#endif
