/* SPDX-License-Identifier: Apache-2.0 */
/* Writing a card image: card.ini, state, slot PEM files and data objects (the format is
 * described in image_load.c). */
#include "image_store.h"

#include "atomic.h"
#include "keygen.h"
#include "pgp_state.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

/* A growing text buffer, wiped when freed (state holds secrets). */
struct text {
        char *p;
        size_t len, cap;
        int err;
};

static void __attribute__((format(printf, 2, 3))) put(struct text *t, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (t->err)
                return;
        for (;;) {
                va_start(ap, fmt);
                n = vsnprintf(t->p ? t->p + t->len : NULL, t->cap - t->len, fmt, ap);
                va_end(ap);
                if (n < 0) {
                        t->err = 1;
                        return;
                }
                if (t->len + (size_t)n < t->cap) {
                        t->len += (size_t)n;
                        return;
                }
                size_t cap = (t->cap ? t->cap * 2 : 1024) + (size_t)n;
                char *p = malloc(cap);
                if (!p) {
                        t->err = 1;
                        return;
                }
                if (t->p) {
                        memcpy(p, t->p, t->len);
                        OPENSSL_cleanse(t->p, t->cap);
                        free(t->p);
                }
                t->p = p;
                t->cap = cap;
        }
}

static void put_hex(struct text *t, const uint8_t *v, size_t n, const char *sep)
{
        for (size_t i = 0; i < n; i++)
                put(t, "%s%02X", i && sep ? sep : "", v[i]);
}

static void text_free(struct text *t)
{
        if (t->p)
                OPENSSL_cleanse(t->p, t->cap);
        free(t->p);
        *t = (struct text){0};
}

static int write_text(struct vt_batch *b, const char *name, struct text *t)
{
        int r, e;

        if (t->err) {
                text_free(t);
                errno = ENOMEM;
                return -1;
        }
        r = vt_batch_write(b, name, t->p ? t->p : "", t->len);
        e = errno;
        text_free(t);
        errno = e;
        return r;
}

/* One batch of one part: fn adds it, the batch commits it. */
static int commit_one(int r, struct vt_batch *b)
{
        if (r < 0) {
                int e = errno;
                vt_batch_abort(b);
                errno = e;
                return -1;
        }
        return vt_batch_commit(b);
}

static void card_text(const struct vt_image *img, struct text *t)
{
        /* card.ini keeps its own ATR and management-AID setting under a compat that overrides
         * them, so that compat = none brings them back */
        bool compat = img->compat != VT_COMPAT_NONE;

        put(t, "; vtoken card image: identity and policy (secrets and counters are in 'state')\n");
        put(t, "[card]\nprofile = %s\napplet = %s\natr = ", img->profile, img->applet);
        put_hex(t, compat ? img->own_atr : img->atr, compat ? img->own_atr_len : img->atr_len, " ");
        put(t, "\nguid = ");
        put_hex(t, img->guid, sizeof(img->guid), NULL);
        put(t, "\nserial = %u\n%s = %u.%u.%u\n", (unsigned)img->serial,
            img->firmware ? "firmware" : "version", img->version[0], img->version[1],
            img->version[2]);
        if (img->pin_complexity)
                put(t, "pin_complexity = yes\n");
        put(t, "yubikey_mgmt_aid = %s\nglobal_pin = %s\n",
            (compat ? img->own_mgmt_aid : img->yubikey_mgmt_aid) ? "yes" : "no",
            img->global_pin ? "yes" : "no");
        if (compat)
                put(t, "; yubikey: the card presents a YubiKey 5 NFC's ATR and answers the\n"
                       "; management AID, whatever atr and yubikey_mgmt_aid say\n");
        put(t, "compat = %s\n", compat ? "yubikey" : "none");
        put(t, "\n[pin]\nmin_length = %u\nmax_length = %u\ncharset = %s\nretries = %u\n",
            img->pin_rules.min_len, img->pin_rules.max_len, vt_charset_name(img->pin_rules.charset),
            img->pin.max_tries);
        put(t, "\n[puk]\nretries = %u\n", img->puk.max_tries);
        for (size_t i = 0; i < VT_SLOTS; i++) {
                const struct vt_slot *s = &img->slots[i];
                const char *alg = vt_alg_name(vt_key_alg(s->key));

                if (!s->key && !s->cert)
                        continue;
                put(t, "\n[slot %02x]\n", s->ref);
                if (s->key)
                        put(t, "; %s key in %02x.key.pem\n", alg ? alg : "unknown", s->ref);
                put(t, "pin_policy = %s\ntouch_policy = %s\norigin = %s\n",
                    vt_pin_policy_name(s->pin_policy), vt_touch_policy_name(s->touch_policy),
                    s->generated ? "generated" : "imported");
        }
}

static void secret_text(struct text *t, const char *section, const struct vt_secret *s)
{
        put(t, "\n[%s]\nsalt = ", section);
        put_hex(t, s->salt, sizeof(s->salt), NULL);
        put(t, "\nhash = ");
        put_hex(t, s->hash, sizeof(s->hash), NULL);
        put(t, "\ntries_left = %u\nblocked = %s\n", s->tries_left,
            s->tries_left == 0 ? "yes" : "no");
}

int vt_batch_card(struct vt_batch *b, const struct vt_image *img)
{
        struct text t = {0};

        if (!vt_image_names_valid(img)) {
                errno = EINVAL;
                return -1;
        }
        card_text(img, &t);
        return write_text(b, "card.ini", &t);
}

int vt_batch_state(struct vt_batch *b, const struct vt_image *img)
{
        struct text t = {0};
        const char *alg = vt_alg_name(img->mgm_alg);
        const char *touch = vt_touch_policy_name(img->mgm_touch);

        if (!alg || !touch || img->mgm_key_len > sizeof(img->mgm_key)) {
                errno = EINVAL;
                return -1;
        }
        put(&t, "; vtoken card state: PIN and PUK as salted hashes, tries left, management key\n");
        secret_text(&t, "pin", &img->pin);
        secret_text(&t, "puk", &img->puk);
        put(&t, "\n[management]\nalg = %s\nkey = ", alg);
        put_hex(&t, img->mgm_key, img->mgm_key_len, NULL);
        put(&t, "\ntouch = %s\n", touch);
        return write_text(b, "state", &t);
}

static int pem_of(struct text *t, int (*writer)(BIO *, const void *), const void *obj)
{
        BIO *bio = BIO_new(BIO_s_secmem());
        char *data;
        long n;
        int r = -1;

        if (bio && writer(bio, obj) && (n = BIO_get_mem_data(bio, &data)) > 0) {
                put(t, "%.*s", (int)n, data);
                r = t->err ? -1 : 0;
        }
        BIO_free(bio);
        return r;
}

static int write_key(BIO *bio, const void *key)
{
        return PEM_write_bio_PrivateKey(bio, (EVP_PKEY *)key, NULL, NULL, 0, NULL, NULL);
}

/* The certificate's bytes exactly as the card holds them: PUT DATA may store bytes that are
 * not X.509, and they must come back the same. */
static int write_cert(BIO *bio, const void *slot)
{
        const struct vt_slot *s = slot;

        return PEM_write_bio(bio, "CERTIFICATE", "", s->cert, (long)s->cert_len);
}

/* Adds one PEM file of a slot, or its removal when the slot has no such thing. */
static int save_pem(struct vt_batch *b, const char *name, int (*writer)(BIO *, const void *),
                    const void *obj)
{
        struct text t = {0};

        if (!obj)
                return vt_batch_remove(b, name);
        if (pem_of(&t, writer, obj) < 0) {
                text_free(&t);
                errno = EINVAL;
                return -1;
        }
        return write_text(b, name, &t);
}

int vt_batch_slot(struct vt_batch *b, const struct vt_slot *s, bool key, bool cert)
{
        char name[32];

        snprintf(name, sizeof(name), "%02x.key.pem", s->ref);
        if (key && save_pem(b, name, write_key, s->key) < 0)
                return -1;
        snprintf(name, sizeof(name), "%02x.crt.pem", s->ref);
        if (cert && save_pem(b, name, write_cert, s->cert && s->cert_len ? s : NULL) < 0)
                return -1;
        return 0;
}

int vt_batch_object(struct vt_batch *b, uint32_t tag, const uint8_t *data, size_t len)
{
        char name[32];

        snprintf(name, sizeof(name), "obj-%x.bin", (unsigned)tag);
        if (!len)
                return vt_batch_remove(b, name);
        return vt_batch_write(b, name, data, len);
}

/* ---- the OpenPGP application: openpgp.ini and openpgp-{sig,dec,aut}.key.pem ---------------- */

static void pw_text(struct text *t, const char *section, const struct pgp_pw *pw,
                    const struct vt_pin_rules *rules)
{
        put(t, "\n[%s]\n", section);
        if (rules)
                put(t, "min_length = %u\nmax_length = %u\ncharset = %s\n", rules->min_len,
                    rules->max_len, vt_charset_name(rules->charset));
        put(t, "retries = %u\ntries_left = %u\nlength = %u\n", pw->s.max_tries, pw->s.tries_left,
            pw->len);
        if (!pw->len)
                return;
        put(t, "salt = ");
        put_hex(t, pw->s.salt, sizeof(pw->s.salt), NULL);
        put(t, "\nhash = ");
        put_hex(t, pw->s.hash, sizeof(pw->s.hash), NULL);
        put(t, "\n");
}

static const char *const origins[] = {"none", "generated", "imported"};

static void pgp_key_text(struct text *t, int ref, const struct pgp_key *k)
{
        put(t, "\n[key %s]\n", pgp_key_name(ref));
        if (k->key)
                put(t, "; the key is in openpgp-%s.key.pem\n", pgp_key_name(ref));
        put(t, "attributes = ");
        put_hex(t, k->attr, k->attr_len, NULL);
        put(t, "\nfingerprint = ");
        put_hex(t, k->fpr, sizeof(k->fpr), NULL);
        put(t, "\nca_fingerprint = ");
        put_hex(t, k->ca_fpr, sizeof(k->ca_fpr), NULL);
        put(t, "\ntime = %lu\norigin = %s\nuif = %u\n",
            (unsigned long)k->time[0] << 24 | (unsigned long)k->time[1] << 16 |
                (unsigned long)k->time[2] << 8 | k->time[3],
            k->origin < 3 ? origins[k->origin] : "none", k->uif);
}

static void pgp_text(struct text *t, const struct vt_pgp_state *st)
{
        put(t,
            "; vtoken OpenPGP application: identity, passwords (salted hashes), key attributes;\n"
            "; the keys are in openpgp-*.key.pem, data objects in openpgp-*.bin\n");
        put(t, "[openpgp]\nmanufacturer = %04x\nserial = %08x\nterminated = %s\n", st->manufacturer,
            (unsigned)st->serial, st->terminated ? "yes" : "no");
        put(t, "pw1_valid_multiple = %s\nsignature_counter = %u\n", st->pw1_multi ? "yes" : "no",
            (unsigned)st->sig_count);
        pw_text(t, "pw1", &st->pw1, &st->pw1_rules);
        pw_text(t, "rc", &st->rc, NULL);
        pw_text(t, "pw3", &st->pw3, &st->pw3_rules);
        for (int i = 0; i < PGP_KEYS; i++)
                pgp_key_text(t, i, &st->keys[i]);
}

/* The data objects that differ from cur's (all of them without cur), each in its own file
 * openpgp-NAME.bin of the bytes GET DATA returns; an empty one has none. */
static int batch_pgp_dos(struct vt_batch *b, const struct vt_pgp_state *cur,
                         const struct vt_pgp_state *st)
{
        char name[48];

        for (int i = 0; i < PGP_N_DOS; i++) {
                const struct pgp_blob *d = &st->dos[i];
                if (cur && cur->dos[i].len == d->len &&
                    (!d->len || memcmp(cur->dos[i].data, d->data, d->len) == 0))
                        continue;
                snprintf(name, sizeof(name), "openpgp-%s.bin", pgp_dos[i].name);
                if (d->len ? vt_batch_write(b, name, d->data, d->len) < 0
                           : vt_batch_remove(b, name) < 0)
                        return -1;
        }
        return 0;
}

int vt_batch_openpgp(struct vt_batch *b, const struct vt_pgp_state *cur,
                     const struct vt_pgp_state *st, unsigned keys)
{
        struct text t = {0};
        char name[32];

        for (int i = 0; i < PGP_KEYS; i++) {
                if (!(keys & 1u << i))
                        continue;
                snprintf(name, sizeof(name), "openpgp-%s.key.pem", pgp_key_name(i));
                if (save_pem(b, name, write_key, st->keys[i].key) < 0)
                        return -1;
        }
        if (batch_pgp_dos(b, cur, st) < 0)
                return -1;
        if (vt_charset_name(st->pw1_rules.charset) == NULL ||
            vt_charset_name(st->pw3_rules.charset) == NULL) {
                errno = EINVAL;
                return -1;
        }
        pgp_text(&t, st);
        return write_text(b, "openpgp.ini", &t);
}

int vt_save_card(const char *dir, const struct vt_image *img)
{
        struct vt_batch b;

        if (vt_batch_open(&b, dir) < 0)
                return -1;
        return commit_one(vt_batch_card(&b, img), &b);
}

int vt_save_state(const char *dir, const struct vt_image *img)
{
        struct vt_batch b;

        if (vt_batch_open(&b, dir) < 0)
                return -1;
        return commit_one(vt_batch_state(&b, img), &b);
}

int vt_save_slot_files(const char *dir, const struct vt_slot *s)
{
        struct vt_batch b;

        if (vt_batch_open(&b, dir) < 0)
                return -1;
        return commit_one(vt_batch_slot(&b, s, true, true), &b);
}

int vt_save_object(const char *dir, uint32_t tag, const uint8_t *data, size_t len)
{
        struct vt_batch b;

        if (vt_batch_open(&b, dir) < 0)
                return -1;
        return commit_one(vt_batch_object(&b, tag, data, len), &b);
}

int vt_save_openpgp(const char *dir, const struct vt_pgp_state *st)
{
        struct vt_batch b;

        if (vt_batch_open(&b, dir) < 0)
                return -1;
        return commit_one(vt_batch_openpgp(&b, NULL, st, (1u << PGP_KEYS) - 1), &b);
}

int vt_image_save(const char *dir, const struct vt_image *img)
{
        for (size_t i = 0; i < VT_SLOTS; i++)
                if (vt_save_slot_files(dir, &img->slots[i]) < 0)
                        return -1;
        for (size_t i = 0; i < img->n_objects; i++)
                if (vt_save_object(dir, img->objects[i].tag, img->objects[i].data,
                                   img->objects[i].len) < 0)
                        return -1;
        if (img->openpgp && vt_save_openpgp(dir, img->openpgp) < 0)
                return -1;
        if (vt_save_card(dir, img) < 0)
                return -1;
        return vt_save_state(dir, img);
}
