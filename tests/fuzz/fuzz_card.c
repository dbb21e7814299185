/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: a card set up from an image (vt_card_setup: the PIV applet, the YubiKey
 * management AID and the OpenPGP applet, as a YubiKey 5 carries them) takes a sequence of command
 * APDUs through vt_card_transmit, the entry point the daemon uses.
 *
 * Input: one byte of flags, then records of a 2-byte big-endian length and that many bytes of
 * command APDU; a record of length 0 resets the card. Flags: bit 0 authenticates with the
 * management key first, so that PUT DATA, GENERATE, IMPORT KEY and the rest are reachable;
 * bit 1 verifies the PIN first; bits 2..7 make the store refuse commits: after that preamble,
 * commit k fails when bit 2 + k % 6 is set.
 *
 * Nothing touches the file system: the card commits to an in-memory store whose mirror image
 * stands for the disk. Each input starts from copies of the same first image, so that a run does
 * not depend on the inputs before it, and ends with a check of commit-then-apply: the card's
 * live image and the store's mirror hold the same state, whatever failed. */
#include "card.h"
#include "piv_state.h"
#include "keygen.h"
#include "openpgp.h"
#include "pgp_state.h"
#include "pin.h"
#include "registry.h"
#include "store.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLAG_MGM_AUTH   0x01
#define FLAG_VERIFY     0x02
#define FAIL_SHIFT      2
#define FAIL_PATTERN_OF 6

static const uint8_t mgm_key[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                    5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};

static struct vt_image *first; /* the state every input starts from */
static struct vt_card card;
static uint8_t out[VT_RAPDU_MAX];

/* The store the card gets: a vt_mem_store, made to refuse the commits the flags name. */
struct fuzz_store {
        struct vt_mem_store mem;
        struct vt_store inner;
        unsigned fail_pattern; /* bit k % FAIL_PATTERN_OF: commit k fails */
        unsigned seen;         /* commits asked since the preamble */
        bool armed;            /* past the preamble */
};

static int fuzz_commit(void *ctx, const struct vt_applet_unit *unit, const void *change)
{
        struct fuzz_store *fs = ctx;
        if (fs->armed && (fs->fail_pattern >> (fs->seen++ % FAIL_PATTERN_OF) & 1))
                fs->mem.fail_next = 1;
        return vt_store_commit(&fs->inner, unit, change);
}

static const struct vt_store_ops fuzz_ops = {.commit = fuzz_commit};

static void free_first(void)
{
        vt_image_free(first);
}

static void put_key(uint8_t ref, uint8_t alg, bool real_cert)
{
        struct vt_slot *s = vt_piv_slot(vt_piv_of(first), ref);
        if (!(s->key = vt_key_generate(alg)))
                abort();
        s->alg = alg;
        if (real_cert) {
                X509_NAME *name = vt_dn_parse("/CN=fuzz attestation");
                X509 *x = name ? vt_cert_make(s->key, name, NULL, NULL, 30, 1) : NULL;
                if (!x || vt_cert_der(x, &s->cert, &s->cert_len) != 0)
                        abort();
                X509_free(x);
                X509_NAME_free(name);
                return;
        }
        /* a certificate-shaped blob is enough for GET DATA */
        s->cert_len = 300;
        if (!(s->cert = calloc(1, s->cert_len)))
                abort();
        s->cert[0] = 0x30;
}

static void make_first(void)
{
        static const uint8_t atr[] = {0x3B, 0x80, 0x80, 0x01, 0x01};
        uint8_t padded[8];
        if (!(first = vt_piv_image_new("fuzz")))
                abort();
        atexit(free_first);
        memcpy(first->atr, atr, sizeof(atr));
        first->atr_len = sizeof(atr);
        first->yubikey_mgmt_aid = true;
        first->version[0] = 5;
        first->version[1] = 7;
        first->version[2] = 1;
        vt_pin_pad("123456", padded);
        vt_secret_set(&vt_piv_of(first)->pin, padded);
        vt_pin_pad("12345678", padded);
        vt_secret_set(&vt_piv_of(first)->puk, padded);
        memcpy(vt_piv_of(first)->mgm_key, mgm_key, sizeof(mgm_key));
        vt_piv_of(first)->mgm_key_len = sizeof(mgm_key);
        put_key(0x9A, VT_ALG_RSA1024, false);
        put_key(0x9C, VT_ALG_P256, false);
        put_key(0x9D, VT_ALG_P384, false);
        put_key(0x9E, VT_ALG_ED25519, false);
        put_key(0x82, VT_ALG_X25519, false);
        put_key(0x83, VT_ALG_RSA2048, false);
        put_key(0xF9, VT_ALG_P256, true);
        /* OpenPGP: a P-256 signature key, an RSA-2048 decryption key, no authentication key */
        if (vt_image_add_unit(first, &vt_unit_openpgp, pgp_state_new(0xFFFE, 0x01020304)) < 0)
                abort();
        struct pgp_key *k = &vt_pgp_of(first)->keys[PGP_SIG];
        k->attr_len = pgp_attr_of_alg(pgp_alg_by_name("nistp256"), PGP_SIG, k->attr);
        k->key = vt_piv_slot(vt_piv_of(first), 0x9C)->key;
        k = &vt_pgp_of(first)->keys[PGP_DEC];
        k->key = vt_piv_slot(vt_piv_of(first), 0x83)->key;
        if (EVP_PKEY_up_ref(vt_pgp_of(first)->keys[PGP_SIG].key) != 1 ||
            EVP_PKEY_up_ref(k->key) != 1)
                abort();
}

static size_t send(const char *hex, size_t n)
{
        return vt_card_transmit(&card, (const uint8_t *)hex, n, out);
}

/* Mutual authentication with the management key, as ykpiv does it; it must succeed, or the
 * inputs that need it would test nothing. */
static void authenticate(void)
{
        /* 7C 14 { 80 08 <the witness decrypted>, 81 08 <our challenge> } */
        uint8_t step2[5 + 22] = {0x00, 0x87, 0x03, 0x9B, 0x16, 0x7C, 0x14, 0x80, 0x08, [17] = 0x81,
                                 0x08, 'c',  'h',  'a',  'l',  'l',  'e',  'n',  '!'};
        int n = 0;
        if (send("\x00\x87\x03\x9B\x04\x7C\x02\x80\x00", 9) != 14)
                abort();
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        if (!ctx || EVP_DecryptInit_ex(ctx, EVP_des_ede3_ecb(), NULL, mgm_key, NULL) != 1 ||
            EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
            EVP_DecryptUpdate(ctx, step2 + 9, &n, out + 4, 8) != 1 ||
            vt_card_transmit(&card, step2, sizeof(step2), out) != 2 + 12 || out[12] != 0x90)
                abort();
        EVP_CIPHER_CTX_free(ctx);
}

static bool same_slot(const struct vt_slot *a, const struct vt_slot *b)
{
        return a->ref == b->ref && a->alg == b->alg && a->pin_policy == b->pin_policy &&
               a->touch_policy == b->touch_policy && a->generated == b->generated &&
               (a->key ? b->key && EVP_PKEY_eq(a->key, b->key) == 1 : !b->key) &&
               a->cert_len == b->cert_len &&
               (!a->cert_len || !memcmp(a->cert, b->cert, a->cert_len));
}

static bool same_pgp_key(const struct pgp_key *a, const struct pgp_key *b)
{
        return a->attr_len == b->attr_len && !memcmp(a->attr, b->attr, a->attr_len) &&
               !memcmp(a->fpr, b->fpr, sizeof(a->fpr)) &&
               !memcmp(a->ca_fpr, b->ca_fpr, sizeof(a->ca_fpr)) &&
               !memcmp(a->time, b->time, sizeof(a->time)) && a->origin == b->origin &&
               a->uif == b->uif && (a->key ? b->key && EVP_PKEY_eq(a->key, b->key) == 1 : !b->key);
}

static bool same_pgp(const struct vt_pgp_state *a, const struct vt_pgp_state *b)
{
        if (a->terminated != b->terminated || a->pw1_multi != b->pw1_multi ||
            a->sig_count != b->sig_count || memcmp(&a->pw1, &b->pw1, sizeof(a->pw1)) ||
            memcmp(&a->rc, &b->rc, sizeof(a->rc)) || memcmp(&a->pw3, &b->pw3, sizeof(a->pw3)))
                return false;
        for (int i = 0; i < PGP_KEYS; i++)
                if (!same_pgp_key(&a->keys[i], &b->keys[i]))
                        return false;
        for (int i = 0; i < PGP_N_DOS; i++)
                if (a->dos[i].len != b->dos[i].len ||
                    (a->dos[i].len && memcmp(a->dos[i].data, b->dos[i].data, a->dos[i].len)))
                        return false;
        return true;
}

/* The state a card changes, the same in both: what the store holds is what the card uses. */
static bool same_state(struct vt_image *a, struct vt_image *b)
{
        if (!same_pgp(vt_pgp_of(a), vt_pgp_of(b)))
                return false;
        if (memcmp(&vt_piv_of(a)->pin, &vt_piv_of(b)->pin, sizeof(vt_piv_of(a)->pin)) ||
            memcmp(&vt_piv_of(a)->puk, &vt_piv_of(b)->puk, sizeof(vt_piv_of(a)->puk)) ||
            vt_piv_of(a)->mgm_alg != vt_piv_of(b)->mgm_alg ||
            vt_piv_of(a)->mgm_key_len != vt_piv_of(b)->mgm_key_len ||
            memcmp(vt_piv_of(a)->mgm_key, vt_piv_of(b)->mgm_key, sizeof(vt_piv_of(a)->mgm_key)) ||
            vt_piv_of(a)->mgm_touch != vt_piv_of(b)->mgm_touch ||
            vt_piv_of(a)->n_objects != vt_piv_of(b)->n_objects)
                return false;
        for (size_t i = 0; i < VT_SLOTS; i++)
                if (!same_slot(&vt_piv_of(a)->slots[i], &vt_piv_of(b)->slots[i]))
                        return false;
        for (size_t i = 0; i < vt_piv_of(a)->n_objects; i++) {
                const struct vt_object *x = &vt_piv_of(a)->objects[i],
                                       *y = vt_piv_object(vt_piv_of(b), x->tag);
                if (!y || x->len != y->len || memcmp(x->data, y->data, x->len))
                        return false;
        }
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fuzz_store fs = {.fail_pattern = size ? data[0] >> FAIL_SHIFT : 0};
        struct vt_store store = {&fuzz_ops, &fs};
        struct vt_image *img;
        char err[128];
        if (!first)
                make_first();
        if (size < 1)
                return 0;
        if (!(img = vt_image_clone(first)) || !(fs.mem.mirror = vt_image_clone(first)))
                abort();
        fs.inner = vt_mem_store(&fs.mem);
        if (vt_card_setup(&card, img, &store, err, sizeof(err)) != 0)
                abort();
        vt_card_power_on(&card);
        send("\x00\xA4\x04\x00\x05\xA0\x00\x00\x03\x08", 10);
        if (data[0] & FLAG_MGM_AUTH)
                authenticate();
        if (data[0] & FLAG_VERIFY)
                send("\x00\x20\x00\x80\x08\x31\x32\x33\x34\x35\x36\xFF\xFF", 13);
        fs.armed = true;
        data++;
        size--;

        while (size >= 2) {
                size_t n = (size_t)(data[0] << 8 | data[1]);
                data += 2;
                size -= 2;
                if (n > size)
                        n = size;
                if (n == 0) {
                        vt_card_reset(&card);
                        continue;
                }
                size_t r = vt_card_transmit(&card, data, n, out);
                if (r < 2 || r > VT_RAPDU_MAX)
                        abort();
                data += n;
                size -= n;
        }
        vt_card_release(&card);
        if (!same_state(img, fs.mem.mirror)) {
                fprintf(stderr, "the card's image and the store's mirror differ\n");
                abort();
        }
        vt_image_free(img);
        vt_image_free(fs.mem.mirror);
        return 0;
}
