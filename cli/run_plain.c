/* SPDX-License-Identifier: Apache-2.0 */
#include "run_plain.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define SD_LISTEN_FDS_START 3
#define KILL_ROUNDS_MAX     64 /* a fork bomb is not stopped forever */

int vt_plain_listen(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        memcpy(sa.sun_path, path, strlen(path) + 1);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        mode_t old = umask(0177);
        int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
        umask(old);
        if (r < 0 || listen(fd, SOMAXCONN) < 0) {
                int e = errno;
                close(fd);
                errno = e;
                return -1;
        }
        return fd;
}

int vt_plain_pass_socket(int fd)
{
        char pid[16];
        if (fd == SD_LISTEN_FDS_START) {
                int fl = fcntl(fd, F_GETFD);
                if (fl < 0 || fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
                        return -1;
        } else if (dup2(fd, SD_LISTEN_FDS_START) < 0) { /* the copy is not close-on-exec */
                return -1;
        }
        snprintf(pid, sizeof(pid), "%ld", (long)getpid());
        unsetenv("LISTEN_FDNAMES");
        if (setenv("LISTEN_FDS", "1", 1) < 0 || setenv("LISTEN_PID", pid, 1) < 0)
                return -1;
        return 0;
}

void vt_plain_die_with_parent(pid_t parent)
{
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) /* it died before the request */
                _exit(127);
}

/* The pids whose parent is this process, from /proc/PID/stat (its 4th field). */
static size_t children(pid_t *out, size_t max)
{
        DIR *d = opendir("/proc");
        size_t n = 0;
        pid_t self = getpid();
        struct dirent *e;
        if (!d)
                return 0;
        while (n < max && (e = readdir(d)) != NULL) {
                char path[64], buf[512];
                long pid = strtol(e->d_name, NULL, 10);
                if (pid <= 0)
                        continue;
                snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                ssize_t got = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (got <= 0)
                        continue;
                buf[got] = '\0';
                /* after the name (which may hold spaces and ')'): " STATE PPID ..." */
                const char *paren = strrchr(buf, ')');
                char *end;
                if (!paren || strlen(paren) < 5)
                        continue;
                long ppid = strtol(paren + 4, &end, 10);
                if (end != paren + 4 && ppid == self)
                        out[n++] = (pid_t)pid;
        }
        closedir(d);
        return n;
}

void vt_plain_kill_children(void)
{
        for (int round = 0; round < KILL_ROUNDS_MAX; round++) {
                pid_t pids[256];
                size_t n = children(pids, sizeof(pids) / sizeof(pids[0]));
                for (size_t i = 0; i < n; i++)
                        kill(pids[i], SIGKILL);
                /* reaping them makes their own children ours: the next round finds those */
                while (waitpid(-1, NULL, n ? 0 : WNOHANG) > 0)
                        ;
                if (n == 0)
                        return;
        }
}

int vt_plain_check_ipc_dir(void)
{
        struct stat st;
        if (stat(VT_PCSCD_IPC_DIR, &st) == 0 && S_ISDIR(st.st_mode))
                return 0;
        if (mkdir(VT_PCSCD_IPC_DIR, 0755) == 0 || errno == EEXIST)
                return 0;
        fprintf(stderr,
                "vtoken run: pcscd needs the directory %s (it keeps its pid file there even when "
                "it serves a socket of its own) and cannot create it as this user (%s): create it "
                "once as root ('mkdir -m 0755 %s'; in a container image: RUN mkdir -m 0755 %s)\n",
                VT_PCSCD_IPC_DIR, strerror(errno), VT_PCSCD_IPC_DIR, VT_PCSCD_IPC_DIR);
        return -1;
}

int vt_plain_lock(const char *dir)
{
        /* made under another name and locked before it is renamed: a sweep never finds a
         * .lock that nobody holds yet */
        char tmp[PATH_MAX], path[PATH_MAX];
        snprintf(tmp, sizeof(tmp), "%s/.lock.new", dir);
        snprintf(path, sizeof(path), "%s/.lock", dir);
        int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -1;
        if (flock(fd, LOCK_EX) < 0 || rename(tmp, path) < 0) {
                int e = errno;
                close(fd);
                errno = e;
                return -1;
        }
        return fd;
}

/* Whether tmpdir/name is a directory of this user whose run is over: its lock is free. */
static int abandoned(int dirfd, const char *name)
{
        struct stat st;
        if (dirfd < 0 || fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISDIR(st.st_mode) || st.st_uid != getuid())
                return 0;
        char lock[NAME_MAX + 8];
        snprintf(lock, sizeof(lock), "%s/.lock", name);
        int fd = openat(dirfd, lock, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return 0; /* a run before its lock (or an older vtoken's): not ours to judge */
        int free_lock = flock(fd, LOCK_EX | LOCK_NB) == 0;
        close(fd);
        return free_lock;
}

void vt_plain_sweep(const char *tmpdir, void (*remove_tree)(const char *dir))
{
        DIR *d = opendir(tmpdir);
        struct dirent *e;
        if (!d)
                return;
        while ((e = readdir(d)) != NULL) {
                char path[PATH_MAX];
                if (strncmp(e->d_name, "vtoken-run.", 11) != 0 || !abandoned(dirfd(d), e->d_name))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
                remove_tree(path);
        }
        closedir(d);
}

void vt_plain_pidfile_save(struct vt_pidfile *p)
{
        p->saved = false;
        int fd = open(VT_PCSCD_PID_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return;
        ssize_t got = read(fd, p->text, sizeof(p->text));
        close(fd);
        if (got > 0 && (size_t)got < sizeof(p->text)) {
                p->len = (size_t)got;
                p->saved = true;
        }
}

void vt_plain_pidfile_restore(const struct vt_pidfile *p, pid_t pcscd)
{
        if (!p->saved) { /* the file is the run's pcscd's, left when it was killed */
                char text[32], mine[32];
                int fd = open(VT_PCSCD_PID_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                ssize_t got = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
                if (fd >= 0)
                        close(fd);
                snprintf(mine, sizeof(mine), "%ld\n", (long)pcscd);
                if (pcscd > 0 && got > 0 && strncmp(text, mine, strlen(mine)) == 0)
                        unlink(VT_PCSCD_PID_FILE);
                return;
        }
        int fd =
            open(VT_PCSCD_PID_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        if (write(fd, p->text, p->len) != (ssize_t)p->len)
                fprintf(stderr, "vtoken run: warning: cannot restore %s\n", VT_PCSCD_PID_FILE);
        close(fd);
}
