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

int vt_write_atomic(const char *dir, const char *name, const void *data, size_t len)
{
        char tmp[PATH_MAX], path[PATH_MAX];
        const uint8_t *p = data;
        int fd, e;

        if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX.tmp", dir, name) >= sizeof(tmp) ||
            (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        if ((fd = mkostemps(tmp, 4, O_CLOEXEC)) < 0)
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
        fd = -1;
        if (rename(tmp, path) < 0)
                goto fail;
        return vt_fsync_dir(dir);
fail:
        e = errno;
        if (fd >= 0)
                close(fd);
        unlink(tmp);
        errno = e;
        return -1;
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
