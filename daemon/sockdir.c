/* SPDX-License-Identifier: Apache-2.0 */
#include "sockdir.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sockdir_check(const char *path, const char *what, char *err, size_t errlen)
{
        char dir[PATH_MAX];
        const char *slash = strrchr(path, '/');
        struct stat st;
        if (!slash)
                snprintf(dir, sizeof(dir), ".");
        else
                snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
        if (lstat(dir, &st) < 0) {
                int r = -errno;
                if (r == -ENOENT)
                        snprintf(err, errlen,
                                 "%s directory %s does not exist: make it (mkdir -m 0755 %s) or "
                                 "choose another path",
                                 what, dir, dir);
                else
                        snprintf(err, errlen, "%s directory %s: %s", what, dir, strerror(-r));
                return r;
        }
        if (!S_ISDIR(st.st_mode)) {
                snprintf(err, errlen,
                         "%s directory %s is not a directory (a link?): name the directory itself",
                         what, dir);
                return -ENOTDIR;
        }
        if (st.st_uid != 0 && st.st_uid != geteuid()) {
                snprintf(err, errlen,
                         "%s directory %s belongs to uid %u, who could replace the socket: use a "
                         "directory of root or of uid %u",
                         what, dir, (unsigned)st.st_uid, (unsigned)geteuid());
                return -EPERM;
        }
        if (st.st_mode & 022) {
                snprintf(err, errlen,
                         "%s directory %s has mode %04o: others could replace the socket (chmod "
                         "go-w %s, or use a directory of its own)",
                         what, dir, (unsigned)(st.st_mode & 07777), dir);
                return -EPERM;
        }
        return 0;
}
