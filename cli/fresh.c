/* SPDX-License-Identifier: Apache-2.0 */
#include "fresh.h"

#include "image_dir.h"
#include "image_store.h"
#include "profile.h"
#include "progress.h"
#include "tree.h"
#include "version.h"

#include <dirent.h>
#include <elf.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

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

void vt_cache_dir(char *out, size_t n)
{
        const char *xdg = getenv("XDG_CACHE_HOME");
        const char *home = getenv("HOME");
        if (xdg && xdg[0] == '/') { /* relative values are to be ignored (XDG base dirs) */
                snprintf(out, n, "%s/vtoken", xdg);
                return;
        }
        if (geteuid() == 0) {
                snprintf(out, n, "/var/cache/vtoken");
                return;
        }
        if (!home || home[0] != '/') {
                const struct passwd *pw = getpwuid(geteuid());
                home = pw ? pw->pw_dir : "/";
        }
        snprintf(out, n, "%s/.cache/vtoken", home);
}

/* dir, made 0700 when missing (its parent too, as XDG asks of $XDG_CACHE_HOME), then opened
 * as images are: ours, 0700, not a link (image_dir.h). The descriptor; -2 when dir cannot be
 * made (no home, a read-only one), -1 when it is not fit to be trusted; err says why. */
static int open_cache_dir(const char *dir, char *err, size_t errlen)
{
        char parent[PATH_MAX];
        snprintf(parent, sizeof(parent), "%s", dir);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
                *slash = '\0';
                if (mkdir(parent, 0700) < 0 && errno != EEXIST) {
                        fail(err, errlen, "cannot create %s: %s", parent, strerror(errno));
                        return -2;
                }
        }
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                fail(err, errlen, "cannot create %s: %s", dir, strerror(errno));
                return -2;
        }
        char why[512];
        int fd = vt_dir_open(dir, why, sizeof(why));
        if (fd < 0)
                return fail(err, errlen, "the cache directory %s", why);
        return fd;
}

/* dl_iterate_phdr's first object is the program itself: its GNU build-id note, in hex. */
static int program_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
        (void)size;
        char *hex = data;
        for (int i = 0; i < info->dlpi_phnum; i++) {
                const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
                if (ph->p_type != PT_NOTE)
                        continue;
                const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
                const unsigned char *end = p + ph->p_memsz;
                while (p + sizeof(ElfW(Nhdr)) <= end) {
                        const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
                        const unsigned char *name = p + sizeof(*nh);
                        const unsigned char *desc = name + ((nh->n_namesz + 3) & ~3U);
                        if (desc + nh->n_descsz > end)
                                break;
                        if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
                            !memcmp(name, "GNU", 4)) {
                                const unsigned char *stop =
                                    desc + (nh->n_descsz < 8 ? nh->n_descsz : 8);
                                for (char *h = hex; desc < stop; desc++, h += 2)
                                        snprintf(h, 3, "%02x", *desc);
                                return 1;
                        }
                        p = desc + ((nh->n_descsz + 3) & ~3U);
                }
        }
        return 1; /* only the first object: the program */
}

/* What a template is made by: the version and this build of vtoken (its build-id, else the
 * executable's size and time), so a rebuilt vtoken whose profiles changed never serves a
 * template an older build made. */
static void template_key(char *out, size_t n)
{
        char id[17] = "";
        dl_iterate_phdr(program_build_id, id);
        struct stat st;
        if (!id[0] && stat("/proc/self/exe", &st) == 0)
                snprintf(id, sizeof(id), "%lx%lx", (unsigned long)st.st_size & 0xffffffUL,
                         (unsigned long)st.st_mtime & 0xffffffffUL);
        snprintf(out, n, "%s-%s", VT_VERSION, id[0] ? id : "unknown");
}

/* Templates of profile that other builds made and nobody copied for a week: removed, so
 * rebuilding vtoken does not fill the cache. Called under the cache's lock. */
static void prune_templates(int cachefd, const char *profile, const char *keep)
{
        int dupfd = dup(cachefd);
        DIR *d = dupfd < 0 ? NULL : fdopendir(dupfd);
        if (!d) {
                if (dupfd >= 0)
                        close(dupfd);
                return;
        }
        size_t plen = strlen(profile);
        time_t old = time(NULL) - (time_t)7 * 24 * 3600;
        for (const struct dirent *e; (e = readdir(d));) {
                struct stat st;
                /* profile-VERSION-ID: a digit after the dash, so "ecert" never prunes
                 * "ecert-openpgp-..." */
                if (strncmp(e->d_name, profile, plen) != 0 || e->d_name[plen] != '-' ||
                    e->d_name[plen + 1] < '0' || e->d_name[plen + 1] > '9' ||
                    !strcmp(e->d_name, keep) ||
                    fstatat(cachefd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISDIR(st.st_mode) || st.st_atime > old || st.st_mtime > old)
                        continue;
                vt_tree_remove(cachefd, e->d_name);
        }
        closedir(d);
}

/* Whether the template at tmpl may be served: it loads, and it is what its profile makes
 * (every PIN and PUK with all its tries, every key the profile promises). 0, or -1 with why. */
static int template_fit(const char *tmpl, const char *profile, char *why, size_t whylen)
{
        struct vt_image *img = vt_image_load(tmpl, why, whylen);
        if (!img)
                return -1;
        int r = vt_profile_check(profile, img, why, whylen);
        vt_image_free(img);
        return r;
}

/* The template of profile (cache/name) made again, under the cache's exclusive lock: what is
 * there (a template that is not fit to serve, a half-removed one) removed first, then
 * vt_image_create puts a new one in place whole or not at all. */
static int make_template(int cachefd, const struct vt_fresh_kind *k, const char *name,
                         const char *tmpl, char *err, size_t errlen)
{
        const char *profile = k->name;
        char pin[64] = "", why[512];
        struct vt_init_opts o = {.profile = k->profile,
                                 .firmware = k->firmware,
                                 .compat = k->compat,
                                 .initial_pin = pin,
                                 .initial_pin_len = sizeof(pin)};
        if (vt_tree_remove(cachefd, name) < 0)
                return fail(err, errlen, "cannot remove the %s template %s to make it again: %s",
                            profile, tmpl, strerror(errno));
        int r = 0;
        char what[192];
        struct vt_progress progress;
        snprintf(what, sizeof(what),
                 "vtoken run: making the %s template for fresh cards (once per build of vtoken)",
                 profile);
        vt_progress_start(&progress, what);
        int made = vt_image_create(tmpl, &o, why, sizeof(why));
        vt_progress_end(&progress);
        if (made < 0)
                r = fail(err, errlen, "cannot make the %s template %s: %s", profile, tmpl, why);
        else if (template_fit(tmpl, k->profile, why, sizeof(why)) < 0)
                r = fail(err, errlen, "the %s template %s, just made, is not fit to serve: %s",
                         profile, tmpl, why);
        OPENSSL_cleanse(pin, sizeof(pin));
        if (r == 0)
                prune_templates(cachefd, profile, name);
        return r;
}

/* flock(op), saying on a terminal that it waits when another run holds the lock: that run is
 * making the template (or copying it while this one would make it again). */
static int lock_cache(int cachefd, int op, const char *profile)
{
        if (flock(cachefd, op | LOCK_NB) == 0)
                return 0;
        if (errno != EWOULDBLOCK)
                return -1;
        char what[192];
        struct vt_progress progress;
        snprintf(what, sizeof(what),
                 "vtoken run: waiting for another vtoken run, which is making the %s template",
                 profile);
        vt_progress_start(&progress, what);
        int r = flock(cachefd, op), e = errno;
        vt_progress_end(&progress);
        errno = e;
        return r;
}

/* The template of profile in the cache directory, checked before it is served (a template
 * with a blocked PIN or without a key would make every fresh card so) and made again when it
 * is missing or not fit, under the cache's exclusive lock: concurrent runs wait for the first
 * to finish it. Returns with the cache's lock held (shared, or exclusive when it was made),
 * so that no run removes the template while another copies it. */
static int ensure_template(int cachefd, const char *cache, const struct vt_fresh_kind *k,
                           char *tmpl, size_t n, char *err, size_t errlen)
{
        const char *profile = k->name;
        char key[64], name[128], why[512];
        template_key(key, sizeof(key));
        snprintf(name, sizeof(name), "%s-%s", profile, key);
        snprintf(tmpl, n, "%s/%s", cache, name);
        if (lock_cache(cachefd, LOCK_SH, profile) < 0)
                return fail(err, errlen, "%s: cannot lock: %s", cache, strerror(errno));
        struct stat st;
        bool exists = fstatat(cachefd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (exists && template_fit(tmpl, k->profile, why, sizeof(why)) == 0)
                return 0;
        /* flock cannot trade a shared lock for an exclusive one atomically: look again */
        if (lock_cache(cachefd, LOCK_EX, profile) < 0)
                return fail(err, errlen, "%s: cannot lock: %s", cache, strerror(errno));
        exists = fstatat(cachefd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (exists && template_fit(tmpl, k->profile, why, sizeof(why)) == 0)
                return 0;
        if (exists)
                fprintf(stderr,
                        "vtoken run: note: the %s template %s is not fit to serve (%s): making "
                        "it again\n",
                        profile, tmpl, why);
        return make_template(cachefd, k, name, tmpl, err, errlen);
}

static int copy_fd(int from, int to)
{
        char buf[16384];
        for (;;) {
                ssize_t got = read(from, buf, sizeof(buf));
                if (got == 0)
                        return 0;
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0)
                        return -1;
                for (ssize_t off = 0; off < got;) {
                        ssize_t put = write(to, buf + off, (size_t)(got - off));
                        if (put < 0 && errno != EINTR)
                                return -1;
                        off += put > 0 ? put : 0;
                }
        }
}

/* Copies the regular file name from the directory fromfd to todir/toname (created, 0600),
 * never through a link. */
static int copy_file(int fromfd, const char *name, int todir, const char *toname)
{
        int in = openat(fromfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (in < 0)
                return -1;
        struct stat st;
        int out = -1, r = -1;
        if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
                errno = EINVAL;
                goto done;
        }
        out = openat(todir, toname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out >= 0)
                r = copy_fd(in, out);
done:
        close(in);
        if (out >= 0 && close(out) < 0)
                r = -1;
        return r;
}

/* Every file of the template into dest, a new directory (0700). */
static int copy_image(const char *tmpl, const char *dest, char *err, size_t errlen)
{
        char why[512];
        int from = vt_dir_open(tmpl, why, sizeof(why));
        if (from < 0)
                return fail(err, errlen, "the template %s", why);
        int to = -1, r = -1, dupfd = dup(from);
        DIR *d = dupfd < 0 ? NULL : fdopendir(dupfd);
        if (!d && dupfd >= 0)
                close(dupfd);
        if (mkdir(dest, 0700) < 0 ||
            (to = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
                fail(err, errlen, "cannot create %s: %s", dest, strerror(errno));
                goto done;
        }
        if (!d) {
                fail(err, errlen, "%s: %s", tmpl, strerror(errno));
                goto done;
        }
        r = 0;
        for (const struct dirent *e; r == 0 && (e = readdir(d));) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                if (copy_file(from, e->d_name, to, e->d_name) < 0)
                        r = fail(err, errlen, "cannot copy %s/%s of the template: %s", tmpl,
                                 e->d_name, strerror(errno));
        }
done:
        if (d)
                closedir(d);
        if (to >= 0)
                close(to);
        close(from);
        return r;
}

/* The template's PIN envelope (ecert), beside the copy as vtoken init puts it beside an image,
 * telling the copy's path and serial; the PIN is the template's. */
static int copy_envelope(const char *tmpl, const char *dest, unsigned serial, char *err,
                         size_t errlen)
{
        char from[PATH_MAX + 32], to[PATH_MAX + 32], line[PATH_MAX + 64];
        if (vt_pin_envelope_path(tmpl, from, sizeof(from)) < 0 ||
            vt_pin_envelope_path(dest, to, sizeof(to)) < 0)
                return fail(err, errlen, "%s: path too long", dest);
        FILE *in = fopen(from, "re");
        if (!in)
                return errno == ENOENT ? 0 : fail(err, errlen, "%s: %s", from, strerror(errno));
        int fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        FILE *out = fd < 0 ? NULL : fdopen(fd, "we");
        if (!out) {
                int r = fail(err, errlen, "%s: %s", to, strerror(errno));
                if (fd >= 0)
                        close(fd);
                fclose(in);
                return r;
        }
        int r = 0;
        while (fgets(line, sizeof(line), in)) {
                if (!strncmp(line, "Image: ", 7))
                        fprintf(out, "Image: %s\n", dest);
                else if (!strncmp(line, "Serial: ", 8))
                        fprintf(out, "Serial: %u\n", serial);
                else
                        fputs(line, out);
        }
        OPENSSL_cleanse(line, sizeof(line));
        fclose(in);
        if (fclose(out) != 0)
                r = fail(err, errlen, "%s: %s", to, strerror(errno));
        return r;
}

/* The copy becomes a card of its own: a new GUID (and with it OpenSC's token serial) and
 * serial in its card.ini. */
static int new_identity(const char *dest, unsigned *serial, char *err, size_t errlen)
{
        char why[512];
        struct vt_image *img = vt_image_load(dest, why, sizeof(why));
        if (!img)
                return fail(err, errlen, "the copy of the template: %s", why);
        int r = 0;
        if (vt_image_new_identity(img) < 0)
                r = fail(err, errlen, "%s: no random numbers", dest);
        else if (vt_save_card(dest, img) < 0)
                r = fail(err, errlen, "%s/card.ini: %s", dest, strerror(errno));
        for (size_t i = 0; r == 0 && i < img->n_units; i++) /* those that keep the serial */
                if (img->units[i].unit->identity && vt_save_unit(dest, img, img->units[i].unit) < 0)
                        r = fail(err, errlen, "%s: %s: %s", dest, img->units[i].unit->name,
                                 strerror(errno));
        *serial = img->serial;
        vt_image_free(img);
        return r;
}

/* Without a cache directory the card is made where it is served, its keys generated anew:
 * slower, and said so, but a user without a writable home still gets a card. */
static int fresh_uncached(const struct vt_fresh_kind *k, const char *dest, char *err, size_t errlen)
{
        char pin[64] = "", why[512];
        struct vt_init_opts o = {.profile = k->profile,
                                 .firmware = k->firmware,
                                 .compat = k->compat,
                                 .initial_pin = pin,
                                 .initial_pin_len = sizeof(pin)};
        fprintf(stderr,
                "vtoken run: note: no cache directory for a template (%s); the fresh card's keys "
                "are made anew (set XDG_CACHE_HOME to a directory of yours to keep a template)\n",
                err);
        struct vt_progress progress;
        vt_progress_start(&progress, "vtoken run: making a fresh card's keys");
        int r = vt_image_create(dest, &o, why, sizeof(why));
        vt_progress_end(&progress);
        OPENSSL_cleanse(pin, sizeof(pin));
        return r < 0 ? fail(err, errlen, "cannot make %s: %s", dest, why) : 0;
}

int vt_fresh_card(const char *profile, const char *dest, char *err, size_t errlen)
{
        const struct vt_fresh_kind k = {.name = profile, .profile = profile};
        return vt_fresh_card_of(&k, dest, err, errlen);
}

int vt_fresh_card_of(const struct vt_fresh_kind *k, const char *dest, char *err, size_t errlen)
{
        char cache[PATH_MAX], tmpl[PATH_MAX];
        vt_cache_dir(cache, sizeof(cache));
        int cachefd = open_cache_dir(cache, err, errlen);
        if (cachefd == -2)
                return fresh_uncached(k, dest, err, errlen);
        if (cachefd < 0)
                return -1;
        int r = ensure_template(cachefd, cache, k, tmpl, sizeof(tmpl), err, errlen);
        if (r == 0)
                r = copy_image(tmpl, dest, err, errlen);
        unsigned serial = 0;
        if (r == 0)
                r = new_identity(dest, &serial, err, errlen);
        if (r == 0)
                r = copy_envelope(tmpl, dest, serial, err, errlen);
        close(cachefd); /* and with it the cache's lock */
        return r;
}
