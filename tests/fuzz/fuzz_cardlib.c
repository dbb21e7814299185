/* SPDX-License-Identifier: Apache-2.0 */
/* The card fuzz targets' common part (fuzz_cardlib.h). Nothing touches the file system: the card
 * commits to an in-memory store whose mirror image stands for the disk. Each input starts from
 * copies of the same first image, so that a run does not depend on the inputs before it, and
 * ends with a check of commit-then-apply: the card's live image and the store's mirror hold the
 * same state, whatever failed. */
#include "fuzz_cardlib.h"

#include "fido.h"
#include "fuzz_keys.h"
#include "keygen.h"
#include "oath.h"
#include "openpgp.h"
#include "pgp_state.h"
#include "piv_state.h"
#include "pin.h"
#include "pin_rules.h"
#include "registry.h"
#include "store.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL_SHIFT      2
#define FAIL_PATTERN_OF 6

const uint8_t fuzz_mgm_key[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                  5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};

static struct vt_image *first; /* the state every input starts from */
struct vt_card fuzz_card;
uint8_t fuzz_out[VT_RAPDU_MAX];

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

static void add_unit(const struct vt_applet_unit *unit)
{
        if (vt_image_add_unit(first, unit, unit->state_new(first)) < 0)
                abort();
}

static void make_first(void)
{
        static const uint8_t atr[] = {0x3B, 0x80, 0x80, 0x01, 0x01};
        uint8_t padded[8];
        fuzz_keys_install();
        vt_pin_hash_set_iterations(1); /* before the first PIN is hashed (fuzz_cardlib.h) */
        if (!(first = vt_piv_image_new("fuzz")))
                abort();
        atexit(free_first);
        memcpy(first->atr, atr, sizeof(atr));
        first->atr_len = sizeof(atr);
        first->yubikey_mgmt_aid = true;
        first->version[0] = 5;
        first->version[1] = 7;
        first->version[2] = 1;
        first->serial = 0x01020304;
        vt_pin_pad("123456", padded);
        vt_secret_set(&vt_piv_of(first)->pin, padded);
        vt_pin_pad("12345678", padded);
        vt_secret_set(&vt_piv_of(first)->puk, padded);
        memcpy(vt_piv_of(first)->mgm_key, fuzz_mgm_key, sizeof(fuzz_mgm_key));
        vt_piv_of(first)->mgm_key_len = sizeof(fuzz_mgm_key);
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
        /* OATH and FIDO in their factory condition, as a new YubiKey 5 has them */
        add_unit(&vt_unit_oath);
        add_unit(&vt_unit_fido);
}

size_t fuzz_send(const char *apdu, size_t n)
{
        return vt_card_transmit(&fuzz_card, (const uint8_t *)apdu, n, fuzz_out);
}

void fuzz_send_ok(const char *apdu, size_t n)
{
        size_t r = fuzz_send(apdu, n);
        if (r < 2 || fuzz_out[r - 2] != 0x90 || fuzz_out[r - 1] != 0x00)
                abort();
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

static bool same_piv(struct vt_piv_state *a, struct vt_piv_state *b)
{
        if (memcmp(&a->pin, &b->pin, sizeof(a->pin)) || memcmp(&a->puk, &b->puk, sizeof(a->puk)) ||
            a->mgm_alg != b->mgm_alg || a->mgm_key_len != b->mgm_key_len ||
            memcmp(a->mgm_key, b->mgm_key, sizeof(a->mgm_key)) || a->mgm_touch != b->mgm_touch ||
            a->n_objects != b->n_objects)
                return false;
        for (size_t i = 0; i < VT_SLOTS; i++)
                if (!same_slot(&a->slots[i], &b->slots[i]))
                        return false;
        for (size_t i = 0; i < a->n_objects; i++) {
                const struct vt_object *x = &a->objects[i], *y = vt_piv_object(b, x->tag);
                if (!y || x->len != y->len || memcmp(x->data, y->data, x->len))
                        return false;
        }
        return true;
}

#define SAME(x, y, f)       ((x)->f == (y)->f)
#define SAME_BYTES(x, y, f) (!memcmp((x)->f, (y)->f, sizeof((x)->f)))
#define SAME_PART(x, y, f, n)                                                                      \
        ((x)->n == (y)->n && (x)->n <= sizeof((x)->f) && !memcmp((x)->f, (y)->f, (x)->n))

static bool same_oath(const struct vt_oath_state *a, const struct vt_oath_state *b)
{
        if (!SAME_BYTES(a, b, salt) || !SAME(a, b, key_alg) || !SAME_PART(a, b, key, key_len) ||
            !SAME(a, b, n) || a->n > OATH_CREDS_MAX)
                return false;
        for (size_t i = 0; i < a->n; i++) {
                const struct oath_cred *x = &a->creds[i], *y = &b->creds[i];
                if (!SAME_PART(x, y, name, name_len) || !SAME(x, y, type) || !SAME(x, y, alg) ||
                    !SAME(x, y, digits) || !SAME(x, y, props) || !SAME(x, y, counter) ||
                    !SAME_PART(x, y, secret, secret_len))
                        return false;
        }
        return true;
}

static bool same_fido(const struct vt_fido_state *a, const struct vt_fido_state *b)
{
        if (!SAME_BYTES(a, b, secret) || !SAME_BYTES(a, b, aaguid) || !SAME(a, b, counter) ||
            !SAME_PART(a, b, att_key, att_key_len) || !SAME_PART(a, b, att_cert, att_cert_len) ||
            !SAME_PART(a, b, ca_cert, ca_cert_len) || !SAME(a, b, pin_set) ||
            !SAME_BYTES(a, b, pin_hash) || !SAME(a, b, pin_len) || !SAME(a, b, pin_tries) ||
            !SAME(a, b, presence_touch) || !SAME(a, b, n_rk) || a->n_rk > FIDO_RESIDENT_MAX)
                return false;
        for (size_t i = 0; i < a->n_rk; i++) {
                const struct fido_resident *x = &a->rk[i], *y = &b->rk[i];
                if (!SAME_PART(x, y, id, id_len) || strcmp(x->rp_id, y->rp_id) ||
                    !SAME_PART(x, y, user_id, user_id_len) || strcmp(x->user_name, y->user_name) ||
                    strcmp(x->display_name, y->display_name) || !SAME(x, y, alg) ||
                    !SAME(x, y, cred_protect))
                        return false;
        }
        return true;
}

/* The state a card changes, the same in both: what the store holds is what the card uses. */
static const char *differs(struct vt_image *a, struct vt_image *b)
{
        if (!same_piv(vt_piv_of(a), vt_piv_of(b)))
                return "PIV";
        if (!same_pgp(vt_pgp_of(a), vt_pgp_of(b)))
                return "OpenPGP";
        if (!same_oath(vt_image_state(a, &vt_unit_oath), vt_image_state(b, &vt_unit_oath)))
                return "OATH";
        if (!same_fido(vt_image_state(a, &vt_unit_fido), vt_image_state(b, &vt_unit_fido)))
                return "FIDO";
        return NULL;
}

/* AddressSanitizer's defaults for these targets (ASAN_OPTIONS still overrides them): a run
 * allocates and frees two images; with the default quarantine of 256 MB every run takes fresh
 * pages (half the time went to page faults and zeroing); 16 MB still holds the memory of
 * thousands of runs back from reuse. */
const char *__asan_default_options(void);

const char *__asan_default_options(void)
{
        return "quarantine_size_mb=16";
}

int fuzz_card_run(const uint8_t *data, size_t size, void (*preamble)(unsigned flags))
{
        struct fuzz_store fs = {.fail_pattern = size ? data[0] >> FAIL_SHIFT : 0};
        struct vt_store store = {&fuzz_ops, &fs};
        struct vt_image *img;
        char err[128];
        const char *what;
        if (!first)
                make_first();
        if (size < 1)
                return 0;
        if (!(img = vt_image_clone(first)) || !(fs.mem.mirror = vt_image_clone(first)))
                abort();
        fs.inner = vt_mem_store(&fs.mem);
        if (vt_card_setup(&fuzz_card, img, &store, err, sizeof(err)) != 0)
                abort();
        vt_card_power_on(&fuzz_card);
        preamble(data[0] & 3);
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
                        vt_card_reset(&fuzz_card);
                        continue;
                }
                size_t r = vt_card_transmit(&fuzz_card, data, n, fuzz_out);
                if (r < 2 || r > VT_RAPDU_MAX)
                        abort();
                data += n;
                size -= n;
        }
        vt_card_release(&fuzz_card);
        if ((what = differs(img, fs.mem.mirror))) {
                fprintf(stderr, "the card's image and the store's mirror differ (%s)\n", what);
                abort();
        }
        vt_image_free(img);
        vt_image_free(fs.mem.mirror);
        return 0;
}
