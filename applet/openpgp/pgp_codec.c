/* SPDX-License-Identifier: Apache-2.0 */
/* The OpenPGP state in a card image (the store codec of vt_unit_openpgp):
 *
 *   openpgp.ini:
 *       [openpgp]  manufacturer (4 hex digits), serial (8 hex digits: AID bytes 10..13),
 *                  terminated, pw1_valid_multiple (yes|no), signature_counter
 *       [pw1], [pw3]  min_length, max_length (1..127), charset, retries (1..15), tries_left,
 *                  length (of the value), salt, hash (PBKDF2-HMAC-SHA256 of the value)
 *       [rc]       the resetting code: retries, tries_left, length (0: none), salt, hash
 *       [key sig], [key dec], [key aut]  attributes (hex, as C1..C3), fingerprint and
 *                  ca_fingerprint (40 hex digits), time (seconds since 1970), origin
 *                  (none|generated|imported), uif (0..4)
 *   openpgp-name.bin, -lang, -sex, -url, -login, -private1..4, -cert-aut, -cert-dec, -cert-sig:
 *       the OpenPGP data objects, the bytes GET DATA returns (optional: none is empty)
 *   openpgp-sig.key.pem, openpgp-dec.key.pem, openpgp-aut.key.pem — its keys (PKCS#8), each of
 *       the algorithm its attributes name.
 * Read strictly (docs/image-format.md): every key above is required (salt and hash where a
 * password has a length), tries_left is at most retries, a key file is there exactly when its
 * [key] says origin generated or imported. */
#include "pgp_codec.h"

#include "codec.h"
#include "pgp_state.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* Every key the writers (this release's and the previous one's) write is required; salt and
 * hash where a password has a length. */
static const struct vt_ini_rule pgp_rules[] = {
    {"openpgp", "manufacturer serial terminated pw1_valid_multiple signature_counter", true},
    {"pw1", "min_length max_length charset retries tries_left length", true},
    {"rc", "retries tries_left length", true},
    {"pw3", "min_length max_length charset retries tries_left length", true},
    {"key sig", "attributes fingerprint ca_fingerprint time origin uif", true},
    {"key dec", "attributes fingerprint ca_fingerprint time origin uif", true},
    {"key aut", "attributes fingerprint ca_fingerprint time origin uif", true},
    {NULL, NULL, false},
};
static const struct vt_ini_spec pgp_spec = {pgp_rules, NULL};

/* The lines of what the files must agree on, for the messages. */
struct pgp_load {
        struct vt_pgp_state *st;
        int tries_line[3], salt_line[3], hash_line[3]; /* pw1, rc, pw3 */
        int origin_line[PGP_KEYS];
};

static const char *const origins[] = {"none", "generated", "imported"};

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

static int main_key(struct vt_ini *ini, struct vt_pgp_state *st, const char *key, const char *v)
{
        uint8_t b[4];
        unsigned long n;
        bool yes;

        if (strcmp(key, "manufacturer") == 0) {
                if (vt_parse_hex_exact(v, b, 2) < 0)
                        return vt_ini_fail(ini, "manufacturer must be 4 hex digits, not '%s'", v);
                st->manufacturer = (uint16_t)(b[0] << 8 | b[1]);
        } else if (strcmp(key, "serial") == 0) {
                if (vt_parse_hex_exact(v, b, 4) < 0)
                        return vt_ini_fail(ini, "serial must be 8 hex digits, not '%s'", v);
                st->serial =
                    (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        } else if (strcmp(key, "terminated") == 0 || strcmp(key, "pw1_valid_multiple") == 0) {
                if (vt_parse_bool(v, &yes) < 0)
                        return vt_ini_fail(ini, "%s must be yes or no", key);
                *(key[0] == 't' ? &st->terminated : &st->pw1_multi) = yes;
        } else if (strcmp(key, "signature_counter") == 0) {
                if (vt_parse_uint(v, 0xFFFFFF, &n) < 0)
                        return vt_ini_fail(ini, "signature_counter must be 0..16777215, not '%s'",
                                           v);
                st->sig_count = (uint32_t)n;
        } else {
                return vt_ini_fail(ini, "unknown key '%s' in [openpgp]", key);
        }
        return 1;
}

static int pw_key(struct vt_ini *ini, struct pgp_pw *pw, struct vt_pin_rules *rules, int which,
                  const char *key, const char *v)
{
        struct pgp_load *l = ini->user;
        unsigned long n;

        if (rules && (strcmp(key, "min_length") == 0 || strcmp(key, "max_length") == 0)) {
                if (vt_parse_uint(v, PGP_PW_MAX, &n) < 0 || n < 1)
                        return vt_ini_fail(ini, "%s must be 1..127, not '%s'", key, v);
                *(key[1] == 'i' ? &rules->min_len : &rules->max_len) = (uint8_t)n;
        } else if (rules && strcmp(key, "charset") == 0) {
                if (vt_charset_parse(v, &rules->charset) < 0)
                        return vt_ini_fail(ini, "charset must be any, digits or strong, not '%s'",
                                           v);
        } else if (strcmp(key, "retries") == 0) {
                if (vt_parse_uint(v, VT_TRIES_MAX, &n) < 0 || n < 1)
                        return vt_ini_fail(ini, "retries must be 1..15, not '%s'", v);
                pw->s.max_tries = (uint8_t)n;
        } else if (strcmp(key, "tries_left") == 0) {
                if (vt_parse_uint(v, VT_TRIES_MAX, &n) < 0)
                        return vt_ini_fail(ini, "tries_left must be 0..15, not '%s'", v);
                pw->s.tries_left = (uint8_t)n;
                l->tries_line[which] = ini->line;
        } else if (strcmp(key, "length") == 0) {
                if (vt_parse_uint(v, PGP_PW_MAX, &n) < 0)
                        return vt_ini_fail(ini, "length must be 0..127, not '%s'", v);
                pw->len = (uint8_t)n;
        } else if (strcmp(key, "salt") == 0) {
                if (vt_parse_hex_exact(v, pw->s.salt, sizeof(pw->s.salt)) < 0)
                        return vt_ini_fail(ini, "salt must be 32 hex digits");
                l->salt_line[which] = ini->line;
        } else if (strcmp(key, "hash") == 0) {
                if (vt_parse_hex_exact(v, pw->s.hash, sizeof(pw->s.hash)) < 0)
                        return vt_ini_fail(ini, "hash must be 64 hex digits");
                l->hash_line[which] = ini->line;
        } else {
                return vt_ini_fail(ini, "unknown key '%s' in a password section", key);
        }
        return 1;
}

static int key_key(struct vt_ini *ini, struct pgp_key *k, int *origin_line, const char *key,
                   const char *v)
{
        size_t len;
        unsigned long n;

        if (strcmp(key, "attributes") == 0) {
                if (vt_parse_hex(v, k->attr, sizeof(k->attr), &len) < 0 || len == 0)
                        return vt_ini_fail(ini, "attributes must be hex of at most %d bytes",
                                           PGP_ATTR_MAX);
                k->attr_len = len;
        } else if (strcmp(key, "fingerprint") == 0 || strcmp(key, "ca_fingerprint") == 0) {
                if (vt_parse_hex_exact(v, key[0] == 'f' ? k->fpr : k->ca_fpr, PGP_FPR_LEN) < 0)
                        return vt_ini_fail(ini, "%s must be 40 hex digits", key);
        } else if (strcmp(key, "time") == 0) {
                if (vt_parse_uint(v, UINT32_MAX, &n) < 0)
                        return vt_ini_fail(ini, "time must be seconds since 1970, not '%s'", v);
                for (int i = 0; i < 4; i++)
                        k->time[i] = (uint8_t)(n >> (24 - 8 * i));
        } else if (strcmp(key, "origin") == 0) {
                if (strcmp(v, "none") == 0)
                        k->origin = 0;
                else if (strcmp(v, "generated") == 0)
                        k->origin = 1;
                else if (strcmp(v, "imported") == 0)
                        k->origin = 2;
                else
                        return vt_ini_fail(
                            ini, "origin must be none, generated or imported, not '%s'", v);
                *origin_line = ini->line;
        } else if (strcmp(key, "uif") == 0) {
                if (vt_parse_uint(v, 4, &n) < 0)
                        return vt_ini_fail(ini, "uif must be 0..4, not '%s'", v);
                k->uif = (uint8_t)n;
        } else {
                return vt_ini_fail(ini, "unknown key '%s' in a [key] section", key);
        }
        return 1;
}

static int pgp_line(struct vt_ini *ini, const char *section, const char *key, const char *v)
{
        struct pgp_load *l = ini->user;
        struct vt_pgp_state *st = l->st;

        if (!st)
                return vt_ini_fail(ini, "out of memory");
        if (strcmp(section, "openpgp") == 0)
                return main_key(ini, st, key, v);
        if (strcmp(section, "pw1") == 0)
                return pw_key(ini, &st->pw1, &st->pw1_rules, 0, key, v);
        if (strcmp(section, "rc") == 0)
                return pw_key(ini, &st->rc, NULL, 1, key, v);
        if (strcmp(section, "pw3") == 0)
                return pw_key(ini, &st->pw3, &st->pw3_rules, 2, key, v);
        for (int i = 0; i < PGP_KEYS; i++)
                if (strncmp(section, "key ", 4) == 0 && strcmp(section + 4, pgp_key_name(i)) == 0)
                        return key_key(ini, &st->keys[i], &l->origin_line[i], key, v);
        return vt_ini_fail(ini, "unknown section [%s]", section);
}

/* openpgp-NAME.bin: the data objects, each at most its largest size. */
static int load_dos(const struct vt_image *card, struct vt_pgp_state *st,
                    const struct vt_codec_reader *rd, char *err, size_t errlen)
{
        char file[48];
        uint8_t *data;
        size_t len;
        int r;

        for (int i = 0; i < PGP_N_DOS; i++) {
                snprintf(file, sizeof(file), "openpgp-%s.bin", pgp_dos[i].name);
                if ((r = vt_codec_read(rd, card, file, &data, &len, err, errlen)) <= 0) {
                        if (r < 0)
                                return -1;
                        continue;
                }
                if (len > pgp_dos[i].max_len)
                        failed(err, errlen, "%s/%s: %zu bytes, more than the %u the object holds",
                               card->dir, file, len, pgp_dos[i].max_len);
                else if (pgp_state_set_do(st, i, data, len) < 0)
                        failed(err, errlen, "%s/%s: out of memory", card->dir, file);
                r = len <= pgp_dos[i].max_len && st->dos[i].len == len ? 0 : -1;
                OPENSSL_cleanse(data, len);
                free(data);
                if (r < 0)
                        return -1;
        }
        return 0;
}

/* openpgp-sig.key.pem ...: each key must be of the algorithm its attributes name, and there
 * exactly when [key] says a key was generated or imported. */
static int load_keys(const struct vt_image *card, const struct pgp_load *l,
                     const struct vt_codec_reader *rd, char *err, size_t errlen)
{
        struct vt_pgp_state *st = l->st;
        char file[32];
        uint8_t *data;
        size_t len;
        int r;

        for (int i = 0; i < PGP_KEYS; i++) {
                struct pgp_key *k = &st->keys[i];
                snprintf(file, sizeof(file), "openpgp-%s.key.pem", pgp_key_name(i));
                if (!pgp_alg_of_attr(k->attr, k->attr_len, i))
                        return failed(err, errlen,
                                      "%s/openpgp.ini: [key %s] attributes name no algorithm",
                                      card->dir, pgp_key_name(i));
                if ((r = vt_codec_read(rd, card, file, &data, &len, err, errlen)) < 0)
                        return -1;
                if (r == 0 && k->origin != 0)
                        return failed(err, errlen,
                                      "%s/openpgp.ini:%d: [key %s] says origin = %s, but %s is "
                                      "missing (restore the key file, or set origin = none)",
                                      card->dir, l->origin_line[i], pgp_key_name(i),
                                      origins[k->origin < 3 ? k->origin : 0], file);
                if (r == 0)
                        continue;
                if (k->origin == 0) {
                        OPENSSL_cleanse(data, len);
                        free(data);
                        return failed(err, errlen,
                                      "%s/%s: a key, but openpgp.ini:%d says [key %s] origin = "
                                      "none (set origin to generated or imported, or remove "
                                      "the file)",
                                      card->dir, file, l->origin_line[i], pgp_key_name(i));
                }
                k->key = vt_pem_key(data, len);
                OPENSSL_cleanse(data, len);
                free(data);
                if (!k->key)
                        return failed(err, errlen, "%s/%s: not an unencrypted PEM private key",
                                      card->dir, file);
                if (pgp_alg_of_key(k->key, i) != pgp_alg_of_attr(k->attr, k->attr_len, i))
                        return failed(err, errlen,
                                      "%s/%s: the key is not of the algorithm [key %s] "
                                      "attributes name in openpgp.ini",
                                      card->dir, file, pgp_key_name(i));
        }
        return 0;
}

/* Each password's tries within its retries, and its salt and hash there when it has a
 * length. */
static int check_pws(const struct vt_image *card, const struct pgp_load *l, char *err,
                     size_t errlen)
{
        static const char *const names[] = {"pw1", "rc", "pw3"};
        const struct vt_pgp_state *st = l->st;
        const struct pgp_pw *pws[] = {&st->pw1, &st->rc, &st->pw3};

        for (int i = 0; i < 3; i++) {
                if (pws[i]->s.tries_left > pws[i]->s.max_tries)
                        return failed(err, errlen,
                                      "%s/openpgp.ini:%d: [%s] tries_left %u above its retries %u "
                                      "(tries are only ever lost: lower tries_left)",
                                      card->dir, l->tries_line[i], names[i], pws[i]->s.tries_left,
                                      pws[i]->s.max_tries);
                if (pws[i]->len && (!l->salt_line[i] || !l->hash_line[i]))
                        return failed(err, errlen,
                                      "%s/openpgp.ini: [%s] has a length but no %s (restore it, "
                                      "or set the password again)",
                                      card->dir, names[i], l->salt_line[i] ? "hash" : "salt");
        }
        if (!st->pw1.len || !st->pw3.len)
                return failed(err, errlen,
                              "%s/openpgp.ini: [%s] length = 0: PW1 and PW3 always have a value",
                              card->dir, st->pw1.len ? "pw3" : "pw1");
        if (st->pw1_rules.min_len > st->pw1_rules.max_len ||
            st->pw3_rules.min_len > st->pw3_rules.max_len)
                return failed(err, errlen,
                              "%s/openpgp.ini: [%s] min_length above max_length (lower "
                              "min_length)",
                              card->dir,
                              st->pw1_rules.min_len > st->pw1_rules.max_len ? "pw1" : "pw3");
        return 0;
}

int vt_pgp_load(const struct vt_image *card, void *state, const struct vt_codec_reader *rd,
                char *err, size_t errlen)
{
        struct vt_pgp_state *st = state;
        struct pgp_load l = {.st = st};

        for (int i = 0; i < PGP_KEYS; i++)
                st->keys[i].attr_len = 0; /* each [key] section says its own */
        if (vt_ini_read(rd, card, "openpgp.ini", false, &pgp_spec, pgp_line, &l, err, errlen) < 0 ||
            check_pws(card, &l, err, errlen) < 0 || load_dos(card, st, rd, err, errlen) < 0)
                return -1;
        return load_keys(card, &l, rd, err, errlen);
}

/* ---- saving ------------------------------------------------------------------------------- */

static void pw_text(struct vt_text *t, const char *section, const struct pgp_pw *pw,
                    const struct vt_pin_rules *rules)
{
        vt_text_put(t, "\n[%s]\n", section);
        if (rules)
                vt_text_put(t, "min_length = %u\nmax_length = %u\ncharset = %s\n", rules->min_len,
                            rules->max_len, vt_charset_name(rules->charset));
        vt_text_put(t, "retries = %u\ntries_left = %u\nlength = %u\n", pw->s.max_tries,
                    pw->s.tries_left, pw->len);
        if (!pw->len)
                return;
        vt_text_put(t, "salt = ");
        vt_text_hex(t, pw->s.salt, sizeof(pw->s.salt), NULL);
        vt_text_put(t, "\nhash = ");
        vt_text_hex(t, pw->s.hash, sizeof(pw->s.hash), NULL);
        vt_text_put(t, "\n");
}

static void key_text(struct vt_text *t, int ref, const struct pgp_key *k)
{
        vt_text_put(t, "\n[key %s]\n", pgp_key_name(ref));
        if (k->key)
                vt_text_put(t, "; the key is in openpgp-%s.key.pem\n", pgp_key_name(ref));
        vt_text_put(t, "attributes = ");
        vt_text_hex(t, k->attr, k->attr_len, NULL);
        vt_text_put(t, "\nfingerprint = ");
        vt_text_hex(t, k->fpr, sizeof(k->fpr), NULL);
        vt_text_put(t, "\nca_fingerprint = ");
        vt_text_hex(t, k->ca_fpr, sizeof(k->ca_fpr), NULL);
        vt_text_put(t, "\ntime = %lu\norigin = %s\nuif = %u\n",
                    (unsigned long)k->time[0] << 24 | (unsigned long)k->time[1] << 16 |
                        (unsigned long)k->time[2] << 8 | k->time[3],
                    k->origin < 3 ? origins[k->origin] : "none", k->uif);
}

static void pgp_text(struct vt_text *t, const struct vt_pgp_state *st)
{
        vt_text_put(
            t, "; vtoken OpenPGP application: identity, passwords (salted hashes), key "
               "attributes;\n; the keys are in openpgp-*.key.pem, data objects in openpgp-*.bin\n");
        vt_text_put(t, "[openpgp]\nmanufacturer = %04x\nserial = %08x\nterminated = %s\n",
                    st->manufacturer, (unsigned)st->serial, st->terminated ? "yes" : "no");
        vt_text_put(t, "pw1_valid_multiple = %s\nsignature_counter = %u\n",
                    st->pw1_multi ? "yes" : "no", (unsigned)st->sig_count);
        pw_text(t, "pw1", &st->pw1, &st->pw1_rules);
        pw_text(t, "rc", &st->rc, NULL);
        pw_text(t, "pw3", &st->pw3, &st->pw3_rules);
        for (int i = 0; i < PGP_KEYS; i++)
                key_text(t, i, &st->keys[i]);
}

/* The key files whose bit is set in keys (written, or removed for an empty slot), the data
 * objects that differ from cur's (all without cur), then openpgp.ini. */
static int put_state(const struct vt_pgp_state *cur, const struct vt_pgp_state *st, unsigned keys,
                     const struct vt_codec_sink *sink)
{
        struct vt_text t = VT_TEXT_INIT;
        char name[48];
        int r;

        for (int i = 0; i < PGP_KEYS; i++) {
                if (!(keys & 1u << i))
                        continue;
                snprintf(name, sizeof(name), "openpgp-%s.key.pem", pgp_key_name(i));
                if ((r = vt_sink_key(sink, name, st->keys[i].key)) < 0)
                        return r;
        }
        for (int i = 0; i < PGP_N_DOS; i++) {
                const struct pgp_blob *d = &st->dos[i];
                if (cur && cur->dos[i].len == d->len &&
                    (!d->len || memcmp(cur->dos[i].data, d->data, d->len) == 0))
                        continue;
                snprintf(name, sizeof(name), "openpgp-%s.bin", pgp_dos[i].name);
                r = d->len ? sink->put(sink->ctx, name, d->data, d->len)
                           : sink->remove(sink->ctx, name);
                if (r < 0)
                        return r;
        }
        if (vt_charset_name(st->pw1_rules.charset) == NULL ||
            vt_charset_name(st->pw3_rules.charset) == NULL)
                return -EINVAL;
        pgp_text(&t, st);
        return vt_sink_text(sink, "openpgp.ini", &t);
}

int vt_pgp_save(const struct vt_image *card, const void *state, const struct vt_codec_sink *sink)
{
        (void)card;
        return put_state(NULL, state, (1u << PGP_KEYS) - 1, sink);
}

int vt_pgp_commit(const struct vt_image *card, const void *state, const void *change,
                  const struct vt_codec_sink *sink)
{
        const struct pgp_change *ch = change;
        (void)card;
        (void)state;
        return put_state(ch->cur, ch->next, ch->keys, sink);
}
