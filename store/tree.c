/* SPDX-License-Identifier: Apache-2.0 */
#include "tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* deep enough for every tree vtoken makes (an image is flat, a run directory two levels) */
#define TREE_DEPTH_MAX 16

int vt_tree_open(int parentfd, const char *name)
{
        return openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static void keep_first(int *first, int e)
{
        if (!*first)
                *first = e;
}

static int empty_at(int dirfd, dev_t dev, int depth);

/* One entry of dirfd: a directory on the same filesystem emptied and removed, anything else
 * unlinked. 0, or an errno. */
static int remove_entry(int dirfd, const char *name, dev_t dev, int depth)
{
        struct stat st;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? errno : 0;
        if (st.st_dev != dev)
                return EXDEV;
        if (depth >= TREE_DEPTH_MAX)
                return ELOOP;
        int fd = vt_tree_open(dirfd, name);
        if (fd < 0)
                return errno;
        int e = 0;
        struct stat opened;
        /* the entry may have changed between fstatat and openat: only the directory looked at */
        bool same =
            fstat(fd, &opened) == 0 && opened.st_dev == st.st_dev && opened.st_ino == st.st_ino;
        if (!same)
                e = EAGAIN;
        else if (empty_at(fd, dev, depth + 1) < 0)
                e = errno;
        close(fd);
        if (!e && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                e = errno;
        return e;
}

static int empty_at(int dirfd, dev_t dev, int depth)
{
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        int first = 0;

        if (!d) {
                int e = errno;
                if (fd >= 0)
                        close(fd);
                errno = e;
                return -1;
        }
        for (const struct dirent *e; (e = readdir(d));)
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                        keep_first(&first, remove_entry(dirfd, e->d_name, dev, depth));
        closedir(d);
        errno = first;
        return first ? -1 : 0;
}

int vt_tree_empty(int dirfd)
{
        struct stat st;

        if (fstat(dirfd, &st) < 0)
                return -1;
        if (!S_ISDIR(st.st_mode)) {
                errno = ENOTDIR;
                return -1;
        }
        return empty_at(dirfd, st.st_dev, 0);
}

int vt_tree_remove(int parentfd, const char *name)
{
        struct stat st;

        if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -1;
        if (!S_ISDIR(st.st_mode)) {
                errno = ENOTDIR;
                return -1;
        }
        int e = remove_entry(parentfd, name, st.st_dev, 0);
        errno = e;
        return e ? -1 : 0;
}

int vt_tree_remove_path(const char *path)
{
        char parent[PATH_MAX];
        size_t n = strlen(path);

        while (n > 1 && path[n - 1] == '/')
                n--;
        if (n >= sizeof(parent)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        memcpy(parent, path, n);
        parent[n] = '\0';
        char *slash = strrchr(parent, '/');
        const char *name = slash ? slash + 1 : parent;
        if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) {
                errno = EINVAL;
                return -1;
        }
        if (!slash)
                return vt_tree_remove(AT_FDCWD, name);
        *slash = '\0';
        int pfd = open(slash == parent ? "/" : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return -1;
        int r = vt_tree_remove(pfd, name);
        int e = errno;
        close(pfd);
        errno = e;
        return r;
}
