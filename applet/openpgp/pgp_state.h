/* SPDX-License-Identifier: Apache-2.0 */
/* The OpenPGP application's persistent state (OpenPGP Smart Card Application 3.4.1): the three
 * keys with their attributes, fingerprints and dates, the passwords PW1, RC and PW3 as salted
 * hashes with their tries, the signature counter and the variable data objects. Pure: how it
 * is kept on disk is store/'s business (openpgp.ini and openpgp-*.key.pem); the applet changes
 * it only through a store (applet/store.h, unit vt_unit_openpgp), committing first. */
#ifndef VT_PGP_STATE_H
#define VT_PGP_STATE_H

#include "piv_state.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define PGP_KEYS     3 /* signature, decryption, authentication */
#define PGP_ATTR_MAX 16
#define PGP_FPR_LEN  20
#define PGP_PW_MAX   127
#define PGP_CERTS    3

enum pgp_key_ref { PGP_SIG = 0, PGP_DEC = 1, PGP_AUT = 2 };

/* Key attribute types (first byte of C1..C3). */
#define PGP_ATTR_RSA   0x01
#define PGP_ATTR_ECDH  0x12
#define PGP_ATTR_ECDSA 0x13
#define PGP_ATTR_EDDSA 0x16

/* One algorithm the card has, as key attributes name it. */
struct pgp_alg {
        const char *name;  /* rsa2048, nistp256, brainpoolP256r1, ed25519, cv25519 ... */
        uint8_t type;      /* PGP_ATTR_*: ECDH for a decryption key, the other for the rest */
        uint8_t dec_type;  /* the type in a decryption key's attributes */
        uint16_t rsa_bits; /* RSA modulus size; 0 for curves */
        const char *group; /* OpenSSL's name of the curve or key type */
        uint8_t oid[10];
        uint8_t oid_len;
        uint8_t field; /* bytes of a coordinate or raw key */
};

extern const struct pgp_alg pgp_algs[];
extern const size_t pgp_n_algs;

/* The algorithm by its name; NULL for an unknown one. */
const struct pgp_alg *pgp_alg_by_name(const char *name);
/* The algorithm of key attributes for key slot ref; NULL when they name none this card has or
 * one the slot cannot use (ECDH outside the decryption key, signatures inside it). */
const struct pgp_alg *pgp_alg_of_attr(const uint8_t *attr, size_t len, int ref);
/* Writes an algorithm's attributes for key slot ref; their length. */
size_t pgp_attr_of_alg(const struct pgp_alg *alg, int ref, uint8_t out[PGP_ATTR_MAX]);
/* The algorithm of a key, for slot ref; NULL when the key is of none. */
const struct pgp_alg *pgp_alg_of_key(EVP_PKEY *key, int ref);

/* A password (PW1, RC or PW3): salted hash, its length (a CHANGE REFERENCE DATA splits the
 * old value from the new one by it), tries left of at most max_tries. len 0: not set. */
struct pgp_pw {
        struct vt_secret s;
        uint8_t len;
};

struct pgp_key {
        uint8_t attr[PGP_ATTR_MAX];
        size_t attr_len;
        EVP_PKEY *key; /* NULL when empty */
        uint8_t fpr[PGP_FPR_LEN], ca_fpr[PGP_FPR_LEN];
        uint8_t time[4];
        uint8_t origin; /* DE: 0 none, 1 generated, 2 imported */
        uint8_t uif;    /* D6..D8: 0 off, 1 on, 2 permanent, 3 cached, 4 cached permanent */
};

/* The variable data objects, by index into pgp_dos. */
enum pgp_do_index {
        PGP_DO_NAME,
        PGP_DO_LANG,
        PGP_DO_SEX,
        PGP_DO_URL,
        PGP_DO_LOGIN,
        PGP_DO_PRIV1,
        PGP_DO_PRIV2,
        PGP_DO_PRIV3,
        PGP_DO_PRIV4,
        PGP_DO_CERT_AUT, /* 7F21, first occurrence */
        PGP_DO_CERT_DEC,
        PGP_DO_CERT_SIG,
        PGP_N_DOS
};

/* Who may read or write a data object. */
enum pgp_access { PGP_ALWAYS, PGP_PW1, PGP_PW3, PGP_NEVER };

struct pgp_do_info {
        uint16_t tag;
        const char *name; /* as openpgp.ini keys it */
        uint16_t max_len;
        uint8_t read, write; /* enum pgp_access; PW1 is PW1 in mode 82 */
        bool secret;         /* its value is redacted in traces */
};

extern const struct pgp_do_info pgp_dos[PGP_N_DOS];

struct pgp_blob {
        uint8_t *data;
        size_t len;
};

struct vt_pgp_state {
        uint16_t manufacturer;
        uint32_t serial;
        bool terminated;
        bool pw1_multi; /* C4 first byte: PW1 stays valid for more than one signature */
        uint32_t sig_count;
        struct pgp_pw pw1, rc, pw3;
        struct vt_pin_rules pw1_rules, pw3_rules; /* lengths up to 127 and charsets */
        struct pgp_key keys[PGP_KEYS];
        struct pgp_blob dos[PGP_N_DOS];
};

/* A new state in its factory condition: PW1 123456, PW3 12345678, no reset code, RSA-2048
 * attributes and no keys; retries 3. NULL when out of memory. */
struct vt_pgp_state *pgp_state_new(uint16_t manufacturer, uint32_t serial);
/* Puts st back to its factory condition, keeping its identity, retry limits and rules (what
 * ACTIVATE FILE does after TERMINATE DF). */
void pgp_state_factory(struct vt_pgp_state *st);
void pgp_state_free(struct vt_pgp_state *st);
/* A deep copy (keys shared by reference count); NULL when out of memory. */
struct vt_pgp_state *pgp_state_clone(const struct vt_pgp_state *st);
/* Replaces dst's content by src's (taking it over: src is freed). */
void pgp_state_move(struct vt_pgp_state *dst, struct vt_pgp_state *src);
/* Replaces a data object's value with a copy of data (len 0: empty); 0 or -1. */
int pgp_state_set_do(struct vt_pgp_state *st, int index, const uint8_t *data, size_t len);

/* Sets a password (tries back to their limit); a value of length 0 removes it (RC). */
void pgp_pw_set(struct pgp_pw *pw, const uint8_t *value, size_t len);
/* Constant-time: whether value is the password. */
bool pgp_pw_matches(const struct pgp_pw *pw, const uint8_t *value, size_t len);
/* Whether a new PW1 or PW3 follows the rules (length min..max, at most 127; charset). */
bool pgp_pw_acceptable(const struct vt_pin_rules *rules, const uint8_t *value, size_t len);

/* What the applet proposes to a store (unit vt_unit_openpgp): the whole next state; keys has bit
 * i set when key slot i's key changed (its PEM file is rewritten or removed). */
struct pgp_change {
        const struct vt_pgp_state *cur;
        const struct vt_pgp_state *next;
        unsigned keys;
};

/* "sig", "dec", "aut". */
const char *pgp_key_name(int ref);

#endif
