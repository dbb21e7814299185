/* SPDX-License-Identifier: Apache-2.0 */
#include "codec.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#define PATH_LEN 4096

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
        va_list ap;

        if (!err || !errlen)
                return;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
}

int vt_codec_read(const struct vt_codec_reader *rd, const struct vt_image *card, const char *name,
                  uint8_t **data, size_t *len, char *err, size_t errlen)
{
        int r = rd->read(rd->ctx, name, data, len);

        if (r == 0)
                return 1;
        *data = NULL;
        if (r == -ENOENT)
                return 0;
        if (r == -ELOOP)
                set_err(err, errlen,
                        "%s/%s is a symbolic link: an image's files are its own (remove the link)",
                        card->dir, name);
        else if (r == -EFBIG)
                set_err(err, errlen, "%s/%s: too large", card->dir, name);
        else if (r == -EISDIR || r == -EINVAL)
                set_err(err, errlen, "%s/%s: not a regular file", card->dir, name);
        else
                set_err(err, errlen, "%s/%s: %s", card->dir, name, strerror(-r));
        return -1;
}

int vt_ini_fail(struct vt_ini *ini, const char *fmt, ...)
{
        va_list ap;

        if (!ini->reason[0]) {
                va_start(ap, fmt);
                vsnprintf(ini->reason, sizeof(ini->reason), fmt, ap);
                va_end(ap);
        }
        return 0;
}

/* The strict reading of an image file (vt_ini_parse): inih parses each line, fed one by one by
 * line_read, which refuses what inih would take apart silently (a long line split in two, a
 * NUL ending a line early, a file cut short) and notes sections; on_line refuses a key or a
 * section given twice; the spec's rules are checked once the file is read. */
#define NAME_MAX_LEN 64
#define SECTIONS_MAX 1024 /* more than any image file has (64 credentials, 25 slots) */

struct seen_section {
        int line;
        char name[NAME_MAX_LEN];
};

struct seen_key {
        long section; /* index into sections; -1 before the first */
        int line;
        char key[NAME_MAX_LEN];
};

struct parse {
        struct vt_ini ini;
        vt_ini_handler h;
        const struct vt_ini_spec *spec;
        const char *p, *end;
        int line;      /* the line the reader gave last */
        bool indented; /* it begins with a space or a tab */
        int fail_line; /* the first line refused (0: none yet) */
        char why[300];
        struct seen_section *sections;
        size_t n_sections, cap_sections;
        struct seen_key *keys;
        size_t n_keys, cap_keys;
        long last_key; /* the key of the line before, when that line gave one (else -1) */
};

static int refuse(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct parse *p, const char *fmt, ...)
{
        va_list ap;

        if (p->fail_line)
                return 0;
        p->fail_line = p->line;
        va_start(ap, fmt);
        vsnprintf(p->why, sizeof(p->why), fmt, ap);
        va_end(ap);
        return 0;
}

static void *grow(void *arr, size_t n, size_t *cap, size_t size)
{
        void *bigger;

        if (n < *cap)
                return arr;
        bigger = realloc(arr, (*cap ? *cap * 2 : 16) * size);
        if (bigger)
                *cap = *cap ? *cap * 2 : 16;
        return bigger;
}

static const char *section_name(const struct parse *p, long i)
{
        return i < 0 ? "" : p->sections[i].name;
}

/* A section header: its name noted, refused when the file had it before. */
static int on_section(struct parse *p, const char *start)
{
        const char *close = strchr(start, ']');
        size_t n = close ? (size_t)(close - start - 1) : 0;
        struct seen_section *s;

        if (!close)
                return 1; /* inih says the line is wrong */
        if (n >= NAME_MAX_LEN)
                return refuse(p, "a section name longer than %d characters", NAME_MAX_LEN - 1);
        for (size_t i = 0; i < p->n_sections; i++)
                if (strlen(p->sections[i].name) == n &&
                    strncmp(p->sections[i].name, start + 1, n) == 0)
                        return refuse(p,
                                      "[%s] again (first at line %d); a section is given once: "
                                      "merge the two into one",
                                      p->sections[i].name, p->sections[i].line);
        if (p->n_sections == SECTIONS_MAX)
                return refuse(p, "more than %d sections: not an image file", SECTIONS_MAX);
        if (!(s = grow(p->sections, p->n_sections, &p->cap_sections, sizeof(*s))))
                return refuse(p, "out of memory");
        p->sections = s;
        s = &p->sections[p->n_sections++];
        memcpy(s->name, start + 1, n);
        s->name[n] = 0;
        s->line = p->line;
        return 1;
}

/* inih's reader: the next line of the text into str (num bytes), or NULL at the end or once a
 * line is refused. */
static char *line_read(char *str, int num, void *stream)
{
        struct parse *p = stream;
        const char *nl, *start;
        size_t n;

        if (p->fail_line || p->p >= p->end)
                return NULL;
        p->line++;
        nl = memchr(p->p, '\n', (size_t)(p->end - p->p));
        n = nl ? (size_t)(nl - p->p) : (size_t)(p->end - p->p);
        if (n + 3 > (size_t)num) {
                refuse(p,
                       "longer than %d characters (write a long value over several lines "
                       "where its file allows, else shorten it)",
                       num - 3);
                return NULL;
        }
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)p->p[i];
                if ((c < 0x20 && c != '\t' && !(c == '\r' && i + 1 == n)) || c == 0x7F) {
                        refuse(p, "not a text file: a control byte 0x%02x (remove it)", c);
                        return NULL;
                }
        }
        if (!nl) {
                refuse(p, "the file ends inside this line: it was cut short (restore the file, "
                          "or end the line if it is whole)");
                return NULL;
        }
        memcpy(str, p->p, n + 1);
        str[n + 1] = 0;
        p->p = nl + 1;
        p->indented = n && (str[0] == ' ' || str[0] == '\t');
        for (start = str; *start == ' ' || *start == '\t'; start++)
                ;
        if (strchr("[;#\r\n", *start))
                p->last_key = -1; /* a blank line, a comment or a header ends a value */
        if (*start == '[' && !on_section(p, start))
                return NULL;
        return str;
}

static bool word_in(const char *words, const char *w)
{
        size_t n = strlen(w);

        for (const char *s = words; s && *s;) {
                size_t k = strcspn(s, " |");
                if (k == n && strncmp(s, w, n) == 0)
                        return true;
                s += k;
                s += strspn(s, " |");
        }
        return false;
}

static int on_line(void *user, const char *section, const char *key, const char *value)
{
        struct parse *p = user;
        long cur = (long)p->n_sections - 1;
        bool continued = p->spec && word_in(p->spec->continued, key ? key : "");
        struct seen_key *k;

        if (p->fail_line)
                return 0;
        if (!key)
                return 1; /* a section header alone */
        (void)section;    /* the section is the last header line_read saw */
        if (strlen(key) >= NAME_MAX_LEN)
                return refuse(p, "a key longer than %d characters", NAME_MAX_LEN - 1);
        if (p->last_key >= 0 && strcmp(p->keys[p->last_key].key, key) == 0) {
                if (!continued)
                        return refuse(p,
                                      p->indented ? "an indented line goes on with '%s' of [%s], "
                                                    "which takes one line: join the two lines"
                                                  : "'%s' again in [%s] (first at line %d); a "
                                                    "key is given once in a section: keep one",
                                      key, section_name(p, cur), p->keys[p->last_key].line);
        } else {
                /* a section comes once, so its keys are the last ones noted */
                for (size_t i = p->n_keys; i > 0 && p->keys[i - 1].section == cur; i--)
                        if (strcmp(p->keys[i - 1].key, key) == 0)
                                return refuse(p,
                                              "'%s' again in [%s] (first at line %d); a key is "
                                              "given once in a section: keep one",
                                              key, section_name(p, cur), p->keys[i - 1].line);
                if (!(k = grow(p->keys, p->n_keys, &p->cap_keys, sizeof(*k))))
                        return refuse(p, "out of memory");
                p->keys = k;
                k = &p->keys[p->n_keys];
                k->section = cur;
                k->line = p->line;
                snprintf(k->key, sizeof(k->key), "%s", key);
                p->last_key = (long)p->n_keys++;
        }
        p->ini.line = p->line;
        if (p->h(&p->ini, section_name(p, cur), key, value))
                return 1;
        return refuse(p, "%s", p->ini.reason[0] ? p->ini.reason : "refused");
}

static bool rule_matches(const struct vt_ini_rule *r, const char *name)
{
        size_t n = strlen(r->section);
        return n && r->section[n - 1] == ' ' ? strncmp(name, r->section, n) == 0
                                             : strcmp(name, r->section) == 0;
}

static bool key_seen(const struct parse *p, long section, const char *alternatives)
{
        for (size_t i = 0; i < p->n_keys; i++)
                if (p->keys[i].section == section && word_in(alternatives, p->keys[i].key))
                        return true;
        return false;
}

/* The rules: each section with every key it needs, each required section there. */
static int check_rules(struct parse *p, const char *path, char *err, size_t errlen)
{
        const struct vt_ini_rule *r;
        char need[NAME_MAX_LEN * 2];

        for (r = p->spec && p->spec->rules ? p->spec->rules : NULL; r && r->section; r++) {
                bool found = false;
                for (long s = 0; s < (long)p->n_sections; s++) {
                        if (!rule_matches(r, p->sections[s].name))
                                continue;
                        found = true;
                        for (const char *k = r->keys; *k;) {
                                size_t n = strcspn(k, " ");
                                snprintf(need, sizeof(need), "%.*s", (int)n, k);
                                if (!key_seen(p, s, need)) {
                                        set_err(err, errlen,
                                                "%s:%d: [%s] has no %s; add it (docs/"
                                                "image-format.md says what each file holds)",
                                                path, p->sections[s].line, p->sections[s].name,
                                                need);
                                        return -1;
                                }
                                k += n;
                                k += strspn(k, " ");
                        }
                }
                if (r->required && !found) {
                        set_err(err, errlen,
                                "%s: no [%s] section; add it (docs/image-format.md says what "
                                "each file holds)",
                                path, r->section);
                        return -1;
                }
        }
        return 0;
}

int vt_ini_parse(const char *path, const char *text, size_t len, const struct vt_ini_spec *spec,
                 vt_ini_handler h, void *user, char *err, size_t errlen)
{
        struct parse p = {.ini = {.user = user},
                          .h = h,
                          .spec = spec,
                          .p = text,
                          .end = text + len,
                          .last_key = -1};
        int line = ini_parse_stream(line_read, &p, on_line, &p), r = -1;

        if (line > 0 && (!p.fail_line || line < p.fail_line))
                set_err(err, errlen,
                        "%s:%d: not a [section], a key = value, a comment or a blank line "
                        "(fix or remove the line)",
                        path, line);
        else if (p.fail_line)
                set_err(err, errlen, "%s:%d: %s", path, p.fail_line, p.why);
        else if (line < 0)
                set_err(err, errlen, "%s: out of memory", path);
        else
                r = check_rules(&p, path, err, errlen);
        free(p.sections);
        free(p.keys);
        return r;
}

int vt_ini_read(const struct vt_codec_reader *rd, const struct vt_image *card, const char *name,
                bool optional, const struct vt_ini_spec *spec, vt_ini_handler h, void *user,
                char *err, size_t errlen)
{
        char path[PATH_LEN];
        uint8_t *data;
        size_t len;
        int r = vt_codec_read(rd, card, name, &data, &len, err, errlen);

        snprintf(path, sizeof(path), "%s/%s", card->dir, name);
        if (r < 0)
                return -1;
        if (r == 0) {
                if (optional)
                        return 1;
                set_err(err, errlen, "%s: %s", path, strerror(ENOENT));
                return -1;
        }
        r = vt_ini_parse(path, (const char *)data, len, spec, h, user, err, errlen);
        OPENSSL_cleanse(data, len); /* state files hold secrets */
        free(data);
        return r;
}

int vt_parse_uint(const char *v, unsigned long max, unsigned long *out)
{
        char *end;

        if (!*v || *v == '-' || *v == '+')
                return -1;
        errno = 0;
        *out = strtoul(v, &end, 10);
        return errno || *end || *out > max ? -1 : 0;
}

int vt_hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int vt_parse_hex(const char *v, uint8_t *out, size_t cap, size_t *len)
{
        size_t n = 0;

        while (*v) {
                int hi, lo;

                if (*v == ' ' || *v == ':') {
                        v++;
                        continue;
                }
                if ((hi = vt_hexval(v[0])) < 0 || (lo = vt_hexval(v[1])) < 0 || n == cap)
                        return -1;
                out[n++] = (uint8_t)(hi << 4 | lo);
                v += 2;
        }
        *len = n;
        return 0;
}

int vt_parse_hex_exact(const char *v, uint8_t *out, size_t n)
{
        size_t len;

        return vt_parse_hex(v, out, n, &len) < 0 || len != n ? -1 : 0;
}

int vt_parse_bool(const char *v, bool *out)
{
        if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
                *out = true;
        else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
                *out = false;
        else
                return -1;
        return 0;
}

int vt_parse_version(const char *v, uint8_t out[3])
{
        for (int i = 0; i < 3; i++) {
                unsigned long n = 0;
                size_t digits = strspn(v, "0123456789");
                if (digits == 0 || digits > 3)
                        return -1;
                for (size_t k = 0; k < digits; k++)
                        n = n * 10 + (unsigned long)(v[k] - '0');
                if (n > 255)
                        return -1;
                out[i] = (uint8_t)n;
                v += digits;
                if (*v != (i < 2 ? '.' : '\0'))
                        return -1;
                v++;
        }
        return 0;
}

static int no_password(char *buf, int size, int rwflag, void *u)
{
        (void)buf, (void)size, (void)rwflag, (void)u;
        return -1;
}

EVP_PKEY *vt_pem_key(const uint8_t *data, size_t len)
{
        BIO *bio = len <= INT_MAX ? BIO_new_mem_buf(data, (int)len) : NULL;
        EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL) : NULL;
        BIO_free(bio);
        return key;
}

int vt_pem_cert(const uint8_t *data, size_t len, uint8_t **der, size_t *der_len)
{
        BIO *bio = len <= INT_MAX ? BIO_new_mem_buf(data, (int)len) : NULL;
        char *name = NULL, *header = NULL;
        unsigned char *raw = NULL;
        long n = 0;
        int ok = bio && PEM_read_bio(bio, &name, &header, &raw, &n) &&
                 strcmp(name, "CERTIFICATE") == 0 && n > 0 && (*der = malloc((size_t)n));
        if (ok) {
                memcpy(*der, raw, (size_t)n);
                *der_len = (size_t)n;
        }
        BIO_free(bio);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(raw);
        return ok ? 0 : -1;
}

/* Puts what a BIO writer made, from secure memory. */
static int sink_bio(const struct vt_codec_sink *sink, const char *name, BIO *bio, int written)
{
        char *data;
        long n;
        int r = -EINVAL;

        if (bio && written && (n = BIO_get_mem_data(bio, &data)) > 0)
                r = sink->put(sink->ctx, name, data, (size_t)n);
        BIO_free(bio);
        return r;
}

int vt_sink_key(const struct vt_codec_sink *sink, const char *name, EVP_PKEY *key)
{
        if (!key)
                return sink->remove(sink->ctx, name);
        BIO *bio = BIO_new(BIO_s_secmem());
        return sink_bio(sink, name, bio,
                        bio && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL));
}

/* The certificate's bytes exactly as the card holds them: PUT DATA may store bytes that are
 * not X.509, and they must come back the same. */
int vt_sink_cert(const struct vt_codec_sink *sink, const char *name, const uint8_t *der, size_t len)
{
        if (!der || !len)
                return sink->remove(sink->ctx, name);
        BIO *bio = BIO_new(BIO_s_mem());
        return sink_bio(sink, name, bio,
                        bio && PEM_write_bio(bio, "CERTIFICATE", "", der, (long)len));
}

int vt_sink_text(const struct vt_codec_sink *sink, const char *name, struct vt_text *t)
{
        int r = t->err ? -ENOMEM : sink->put(sink->ctx, name, t->p ? t->p : "", t->len);
        vt_text_free(t);
        return r;
}
