/* SPDX-License-Identifier: Apache-2.0 */
/* Creating card images from a profile: `vtoken init` and the daemon's first start.
 *
 * Profiles:
 *   piv    YubiKey 5 defaults: PIN 123456, PUK 12345678, 3 tries each, PIN of 6..8 of any
 *          characters, management key 010203040506070801020304050607080102030405060708 (3DES
 *          up to firmware 5.6, AES-192 from 5.7), firmware 5.4.3 (5.7.1 when a key asked for
 *          needs it), a neutral ATR. Without --generate and --import: RSA-2048 in 9A,
 *          P-256 in 9C, RSA-2048 in 9D, P-256 in 9E, each with a self-signed certificate (or
 *          one issued by --ca).
 *   ecert  the Hongkong Post e-Cert token as its guide describes it: 15 PIN tries, the strong
 *          PIN policy (exactly 8 characters mixing upper and lower case, digits and symbols),
 *          an initial PIN chosen at random and handed out in a "PIN envelope" file, PUK
 *          12345678 with 3 tries. Without --generate and --import: RSA-2048 personal keys in
 *          9A and 9C with certificates issued by a test CA made for the image
 *          ("Hongkong Post e-Cert TEST CA", or the --ca given); the CA certificate is saved as
 *          IMAGE/ca.crt.pem.
 *
 * Both profiles make the attestation key F9 (P-256) with a certificate issued by an attestation
 * CA made for the image ("vtoken TEST Attestation CA <serial>"), saved as
 * IMAGE/attestation-ca.crt.pem; the CA's key is not kept. With compat "yubikey" the card
 * presents a YubiKey 5 NFC's ATR and answers the YubiKey management AID.
 *
 * The PIN envelope is IMAGE.pin-envelope.txt, beside the image directory (0600), as the paper
 * envelope travels apart from the token. Every image gets a random GUID and serial. */
#ifndef VT_PROFILE_H
#define VT_PROFILE_H

#include "image.h"
#include "piv_state.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vt_init_key {
        uint8_t slot;     /* key reference */
        uint8_t alg;      /* --generate: enum vt_alg */
        const char *file; /* --import: PKCS#12 or PEM key (+ certificate) */
};

struct vt_init_opts {
        const char *profile; /* "piv" (NULL) or "ecert" */
        const char *pin;     /* NULL: the profile's (ecert: random) */
        const char *puk;     /* NULL: the profile's */
        int retries;         /* PIN and PUK tries, 1..15; 0: the profile's */
        struct vt_init_key generate[VT_SLOTS];
        size_t n_generate;
        struct vt_init_key import[VT_SLOTS];
        size_t n_import;
        const char *p12_pass;             /* password of PKCS#12 files and encrypted PEM keys */
        const char *subject;              /* /CN=.../O=... of generated certificates */
        const char *ca_key, *ca_cert;     /* files; issue generated certificates with this CA */
        bool force;                       /* replace an existing image */
        const char *compat;               /* card.ini's compat: "none" (NULL) or "yubikey" */
        const char *timing;               /* card.ini's timing: "instant" (NULL), "yubikey5" */
        const char *firmware;             /* "5.4.3", "5.7.1", ...; NULL: 5.4.3, or 5.7.1 when a
                                             key needs it (RSA-3072/4096, Ed25519, X25519) */
        bool pin_complexity;              /* 5.7's PIN complexity (firmware 5.7 or later) */
        struct vt_init_key eku[VT_SLOTS]; /* --eku: file is the extended key usage of the
                                             certificate made for slot ("codeSigning", ...) */
        size_t n_eku;
        /* What a caller adds to the card once it is built and before anything is written (the
         * accounts of vtoken init --oath): 0, or -1 with the reason in err, which makes it a
         * usage error. NULL: nothing. */
        int (*prepare)(struct vt_image *img, void *arg, char *err, size_t errlen);
        void *prepare_arg;

        /* out: the firmware chosen ("5.4.3"); may be NULL */
        char *firmware_out;
        size_t firmware_out_len;
        /* out: the slots of imported keys without a certificate, for which one was made
         * (VT_SLOTS entries); may be NULL */
        uint8_t *made_certs;
        size_t *n_made_certs;
        /* out: the initial PIN when the profile chose one at random (ecert); may be NULL */
        char *initial_pin;
        size_t initial_pin_len;
};

/* Creates the image directory `dir` (0700). Returns 0, or -1 with a message in err, -2 when
 * the options themselves are wrong (a usage error: bad profile, PIN, slot, --subject ...); on
 * failure nothing is written and an existing image is left as it was. */
int vt_image_create(const char *dir, const struct vt_init_opts *opts, char *err, size_t errlen);

/* Whether name is a profile vt_image_create knows; all their names, ", " between them; the
 * name of the i-th (NULL past the last): one table, profile.c's profiles[]. */
bool vt_profile_known(const char *name);
void vt_profile_names(char *out, size_t n);
const char *vt_profile_at(size_t i);
/* What the i-th profile makes, for people (vtoken init --help): lines, "\n" between. */
const char *vt_profile_help(size_t i);
/* The firmware personalities, one table: the YubiKey 5 versions whose behaviour vtoken
 * follows ("5.3.0": GET METADATA; "5.4.3": AES management keys, the default; "5.7.1": the 5.7
 * algorithms, MOVE KEY, an AES-192 default management key, PIN complexity). The i-th; NULL
 * past the last. */
const char *vt_firmware_at(size_t i);
/* What the i-th firmware personality adds, for people ("AES management keys, ..."). */
const char *vt_firmware_note(size_t i);

/* What a profile makes, for people, from its row: its applets, PIN and tries, the keys it
 * generates, its certificates and ATR ("PIV; PIN 123456, 3 tries; keys 9a rsa2048, ...").
 * 0, or -1 for an unknown profile or an out too short. */
int vt_profile_describe(const char *name, char *out, size_t n);

/* Whether img is what profile name makes, as far as a copy of it is to be a new card: every
 * PIN, PUK and password with all its tries, every key the profile generates present. 0, or -1
 * with what is wrong in why (a phrase: "its PIV PIN has had wrong tries"). */
int vt_profile_check(const char *name, const struct vt_image *img, char *why, size_t whylen);

/* Gives img a new random GUID and serial, so that a copy of an image is another card. 0, or -1
 * when there are no random numbers. */
int vt_image_new_identity(struct vt_image *img);

/* The path of the PIN envelope of an image: dir without trailing slashes + ".pin-envelope.txt". */
int vt_pin_envelope_path(const char *dir, char *out, size_t outlen);

#endif
