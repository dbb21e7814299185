/* SPDX-License-Identifier: Apache-2.0 */
/* Why the kernel refused an unprivileged user a user namespace, and how to allow it: the
 * message `vtoken run` gives instead of a bare errno. */
#ifndef VT_USERNS_H
#define VT_USERNS_H

#include <stddef.h>

/* The reason and the fix, from the sysctls under procsys ("/proc/sys"; a test passes a
 * directory of its own) and err, the errno of the call that failed: a Debian kernel's
 * kernel.unprivileged_userns_clone = 0, user.max_user_namespaces = 0 (or its limit reached),
 * AppArmor's kernel.apparmor_restrict_unprivileged_userns = 1, else a container or chroot that
 * forbids them. */
void vt_userns_advice(const char *procsys, int err, char *out, size_t n);

#endif
