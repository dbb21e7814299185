/* SPDX-License-Identifier: Apache-2.0 */
/* The card image store: loads an image directory and commits changes to it durably.
 *
 * Files (all 0600, in a 0700 directory):
 *
 *   card.ini — identity and policy, INI; unknown sections or keys are errors:
 *       [card]    profile, applet, atr (hex bytes, spaces allowed), guid (32 hex digits),
 *                 serial (decimal), firmware (x.y.z: the YubiKey firmware the card answers
 *                 as, defaults included; an image made before has version instead, which is
 *                 only reported, and keeps a 3DES default management key), yubikey_mgmt_aid,
 *                 global_pin (yes|no), pin_complexity (yes|no, optional; firmware 5.7 or later),
 *                 compat (none|yubikey; optional, default none). compat = yubikey makes the
 *                 card present a YubiKey 5 NFC's ATR and answer the YubiKey management AID
 *                 whatever atr and yubikey_mgmt_aid say; they stay in the file for none.
 *       [pin]     min_length, max_length (1..8), charset (any|digits|strong), retries (1..15)
 *       [puk]     retries (1..15)
 *       [slot 9a] pin_policy (default|never|once|always),
 *                 touch_policy (default|never|always|cached), origin (generated|imported)
 *   state — the secrets and counters the card changes, INI too:
 *       [pin] and [puk]  salt (32 hex), hash (64 hex), tries_left (0..retries),
 *                        blocked (yes|no, must agree with tries_left == 0)
 *       [management]     alg (3des|aes128|aes192|aes256), key (hex), touch (a touch policy)
 *   9a.key.pem, 9a.crt.pem — PKCS#8 private key and X.509 certificate of a slot, named by the
 *       key reference in two lower-case hex digits; the slot's algorithm is the key's own.
 *   obj-5fc109.bin — a data object by its tag in lower-case hex, the raw bytes GET DATA returns.
 *
 *   openpgp.ini — the OpenPGP application, when card.ini's applet is openpgp or piv+openpgp:
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
 *
 *   f9.key.pem, f9.crt.pem — the attestation key (slot F9) and its certificate, issued by the
 *       image's own attestation CA, whose certificate is attestation-ca.crt.pem (its key is not
 *       kept); F9 signs the certificates of ATTEST.
 *
 * card.ini and state are required; slot and object files are optional. Other files (such as
 * ca.crt.pem, attestation-ca.crt.pem or leftover ".*.tmp" files of an interrupted write) are
 * ignored. Loading never writes; a corrupt or unreadable file fails the load with a message naming
 * the file, the line where there is one, and the reason. A commit writes a temporary file in the
 * same directory, fsyncs it, renames it over the old one and fsyncs the directory, so a crash
 * leaves either the old or the new file (and perhaps a ".NAME.XXXXXX.tmp", which the first commit
 * after the next load removes). */
#include "image_store.h"

#include "image_dir.h"

#include "keygen.h"
#include "pgp_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define FILE_MAX (1024L * 1024)

/* ---- loading ------------------------------------------------------------------------ */

struct load {
        struct vt_image *img;
        char reason[200];
        unsigned seen;  /* bits of the required keys found */
        uint8_t compat; /* applied once card.ini is read */
};

static int fail(struct load *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct load *l, const char *fmt, ...)
{
        va_list ap;

        if (!l->reason[0]) {
                va_start(ap, fmt);
                vsnprintf(l->reason, sizeof(l->reason), fmt, ap);
                va_end(ap);
        }
        return 0;
}

static int parse_uint(const char *v, unsigned long max, unsigned long *out)
{
        char *end;

        if (!*v || *v == '-' || *v == '+')
                return -1;
        errno = 0;
        *out = strtoul(v, &end, 10);
        return errno || *end || *out > max ? -1 : 0;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Hex bytes; spaces and colons between bytes are allowed. */
static int parse_hex(const char *v, uint8_t *out, size_t cap, size_t *len)
{
        size_t n = 0;

        while (*v) {
                int hi, lo;

                if (*v == ' ' || *v == ':') {
                        v++;
                        continue;
                }
                if ((hi = hexval(v[0])) < 0 || (lo = hexval(v[1])) < 0 || n == cap)
                        return -1;
                out[n++] = (uint8_t)(hi << 4 | lo);
                v += 2;
        }
        *len = n;
        return 0;
}

static int parse_hex_exact(const char *v, uint8_t *out, size_t n)
{
        size_t len;

        return parse_hex(v, out, n, &len) < 0 || len != n ? -1 : 0;
}

static int parse_bool(const char *v, bool *out)
{
        if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
                *out = true;
        else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
                *out = false;
        else
                return -1;
        return 0;
}

/* x.y.z, each 0..255 in decimal digits only. */
static int parse_version(const char *v, uint8_t out[3])
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

static int parse_tries(struct load *l, const char *v, uint8_t *out)
{
        unsigned long n;

        if (parse_uint(v, VT_PIV_TRIES_MAX, &n) < 0 || n < 1)
                return fail(l, "retries must be 1..15, not '%s'", v);
        *out = (uint8_t)n;
        return 1;
}

enum {
        SEEN_ATR = 1u << 0,
        SEEN_GUID = 1u << 1,
        SEEN_SERIAL = 1u << 2,
        SEEN_VERSION = 1u << 3,
        SEEN_PIN_RETRIES = 1u << 4,
        SEEN_PUK_RETRIES = 1u << 5,
};

static int card_key(struct load *l, const char *key, const char *v)
{
        struct vt_image *img = l->img;
        unsigned long n;

        if (strcmp(key, "profile") == 0 || strcmp(key, "applet") == 0) {
                char *dst = key[0] == 'p' ? img->profile : img->applet;
                if (!*v || strlen(v) >= sizeof(img->profile))
                        return fail(l, "bad %s '%s'", key, v);
                snprintf(dst, sizeof(img->profile), "%s", v);
        } else if (strcmp(key, "atr") == 0) {
                if (parse_hex(v, img->atr, sizeof(img->atr), &img->atr_len) < 0 || img->atr_len < 2)
                        return fail(l, "bad atr '%s'", v);
                l->seen |= SEEN_ATR;
        } else if (strcmp(key, "guid") == 0) {
                if (parse_hex_exact(v, img->guid, sizeof(img->guid)) < 0)
                        return fail(l, "guid must be 32 hex digits");
                l->seen |= SEEN_GUID;
        } else if (strcmp(key, "serial") == 0) {
                if (parse_uint(v, UINT32_MAX, &n) < 0)
                        return fail(l, "bad serial '%s'", v);
                img->serial = (uint32_t)n;
                l->seen |= SEEN_SERIAL;
        } else if (strcmp(key, "version") == 0 || strcmp(key, "firmware") == 0) {
                if (l->seen & SEEN_VERSION)
                        return fail(l, "one of version and firmware only");
                if (parse_version(v, img->version) < 0)
                        return fail(l, "%s must be x.y.z, not '%s'", key, v);
                img->firmware = key[0] == 'f';
                l->seen |= SEEN_VERSION;
        } else if (strcmp(key, "pin_complexity") == 0) {
                if (parse_bool(v, &img->pin_complexity) < 0)
                        return fail(l, "%s must be yes or no", key);
        } else if (strcmp(key, "compat") == 0) {
                if (vt_compat_parse(v, &l->compat) < 0)
                        return fail(l, "compat must be none or yubikey, not '%s'", v);
        } else if (strcmp(key, "yubikey_mgmt_aid") == 0) {
                if (parse_bool(v, &img->yubikey_mgmt_aid) < 0)
                        return fail(l, "%s must be yes or no", key);
        } else if (strcmp(key, "global_pin") == 0) {
                if (parse_bool(v, &img->global_pin) < 0)
                        return fail(l, "%s must be yes or no", key);
        } else {
                return fail(l, "unknown key '%s' in [card]", key);
        }
        return 1;
}

static int pin_key(struct load *l, const char *key, const char *v)
{
        struct vt_image *img = l->img;
        unsigned long n;

        if (strcmp(key, "min_length") == 0 || strcmp(key, "max_length") == 0) {
                if (parse_uint(v, 8, &n) < 0 || n < 1)
                        return fail(l, "%s must be 1..8, not '%s'", key, v);
                *(key[1] == 'i' ? &img->pin_rules.min_len : &img->pin_rules.max_len) = (uint8_t)n;
        } else if (strcmp(key, "charset") == 0) {
                if (vt_charset_parse(v, &img->pin_rules.charset) < 0)
                        return fail(l, "charset must be any, digits or strong, not '%s'", v);
        } else if (strcmp(key, "retries") == 0) {
                l->seen |= SEEN_PIN_RETRIES;
                return parse_tries(l, v, &img->pin.max_tries);
        } else {
                return fail(l, "unknown key '%s' in [pin]", key);
        }
        return 1;
}

static int slot_key(struct load *l, struct vt_slot *s, const char *key, const char *v)
{
        if (strcmp(key, "pin_policy") == 0) {
                if (vt_pin_policy_parse(v, &s->pin_policy) < 0)
                        return fail(l, "bad pin_policy '%s'", v);
        } else if (strcmp(key, "touch_policy") == 0) {
                if (vt_touch_policy_parse(v, &s->touch_policy) < 0)
                        return fail(l, "bad touch_policy '%s'", v);
        } else if (strcmp(key, "origin") == 0) {
                if (strcmp(v, "generated") != 0 && strcmp(v, "imported") != 0)
                        return fail(l, "origin must be generated or imported, not '%s'", v);
                s->generated = v[0] == 'g';
        } else {
                return fail(l, "unknown key '%s' in a [slot] section", key);
        }
        return 1;
}

static struct vt_slot *section_slot(struct vt_image *img, const char *section)
{
        int hi, lo;

        if (strncmp(section, "slot ", 5) != 0 || strlen(section) != 7 ||
            (hi = hexval(section[5])) < 0 || (lo = hexval(section[6])) < 0)
                return NULL;
        return vt_image_slot(img, (uint8_t)(hi << 4 | lo));
}

static int card_handler(void *user, const char *section, const char *key, const char *v)
{
        struct load *l = user;
        struct vt_slot *s;

        if (!key)
                return 1; /* a section header alone */
        if (strcmp(section, "card") == 0)
                return card_key(l, key, v);
        if (strcmp(section, "pin") == 0)
                return pin_key(l, key, v);
        if (strcmp(section, "puk") == 0) {
                if (strcmp(key, "retries") != 0)
                        return fail(l, "unknown key '%s' in [puk]", key);
                l->seen |= SEEN_PUK_RETRIES;
                return parse_tries(l, v, &l->img->puk.max_tries);
        }
        if ((s = section_slot(l->img, section)))
                return slot_key(l, s, key, v);
        return fail(l, "unknown section [%s]", section);
}

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

static int secret_key(struct load *l, struct vt_secret *s, unsigned shift, const char *key,
                      const char *v)
{
        unsigned long n;
        bool blocked;

        if (strcmp(key, "salt") == 0) {
                if (parse_hex_exact(v, s->salt, sizeof(s->salt)) < 0)
                        return fail(l, "salt must be 32 hex digits");
                l->seen |= SEEN_SALT << shift;
        } else if (strcmp(key, "hash") == 0) {
                if (parse_hex_exact(v, s->hash, sizeof(s->hash)) < 0)
                        return fail(l, "hash must be 64 hex digits");
                l->seen |= SEEN_HASH << shift;
        } else if (strcmp(key, "tries_left") == 0) {
                if (parse_uint(v, VT_PIV_TRIES_MAX, &n) < 0)
                        return fail(l, "tries_left must be 0..15, not '%s'", v);
                s->tries_left = (uint8_t)n;
                l->seen |= SEEN_TRIES << shift;
        } else if (strcmp(key, "blocked") == 0) {
                if (parse_bool(v, &blocked) < 0)
                        return fail(l, "blocked must be yes or no");
                if (!(l->seen & (SEEN_TRIES << shift)) || blocked != (s->tries_left == 0))
                        return fail(l, "blocked = %s disagrees with tries_left", v);
                l->seen |= SEEN_BLOCKED << shift;
        } else {
                return fail(l, "unknown key '%s'", key);
        }
        return 1;
}

static int state_handler(void *user, const char *section, const char *key, const char *v)
{
        struct load *l = user;
        struct vt_image *img = l->img;
        uint8_t alg;

        if (!key)
                return 1;
        if (strcmp(section, "pin") == 0)
                return secret_key(l, &img->pin, 0, key, v);
        if (strcmp(section, "puk") == 0)
                return secret_key(l, &img->puk, SEEN_PUK_SHIFT, key, v);
        if (strcmp(section, "management") != 0)
                return fail(l, "unknown section [%s]", section);
        if (strcmp(key, "alg") == 0) {
                alg = vt_alg_from_name(v);
                if (alg != VT_ALG_3DES && alg != VT_ALG_AES128 && alg != VT_ALG_AES192 &&
                    alg != VT_ALG_AES256)
                        return fail(l, "management alg must be 3des or aes128/192/256, not '%s'",
                                    v);
                img->mgm_alg = alg;
                l->seen |= SEEN_MGM_ALG;
        } else if (strcmp(key, "key") == 0) {
                if (parse_hex(v, img->mgm_key, sizeof(img->mgm_key), &img->mgm_key_len) < 0)
                        return fail(l, "management key is not hex of at most 32 bytes");
                l->seen |= SEEN_MGM_KEY;
        } else if (strcmp(key, "touch") == 0) {
                if (vt_touch_policy_parse(v, &img->mgm_touch) < 0)
                        return fail(l, "bad management touch '%s'", v);
        } else {
                return fail(l, "unknown key '%s' in [management]", key);
        }
        return 1;
}

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

/* Reads a whole optional file of the image directory, never through a link: 1 read, 0 absent,
 * -1 error (message in err, naming path). */
static int read_file(int dirfd, const char *name, const char *path, uint8_t **data, size_t *len,
                     char *err, size_t errlen)
{
        struct stat st;
        int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        size_t got = 0;

        *data = NULL;
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                if (errno == ELOOP)
                        set_err(err, errlen,
                                "%s is a symbolic link: an image's files are its own (remove the "
                                "link)",
                                path);
                else
                        set_err(err, errlen, "%s: %s", path, strerror(errno));
                return -1;
        }
        if (fstat(fd, &st) < 0) {
                set_err(err, errlen, "%s: %s", path, strerror(errno));
                close(fd);
                return -1;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > FILE_MAX) {
                set_err(err, errlen, "%s: %s", path,
                        !S_ISREG(st.st_mode) ? "not a regular file" : "too large");
                goto fail;
        }
        if (!(*data = malloc((size_t)st.st_size + 1))) {
                set_err(err, errlen, "%s: out of memory", path);
                goto fail;
        }
        while (got < (size_t)st.st_size) {
                ssize_t n = read(fd, *data + got, (size_t)st.st_size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        set_err(err, errlen, "%s: %s", path, n ? strerror(errno) : "truncated");
                        goto fail;
                }
                got += (size_t)n;
        }
        close(fd);
        *len = got;
        return 1;
fail:
        if (*data)
                OPENSSL_cleanse(*data, (size_t)st.st_size);
        free(*data);
        *data = NULL;
        close(fd);
        return -1;
}

/* Parses text (len bytes, NUL-terminated at len), the contents of the file path names. */
static int parse_text(struct load *l, const char *path, const char *text, size_t len,
                      ini_handler handler, char *err, size_t errlen)
{
        int line;

        l->reason[0] = '\0';
        l->seen = 0;
        line = memchr(text, '\0', len) ? -2 : ini_parse_string(text, handler, l);
        if (line > 0)
                set_err(err, errlen, "%s: line %d: %s", path, line,
                        l->reason[0] ? l->reason : "syntax error");
        else if (line < 0)
                set_err(err, errlen, "%s: %s", path,
                        line == -2 ? "not a text file" : "out of memory");
        return line == 0 ? 0 : -1;
}

/* The same from len bytes that need not end in a NUL; wiped once parsed (state holds the
 * management key). */
static int parse_bytes(struct load *l, const char *path, const char *data, size_t len,
                       ini_handler handler, char *err, size_t errlen)
{
        char *text = malloc(len + 1);
        int r;

        if (!text) {
                set_err(err, errlen, "%s: out of memory", path);
                return -1;
        }
        memcpy(text, data, len);
        text[len] = '\0';
        r = parse_text(l, path, text, len, handler, err, errlen);
        OPENSSL_cleanse(text, len);
        free(text);
        return r;
}

static int parse_ini(struct load *l, int dirfd, const char *dir, const char *name,
                     ini_handler handler, char *err, size_t errlen)
{
        char path[PATH_MAX];
        uint8_t *data;
        size_t len;
        int r;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if ((r = read_file(dirfd, name, path, &data, &len, err, errlen)) <= 0) {
                if (r == 0)
                        set_err(err, errlen, "%s: %s", path, strerror(ENOENT));
                return -1;
        }
        data[len] = '\0';
        r = parse_text(l, path, (const char *)data, len, handler, err, errlen);
        OPENSSL_cleanse(data, len); /* state holds the management key */
        free(data);
        return r;
}

static int no_password(char *buf, int size, int rwflag, void *u)
{
        (void)buf, (void)size, (void)rwflag, (void)u;
        return -1;
}

static int load_slot(int dirfd, struct vt_image *img, struct vt_slot *s, char *err, size_t errlen)
{
        char path[PATH_MAX], file[16];
        uint8_t *data;
        size_t len;
        BIO *bio;
        char *name = NULL, *header = NULL;
        unsigned char *der = NULL;
        long n = 0;
        int r;

        snprintf(file, sizeof(file), "%02x.key.pem", s->ref);
        snprintf(path, sizeof(path), "%s/%s", img->dir, file);
        if ((r = read_file(dirfd, file, path, &data, &len, err, errlen)) < 0)
                return -1;
        if (r) {
                bio = BIO_new_mem_buf(data, (int)len);
                s->key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL) : NULL;
                BIO_free(bio);
                OPENSSL_cleanse(data, len);
                free(data);
                if (!s->key) {
                        set_err(err, errlen, "%s: not an unencrypted PEM private key", path);
                        return -1;
                }
                if ((s->alg = vt_key_alg(s->key)) == VT_ALG_NONE) {
                        set_err(err, errlen, "%s: key type or size has no PIV algorithm", path);
                        return -1;
                }
        }
        snprintf(file, sizeof(file), "%02x.crt.pem", s->ref);
        snprintf(path, sizeof(path), "%s/%s", img->dir, file);
        if ((r = read_file(dirfd, file, path, &data, &len, err, errlen)) <= 0)
                return r;
        bio = BIO_new_mem_buf(data, (int)len);
        r = bio && PEM_read_bio(bio, &name, &header, &der, &n) &&
            strcmp(name, "CERTIFICATE") == 0 && n > 0 && (s->cert = malloc((size_t)n));
        if (r) {
                memcpy(s->cert, der, (size_t)n);
                s->cert_len = (size_t)n;
        }
        BIO_free(bio);
        free(data);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(der);
        if (!r) {
                set_err(err, errlen, "%s: not a PEM certificate", path);
                return -1;
        }
        return 0;
}

int vt_object_file_tag(const char *name, uint32_t *tag)
{
        char canonical[32];
        size_t n = strlen(name);
        uint32_t v = 0;

        /* exactly "obj-" + 1..6 lower-case hex digits without leading zeros + ".bin", as
         * vt_save_object names it: sscanf would also take "obj- 5fc109.bin" or "obj-+5.bin" */
        if (n < 9 || n > 14 || strncmp(name, "obj-", 4) != 0 || strcmp(name + n - 4, ".bin") != 0)
                return -1;
        for (size_t i = 4; i < n - 4; i++) {
                int d = hexval(name[i]);
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

static int load_objects(int dirfd, struct vt_image *img, char *err, size_t errlen)
{
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *e;
        char path[PATH_MAX];
        int r = 0;

        if (!d) {
                set_err(err, errlen, "%s: %s", img->dir, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        while (r == 0 && (e = readdir(d))) {
                uint32_t tag;
                struct vt_object *o;

                if (vt_object_file_tag(e->d_name, &tag) < 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", img->dir, e->d_name);
                if (vt_image_object(img, tag)) {
                        set_err(err, errlen, "%s: a second file for object %x", path, tag);
                        r = -1;
                } else if (!(o = vt_image_object_add(img, tag))) {
                        set_err(err, errlen, "%s: more than %d objects", path, VT_OBJECTS_MAX);
                        r = -1;
                } else if ((r = read_file(dirfd, e->d_name, path, &o->data, &o->len, err,
                                          errlen)) >= 0) {
                        r = 0;
                }
        }
        closedir(d);
        /* objects with empty files are no objects */
        for (size_t i = img->n_objects; i-- > 0;)
                if (!img->objects[i].len)
                        vt_image_set_object(img, img->objects[i].tag, NULL, 0);
        return r;
}

/* ---- the OpenPGP application ---------------------------------------------------------- */

enum {
        SEEN_PGP_SERIAL = 1u << 0,
        SEEN_PGP_MAKER = 1u << 1,
        SEEN_PW1 = 1u << 2,
        SEEN_PW3 = 1u << 3,
        SEEN_PGP_ALL = 0xF,
};

static int pgp_main_key(struct load *l, struct vt_pgp_state *st, const char *key, const char *v)
{
        uint8_t b[4];
        unsigned long n;
        bool yes;

        if (strcmp(key, "manufacturer") == 0) {
                if (parse_hex_exact(v, b, 2) < 0)
                        return fail(l, "manufacturer must be 4 hex digits, not '%s'", v);
                st->manufacturer = (uint16_t)(b[0] << 8 | b[1]);
                l->seen |= SEEN_PGP_MAKER;
        } else if (strcmp(key, "serial") == 0) {
                if (parse_hex_exact(v, b, 4) < 0)
                        return fail(l, "serial must be 8 hex digits, not '%s'", v);
                st->serial =
                    (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
                l->seen |= SEEN_PGP_SERIAL;
        } else if (strcmp(key, "terminated") == 0 || strcmp(key, "pw1_valid_multiple") == 0) {
                if (parse_bool(v, &yes) < 0)
                        return fail(l, "%s must be yes or no", key);
                *(key[0] == 't' ? &st->terminated : &st->pw1_multi) = yes;
        } else if (strcmp(key, "signature_counter") == 0) {
                if (parse_uint(v, 0xFFFFFF, &n) < 0)
                        return fail(l, "signature_counter must be 0..16777215, not '%s'", v);
                st->sig_count = (uint32_t)n;
        } else {
                return fail(l, "unknown key '%s' in [openpgp]", key);
        }
        return 1;
}

static int pgp_pw_key(struct load *l, struct pgp_pw *pw, struct vt_pin_rules *rules, unsigned seen,
                      const char *key, const char *v)
{
        unsigned long n;

        if (rules && (strcmp(key, "min_length") == 0 || strcmp(key, "max_length") == 0)) {
                if (parse_uint(v, PGP_PW_MAX, &n) < 0 || n < 1)
                        return fail(l, "%s must be 1..127, not '%s'", key, v);
                *(key[1] == 'i' ? &rules->min_len : &rules->max_len) = (uint8_t)n;
        } else if (rules && strcmp(key, "charset") == 0) {
                if (vt_charset_parse(v, &rules->charset) < 0)
                        return fail(l, "charset must be any, digits or strong, not '%s'", v);
        } else if (strcmp(key, "retries") == 0) {
                return parse_tries(l, v, &pw->s.max_tries);
        } else if (strcmp(key, "tries_left") == 0) {
                if (parse_uint(v, VT_PIV_TRIES_MAX, &n) < 0)
                        return fail(l, "tries_left must be 0..15, not '%s'", v);
                pw->s.tries_left = (uint8_t)n;
        } else if (strcmp(key, "length") == 0) {
                if (parse_uint(v, PGP_PW_MAX, &n) < 0)
                        return fail(l, "length must be 0..127, not '%s'", v);
                pw->len = (uint8_t)n;
        } else if (strcmp(key, "salt") == 0) {
                if (parse_hex_exact(v, pw->s.salt, sizeof(pw->s.salt)) < 0)
                        return fail(l, "salt must be 32 hex digits");
        } else if (strcmp(key, "hash") == 0) {
                if (parse_hex_exact(v, pw->s.hash, sizeof(pw->s.hash)) < 0)
                        return fail(l, "hash must be 64 hex digits");
                l->seen |= seen;
        } else {
                return fail(l, "unknown key '%s' in a password section", key);
        }
        return 1;
}

static int pgp_key_key(struct load *l, struct pgp_key *k, const char *key, const char *v)
{
        size_t len;
        unsigned long n;

        if (strcmp(key, "attributes") == 0) {
                if (parse_hex(v, k->attr, sizeof(k->attr), &len) < 0 || len == 0)
                        return fail(l, "attributes must be hex of at most %d bytes", PGP_ATTR_MAX);
                k->attr_len = len;
        } else if (strcmp(key, "fingerprint") == 0 || strcmp(key, "ca_fingerprint") == 0) {
                if (parse_hex_exact(v, key[0] == 'f' ? k->fpr : k->ca_fpr, PGP_FPR_LEN) < 0)
                        return fail(l, "%s must be 40 hex digits", key);
        } else if (strcmp(key, "time") == 0) {
                if (parse_uint(v, UINT32_MAX, &n) < 0)
                        return fail(l, "time must be seconds since 1970, not '%s'", v);
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
                        return fail(l, "origin must be none, generated or imported, not '%s'", v);
        } else if (strcmp(key, "uif") == 0) {
                if (parse_uint(v, 4, &n) < 0)
                        return fail(l, "uif must be 0..4, not '%s'", v);
                k->uif = (uint8_t)n;
        } else {
                return fail(l, "unknown key '%s' in a [key] section", key);
        }
        return 1;
}

static int pgp_handler(void *user, const char *section, const char *key, const char *v)
{
        struct load *l = user;
        struct vt_pgp_state *st = l->img->openpgp;

        if (!key)
                return 1;
        if (!st)
                return fail(l, "out of memory");
        if (strcmp(section, "openpgp") == 0)
                return pgp_main_key(l, st, key, v);
        if (strcmp(section, "pw1") == 0)
                return pgp_pw_key(l, &st->pw1, &st->pw1_rules, SEEN_PW1, key, v);
        if (strcmp(section, "rc") == 0)
                return pgp_pw_key(l, &st->rc, NULL, 0, key, v);
        if (strcmp(section, "pw3") == 0)
                return pgp_pw_key(l, &st->pw3, &st->pw3_rules, SEEN_PW3, key, v);
        for (int i = 0; i < PGP_KEYS; i++)
                if (strncmp(section, "key ", 4) == 0 && strcmp(section + 4, pgp_key_name(i)) == 0)
                        return pgp_key_key(l, &st->keys[i], key, v);
        return fail(l, "unknown section [%s]", section);
}

/* openpgp-NAME.bin: the data objects, each at most its largest size. */
static int load_pgp_dos(int dirfd, struct vt_image *img, char *err, size_t errlen)
{
        char path[PATH_MAX], file[48];
        uint8_t *data;
        size_t len;
        int r;

        for (int i = 0; i < PGP_N_DOS; i++) {
                snprintf(file, sizeof(file), "openpgp-%s.bin", pgp_dos[i].name);
                snprintf(path, sizeof(path), "%s/%s", img->dir, file);
                if ((r = read_file(dirfd, file, path, &data, &len, err, errlen)) <= 0) {
                        if (r < 0)
                                return -1;
                        continue;
                }
                if (len > pgp_dos[i].max_len)
                        set_err(err, errlen, "%s: %zu bytes, more than the %u the object holds",
                                path, len, pgp_dos[i].max_len);
                else if (pgp_state_set_do(img->openpgp, i, data, len) < 0)
                        set_err(err, errlen, "%s: out of memory", path);
                r = len <= pgp_dos[i].max_len && img->openpgp->dos[i].len == len ? 0 : -1;
                OPENSSL_cleanse(data, len);
                free(data);
                if (r < 0)
                        return -1;
        }
        return 0;
}

/* openpgp-sig.key.pem ...: each key must be of the algorithm its attributes name. */
static int load_pgp_keys(int dirfd, struct vt_image *img, char *err, size_t errlen)
{
        struct vt_pgp_state *st = img->openpgp;
        char path[PATH_MAX], file[32];
        uint8_t *data;
        size_t len;
        int r;

        for (int i = 0; i < PGP_KEYS; i++) {
                struct pgp_key *k = &st->keys[i];
                snprintf(file, sizeof(file), "openpgp-%s.key.pem", pgp_key_name(i));
                snprintf(path, sizeof(path), "%s/%s", img->dir, file);
                if (!pgp_alg_of_attr(k->attr, k->attr_len, i)) {
                        set_err(err, errlen,
                                "%s/openpgp.ini: [key %s] attributes name no algorithm", img->dir,
                                pgp_key_name(i));
                        return -1;
                }
                if ((r = read_file(dirfd, file, path, &data, &len, err, errlen)) < 0)
                        return -1;
                if (r == 0)
                        continue;
                BIO *bio = BIO_new_mem_buf(data, (int)len);
                k->key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL) : NULL;
                BIO_free(bio);
                OPENSSL_cleanse(data, len);
                free(data);
                if (!k->key) {
                        set_err(err, errlen, "%s: not an unencrypted PEM private key", path);
                        return -1;
                }
                if (pgp_alg_of_key(k->key, i) != pgp_alg_of_attr(k->attr, k->attr_len, i)) {
                        set_err(err, errlen,
                                "%s: the key is not of the algorithm [key %s] attributes name in "
                                "openpgp.ini",
                                path, pgp_key_name(i));
                        return -1;
                }
        }
        return 0;
}

bool vt_applet_has_openpgp(const char *applet)
{
        return strcmp(applet, "openpgp") == 0 || strcmp(applet, "piv+openpgp") == 0;
}

static int load_openpgp(int dirfd, struct vt_image *img, char *err, size_t errlen)
{
        struct load l = {.img = img};
        struct vt_pgp_state *st;

        if (!(st = img->openpgp = pgp_state_new(0, 0))) {
                set_err(err, errlen, "%s: out of memory", img->dir);
                return -1;
        }
        for (int i = 0; i < PGP_KEYS; i++)
                st->keys[i].attr_len = 0; /* each [key] section says its own */
        if (parse_ini(&l, dirfd, img->dir, "openpgp.ini", pgp_handler, err, errlen) < 0)
                return -1;
        if (l.seen != SEEN_PGP_ALL) {
                set_err(err, errlen,
                        "%s/openpgp.ini: incomplete: needs manufacturer and serial in [openpgp], "
                        "salt and hash in [pw1] and [pw3]",
                        img->dir);
                return -1;
        }
        if (!st->pw1.len || !st->pw3.len || st->pw1_rules.min_len > st->pw1_rules.max_len ||
            st->pw3_rules.min_len > st->pw3_rules.max_len) {
                set_err(err, errlen,
                        "%s/openpgp.ini: a password without length, or min_length "
                        "above max_length",
                        img->dir);
                return -1;
        }
        for (struct pgp_pw *pw = &st->pw1; pw; pw = pw == &st->pw1  ? &st->rc
                                                    : pw == &st->rc ? &st->pw3
                                                                    : NULL)
                if (pw->s.tries_left > pw->s.max_tries)
                        pw->s.tries_left = pw->s.max_tries;
        if (load_pgp_dos(dirfd, img, err, errlen) < 0)
                return -1;
        return load_pgp_keys(dirfd, img, err, errlen);
}

struct vt_image *vt_image_load(const char *dir, char *err, size_t errlen)
{
        int fd = vt_dir_open(dir, err, errlen);
        struct vt_image *img;

        if (fd < 0)
                return NULL;
        img = vt_image_load_at(fd, dir, err, errlen);
        close(fd);
        return img;
}

/* What card.ini says must be whole and consistent. */
static int check_card(const struct load *l, const char *dir, char *err, size_t errlen)
{
        const struct vt_image *img = l->img;

        if ((l->seen & (SEEN_ATR | SEEN_GUID | SEEN_SERIAL | SEEN_VERSION | SEEN_PIN_RETRIES |
                        SEEN_PUK_RETRIES)) != (SEEN_ATR | SEEN_GUID | SEEN_SERIAL | SEEN_VERSION |
                                               SEEN_PIN_RETRIES | SEEN_PUK_RETRIES)) {
                set_err(err, errlen,
                        "%s/card.ini: incomplete: needs atr, guid, serial and firmware in "
                        "[card], retries in [pin] and [puk]",
                        dir);
                return -1;
        }
        if (img->pin_complexity && !(img->firmware && vt_fw_at_least(img, 5, 7))) {
                set_err(err, errlen, "%s/card.ini: pin_complexity needs firmware 5.7 or later",
                        dir);
                return -1;
        }
        if (img->pin_rules.min_len > img->pin_rules.max_len) {
                set_err(err, errlen, "%s/card.ini: [pin] min_length above max_length", dir);
                return -1;
        }
        return 0;
}

/* What state says must be whole and consistent with card.ini. */
static int check_state(const struct load *l, const char *dir, char *err, size_t errlen)
{
        struct vt_image *img = l->img;

        if (l->seen !=
            (SEEN_SECRET_ALL | SEEN_SECRET_ALL << SEEN_PUK_SHIFT | SEEN_MGM_ALG | SEEN_MGM_KEY)) {
                set_err(err, errlen,
                        "%s/state: incomplete: needs salt, hash, tries_left and blocked in [pin] "
                        "and [puk], alg and key in [management]",
                        dir);
                return -1;
        }
        if (img->mgm_key_len != (img->mgm_alg == VT_ALG_AES128   ? 16u
                                 : img->mgm_alg == VT_ALG_AES256 ? 32u
                                                                 : 24u)) {
                set_err(err, errlen, "%s/state: management key length does not fit its alg", dir);
                return -1;
        }
        /* a limit lowered by a commit interrupted before the state was written */
        if (img->pin.tries_left > img->pin.max_tries)
                img->pin.tries_left = img->pin.max_tries;
        if (img->puk.tries_left > img->puk.max_tries)
                img->puk.tries_left = img->puk.max_tries;
        return 0;
}

struct vt_image *vt_image_parse(const char *dir, const char *card_ini, size_t card_len,
                                const char *state, size_t state_len, char *err, size_t errlen)
{
        struct vt_image *img = vt_image_new(dir);
        struct load l = {.img = img};
        char path[PATH_MAX];

        if (!img) {
                set_err(err, errlen, "%s: out of memory", dir);
                return NULL;
        }
        snprintf(path, sizeof(path), "%s/card.ini", dir);
        if (parse_bytes(&l, path, card_ini, card_len, card_handler, err, errlen) < 0 ||
            check_card(&l, dir, err, errlen) < 0)
                goto fail;
        vt_image_set_compat(img, l.compat);
        snprintf(path, sizeof(path), "%s/state", dir);
        if (parse_bytes(&l, path, state, state_len, state_handler, err, errlen) < 0 ||
            check_state(&l, dir, err, errlen) < 0)
                goto fail;
        return img;
fail:
        vt_image_free(img);
        return NULL;
}

struct vt_image *vt_image_load_at(int dirfd, const char *dir, char *err, size_t errlen)
{
        struct vt_image *img = vt_image_new(dir);
        struct load l = {.img = img};

        if (!img) {
                set_err(err, errlen, "%s: out of memory", dir);
                return NULL;
        }
        if (parse_ini(&l, dirfd, dir, "card.ini", card_handler, err, errlen) < 0 ||
            check_card(&l, dir, err, errlen) < 0)
                goto fail;
        vt_image_set_compat(img, l.compat);
        if (parse_ini(&l, dirfd, dir, "state", state_handler, err, errlen) < 0 ||
            check_state(&l, dir, err, errlen) < 0)
                goto fail;
        for (size_t i = 0; i < VT_SLOTS; i++)
                if (load_slot(dirfd, img, &img->slots[i], err, errlen) < 0)
                        goto fail;
        if (load_objects(dirfd, img, err, errlen) < 0)
                goto fail;
        if (vt_applet_has_openpgp(img->applet) && load_openpgp(dirfd, img, err, errlen) < 0)
                goto fail;
        return img;
fail:
        vt_image_free(img);
        return NULL;
}
