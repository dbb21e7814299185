/* SPDX-License-Identifier: Apache-2.0 */
/* The OATH application's file in an image, oath.ini (0600 like every file of an image):
 *
 *   [oath]
 *   device_id = 8 bytes of hex          ; SELECT's tag 71, the access key's PBKDF2 salt
 *   access_algorithm = SHA1             ; with access_key: an access key is set
 *   access_key = hex
 *   [credential 1]                      ; one section per credential, in the card's order
 *   name = Example:alice                ; or name_hex = ..., for a name INI cannot carry
 *   type = totp | hotp
 *   algorithm = SHA1 | SHA256 | SHA512
 *   digits = 6..8
 *   touch = yes | no
 *   counter = N                         ; HOTP: the counter the next code uses
 *   secret = hex                        ; 32 bytes a line, more on indented lines after it
 *                                       ; (inih reads lines of up to 200 characters)
 *
 * Read strictly (docs/image-format.md): every key above is required but access_algorithm and
 * access_key (together or not at all) and counter (a HOTP credential's, and only its). */
#include "oath_codec.h"

#include "codec.h"
#include "text.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_NAME "oath.ini"
#define HEX_LINE  32 /* bytes of a secret written on one line */

/* Whether a name can be an INI value as it is: no control characters, no comment character,
 * no space at either end (inih strips those). */
static bool name_is_plain(const struct oath_cred *c)
{
        if (c->name[0] == ' ' || c->name[c->name_len - 1] == ' ')
                return false;
        for (size_t i = 0; i < c->name_len; i++)
                if (c->name[i] < 0x20 || c->name[i] == 0x7F || c->name[i] == ';' ||
                    c->name[i] == '#')
                        return false;
        return true;
}

static void write_cred(struct vt_text *t, size_t i, const struct oath_cred *c)
{
        vt_text_put(t, "\n[credential %zu]\n", i + 1);
        if (name_is_plain(c)) {
                vt_text_put(t, "name = %.*s\n", (int)c->name_len, (const char *)c->name);
        } else {
                vt_text_put(t, "name_hex = ");
                vt_text_hex(t, c->name, c->name_len, "");
                vt_text_put(t, "\n");
        }
        vt_text_put(t, "type = %s\nalgorithm = %s\ndigits = %u\ntouch = %s\n",
                    c->type == OATH_HOTP ? "hotp" : "totp", oath_alg_name(c->alg), c->digits,
                    c->props & OATH_PROP_TOUCH ? "yes" : "no");
        if (c->type == OATH_HOTP)
                vt_text_put(t, "counter = %u\n", c->counter);
        vt_text_put(t, "secret =");
        for (size_t k = 0; k < c->secret_len; k += HEX_LINE) {
                vt_text_put(t, k ? "  " : " ");
                vt_text_hex(t, c->secret + k,
                            c->secret_len - k < HEX_LINE ? c->secret_len - k : HEX_LINE, "");
                vt_text_put(t, "\n");
        }
        if (!c->secret_len)
                vt_text_put(t, "\n");
}

static int save_state(const struct vt_oath_state *st, const struct vt_codec_sink *sink)
{
        struct vt_text t = VT_TEXT_INIT;
        vt_text_put(&t, "; the OATH application (TOTP and HOTP credentials); secrets in hex\n"
                        "[oath]\ndevice_id = ");
        vt_text_hex(&t, st->salt, sizeof(st->salt), "");
        vt_text_put(&t, "\n");
        if (st->key_alg) {
                vt_text_put(&t, "access_algorithm = %s\naccess_key = ", oath_alg_name(st->key_alg));
                vt_text_hex(&t, st->key, st->key_len, "");
                vt_text_put(&t, "\n");
        }
        for (size_t i = 0; i < st->n; i++)
                write_cred(&t, i, &st->creds[i]);
        return vt_sink_text(sink, FILE_NAME, &t);
}

int vt_oath_save(const struct vt_image *card, const void *state, const struct vt_codec_sink *sink)
{
        (void)card;
        return save_state(state, sink);
}

int vt_oath_commit(const struct vt_image *card, const void *state, const void *change,
                   const struct vt_codec_sink *sink)
{
        const struct oath_change *ch = change;
        (void)card;
        (void)state;
        return save_state(ch->next, sink);
}

/* ---- load --------------------------------------------------------------------------------- */

/* What every file the writers made has (a HOTP credential's counter too: see check). */
static const struct vt_ini_rule rules[] = {
    {"oath", "device_id", true},
    {"credential ", "name|name_hex type algorithm digits touch secret", false},
    {NULL, NULL, false},
};
static const struct vt_ini_spec spec = {rules, "secret"};

struct load {
        struct vt_oath_state st;
        char section[32];
        int counter_line[OATH_CREDS_MAX]; /* 0: the credential has none */
};

static int oath_key(struct vt_ini *ini, struct load *l, const char *key, const char *value)
{
        size_t n;
        if (strcmp(key, "device_id") == 0) {
                if (vt_parse_hex_exact(value, l->st.salt, sizeof(l->st.salt)) != 0)
                        return vt_ini_fail(ini, "device_id: %d bytes of hex", OATH_SALT_LEN);
        } else if (strcmp(key, "access_algorithm") == 0) {
                if (oath_alg_parse(value, &l->st.key_alg) != 0)
                        return vt_ini_fail(ini, "access_algorithm: SHA1, SHA256 or SHA512");
        } else if (strcmp(key, "access_key") == 0) {
                if (vt_parse_hex(value, l->st.key, sizeof(l->st.key), &n) != 0 || n == 0)
                        return vt_ini_fail(ini, "access_key: 1 to %d bytes of hex",
                                           OATH_ACCESS_MAX);
                l->st.key_len = (uint8_t)n;
        } else {
                return vt_ini_fail(ini, "unknown key '%s'", key);
        }
        return 1;
}

static int cred_key(struct vt_ini *ini, struct oath_cred *c, int *counter_line, const char *key,
                    const char *value)
{
        unsigned long v;
        size_t n;
        bool b;
        if (strcmp(key, "name") == 0 || strcmp(key, "name_hex") == 0) {
                bool hex = key[4] == '_';
                if (c->name_len)
                        return vt_ini_fail(ini, "one of name and name_hex only: keep one");
                n = strlen(value);
                if (hex ? vt_parse_hex(value, c->name, sizeof(c->name), &n) != 0
                        : n > OATH_NAME_MAX)
                        return vt_ini_fail(ini, "%s: 1 to %d bytes", key, OATH_NAME_MAX);
                if (!hex)
                        memcpy(c->name, value, n);
                c->name_len = (uint8_t)n;
        } else if (strcmp(key, "type") == 0) {
                if (strcmp(value, "totp") != 0 && strcmp(value, "hotp") != 0)
                        return vt_ini_fail(ini, "type: totp or hotp");
                c->type = value[0] == 't' ? OATH_TOTP : OATH_HOTP;
        } else if (strcmp(key, "algorithm") == 0) {
                if (oath_alg_parse(value, &c->alg) != 0)
                        return vt_ini_fail(ini, "algorithm: SHA1, SHA256 or SHA512");
        } else if (strcmp(key, "digits") == 0) {
                if (vt_parse_uint(value, 8, &v) != 0 || v < 6)
                        return vt_ini_fail(ini, "digits: 6, 7 or 8");
                c->digits = (uint8_t)v;
        } else if (strcmp(key, "touch") == 0) {
                if (vt_parse_bool(value, &b) != 0)
                        return vt_ini_fail(ini, "touch: yes or no");
                c->props = b ? OATH_PROP_TOUCH : 0;
        } else if (strcmp(key, "counter") == 0) {
                if (vt_parse_uint(value, UINT32_MAX, &v) != 0)
                        return vt_ini_fail(ini, "counter: 0 to 4294967295");
                c->counter = (uint32_t)v;
                *counter_line = ini->line;
        } else if (strcmp(key, "secret") == 0) { /* each line of it adds to it */
                if (vt_parse_hex(value, c->secret + c->secret_len,
                                 sizeof(c->secret) - c->secret_len, &n) != 0)
                        return vt_ini_fail(ini, "secret: up to %d bytes of hex", OATH_SECRET_MAX);
                c->secret_len = (uint8_t)(c->secret_len + n);
        } else {
                return vt_ini_fail(ini, "unknown key '%s'", key);
        }
        return 1;
}

static int on_key(struct vt_ini *ini, const char *section, const char *key, const char *value)
{
        struct load *l = ini->user;
        if (strcmp(section, "oath") == 0)
                return oath_key(ini, l, key, value);
        if (strncmp(section, "credential ", 11) != 0)
                return vt_ini_fail(ini, "unknown section [%s]", section);
        if (strcmp(section, l->section) != 0) {
                if (l->st.n == OATH_CREDS_MAX)
                        return vt_ini_fail(ini, "more than %d credentials", OATH_CREDS_MAX);
                l->st.n++;
                snprintf(l->section, sizeof(l->section), "%s", section);
        }
        return cred_key(ini, &l->st.creds[l->st.n - 1], &l->counter_line[l->st.n - 1], key, value);
}

/* What the parse cannot see line by line: every credential whole, names unique. */
static const char *check(const struct load *l)
{
        if (!l->st.key_alg != !l->st.key_len)
                return "access_algorithm and access_key go together";
        for (size_t i = 0; i < l->st.n; i++) {
                const struct oath_cred *c = &l->st.creds[i];
                if (!c->name_len || !c->type || !c->alg || !c->digits)
                        return "a credential without name, type, algorithm or digits";
                if ((c->type == OATH_HOTP) != (l->counter_line[i] != 0))
                        return c->type == OATH_HOTP ? "a HOTP credential without its counter "
                                                      "(restore it: a counter never goes back)"
                                                    : "a TOTP credential with a counter (remove "
                                                      "it, or make the credential hotp)";
                if (c->secret_len > (c->alg == OATH_SHA512 ? 128 : 64))
                        return "a secret longer than its hash's block";
                for (size_t j = 0; j < i; j++)
                        if (l->st.creds[j].name_len == c->name_len &&
                            memcmp(l->st.creds[j].name, c->name, c->name_len) == 0)
                                return "two credentials of one name";
        }
        return NULL;
}

int vt_oath_load(const struct vt_image *card, void *state, const struct vt_codec_reader *rd,
                 char *err, size_t errlen)
{
        struct load *l = calloc(1, sizeof(*l));
        const char *why;
        int r = -1;
        if (!l) {
                snprintf(err, errlen, "%s/%s: out of memory", card->dir, FILE_NAME);
                return -1;
        }
        if (vt_ini_read(rd, card, FILE_NAME, false, &spec, on_key, l, err, errlen) == 0) {
                if ((why = check(l)) != NULL) {
                        snprintf(err, errlen, "%s/%s: %s", card->dir, FILE_NAME, why);
                } else {
                        *(struct vt_oath_state *)state = l->st;
                        r = 0;
                }
        }
        OPENSSL_cleanse(l, sizeof(*l));
        free(l);
        return r;
}
