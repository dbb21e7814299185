/* SPDX-License-Identifier: Apache-2.0 */
/* otpauth:// URIs (Google Authenticator's key URI format, as ykman reads them) into the
 * credential ykman would put on the card: the name "[period/][issuer:]account", the secret
 * decoded from Base32, hashed when longer than the hash's block and padded to 14 bytes. */
#include "oath_uri.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MIN_KEY        14 /* ykman pads shorter keys with zeros (HMAC does the same) */
#define DEFAULT_PERIOD 30
#define URI_MAX        2048

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        return -1;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char)tolower((unsigned char)c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes n bytes of s into out (room cap, NUL-terminated); '+' is a space in a query.
 * Its length, or -1. */
static long unescape(const char *s, size_t n, bool query, char *out, size_t cap)
{
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                int c = (unsigned char)s[i];
                if (c == '%') {
                        if (i + 2 >= n)
                                return -1;
                        int a = hexval(s[i + 1]), b = hexval(s[i + 2]);
                        if (a < 0 || b < 0)
                                return -1;
                        c = a << 4 | b;
                        i += 2;
                } else if (c == '+' && query) {
                        c = ' ';
                }
                if (o + 1 >= cap)
                        return -1;
                out[o++] = (char)c;
        }
        out[o] = '\0';
        return (long)o;
}

/* RFC 4648 Base32, any case, spaces and '=' padding ignored. Its length, or -1. */
static long base32(const char *s, uint8_t *out, size_t cap)
{
        uint32_t acc = 0;
        int bits = 0;
        size_t n = 0;
        for (; *s; s++) {
                int c = toupper((unsigned char)*s), v;
                if (c == ' ' || c == '=')
                        continue;
                if (c >= 'A' && c <= 'Z')
                        v = c - 'A';
                else if (c >= '2' && c <= '7')
                        v = c - '2' + 26;
                else
                        return -1;
                acc = (acc << 5 | (uint32_t)v) & 0xFFFF;
                bits += 5;
                if (bits >= 8) {
                        if (n == cap)
                                return -1;
                        out[n++] = (uint8_t)(acc >> (bits - 8));
                        bits -= 8;
                }
        }
        return (long)n;
}

static int number(const char *v, unsigned long max, unsigned long *out)
{
        char *end;
        if (!isdigit((unsigned char)*v))
                return -1;
        errno = 0;
        *out = strtoul(v, &end, 10);
        return errno || *end || *out > max ? -1 : 0;
}

struct params {
        char secret[512];
        char issuer[OATH_NAME_MAX + 1];
        bool has_issuer;
        uint8_t alg;
        unsigned long digits, period, counter;
};

static int param(struct params *p, const char *key, const char *v, char *err, size_t errlen)
{
        if (strcmp(key, "secret") == 0) {
                if (strlen(v) >= sizeof(p->secret))
                        return fail(err, errlen, "the secret is too long");
                snprintf(p->secret, sizeof(p->secret), "%s", v);
        } else if (strcmp(key, "issuer") == 0) {
                if (strlen(v) > OATH_NAME_MAX)
                        return fail(err, errlen, "the issuer is too long");
                snprintf(p->issuer, sizeof(p->issuer), "%s", v);
                p->has_issuer = true;
        } else if (strcmp(key, "algorithm") == 0) {
                if (oath_alg_parse(v, &p->alg) != 0)
                        return fail(err, errlen, "algorithm '%s': SHA1, SHA256 or SHA512", v);
        } else if (strcmp(key, "digits") == 0) {
                if (number(v, 8, &p->digits) != 0 || p->digits < 6)
                        return fail(err, errlen, "digits '%s': 6, 7 or 8", v);
        } else if (strcmp(key, "period") == 0) {
                if (number(v, UINT32_MAX, &p->period) != 0 || p->period == 0)
                        return fail(err, errlen, "period '%s': seconds, at least 1", v);
        } else if (strcmp(key, "counter") == 0) {
                if (number(v, UINT32_MAX, &p->counter) != 0)
                        return fail(err, errlen, "counter '%s': 0 to 4294967295", v);
        } /* other parameters (image, ...) are no business of the card */
        return 0;
}

static int query(const char *q, struct params *p, char *err, size_t errlen)
{
        char key[32], value[512];
        while (*q) {
                size_t n = strcspn(q, "&"), k = strcspn(q, "=");
                if (k < n && k < sizeof(key)) {
                        memcpy(key, q, k);
                        key[k] = '\0';
                        if (unescape(q + k + 1, n - k - 1, true, value, sizeof(value)) < 0 ||
                            param(p, key, value, err, errlen) != 0) {
                                OPENSSL_cleanse(value, sizeof(value));
                                return err[0] ? -1 : fail(err, errlen, "a bad parameter '%s'", key);
                        }
                        OPENSSL_cleanse(value, sizeof(value));
                }
                q += n + (q[n] == '&');
        }
        return 0;
}

/* The key as ykman puts it: hashed when longer than the block, at least 14 bytes. */
static int shorten(struct oath_cred *c, const uint8_t *key, size_t len)
{
        const EVP_MD *md = c->alg == OATH_SHA512   ? EVP_sha512()
                           : c->alg == OATH_SHA256 ? EVP_sha256()
                                                   : EVP_sha1();
        unsigned n = 0;
        if (len > (size_t)EVP_MD_get_block_size(md)) {
                if (EVP_Digest(key, len, c->secret, &n, md, NULL) != 1)
                        return -1;
                len = n;
        } else {
                memcpy(c->secret, key, len);
        }
        c->secret_len = (uint8_t)(len < MIN_KEY ? MIN_KEY : len);
        return 0;
}

static int build(struct oath_cred *c, struct params *p, const char *label, char *err, size_t errlen)
{
        uint8_t key[320];
        char name[3 * OATH_NAME_MAX];
        const char *account = strchr(label, ':');
        const char *issuer = p->has_issuer ? p->issuer : NULL;
        int n = 0;
        if (account) {
                if (!issuer) {
                        snprintf(p->issuer, sizeof(p->issuer), "%.*s", (int)(account - label),
                                 label);
                        issuer = p->issuer;
                }
                account++;
        } else {
                account = label;
        }
        if (!*account)
                return fail(err, errlen, "no account name");
        if (c->type == OATH_TOTP && p->period != DEFAULT_PERIOD)
                n = snprintf(name, sizeof(name), "%lu/", p->period);
        n += snprintf(name + n, sizeof(name) - (size_t)n, "%s%s%s", issuer && *issuer ? issuer : "",
                      issuer && *issuer ? ":" : "", account);
        if (n > OATH_NAME_MAX)
                return fail(err, errlen, "the name '%s' is longer than %d bytes", name,
                            OATH_NAME_MAX);
        memcpy(c->name, name, (size_t)n);
        c->name_len = (uint8_t)n;
        long klen = base32(p->secret, key, sizeof(key));
        if (!p->secret[0] || klen <= 0) {
                OPENSSL_cleanse(key, sizeof(key));
                return fail(err, errlen, "no secret, or one that is not Base32");
        }
        int r = shorten(c, key, (size_t)klen);
        OPENSSL_cleanse(key, sizeof(key));
        return r < 0 ? fail(err, errlen, "cannot hash the secret") : 0;
}

int oath_cred_from_uri(const char *uri, struct oath_cred *c, char *err, size_t errlen)
{
        static const char scheme[] = "otpauth://";
        struct params p = {.alg = OATH_SHA1, .digits = 6, .period = DEFAULT_PERIOD};
        char label[3 * OATH_NAME_MAX + 1];
        const char *type, *path, *q;
        int r = -1;
        memset(c, 0, sizeof(*c));
        err[0] = '\0';
        if (strlen(uri) > URI_MAX || strncasecmp(uri, scheme, sizeof(scheme) - 1) != 0)
                return fail(err, errlen, "not an otpauth:// URI");
        type = uri + sizeof(scheme) - 1;
        path = strchr(type, '/');
        if (!path)
                return fail(err, errlen, "no label after the type");
        if ((size_t)(path - type) == 4 && strncasecmp(type, "totp", 4) == 0)
                c->type = OATH_TOTP;
        else if ((size_t)(path - type) == 4 && strncasecmp(type, "hotp", 4) == 0)
                c->type = OATH_HOTP;
        else
                return fail(err, errlen, "the type is neither totp nor hotp");
        path++;
        q = strchr(path, '?');
        if (!q)
                return fail(err, errlen, "no parameters (secret=...)");
        if (unescape(path, (size_t)(q - path), false, label, sizeof(label)) < 0)
                return fail(err, errlen, "a bad label");
        if (query(q + 1, &p, err, errlen) == 0 && (c->alg = p.alg) != 0 &&
            build(c, &p, label, err, errlen) == 0) {
                c->digits = (uint8_t)p.digits;
                c->counter = c->type == OATH_HOTP ? (uint32_t)p.counter : 0;
                r = 0;
        }
        OPENSSL_cleanse(&p, sizeof(p));
        if (r < 0)
                OPENSSL_cleanse(c, sizeof(*c));
        return r;
}
