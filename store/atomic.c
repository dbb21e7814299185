/* Durable files: written whole or not at all (temporary file, fsync, rename, fsync of the
 * directory). */
#include "atomic.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

void vt_batch_init(struct vt_batch *b, const char *dir)
{
        memset(b, 0, sizeof(*b));
        b->dir = dir;
}

static struct vt_batch_op *batch_add(struct vt_batch *b, const char *name)
{
        struct vt_batch_op *op;

        if (b->n == VT_BATCH_MAX) {
                errno = E2BIG;
                return NULL;
        }
        op = &b->op[b->n];
        if ((size_t)snprintf(op->path, sizeof(op->path), "%s/%s", b->dir, name) >=
            sizeof(op->path)) {
                errno = ENAMETOOLONG;
                return NULL;
        }
        op->tmp[0] = '\0';
        op->remove = false;
        return op;
}

int vt_batch_write(struct vt_batch *b, const char *name, const void *data, size_t len)
{
        struct vt_batch_op *op = batch_add(b, name);
        const uint8_t *p = data;
        int fd, e;

        if (!op)
                return -1;
        if ((size_t)snprintf(op->tmp, sizeof(op->tmp), "%s/.%s.XXXXXX.tmp", b->dir, name) >=
            sizeof(op->tmp)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        if ((fd = mkostemps(op->tmp, 4, O_CLOEXEC)) < 0)
                return -1;
        if (fchmod(fd, 0600) < 0)
                goto fail;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        if (n == 0)
                                errno = EIO;
                        goto fail;
                }
                p += n;
                len -= (size_t)n;
        }
        if (fsync(fd) < 0)
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
        unlink(op->tmp);
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
                        unlink(b->op[i].tmp);
        b->n = 0;
}

int vt_batch_commit(struct vt_batch *b)
{
        /* a target that is no regular file (a directory, a link) would fail its rename or
         * removal half-way through: refuse the batch before anything moves */
        for (size_t i = 0; i < b->n; i++) {
                struct stat st;
                if (lstat(b->op[i].path, &st) == 0 && !S_ISREG(st.st_mode)) {
                        vt_batch_abort(b);
                        errno = S_ISDIR(st.st_mode) ? EISDIR : ELOOP;
                        return -1;
                }
        }
        for (size_t i = 0; i < b->n; i++) {
                struct vt_batch_op *op = &b->op[i];
                int r = op->remove ? unlink(op->path) : rename(op->tmp, op->path);
                if (r < 0 && !(op->remove && errno == ENOENT)) {
                        int e = errno;
                        for (size_t k = i; k < b->n; k++) /* what is not in place yet */
                                if (!b->op[k].remove)
                                        unlink(b->op[k].tmp);
                        b->n = 0;
                        errno = e;
                        return -1;
                }
        }
        b->n = 0;
        return vt_fsync_dir(b->dir);
}

int vt_write_atomic(const char *dir, const char *name, const void *data, size_t len)
{
        struct vt_batch b;

        vt_batch_init(&b, dir);
        if (vt_batch_write(&b, name, data, len) < 0)
                return -1;
        return vt_batch_commit(&b);
}

int vt_remove_durable(const char *dir, const char *name)
{
        char path[PATH_MAX];

        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        if (unlink(path) < 0)
                return errno == ENOENT ? 0 : -1;
        return vt_fsync_dir(dir);
}

/* Leftovers of writes interrupted by a crash: ".NAME.XXXXXX.tmp". */
static bool is_leftover(const char *name)
{
        size_t n = strlen(name);

        return name[0] == '.' && n > 12 && strcmp(name + n - 4, ".tmp") == 0 && name[n - 11] == '.';
}

void vt_sweep_leftovers(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char path[PATH_MAX];

        if (!d)
                return;
        while ((e = readdir(d)))
                if (e->d_type == DT_REG && is_leftover(e->d_name) &&
                    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < sizeof(path))
                        unlink(path);
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
