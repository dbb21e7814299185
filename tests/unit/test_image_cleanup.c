/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken init against a user who may write the image's parent directory: it swaps the
 * directory vtoken init made (".card.init-XXXXXX") for a symbolic link to another directory
 * of the victim's, at the moment init cleans up after a failure or after --force's exchange.
 * The cleanup must stay in the directory it made; the link's target keeps its files.
 *
 * The moment is made deterministic by this program's own openat and renameat2, which every
 * call of the store and the provisioning code linked in here reaches: one fails the write of
 * card.ini (as a full disk would) after swapping, the other swaps right after the exchange. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "image.h"
#include "image_store.h"
#include "profile.h"
#include "tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* the attack, armed by a test */
static struct {
        const char *fail_open;     /* an openat of a name starting so swaps, then fails */
        bool swap_after_rename;    /* the next renameat2 swaps after it renamed */
        const char *parent, *prey; /* the image's parent; the directory the link points to */
        bool swapped;
} attack;

/* In the parent: ".card.init-*" moved to "parked", a link to the prey put in its place. */
static void swap(void)
{
        DIR *d = opendir(attack.parent);
        char from[512], to[512];
        struct dirent *e;

        assert_non_null(d);
        while ((e = readdir(d)))
                if (!strncmp(e->d_name, ".card.init-", 11))
                        break;
        assert_non_null(e);
        snprintf(from, sizeof(from), "%s/%s", attack.parent, e->d_name);
        snprintf(to, sizeof(to), "%s/parked", attack.parent);
        closedir(d);
        assert_int_equal(rename(from, to), 0);
        assert_int_equal(symlink(attack.prey, from), 0);
        attack.swapped = true;
}

int openat(int dirfd, const char *path, int flags, ...)
{
        mode_t mode = 0;

        if (flags & (O_CREAT | O_TMPFILE)) {
                va_list ap;
                va_start(ap, flags);
                mode = (mode_t)va_arg(ap, int);
                va_end(ap);
        }
        if (attack.fail_open && !strncmp(path, attack.fail_open, strlen(attack.fail_open))) {
                attack.fail_open = NULL;
                swap();
                errno = ENOSPC;
                return -1;
        }
        return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
              unsigned int flags)
{
        int r = (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);

        if (r == 0 && attack.swap_after_rename) {
                int e = errno;
                attack.swap_after_rename = false;
                swap();
                errno = e;
        }
        return r;
}

struct fixture {
        char parent[64], dir[96], prey[96], secret[128], parked[96];
};

static int entries(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;

        assert_non_null(d);
        while ((e = readdir(d)))
                n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
        closedir(d);
        return n;
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        FILE *fp;

        snprintf(f->parent, sizeof(f->parent), "/tmp/vt-cleanup-XXXXXX");
        assert_non_null(mkdtemp(f->parent));
        snprintf(f->dir, sizeof(f->dir), "%s/card", f->parent);
        snprintf(f->parked, sizeof(f->parked), "%s/parked", f->parent);
        /* the victim's ~/.ssh: somewhere else, closed to everyone */
        snprintf(f->prey, sizeof(f->prey), "/tmp/vt-prey-XXXXXX");
        assert_non_null(mkdtemp(f->prey));
        snprintf(f->secret, sizeof(f->secret), "%s/id_ed25519", f->prey);
        assert_non_null(fp = fopen(f->secret, "w"));
        fputs("a key of the victim's\n", fp);
        fclose(fp);
        attack = (__typeof__(attack)){.parent = f->parent, .prey = f->prey};
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        memset(&attack, 0, sizeof(attack));
        assert_int_equal(vt_tree_remove_path(f->parent), 0);
        assert_int_equal(vt_tree_remove_path(f->prey), 0);
        free(f);
        return 0;
}

/* What the attack must not reach, and what init must not leave. */
static void assert_prey_whole_and_nothing_left(const struct fixture *f)
{
        struct stat st;

        assert_true(attack.swapped);
        assert_int_equal(stat(f->secret, &st), 0);
        assert_int_equal(entries(f->prey), 1);
        /* the directory init made, wherever it was moved, holds nothing of the card's */
        assert_int_equal(lstat(f->parked, &st), 0);
        assert_int_equal(entries(f->parked), 0);
}

static void test_failed_init_cleans_only_its_directory(void **state)
{
        struct fixture *f = *state;
        struct vt_init_opts o = {.n_generate = 1, .generate = {{0x9A, VT_ALG_P256, NULL}}};
        char err[512] = "";
        struct stat st;

        attack.fail_open = ".card.ini.";
        assert_int_equal(vt_image_create(f->dir, &o, err, sizeof(err)), -1);
        assert_non_null(strstr(err, strerror(ENOSPC)));
        assert_prey_whole_and_nothing_left(f);
        assert_int_equal(lstat(f->dir, &st), -1);
}

static void test_force_removes_only_the_old_image(void **state)
{
        struct fixture *f = *state;
        struct vt_init_opts o = {.n_generate = 1, .generate = {{0x9A, VT_ALG_P256, NULL}}};
        char err[512] = "";
        struct vt_image *img;

        assert_int_equal(vt_image_create(f->dir, &o, err, sizeof(err)), 0);
        o.force = true;
        attack.swap_after_rename = true;
        assert_int_equal(vt_image_create(f->dir, &o, err, sizeof(err)), 0);
        /* the old image (moved to "parked") is emptied; the new one is in place and whole */
        assert_prey_whole_and_nothing_left(f);
        img = vt_image_load(f->dir, err, sizeof(err));
        assert_non_null(img);
        vt_image_free(img);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_failed_init_cleans_only_its_directory, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_force_removes_only_the_old_image, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
