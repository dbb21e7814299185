/* SPDX-License-Identifier: Apache-2.0 */
/* What `vtoken run` says when the kernel refuses an unprivileged user a user namespace: each
 * way a system disables them, read from a /proc/sys made for the test, names the setting and
 * how to allow it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "userns.h"

struct sys {
        char root[64];
};

static void put(struct sys *s, const char *name, const char *value)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/kernel", s->root);
        mkdir(path, 0700);
        snprintf(path, sizeof(path), "%s/user", s->root);
        mkdir(path, 0700);
        snprintf(path, sizeof(path), "%s/%s", s->root, name);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "%s\n", value);
        fclose(f);
}

static int setup(void **state)
{
        struct sys *s = calloc(1, sizeof(*s));
        snprintf(s->root, sizeof(s->root), "/tmp/vt-userns.XXXXXX");
        if (!mkdtemp(s->root))
                return -1;
        *state = s;
        return 0;
}

static int teardown(void **state)
{
        struct sys *s = *state;
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->root);
        int r = system(cmd);
        free(s);
        return r == 0 ? 0 : -1;
}

static void expect(const char *text, const char *part)
{
        if (!strstr(text, part))
                fail_msg("'%s' not in: %s", part, text);
}

static void debian_sysctl_off(void **state)
{
        struct sys *s = *state;
        char out[1024];
        put(s, "kernel/unprivileged_userns_clone", "0");
        put(s, "user/max_user_namespaces", "15000");
        vt_userns_advice(s->root, EPERM, out, sizeof(out));
        expect(out, "kernel.unprivileged_userns_clone = 0");
        expect(out, "sudo sysctl -w kernel.unprivileged_userns_clone=1");
        expect(out, "/etc/sysctl.d/");
        expect(out, "as root");
}

static void max_user_namespaces_zero(void **state)
{
        struct sys *s = *state;
        char out[1024];
        put(s, "kernel/unprivileged_userns_clone", "1");
        put(s, "user/max_user_namespaces", "0");
        vt_userns_advice(s->root, ENOSPC, out, sizeof(out));
        expect(out, "user.max_user_namespaces = 0");
        expect(out, "sudo sysctl -w user.max_user_namespaces=");
}

static void limit_reached(void **state)
{
        struct sys *s = *state;
        char out[1024];
        put(s, "user/max_user_namespaces", "3");
        vt_userns_advice(s->root, ENOSPC, out, sizeof(out));
        expect(out, "limit of user namespaces is reached (user.max_user_namespaces = 3)");
}

static void apparmor_restriction(void **state)
{
        struct sys *s = *state;
        char out[1024];
        put(s, "user/max_user_namespaces", "15000");
        put(s, "kernel/apparmor_restrict_unprivileged_userns", "1");
        vt_userns_advice(s->root, EACCES, out, sizeof(out));
        expect(out, "AppArmor restricts unprivileged user namespaces");
        expect(out, "kernel.apparmor_restrict_unprivileged_userns = 1");
        expect(out, "userns,");
        expect(out, "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0");
}

static void container_or_chroot(void **state)
{
        struct sys *s = *state;
        char out[1024];
        put(s, "user/max_user_namespaces", "15000");
        put(s, "kernel/apparmor_restrict_unprivileged_userns", "0");
        vt_userns_advice(s->root, EPERM, out, sizeof(out));
        expect(out, strerror(EPERM));
        expect(out, "container or chroot");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(debian_sysctl_off, setup, teardown),
            cmocka_unit_test_setup_teardown(max_user_namespaces_zero, setup, teardown),
            cmocka_unit_test_setup_teardown(limit_reached, setup, teardown),
            cmocka_unit_test_setup_teardown(apparmor_restriction, setup, teardown),
            cmocka_unit_test_setup_teardown(container_or_chroot, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
