/* SPDX-License-Identifier: Apache-2.0 */
#include "userns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The number in procsys/name, or -1 when there is no such file (the kernel lacks the knob). */
static long sysctl_value(const char *procsys, const char *name)
{
        char path[4096], line[32];
        long v = -1;
        snprintf(path, sizeof(path), "%s/%s", procsys, name);
        FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        if (fgets(line, sizeof(line), f))
                v = strtol(line, NULL, 10);
        fclose(f);
        return v;
}

void vt_userns_advice(const char *procsys, int err, char *out, size_t n)
{
        long max = sysctl_value(procsys, "user/max_user_namespaces");
        int len;
        if (sysctl_value(procsys, "kernel/unprivileged_userns_clone") == 0)
                len = snprintf(out, n,
                               "unprivileged user namespaces are disabled on this system "
                               "(kernel.unprivileged_userns_clone = 0). Enable them with 'sudo "
                               "sysctl -w kernel.unprivileged_userns_clone=1' (and keep it with a "
                               "file in /etc/sysctl.d/), ");
        else if (max == 0)
                len = snprintf(out, n,
                               "user namespaces are disabled on this system "
                               "(user.max_user_namespaces = 0). Enable them with 'sudo sysctl -w "
                               "user.max_user_namespaces=15000' (and keep it with a file in "
                               "/etc/sysctl.d/), ");
        else if (err == ENOSPC)
                len = snprintf(out, n,
                               "the limit of user namespaces is reached "
                               "(user.max_user_namespaces = %ld): raise it with 'sudo sysctl -w "
                               "user.max_user_namespaces=N', ",
                               max);
        else if (sysctl_value(procsys, "kernel/apparmor_restrict_unprivileged_userns") == 1)
                len = snprintf(out, n,
                               "AppArmor restricts unprivileged user namespaces "
                               "(kernel.apparmor_restrict_unprivileged_userns = 1). Allow them for "
                               "vtoken with an AppArmor profile that grants 'userns,' to its "
                               "path, or for everyone with 'sudo sysctl -w "
                               "kernel.apparmor_restrict_unprivileged_userns=0', ");
        else
                len = snprintf(out, n,
                               "the kernel refused a user namespace (%s): a container or chroot "
                               "may forbid them (a seccomp filter; the kernel makes none for a "
                               "chrooted process); allow them there, ",
                               strerror(err));
        if (len >= 0 && (size_t)len < n)
                snprintf(out + len, n - (size_t)len, "or run vtoken run as root (sudo)");
}
