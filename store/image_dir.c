/* SPDX-License-Identifier: Apache-2.0 */
#include "image_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void say(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t errlen, const char *fmt, ...)
{
        if (!err || !errlen)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
}

static int refuse(int fd, int e)
{
        if (fd >= 0)
                close(fd);
        errno = e;
        return -1;
}

int vt_dir_open(const char *dir, char *err, size_t errlen)
{
        struct stat st;
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                struct stat lst;
                if (lstat(dir, &lst) == 0 && S_ISLNK(lst.st_mode)) {
                        say(err, errlen,
                            "%s is a symbolic link: name the image directory itself, not a link "
                            "to it",
                            dir);
                        return refuse(-1, ELOOP);
                }
                say(err, errlen, "%s: %s", dir, strerror(e));
                return refuse(-1, e);
        }
        if (fstat(fd, &st) < 0) {
                say(err, errlen, "%s: %s", dir, strerror(errno));
                return refuse(fd, errno);
        }
        if (st.st_uid != geteuid()) {
                say(err, errlen,
                    "%s belongs to uid %u, not to uid %u that uses it: an image is used only by "
                    "its owner (chown -R %u %s, or run as uid %u)",
                    dir, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(), dir,
                    (unsigned)st.st_uid);
                return refuse(fd, EPERM);
        }
        if ((st.st_mode & 07777) != 0700) {
                say(err, errlen,
                    "%s has mode %04o: an image holds keys and PINs, no one else may enter or "
                    "change it (chmod 700 %s)",
                    dir, (unsigned)(st.st_mode & 07777), dir);
                return refuse(fd, EPERM);
        }
        return fd;
}

/* One line of /proc/locks: "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF". The pid when it
 * is a flock on (dev, ino), else 0. */
static long flock_holder(char *line, dev_t dev, ino_t ino)
{
        char *save = NULL, *f[6];
        size_t n = 0;

        for (char *t = strtok_r(line, " \t\n", &save); t && n < 6;
             t = strtok_r(NULL, " \t\n", &save))
                f[n++] = t;
        if (n < 6 || strcmp(f[1], "FLOCK") != 0)
                return 0;
        char *end;
        long pid = strtol(f[4], &end, 10);
        unsigned long maj = strtoul(f[5], &end, 16);
        if (*end != ':')
                return 0;
        unsigned long min = strtoul(end + 1, &end, 16);
        if (*end != ':')
                return 0;
        unsigned long long inode = strtoull(end + 1, &end, 10);
        if (*end || makedev(maj, min) != dev || inode != (unsigned long long)ino)
                return 0;
        return pid;
}

/* The pid holding a flock on the file (dev, ino), as /proc/locks tells it; 0 when it does not. */
static long holder_pid(dev_t dev, ino_t ino)
{
        FILE *f = fopen("/proc/locks", "re");
        char line[256];
        long pid = 0;

        if (!f)
                return 0;
        while (pid <= 0 && fgets(line, sizeof(line), f))
                pid = flock_holder(line, dev, ino);
        fclose(f);
        return pid;
}

int vt_dir_lock(int dirfd, const char *dir, char *err, size_t errlen)
{
        struct stat st;

        if (flock(dirfd, LOCK_EX | LOCK_NB) == 0)
                return 0;
        int e = errno;
        if (e != EWOULDBLOCK) {
                say(err, errlen, "%s: cannot lock: %s", dir, strerror(e));
                return refuse(-1, e);
        }
        long pid = fstat(dirfd, &st) == 0 ? holder_pid(st.st_dev, st.st_ino) : 0;
        if (pid > 0)
                say(err, errlen,
                    "%s is in use by pid %ld (a vtokend or vtoken init): one image serves one "
                    "card at a time",
                    dir, pid);
        else
                say(err, errlen,
                    "%s is in use by another process (a vtokend or vtoken init): one image "
                    "serves one card at a time",
                    dir);
        return refuse(-1, EWOULDBLOCK);
}
