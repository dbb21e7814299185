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

struct parse {
        struct vt_ini ini;
        vt_ini_handler h;
};

static int on_line(void *user, const char *section, const char *key, const char *value)
{
        struct parse *p = user;
        if (!key)
                return 1; /* a section header alone */
        return p->h(&p->ini, section, key, value);
}

int vt_ini_parse(const char *path, const char *text, size_t len, vt_ini_handler h, void *user,
                 char *err, size_t errlen)
{
        struct parse p = {.ini = {.user = user}, .h = h};
        int line = memchr(text, '\0', len) ? -2 : ini_parse_string(text, on_line, &p);

        if (line > 0)
                set_err(err, errlen, "%s: line %d: %s", path, line,
                        p.ini.reason[0] ? p.ini.reason : "syntax error");
        else if (line < 0)
                set_err(err, errlen, "%s: %s", path,
                        line == -2 ? "not a text file" : "out of memory");
        return line == 0 ? 0 : -1;
}

int vt_ini_read(const struct vt_codec_reader *rd, const struct vt_image *card, const char *name,
                bool optional, vt_ini_handler h, void *user, char *err, size_t errlen)
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
        r = vt_ini_parse(path, (const char *)data, len, h, user, err, errlen);
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
