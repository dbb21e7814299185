/* SPDX-License-Identifier: Apache-2.0 */
#include "locate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Set by the build: Debian's multiarch triplet (x86_64-linux-gnu, aarch64-linux-gnu, ...) and
 * pcsc-lite's driver directory (libpcsclite.pc's usbdropdir). */
#ifndef VT_MULTIARCH
#define VT_MULTIARCH ""
#endif
#ifndef VT_PCSC_DROPDIR
#define VT_PCSC_DROPDIR "/usr/lib/pcsc/drivers"
#endif

/* The first of the candidates (printf formats taking the multiarch triplet) that exists. */
static int first_existing(const char *const *cands, size_t n_cands, char *out, size_t n)
{
        for (size_t i = 0; i < n_cands; i++) {
                if (strstr(cands[i], "%s") && !*VT_MULTIARCH)
                        continue;
                snprintf(out, n, cands[i], VT_MULTIARCH);
                if (access(out, R_OK) == 0)
                        return 0;
        }
        return -1;
}

static int in_dirs(const char *prog, const char *dirs, char *out, size_t n)
{
        char list[4096];
        char *save = NULL;
        snprintf(list, sizeof(list), "%s", dirs);
        for (char *d = strtok_r(list, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                snprintf(out, n, "%s/%s", *d ? d : ".", prog);
                if (access(out, X_OK) == 0)
                        return 0;
        }
        return -1;
}

int vt_find_program(const char *prog, char *out, size_t n)
{
        const char *path = getenv("PATH");
        if (in_dirs(prog, path && *path ? path : "/usr/bin:/bin", out, n) == 0 ||
            in_dirs(prog, "/usr/sbin:/sbin:/usr/local/sbin", out, n) == 0)
                return 0;
        snprintf(out, n, "%s", prog);
        return -1;
}

/* A file vtoken run starts or loads: $env_var when set (made absolute), else the first of
 * rel[0..1] (relative to this vtoken's directory: the build tree's copy, then the one under
 * vtoken's prefix) that has mode. true when found; out then names it. */
static bool find_beside(const char *env_var, const char *const rel[2], int mode, char *out,
                        size_t n)
{
        const char *env = getenv(env_var);
        if (env && *env) {
                char cwd[4096];
                if (env[0] != '/' && getcwd(cwd, sizeof(cwd)))
                        snprintf(out, n, "%s/%s", cwd, env);
                else
                        snprintf(out, n, "%s", env);
                return true;
        }
        char self[4096];
        ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (len <= 0)
                return false;
        self[len] = '\0';
        char *slash = strrchr(self, '/');
        if (!slash)
                return false;
        *slash = '\0';
        for (size_t i = 0; i < 2; i++) {
                snprintf(out, n, "%s/%s", self, rel[i]);
                if (access(out, mode) == 0)
                        return true;
        }
        return false;
}

void vt_find_vtokend(char *out, size_t n)
{
        static const char *const rel[2] = {"vtokend", "../sbin/vtokend"};
        if (!find_beside("VTOKEND", rel, X_OK, out, n))
                vt_find_program("vtokend", out, n);
}

void vt_find_vtoken_driver(char *out, size_t n)
{
        static const char *const rel[2] = {"libifdvtoken.so",
                                           "../lib/pcsc/drivers/serial/libifdvtoken.so"};
        if (!find_beside("VTOKEN_DRIVER", rel, R_OK, out, n))
                snprintf(out, n, "/usr/lib/pcsc/drivers/serial/libifdvtoken.so");
}

int vt_find_vpcd_driver(char *out, size_t n)
{
        static const char *const cands[] = {
            VT_PCSC_DROPDIR "/serial/libifdvpcd.so",
            "/usr/lib/pcsc/drivers/serial/libifdvpcd.so",
            "/usr/lib/%s/pcsc/drivers/serial/libifdvpcd.so",
            "/usr/local/lib/pcsc/drivers/serial/libifdvpcd.so",
        };
        if (first_existing(cands, sizeof(cands) / sizeof(cands[0]), out, n) == 0)
                return 0;
        snprintf(out, n,
                 "%s/serial, /usr/lib/pcsc/drivers/serial, /usr/local/lib/pcsc/drivers/serial",
                 VT_PCSC_DROPDIR);
        return -1;
}

int vt_find_pkcs11_module(char *out, size_t n)
{
        static const char *const cands[] = {
            "/usr/lib/%s/opensc-pkcs11.so",        /* Debian and Ubuntu, any architecture */
            "/usr/lib/%s/pkcs11/opensc-pkcs11.so", /* the same, p11-kit's directory */
            "/usr/lib/opensc-pkcs11.so",           /* other distributions */
            "/usr/lib64/opensc-pkcs11.so",         /* ... with 64-bit libraries apart */
            "/usr/local/lib/opensc-pkcs11.so",     /* OpenSC built from source */
        };
        return first_existing(cands, sizeof(cands) / sizeof(cands[0]), out, n);
}

bool vt_program_offers(const char *prog, const char *option)
{
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return false;
        pid_t pid = fork();
        if (pid == 0) {
                dup2(fds[1], STDOUT_FILENO);
                dup2(fds[1], STDERR_FILENO);
                execl(prog, prog, "--help", (char *)NULL);
                _exit(127);
        }
        close(fds[1]);
        char text[16384];
        size_t len = 0;
        while (pid > 0 && len < sizeof(text) - 1) {
                ssize_t got = read(fds[0], text + len, sizeof(text) - 1 - len);
                if (got > 0)
                        len += (size_t)got;
                else if (got == 0 || errno != EINTR)
                        break;
        }
        text[len] = '\0';
        close(fds[0]);
        if (pid > 0)
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        return strstr(text, option) != NULL;
}
