/* SPDX-License-Identifier: Apache-2.0 */
/* Durable files: written whole or not at all (temporary file, fsync, rename, fsync of the
 * directory), each relative to the image directory's descriptor and never through a link. */
#include "atomic.h"

#include "image_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int vt_fsync_dir(const char *dir)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (fd < 0)
                return -1;
        r = fsync(fd);
        if (r < 0) {
                int e = errno;
                close(fd);
                errno = e;
                return -1;
        }
        return close(fd);
}

void vt_batch_init(struct vt_batch *b, int dirfd)
{
        memset(b, 0, sizeof(*b));
        b->dirfd = dirfd;
}

int vt_batch_open(struct vt_batch *b, const char *dir)
{
        int fd = vt_dir_open(dir, NULL, 0);

        if (fd < 0)
                return -1;
        vt_batch_init(b, fd);
        b->own_dirfd = true;
        return 0;
}

static void batch_done(struct vt_batch *b)
{
        b->n = 0;
        if (b->own_dirfd) {
                close(b->dirfd);
                b->dirfd = -1;
                b->own_dirfd = false;
        }
}

static struct vt_batch_op *batch_add(struct vt_batch *b, const char *name)
{
        struct vt_batch_op *op;

        if (b->n == VT_BATCH_MAX) {
                errno = E2BIG;
                return NULL;
        }
        op = &b->op[b->n];
        if (strchr(name, '/') ||
            (size_t)snprintf(op->name, sizeof(op->name), "%s", name) >= sizeof(op->name)) {
                errno = ENAMETOOLONG;
                return NULL;
        }
        op->tmp[0] = '\0';
        op->remove = false;
        return op;
}

/* Creates ".name.XXXXXX.tmp" afresh (O_EXCL: never an existing file or link). */
static int create_tmp(int dirfd, struct vt_batch_op *op)
{
        static const char chars[] =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

        for (int tries = 0; tries < 100; tries++) {
                uint8_t rnd[6];
                char suffix[7];
                if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                        return -1;
                for (size_t i = 0; i < sizeof(rnd); i++)
                        suffix[i] = chars[rnd[i] % (sizeof(chars) - 1)];
                suffix[6] = '\0';
                if ((size_t)snprintf(op->tmp, sizeof(op->tmp), ".%s.%s.tmp", op->name, suffix) >=
                    sizeof(op->tmp)) {
                        errno = ENAMETOOLONG;
                        return -1;
                }
                int fd = openat(dirfd, op->tmp,
                                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd >= 0 || errno != EEXIST)
                        return fd;
        }
        errno = EEXIST;
        return -1;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        if (n == 0)
                                errno = EIO;
                        return -1;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int vt_batch_write(struct vt_batch *b, const char *name, const void *data, size_t len)
{
        struct vt_batch_op *op = batch_add(b, name);
        int fd, e;

        if (!op)
                return -1;
        if ((fd = create_tmp(b->dirfd, op)) < 0)
                return -1;
        if (fchmod(fd, 0600) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0)
                goto fail;
        if (close(fd) < 0) {
                fd = -1;
                goto fail;
        }
        b->n++;
        return 0;
fail:
        e = errno;
        if (fd >= 0)
                close(fd);
        unlinkat(b->dirfd, op->tmp, 0);
        errno = e;
        return -1;
}

int vt_batch_remove(struct vt_batch *b, const char *name)
{
        struct vt_batch_op *op = batch_add(b, name);

        if (!op)
                return -1;
        op->remove = true;
        b->n++;
        return 0;
}

void vt_batch_abort(struct vt_batch *b)
{
        for (size_t i = 0; i < b->n; i++)
                if (!b->op[i].remove)
                        unlinkat(b->dirfd, b->op[i].tmp, 0);
        batch_done(b);
}

int vt_batch_commit(struct vt_batch *b)
{
        /* a target that is no regular file (a directory, a link) would fail its rename or
         * removal half-way through: refuse the batch before anything moves */
        for (size_t i = 0; i < b->n; i++) {
                struct stat st;
                if (fstatat(b->dirfd, b->op[i].name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    !S_ISREG(st.st_mode)) {
                        vt_batch_abort(b);
                        errno = S_ISDIR(st.st_mode) ? EISDIR : ELOOP;
                        return -1;
                }
        }
        for (size_t i = 0; i < b->n; i++) {
                struct vt_batch_op *op = &b->op[i];
                int r = op->remove ? unlinkat(b->dirfd, op->name, 0)
                                   : renameat(b->dirfd, op->tmp, b->dirfd, op->name);
                if (r < 0 && !(op->remove && errno == ENOENT)) {
                        int e = errno;
                        for (size_t k = i; k < b->n; k++) /* what is not in place yet */
                                if (!b->op[k].remove)
                                        unlinkat(b->dirfd, b->op[k].tmp, 0);
                        batch_done(b);
                        errno = e;
                        return -1;
                }
        }
        int r = fsync(b->dirfd);
        int e = errno;
        batch_done(b);
        errno = e;
        return r;
}

int vt_write_atomic(const char *dir, const char *name, const void *data, size_t len)
{
        struct vt_batch b;

        if (vt_batch_open(&b, dir) < 0)
                return -1;
        if (vt_batch_write(&b, name, data, len) < 0) {
                int e = errno;
                vt_batch_abort(&b);
                errno = e;
                return -1;
        }
        return vt_batch_commit(&b);
}

/* Leftovers of writes interrupted by a crash: ".NAME.XXXXXX.tmp". */
static bool is_leftover(const char *name)
{
        size_t n = strlen(name);

        return name[0] == '.' && n > 12 && strcmp(name + n - 4, ".tmp") == 0 && name[n - 11] == '.';
}

void vt_sweep_leftovers(int dirfd)
{
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *e;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while ((e = readdir(d)))
                if (e->d_type == DT_REG && is_leftover(e->d_name))
                        unlinkat(dirfd, e->d_name, 0);
        closedir(d);
}

int vt_dir_is_empty(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        int empty = 1;

        if (!d)
                return -1;
        while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                        empty = 0;
        closedir(d);
        return empty;
}

int vt_mkdir_parents(const char *path, unsigned mode)
{
        char p[PATH_MAX];
        if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
                struct stat st;
                *s = '\0';
                int r = mkdir(p, (mode_t)mode);
                int e = errno;
                if (r < 0 && !(stat(p, &st) == 0 && S_ISDIR(st.st_mode))) {
                        errno = e;
                        return -1;
                }
                *s = '/';
        }
        return 0;
}
