/* SPDX-License-Identifier: Apache-2.0 */
/* The PIV state in a card image (the store codec of vt_unit_piv):
 *
 *   card.ini  [card]    global_pin (yes|no)
 *             [pin]     min_length, max_length (1..8), charset (any|digits|strong),
 *                       retries (1..15)
 *             [puk]     retries (1..15)
 *             [slot 9a] pin_policy (default|never|once|always),
 *                       touch_policy (default|never|always|cached), origin (generated|imported)
 *   state — the secrets and counters the card changes, INI too:
 *       [pin] and [puk]  salt (32 hex), hash (64 hex), tries_left (0..retries),
 *                        blocked (yes|no, must agree with tries_left == 0)
 *       [management]     alg (3des|aes128|aes192|aes256), key (hex), touch (a touch policy)
 *   9a.key.pem, 9a.crt.pem — PKCS#8 private key and X.509 certificate of a slot, named by the
 *       key reference in two lower-case hex digits; the slot's algorithm is the key's own.
 *   obj-5fc109.bin — a data object by its tag in lower-case hex, the raw bytes GET DATA returns.
 *   f9.key.pem, f9.crt.pem — the attestation key (slot F9) and its certificate.
 *
 * Every key above is required (the previous release wrote them all too); a key or a section
 * given twice is refused. A slot's files and its [slot] section go together: a key or
 * certificate file needs its section, a section needs its key or certificate file, and
 * origin = generated needs the key file.
 *
 * state is required; slot and object files are optional. A change of the secrets writes
 * card.ini (when the retry limits change) before state: on load a tries_left above a lowered
 * limit is clamped to it, so a crash between the two renames never gives back a try. */
#include "piv_state.h"

#include "codec.h"
#include "piv_codec.h"
#include "keygen.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static int failed(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int failed(char *err, size_t errlen, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        return -1;
}

static int tries(const char *v, uint8_t *out, char *err, size_t errlen)
{
        unsigned long n;
        if (vt_parse_uint(v, VT_PIV_TRIES_MAX, &n) < 0 || n < 1)
                return failed(err, errlen, "retries must be 1..15, not '%s'", v);
        *out = (uint8_t)n;
        return 1;
}

static int pin_key(struct vt_piv_state *st, const char *key, const char *v, char *err,
                   size_t errlen)
{
        unsigned long n;

        if (strcmp(key, "min_length") == 0 || strcmp(key, "max_length") == 0) {
                if (vt_parse_uint(v, 8, &n) < 0 || n < 1)
                        return failed(err, errlen, "%s must be 1..8, not '%s'", key, v);
                *(key[1] == 'i' ? &st->pin_rules.min_len : &st->pin_rules.max_len) = (uint8_t)n;
        } else if (strcmp(key, "charset") == 0) {
                if (vt_charset_parse(v, &st->pin_rules.charset) < 0)
                        return failed(err, errlen,
                                      "charset must be any, digits or strong, not '%s'", v);
        } else if (strcmp(key, "retries") == 0) {
                return tries(v, &st->pin.max_tries, err, errlen);
        } else {
                return failed(err, errlen, "unknown key '%s' in [pin]", key);
        }
        return 1;
}

static int slot_key(struct vt_slot *s, const char *key, const char *v, char *err, size_t errlen)
{
        if (strcmp(key, "pin_policy") == 0) {
                if (vt_pin_policy_parse(v, &s->pin_policy) < 0)
                        return failed(err, errlen, "bad pin_policy '%s'", v);
        } else if (strcmp(key, "touch_policy") == 0) {
                if (vt_touch_policy_parse(v, &s->touch_policy) < 0)
                        return failed(err, errlen, "bad touch_policy '%s'", v);
        } else if (strcmp(key, "origin") == 0) {
                if (strcmp(v, "generated") != 0 && strcmp(v, "imported") != 0)
                        return failed(err, errlen, "origin must be generated or imported, not '%s'",
                                      v);
                s->generated = v[0] == 'g';
        } else {
                return failed(err, errlen, "unknown key '%s' in a [slot] section", key);
        }
        return 1;
}

static struct vt_slot *section_slot(struct vt_piv_state *st, const char *section)
{
        int hi, lo;

        if (strncmp(section, "slot ", 5) != 0 || strlen(section) != 7 ||
            (hi = vt_hexval(section[5])) < 0 || (lo = vt_hexval(section[6])) < 0)
                return NULL;
        return vt_piv_slot(st, (uint8_t)(hi << 4 | lo));
}

int vt_piv_ini_key(const struct vt_image *card, void *state, const char *section, const char *key,
                   const char *v, char *err, size_t errlen)
{
        struct vt_piv_state *st = state;
        struct vt_slot *s;
        (void)card;

        if (strcmp(section, "card") == 0) {
                if (strcmp(key, "global_pin") != 0)
                        return 0;
                if (vt_parse_bool(v, &st->global_pin) < 0)
                        return failed(err, errlen, "%s must be yes or no", key);
                return 1;
        }
        if (strcmp(section, "pin") == 0)
                return pin_key(st, key, v, err, errlen);
        if (strcmp(section, "puk") == 0) {
                if (strcmp(key, "retries") != 0)
                        return failed(err, errlen, "unknown key '%s' in [puk]", key);
                return tries(v, &st->puk.max_tries, err, errlen);
        }
        if ((s = section_slot(st, section)))
                return slot_key(s, key, v, err, errlen);
        return 0;
}

void vt_piv_ini_write(const struct vt_image *card, const void *state, bool card_keys,
                      struct vt_text *t)
{
        const struct vt_piv_state *st = state;
        (void)card;

        if (card_keys) {
                vt_text_put(t, "global_pin = %s\n", st->global_pin ? "yes" : "no");
                return;
        }
        vt_text_put(t, "\n[pin]\nmin_length = %u\nmax_length = %u\ncharset = %s\nretries = %u\n",
                    st->pin_rules.min_len, st->pin_rules.max_len,
                    vt_charset_name(st->pin_rules.charset), st->pin.max_tries);
        vt_text_put(t, "\n[puk]\nretries = %u\n", st->puk.max_tries);
        for (size_t i = 0; i < VT_SLOTS; i++) {
                const struct vt_slot *s = &st->slots[i];
                const char *alg = vt_alg_name(vt_key_alg(s->key));

                if (!s->key && !s->cert)
                        continue;
                vt_text_put(t, "\n[slot %02x]\n", s->ref);
                if (s->key)
                        vt_text_put(t, "; %s key in %02x.key.pem\n", alg ? alg : "unknown", s->ref);
                vt_text_put(t, "pin_policy = %s\ntouch_policy = %s\norigin = %s\n",
                            vt_pin_policy_name(s->pin_policy),
                            vt_touch_policy_name(s->touch_policy),
                            s->generated ? "generated" : "imported");
        }
}

/* ---- state ----------------------------------------------------------------------------- */

enum {
        SEEN_SALT = 1u << 0,
        SEEN_HASH = 1u << 1,
        SEEN_TRIES = 1u << 2,
        SEEN_BLOCKED = 1u << 3,
        SEEN_SECRET_ALL = 0xF,
        SEEN_PUK_SHIFT = 4,
        SEEN_MGM_ALG = 1u << 8,
        SEEN_MGM_KEY = 1u << 9,
};

struct state_load {
        struct vt_piv_state *st;
        unsigned seen;
};

static int secret_key(struct vt_ini *ini, struct vt_secret *s, unsigned shift, const char *key,
                      const char *v)
{
        struct state_load *l = ini->user;
        unsigned long n;
        bool blocked;

        if (strcmp(key, "salt") == 0) {
                if (vt_parse_hex_exact(v, s->salt, sizeof(s->salt)) < 0)
                        return vt_ini_fail(ini, "salt must be 32 hex digits");
                l->seen |= SEEN_SALT << shift;
        } else if (strcmp(key, "hash") == 0) {
                if (vt_parse_hex_exact(v, s->hash, sizeof(s->hash)) < 0)
                        return vt_ini_fail(ini, "hash must be 64 hex digits");
                l->seen |= SEEN_HASH << shift;
        } else if (strcmp(key, "tries_left") == 0) {
                if (vt_parse_uint(v, VT_PIV_TRIES_MAX, &n) < 0)
                        return vt_ini_fail(ini, "tries_left must be 0..15, not '%s'", v);
                s->tries_left = (uint8_t)n;
                l->seen |= SEEN_TRIES << shift;
        } else if (strcmp(key, "blocked") == 0) {
                if (vt_parse_bool(v, &blocked) < 0)
                        return vt_ini_fail(ini, "blocked must be yes or no");
                if (!(l->seen & (SEEN_TRIES << shift)) || blocked != (s->tries_left == 0))
                        return vt_ini_fail(ini, "blocked = %s disagrees with tries_left", v);
                l->seen |= SEEN_BLOCKED << shift;
        } else {
                return vt_ini_fail(ini, "unknown key '%s'", key);
        }
        return 1;
}

static int state_line(struct vt_ini *ini, const char *section, const char *key, const char *v)
{
        struct state_load *l = ini->user;
        struct vt_piv_state *st = l->st;
        uint8_t alg;

        if (strcmp(section, "pin") == 0)
                return secret_key(ini, &st->pin, 0, key, v);
        if (strcmp(section, "puk") == 0)
                return secret_key(ini, &st->puk, SEEN_PUK_SHIFT, key, v);
        if (strcmp(section, "management") != 0)
                return vt_ini_fail(ini, "unknown section [%s]", section);
        if (strcmp(key, "alg") == 0) {
                alg = vt_alg_from_name(v);
                if (alg != VT_ALG_3DES && alg != VT_ALG_AES128 && alg != VT_ALG_AES192 &&
                    alg != VT_ALG_AES256)
                        return vt_ini_fail(
                            ini, "management alg must be 3des or aes128/192/256, not '%s'", v);
                st->mgm_alg = alg;
                l->seen |= SEEN_MGM_ALG;
        } else if (strcmp(key, "key") == 0) {
                if (vt_parse_hex(v, st->mgm_key, sizeof(st->mgm_key), &st->mgm_key_len) < 0)
                        return vt_ini_fail(ini, "management key is not hex of at most 32 bytes");
                l->seen |= SEEN_MGM_KEY;
        } else if (strcmp(key, "touch") == 0) {
                if (vt_touch_policy_parse(v, &st->mgm_touch) < 0)
                        return vt_ini_fail(ini, "bad management touch '%s'", v);
        } else {
                return vt_ini_fail(ini, "unknown key '%s' in [management]", key);
        }
        return 1;
}

/* What state says must be consistent with card.ini. */
static int check_state(const struct state_load *l, const char *dir, char *err, size_t errlen)
{
        struct vt_piv_state *st = l->st;

        if (st->mgm_key_len != (st->mgm_alg == VT_ALG_AES128   ? 16u
                                : st->mgm_alg == VT_ALG_AES256 ? 32u
                                                               : 24u))
                return failed(err, errlen,
                              "%s/state: [management] key length does not fit its alg (give "
                              "the key its alg's length)",
                              dir);
        /* a limit lowered by a commit interrupted before the state was written: never more
         * tries than the limit */
        if (st->pin.tries_left > st->pin.max_tries)
                st->pin.tries_left = st->pin.max_tries;
        if (st->puk.tries_left > st->puk.max_tries)
                st->puk.tries_left = st->puk.max_tries;
        return 0;
}

static const struct vt_ini_rule state_rules[] = {
    {"pin", "salt hash tries_left blocked", true},
    {"puk", "salt hash tries_left blocked", true},
    {"management", "alg key touch", true},
    {NULL, NULL, false},
};
static const struct vt_ini_spec state_spec = {state_rules, NULL};

int vt_piv_parse_state(const struct vt_image *card, struct vt_piv_state *st, const char *text,
                       size_t len, char *err, size_t errlen)
{
        struct state_load l = {.st = st};
        char path[4096];

        snprintf(path, sizeof(path), "%s/state", card->dir);
        if (vt_ini_parse(path, text, len, &state_spec, state_line, &l, err, errlen) < 0)
                return -1;
        return check_state(&l, card->dir, err, errlen);
}

/* ---- slots and objects ------------------------------------------------------------------ */

static int load_slot(const struct vt_image *card, const struct vt_codec_reader *rd,
                     struct vt_slot *s, char *err, size_t errlen)
{
        char file[16];
        uint8_t *data;
        size_t len;
        int r;

        snprintf(file, sizeof(file), "%02x.key.pem", s->ref);
        if ((r = vt_codec_read(rd, card, file, &data, &len, err, errlen)) < 0)
                return -1;
        if (r) {
                s->key = vt_pem_key(data, len);
                OPENSSL_cleanse(data, len);
                free(data);
                if (!s->key)
                        return failed(err, errlen, "%s/%s: not an unencrypted PEM private key",
                                      card->dir, file);
                if ((s->alg = vt_key_alg(s->key)) == VT_ALG_NONE)
                        return failed(err, errlen, "%s/%s: key type or size has no PIV algorithm",
                                      card->dir, file);
        }
        snprintf(file, sizeof(file), "%02x.crt.pem", s->ref);
        if ((r = vt_codec_read(rd, card, file, &data, &len, err, errlen)) <= 0)
                return r;
        r = vt_pem_cert(data, len, &s->cert, &s->cert_len);
        free(data);
        if (r < 0)
                return failed(err, errlen, "%s/%s: not a PEM certificate", card->dir, file);
        return 0;
}

int vt_object_file_tag(const char *name, uint32_t *tag)
{
        char canonical[32];
        size_t n = strlen(name);
        uint32_t v = 0;

        /* exactly "obj-" + 1..6 lower-case hex digits without leading zeros + ".bin", as
         * the codec names it: sscanf would also take "obj- 5fc109.bin" or "obj-+5.bin" */
        if (n < 9 || n > 14 || strncmp(name, "obj-", 4) != 0 || strcmp(name + n - 4, ".bin") != 0)
                return -1;
        for (size_t i = 4; i < n - 4; i++) {
                int d = vt_hexval(name[i]);
                if (d < 0 || (name[i] >= 'A' && name[i] <= 'F'))
                        return -1;
                v = v << 4 | (uint32_t)d;
        }
        snprintf(canonical, sizeof(canonical), "obj-%x.bin", (unsigned)v);
        if (strcmp(canonical, name) != 0)
                return -1;
        *tag = v;
        return 0;
}

struct objects_load {
        const struct vt_image *card;
        struct vt_piv_state *st;
        const struct vt_codec_reader *rd;
        char *err;
        size_t errlen;
};

static int load_object(void *arg, const char *name)
{
        struct objects_load *l = arg;
        struct vt_object *o;
        uint32_t tag;

        if (vt_object_file_tag(name, &tag) < 0)
                return 0;
        if (vt_piv_object(l->st, tag))
                return failed(l->err, l->errlen, "%s/%s: a second file for object %x", l->card->dir,
                              name, tag);
        if (!(o = vt_piv_object_add(l->st, tag)))
                return failed(l->err, l->errlen, "%s/%s: more than %d objects", l->card->dir, name,
                              VT_OBJECTS_MAX);
        return vt_codec_read(l->rd, l->card, name, &o->data, &o->len, l->err, l->errlen) < 0 ? -1
                                                                                             : 0;
}

static int load_objects(const struct vt_image *card, struct vt_piv_state *st,
                        const struct vt_codec_reader *rd, char *err, size_t errlen)
{
        struct objects_load l = {card, st, rd, err, errlen};
        int r = rd->each(rd->ctx, load_object, &l);

        if (r < -1) /* the reader's own failure: an errno */
                failed(err, errlen, "%s: %s", card->dir, strerror(-r));
        /* objects with empty files are no objects */
        for (size_t i = st->n_objects; i-- > 0;)
                if (!st->objects[i].len)
                        vt_piv_set_object(st, st->objects[i].tag, NULL, 0);
        return r < 0 ? -1 : 0;
}

/* card.ini read again for PIV's part alone (the image loader gave each key to vt_piv_ini_key
 * already): every key there, and the line of each [slot] section's origin, which the slot's
 * files must agree with. */
static const struct vt_ini_rule card_rules[] = {
    {"card", "global_pin", true}, {"pin", "min_length max_length charset retries", true},
    {"puk", "retries", true},     {"slot ", "pin_policy touch_policy origin", false},
    {NULL, NULL, false},
};
static const struct vt_ini_spec card_spec = {card_rules, NULL};

struct card_lines {
        struct vt_piv_state *st;
        int origin[VT_SLOTS]; /* the line of [slot XX]'s origin, 0 when there is none */
};

static int card_line(struct vt_ini *ini, const char *section, const char *key, const char *v)
{
        struct card_lines *l = ini->user;
        struct vt_slot *s = section_slot(l->st, section);
        (void)v;

        if (s && strcmp(key, "origin") == 0)
                l->origin[s - l->st->slots] = ini->line;
        return 1;
}

/* A slot's files and its [slot] section in card.ini go together. */
static int check_slot(const struct vt_image *card, const struct vt_slot *s, int origin, char *err,
                      size_t errlen)
{
        if (!origin && (s->key || s->cert))
                return failed(err, errlen,
                              "%s/%02x.%s.pem: slot %02x has a %s, but card.ini has no [slot %02x] "
                              "(add the section with pin_policy, touch_policy and origin, or "
                              "remove the file)",
                              card->dir, s->ref, s->key ? "key" : "crt", s->ref,
                              s->key ? "key" : "certificate", s->ref);
        if (origin && s->generated && !s->key)
                return failed(err, errlen,
                              "%s/card.ini:%d: [slot %02x] says origin = generated, but "
                              "%02x.key.pem is missing (restore the key file, or remove the "
                              "section and %02x.crt.pem to empty the slot)",
                              card->dir, origin, s->ref, s->ref, s->ref);
        if (origin && !s->key && !s->cert)
                return failed(err, errlen,
                              "%s/card.ini:%d: [slot %02x], but neither %02x.key.pem nor "
                              "%02x.crt.pem is there (restore them, or remove the section)",
                              card->dir, origin, s->ref, s->ref, s->ref);
        return 0;
}

int vt_piv_load(const struct vt_image *card, void *state, const struct vt_codec_reader *rd,
                char *err, size_t errlen)
{
        struct vt_piv_state *st = state;
        struct card_lines *lines = calloc(1, sizeof(*lines));
        uint8_t *data;
        size_t len;
        int r = -1;

        if (!lines)
                return failed(err, errlen, "%s: out of memory", card->dir);
        lines->st = st;
        if (vt_ini_read(rd, card, "card.ini", false, &card_spec, card_line, lines, err, errlen) < 0)
                goto out;
        if (st->pin_rules.min_len > st->pin_rules.max_len) {
                failed(err, errlen,
                       "%s/card.ini: [pin] min_length above max_length (lower min_length)",
                       card->dir);
                goto out;
        }
        if ((r = vt_codec_read(rd, card, "state", &data, &len, err, errlen)) <= 0) {
                if (r == 0)
                        failed(err, errlen, "%s/state: %s", card->dir, strerror(ENOENT));
                r = -1;
                goto out;
        }
        r = vt_piv_parse_state(card, st, (const char *)data, len, err, errlen);
        OPENSSL_cleanse(data, len); /* state holds the management key */
        free(data);
        for (size_t i = 0; i < VT_SLOTS && r == 0; i++)
                if (load_slot(card, rd, &st->slots[i], err, errlen) < 0 ||
                    check_slot(card, &st->slots[i], lines->origin[i], err, errlen) < 0)
                        r = -1;
        if (r == 0)
                r = load_objects(card, st, rd, err, errlen);
out:
        free(lines);
        return r < 0 ? -1 : 0;
}

/* ---- saving ------------------------------------------------------------------------------- */

static void secret_text(struct vt_text *t, const char *section, const struct vt_secret *s)
{
        vt_text_put(t, "\n[%s]\nsalt = ", section);
        vt_text_hex(t, s->salt, sizeof(s->salt), NULL);
        vt_text_put(t, "\nhash = ");
        vt_text_hex(t, s->hash, sizeof(s->hash), NULL);
        vt_text_put(t, "\ntries_left = %u\nblocked = %s\n", s->tries_left,
                    s->tries_left == 0 ? "yes" : "no");
}

static int put_state(const struct vt_piv_state *st, const struct vt_codec_sink *sink)
{
        struct vt_text t = VT_TEXT_INIT;
        const char *alg = vt_alg_name(st->mgm_alg);
        const char *touch = vt_touch_policy_name(st->mgm_touch);

        if (!alg || !touch || st->mgm_key_len > sizeof(st->mgm_key))
                return -EINVAL;
        vt_text_put(&t, "; vtoken card state: PIN and PUK as salted hashes, tries left, management "
                        "key\n");
        secret_text(&t, "pin", &st->pin);
        secret_text(&t, "puk", &st->puk);
        vt_text_put(&t, "\n[management]\nalg = %s\nkey = ", alg);
        vt_text_hex(&t, st->mgm_key, st->mgm_key_len, NULL);
        vt_text_put(&t, "\ntouch = %s\n", touch);
        return vt_sink_text(sink, "state", &t);
}

static int put_slot(const struct vt_slot *s, bool key, bool cert, const struct vt_codec_sink *sink)
{
        char name[32];
        int r;

        snprintf(name, sizeof(name), "%02x.key.pem", s->ref);
        if (key && (r = vt_sink_key(sink, name, s->key)) < 0)
                return r;
        snprintf(name, sizeof(name), "%02x.crt.pem", s->ref);
        if (cert && (r = vt_sink_cert(sink, name, s->cert, s->cert_len)) < 0)
                return r;
        return 0;
}

static int put_object(uint32_t tag, const uint8_t *data, size_t len,
                      const struct vt_codec_sink *sink)
{
        char name[32];

        snprintf(name, sizeof(name), "obj-%x.bin", (unsigned)tag);
        if (!len)
                return sink->remove(sink->ctx, name);
        return sink->put(sink->ctx, name, data, len);
}

int vt_piv_save(const struct vt_image *card, const void *state, const struct vt_codec_sink *sink)
{
        const struct vt_piv_state *st = state;
        int r;
        (void)card;

        if (!vt_piv_names_valid(st))
                return -EINVAL;
        for (size_t i = 0; i < VT_SLOTS; i++)
                if ((r = put_slot(&st->slots[i], true, true, sink)) < 0)
                        return r;
        for (size_t i = 0; i < st->n_objects; i++)
                if ((r = put_object(st->objects[i].tag, st->objects[i].data, st->objects[i].len,
                                    sink)) < 0)
                        return r;
        return put_state(st, sink);
}

/* card.ini (when the retry limits change) and state, in that order (see the top). */
static int commit_secrets(const struct vt_piv_state *cur, const struct vt_piv_state *next,
                          const struct vt_codec_sink *sink)
{
        int r;
        if ((next->pin.max_tries != cur->pin.max_tries ||
             next->puk.max_tries != cur->puk.max_tries) &&
            (r = sink->card_ini(sink->ctx, &vt_unit_piv, next)) < 0)
                return r;
        return put_state(next, sink);
}

/* The slot's key and certificate files that change, then card.ini with the slot's
 * policies. */
static int commit_slot(const struct vt_piv_state *cur, const struct vt_slot *slot,
                       const struct vt_codec_sink *sink)
{
        struct vt_piv_state *next = malloc(sizeof(*next));
        size_t i = 0;
        int r;

        while (i < VT_SLOTS && cur->slots[i].ref != slot->ref)
                i++;
        if (i == VT_SLOTS || !next) {
                free(next);
                return i == VT_SLOTS ? -EINVAL : -ENOMEM;
        }
        const struct vt_slot *old = &cur->slots[i];
        bool key = slot->key != old->key;
        bool cert = slot->cert != old->cert || slot->cert_len != old->cert_len;
        *next = *cur; /* shallow: card.ini as it will be */
        next->slots[i] = *slot;
        r = vt_piv_names_valid(next) ? put_slot(slot, key, cert, sink) : -EINVAL;
        if (r == 0)
                r = sink->card_ini(sink->ctx, &vt_unit_piv, next);
        OPENSSL_cleanse(next, sizeof(*next));
        free(next);
        return r;
}

int vt_piv_commit(const struct vt_image *card, const void *state, const void *change,
                  const struct vt_codec_sink *sink)
{
        const struct piv_change *ch = change;
        (void)card;

        switch (ch->kind) {
        case PIV_CHANGE_SECRETS:
                return commit_secrets(state, ch->proposed, sink);
        case PIV_CHANGE_SLOT:
                return commit_slot(state, ch->slot, sink);
        case PIV_CHANGE_OBJECT:
                return put_object(ch->tag, ch->data, ch->len, sink);
        }
        return -EINVAL;
}
