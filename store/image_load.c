/* SPDX-License-Identifier: Apache-2.0 */
/* The card image store: loads an image directory and commits changes to it durably.
 *
 * Files (all 0600, in a 0700 directory):
 *
 *   card.ini — identity and policy, INI; unknown sections or keys are errors:
 *       [card]    profile, applets (the applets the card carries, space-separated, in order:
 *                 `applets = piv openpgp oath`; images made before say applet = piv |
 *                 openpgp | piv+openpgp, which loads the same, and the lists with PIV that
 *                 the previous release knew are still written that way, so it reads them),
 *                 atr (hex bytes, spaces allowed), guid (32
 *                 hex digits), serial (decimal), firmware (x.y.z: the YubiKey firmware the card
 *                 answers as, defaults included; an image made before has version instead,
 *                 which is only reported, and keeps a 3DES default management key),
 *                 yubikey_mgmt_aid, pin_complexity (yes|no, optional; firmware 5.7 or later),
 *                 compat (none|yubikey; optional, default none). compat = yubikey makes the
 *                 card present a YubiKey 5 NFC's ATR and answer the YubiKey management AID
 *                 whatever atr and yubikey_mgmt_aid say; they stay in the file for none.
 *                 timing (optional, default instant): the table of how long each command
 *                 takes (applet/timing.h: instant | yubikey5).
 *       [timing]  optional: rows of the timing table this card changes, in milliseconds
 *                 (`sign-rsa2048 = 250`; docs/timing.md), each row once.
 *       Every other key and section belongs to one of the applets (its codec's ini_key): PIV's
 *       global_pin, [pin], [puk] and [slot 9a] (applet/piv/piv_codec.c). Those of an applet the
 *       card does not carry are ignored: images made before wrote PIV's on every card.
 *   Each applet's own files are its codec's (applet/registry.h): PIV's state, slot PEM files
 *   and objects (applet/piv/piv_codec.c), OpenPGP's openpgp.ini and key files
 *   (applet/openpgp/pgp_codec.c), ...
 *
 *   attestation-ca.crt.pem — the certificate of the image's own attestation CA (its key is not
 *       kept), which issued PIV's F9 certificate.
 *
 * Every file is read strictly (applet/codec.h's vt_ini_parse): a key or a section given twice,
 * a required key missing, a control byte, an over-long line or a file cut short inside a line
 * fails the load naming the file and line; nothing falls back to a default.
 *
 * card.ini is required, and what each applet's codec requires. Other files (such as
 * ca.crt.pem, attestation-ca.crt.pem or leftover ".*.tmp" files of an interrupted write) are
 * ignored. Loading never writes; a corrupt or unreadable file fails the load with a message naming
 * the file, the line where there is one, and the reason. A commit writes a temporary file in the
 * same directory, fsyncs it, renames it over the old one and fsyncs the directory, so a crash
 * leaves either the old or the new file (and perhaps a ".NAME.XXXXXX.tmp", which the first commit
 * after the next load removes). */
#include "image_store.h"

#include "image_dir.h"

#include "codec.h"
#include "registry.h"
#include "text.h"

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

#include <openssl/crypto.h>

#define FILE_MAX (1024L * 1024)

/* ---- the files of a directory, for the codecs (struct vt_codec_reader) ---------------- */

/* Reads a whole file of the image directory, never through a link: 0, or a negative errno
 * (-ENOENT absent, -ELOOP a link, -EINVAL not a regular file, -EFBIG too large). */
static int dir_read(void *ctx, const char *name, uint8_t **data, size_t *len)
{
        int dirfd = *(const int *)ctx;
        struct stat st;
        int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        size_t got = 0;
        int r;

        *data = NULL;
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0) {
                r = -errno;
                goto fail;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > FILE_MAX) {
                r = !S_ISREG(st.st_mode) ? -EINVAL : -EFBIG;
                goto fail;
        }
        if (!(*data = malloc((size_t)st.st_size + 1))) {
                r = -ENOMEM;
                goto fail;
        }
        while (got < (size_t)st.st_size) {
                ssize_t n = read(fd, *data + got, (size_t)st.st_size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = n ? -errno : -EIO;
                        goto fail;
                }
                got += (size_t)n;
        }
        close(fd);
        (*data)[got] = 0;
        *len = got;
        return 0;
fail:
        if (*data)
                OPENSSL_cleanse(*data, (size_t)st.st_size);
        free(*data);
        *data = NULL;
        close(fd);
        return r;
}

static int dir_each(void *ctx, int (*fn)(void *arg, const char *name), void *arg)
{
        int dirfd = *(const int *)ctx;
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *e;
        int r = 0;

        if (!d) {
                r = -errno;
                if (fd >= 0)
                        close(fd);
                return r;
        }
        while (r == 0 && (e = readdir(d)))
                if (e->d_name[0] != '.')
                        r = fn(arg, e->d_name);
        closedir(d);
        return r;
}

/* The texts of card.ini and state, without files (vt_image_parse). */
struct texts {
        const char *name[2];
        const char *text[2];
        size_t len[2];
};

static int texts_read(void *ctx, const char *name, uint8_t **data, size_t *len)
{
        const struct texts *t = ctx;
        for (int i = 0; i < 2; i++) {
                if (strcmp(name, t->name[i]) != 0)
                        continue;
                if (!(*data = malloc(t->len[i] + 1)))
                        return -ENOMEM;
                memcpy(*data, t->text[i], t->len[i]);
                (*data)[t->len[i]] = 0;
                *len = t->len[i];
                return 0;
        }
        return -ENOENT;
}

static int texts_each(void *ctx, int (*fn)(void *arg, const char *name), void *arg)
{
        const struct texts *t = ctx;
        int r = 0;
        for (int i = 0; i < 2 && r == 0; i++)
                r = fn(arg, t->name[i]);
        return r;
}

/* ---- card.ini ------------------------------------------------------------------------- */

enum {
        SEEN_VERSION = 1u << 3,
        SEEN_APPLETS = 1u << 4,
};

struct load {
        struct vt_image *img;
        unsigned seen;
        uint8_t compat; /* applied once card.ini is read */
        const struct vt_applet_unit *units[VT_IMAGE_UNITS_MAX];
        size_t n_units;
        /* states of the units the card does not carry, only to recognise their keys */
        void *scratch[VT_IMAGE_UNITS_MAX * 2];
        bool timing_rows[VT_OP_N][VT_CRYPTO_N_ALGS]; /* the [timing] rows given */
};

static const char *const card_keys[] = {"profile",        "applets", "applet",           "atr",
                                        "guid",           "serial",  "version",          "firmware",
                                        "pin_complexity", "compat",  "yubikey_mgmt_aid", "timing"};

static bool is_card_key(const char *key)
{
        for (size_t i = 0; i < sizeof(card_keys) / sizeof(card_keys[0]); i++)
                if (strcmp(key, card_keys[i]) == 0)
                        return true;
        return false;
}

/* A row of [timing]: the card's table (its base read in the first pass) changed. */
static int timing_row(struct vt_ini *ini, const char *key, const char *v)
{
        struct load *l = ini->user;
        struct vt_timing *t = &l->img->timing;
        struct vt_op op;
        char why[200], name[32];
        if (vt_timing_set(t, key, v, why, sizeof(why)) < 0)
                return vt_ini_fail(ini, "%s", why);
        for (size_t i = 0; vt_timing_row_at(i, &op); i++) {
                if (!vt_timing_row_name(op, name, sizeof(name)) || strcmp(name, key) != 0)
                        continue;
                if (l->timing_rows[op.kind][op.alg])
                        return vt_ini_fail(ini, "timing row '%s' given twice", key);
                l->timing_rows[op.kind][op.alg] = true;
        }
        return 1;
}

static int card_key(struct vt_ini *ini, const char *key, const char *v)
{
        struct load *l = ini->user;
        struct vt_image *img = l->img;
        char why[160];
        unsigned long n;

        if (strcmp(key, "profile") == 0) {
                if (!*v || strlen(v) >= sizeof(img->profile))
                        return vt_ini_fail(ini, "bad %s '%s'", key, v);
                snprintf(img->profile, sizeof(img->profile), "%s", v);
        } else if (strcmp(key, "applets") == 0 || strcmp(key, "applet") == 0) {
                if (l->seen & SEEN_APPLETS)
                        return vt_ini_fail(ini, "one of applets and applet only");
                if (vt_units_parse(v, l->units, VT_IMAGE_UNITS_MAX, &l->n_units, why, sizeof(why)) <
                    0)
                        return vt_ini_fail(ini, "%s", why);
                l->seen |= SEEN_APPLETS;
        } else if (strcmp(key, "atr") == 0) {
                if (vt_parse_hex(v, img->atr, sizeof(img->atr), &img->atr_len) < 0 ||
                    img->atr_len < 2)
                        return vt_ini_fail(ini, "bad atr '%s'", v);
        } else if (strcmp(key, "guid") == 0) {
                if (vt_parse_hex_exact(v, img->guid, sizeof(img->guid)) < 0)
                        return vt_ini_fail(ini, "guid must be 32 hex digits");
        } else if (strcmp(key, "serial") == 0) {
                if (vt_parse_uint(v, UINT32_MAX, &n) < 0)
                        return vt_ini_fail(ini, "bad serial '%s'", v);
                img->serial = (uint32_t)n;
        } else if (strcmp(key, "version") == 0 || strcmp(key, "firmware") == 0) {
                if (l->seen & SEEN_VERSION)
                        return vt_ini_fail(ini, "one of version and firmware only");
                if (vt_parse_version(v, img->version) < 0)
                        return vt_ini_fail(ini, "%s must be x.y.z, not '%s'", key, v);
                img->firmware = key[0] == 'f';
                l->seen |= SEEN_VERSION;
        } else if (strcmp(key, "pin_complexity") == 0) {
                if (vt_parse_bool(v, &img->pin_complexity) < 0)
                        return vt_ini_fail(ini, "%s must be yes or no", key);
        } else if (strcmp(key, "compat") == 0) {
                if (vt_compat_parse(v, &l->compat) < 0)
                        return vt_ini_fail(ini, "compat must be none or yubikey, not '%s'", v);
        } else if (strcmp(key, "timing") == 0) {
                if (vt_timing_builtin(v, &img->timing) < 0) {
                        vt_names_join(why, sizeof(why), vt_timing_at, ", ", " or ");
                        return vt_ini_fail(ini, "unknown timing '%s': expected %s", v, why);
                }
        } else if (strcmp(key, "yubikey_mgmt_aid") == 0) {
                if (vt_parse_bool(v, &img->yubikey_mgmt_aid) < 0)
                        return vt_ini_fail(ini, "%s must be yes or no", key);
        } else {
                return -1; /* not the card's */
        }
        return 1;
}

/* The first pass: the card's own keys (what it carries among them). */
static int card_line(struct vt_ini *ini, const char *section, const char *key, const char *v)
{
        int r = strcmp(section, "card") == 0 ? card_key(ini, key, v) : -1;
        return r < 0 ? 1 : r;
}

/* Whether a unit the card does not carry would take the key: images made before wrote PIV's
 * sections on every card. */
static bool foreign_key(struct load *l, const char *section, const char *key, const char *v)
{
        char why[8];
        size_t k = 0;

        for (size_t i = 0; vt_unit_at(i); i++) {
                const struct vt_applet_unit *u = vt_unit_at(i);
                if (vt_image_carries(l->img, u) || !u->codec.ini_key || !u->state_new)
                        continue;
                if (k == sizeof(l->scratch) / sizeof(l->scratch[0]))
                        return false;
                if (!l->scratch[k] && !(l->scratch[k] = u->state_new(l->img)))
                        return false;
                if (u->codec.ini_key(l->img, l->scratch[k], section, key, v, why, sizeof(why)) != 0)
                        return true;
                k++;
        }
        return false;
}

/* The second pass: every other key to the unit that owns it. */
static int unit_line(struct vt_ini *ini, const char *section, const char *key, const char *v)
{
        struct load *l = ini->user;
        struct vt_image *img = l->img;

        if (strcmp(section, "card") == 0 && is_card_key(key))
                return 1; /* read in the first pass */
        if (strcmp(section, "timing") == 0)
                return timing_row(ini, key, v);
        for (size_t i = 0; i < img->n_units; i++) {
                const struct vt_image_unit *iu = &img->units[i];
                char why[200];
                int r;
                if (!iu->unit->codec.ini_key)
                        continue;
                r = iu->unit->codec.ini_key(img, iu->state, section, key, v, why, sizeof(why));
                if (r < 0)
                        return vt_ini_fail(ini, "%s", why);
                if (r > 0)
                        return 1;
        }
        if (foreign_key(l, section, key, v))
                return 1;
        if (strcmp(section, "card") == 0)
                return vt_ini_fail(ini, "unknown key '%s' in [card]", key);
        return vt_ini_fail(ini, "unknown section [%s] or key '%s'", section, key);
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

/* card.ini's own keys (the applets' are their codecs'); what each applet needs there, its
 * codec's load checks. */
static const struct vt_ini_rule card_rules[] = {
    {"card", "applets|applet atr guid serial firmware|version", true},
    {NULL, NULL, false},
};
static const struct vt_ini_spec card_spec = {card_rules, NULL};

/* What card.ini says of the card must be consistent. */
static int check_card(const struct load *l, const char *dir, char *err, size_t errlen)
{
        const struct vt_image *img = l->img;

        if (img->pin_complexity && !(img->firmware && vt_fw_at_least(img, 5, 7))) {
                set_err(err, errlen, "%s/card.ini: pin_complexity needs firmware 5.7 or later",
                        dir);
                return -1;
        }
        return 0;
}

/* card.ini in two passes (the card, then its units' keys), then each unit's own files. */
static int load(struct load *l, const struct vt_codec_reader *rd, char *err, size_t errlen)
{
        struct vt_image *img = l->img;
        char path[PATH_MAX];
        uint8_t *data;
        size_t len;
        int r;

        snprintf(path, sizeof(path), "%s/card.ini", img->dir);
        if ((r = vt_codec_read(rd, img, "card.ini", &data, &len, err, errlen)) <= 0) {
                if (r == 0)
                        set_err(err, errlen, "%s: %s", path, strerror(ENOENT));
                return -1;
        }
        r = vt_ini_parse(path, (const char *)data, len, &card_spec, card_line, l, err, errlen);
        if (r == 0 && (r = check_card(l, img->dir, err, errlen)) == 0) {
                for (size_t i = 0; i < l->n_units && r == 0; i++) {
                        const struct vt_applet_unit *u = l->units[i];
                        void *st = u->state_new ? u->state_new(img) : NULL;
                        if ((u->state_new && !st) || vt_image_add_unit(img, u, st) < 0) {
                                set_err(err, errlen, "%s: out of memory", img->dir);
                                r = -1;
                        }
                }
        }
        if (r == 0)
                r = vt_ini_parse(path, (const char *)data, len, &card_spec, unit_line, l, err,
                                 errlen);
        OPENSSL_cleanse(data, len);
        free(data);
        if (r < 0)
                return -1;
        vt_image_set_compat(img, l->compat);
        for (size_t i = 0; i < img->n_units; i++) {
                const struct vt_image_unit *iu = &img->units[i];
                if (iu->unit->codec.load &&
                    iu->unit->codec.load(img, iu->state, rd, err, errlen) < 0)
                        return -1;
        }
        return 0;
}

static struct vt_image *load_with(const char *dir, const struct vt_codec_reader *rd, char *err,
                                  size_t errlen)
{
        struct vt_image *img = vt_image_new(dir);
        struct load l = {.img = img};
        int r;

        if (!img) {
                set_err(err, errlen, "%s: out of memory", dir);
                return NULL;
        }
        r = load(&l, rd, err, errlen);
        for (size_t k = 0, i = 0; vt_unit_at(i); i++) {
                const struct vt_applet_unit *u = vt_unit_at(i);
                if (vt_image_carries(img, u) || !u->codec.ini_key || !u->state_new)
                        continue;
                if (k < sizeof(l.scratch) / sizeof(l.scratch[0]) && l.scratch[k])
                        u->state_free(l.scratch[k]);
                k++;
        }
        if (r < 0) {
                vt_image_free(img);
                return NULL;
        }
        return img;
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

struct vt_image *vt_image_parse(const char *dir, const char *card_ini, size_t card_len,
                                const char *state, size_t state_len, char *err, size_t errlen)
{
        struct texts t = {{"card.ini", "state"}, {card_ini, state}, {card_len, state_len}};
        const struct vt_codec_reader rd = {texts_read, texts_each, &t};
        return load_with(dir, &rd, err, errlen);
}

struct vt_image *vt_image_load_at(int dirfd, const char *dir, char *err, size_t errlen)
{
        const struct vt_codec_reader rd = {dir_read, dir_each, &dirfd};
        return load_with(dir, &rd, err, errlen);
}
