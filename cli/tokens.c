/* SPDX-License-Identifier: Apache-2.0 */
#include "tokens.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

/* A space-padded PKCS#11 field as a string. */
static void unpad(char *out, size_t n, const unsigned char *field, size_t len)
{
        while (len > 0 && field[len - 1] == ' ')
                len--;
        snprintf(out, n, "%.*s", (int)len, (const char *)field);
}

static void describe(const CK_TOKEN_INFO *info, struct vt_token *t)
{
        t->found = true;
        unpad(t->label, sizeof(t->label), info->label, sizeof(info->label));
        unpad(t->serial, sizeof(t->serial), info->serialNumber, sizeof(info->serialNumber));
        P11KitUri *uri = p11_kit_uri_new();
        char *text = NULL;
        if (!uri)
                return;
        memcpy(p11_kit_uri_get_token_info(uri), info, sizeof(*info));
        if (p11_kit_uri_format(uri, P11_KIT_URI_FOR_TOKEN, &text) == P11_KIT_URI_OK)
                snprintf(t->uri, sizeof(t->uri), "%s", text);
        free(text);
        p11_kit_uri_free(uri);
}

/* In the child: the module's slots with a token, matched to the readers by description. */
static int ask_module(const char *module, const char *const *readers, size_t n,
                      struct vt_token *out)
{
        void *h = dlopen(module, RTLD_NOW | RTLD_LOCAL);
        CK_C_GetFunctionList get = h ? (CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList") : NULL;
        CK_FUNCTION_LIST_PTR f = NULL;
        CK_ULONG count = 0;
        CK_SLOT_ID slots[64];
        if (!get || get(&f) != CKR_OK || f->C_Initialize(NULL) != CKR_OK)
                return -1;
        count = sizeof(slots) / sizeof(slots[0]);
        if (f->C_GetSlotList(CK_TRUE, slots, &count) != CKR_OK)
                count = 0;
        for (CK_ULONG s = 0; s < count; s++) {
                CK_SLOT_INFO si;
                CK_TOKEN_INFO ti;
                char desc[sizeof(si.slotDescription) + 1];
                if (f->C_GetSlotInfo(slots[s], &si) != CKR_OK)
                        continue;
                unpad(desc, sizeof(desc), si.slotDescription, sizeof(si.slotDescription));
                for (size_t i = 0; i < n; i++)
                        if (!out[i].found && !strcmp(desc, readers[i]) &&
                            f->C_GetTokenInfo(slots[s], &ti) == CKR_OK)
                                describe(&ti, &out[i]);
        }
        f->C_Finalize(NULL);
        return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
        size_t got = 0;
        while (got < len) {
                ssize_t r = read(fd, (char *)buf + got, len - got);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        return -1;
                got += (size_t)r;
        }
        return 0;
}

int vt_tokens_query(const char *module, const char *const *readers, size_t n, struct vt_token *out,
                    unsigned timeout_s, char *err, size_t errlen)
{
        int fds[2];
        memset(out, 0, n * sizeof(*out));
        if (pipe2(fds, O_CLOEXEC) < 0) {
                snprintf(err, errlen, "pipe: %s", strerror(errno));
                return -1;
        }
        pid_t pid = fork();
        if (pid == 0) {
                close(fds[0]);
                signal(SIGINT, SIG_DFL);
                signal(SIGTERM, SIG_DFL);
                signal(SIGHUP, SIG_DFL);
                signal(SIGALRM, SIG_DFL);
                alarm(timeout_s); /* SIGALRM's default action ends a module that hangs */
                if (ask_module(module, readers, n, out) < 0)
                        _exit(1);
                _exit(write(fds[1], out, n * sizeof(*out)) == (ssize_t)(n * sizeof(*out)) ? 0 : 1);
        }
        close(fds[1]);
        int r = pid < 0 ? -1 : read_all(fds[0], out, n * sizeof(*out));
        close(fds[0]);
        int st = 0;
        while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (r < 0) {
                const char *why = "C_Initialize failed";
                if (pid < 0)
                        why = strerror(errno);
                else if (WIFSIGNALED(st))
                        why = strsignal(WTERMSIG(st));
                memset(out, 0, n * sizeof(*out));
                snprintf(err, errlen, "%s could not be asked for the tokens (%s)", module, why);
        }
        return r;
}
