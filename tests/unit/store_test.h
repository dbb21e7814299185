/* SPDX-License-Identifier: Apache-2.0 */
/* What the store tests share (include after cmocka.h): image directories made by a test, and
 * loading them. Only tests of the file store touch the file system. */
#ifndef VT_STORE_TEST_H
#define VT_STORE_TEST_H

#include "image_store.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Removes a directory tree made by a test. */
static inline void rm_rf(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char path[512];
        struct stat st;

        if (!d)
                return;
        while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                        rm_rf(path);
                else
                        unlink(path);
        }
        closedir(d);
        rmdir(dir);
}

/* Loads an image that must load; fails the test with what and the loader's message. */
static inline struct vt_image *load_image_or_fail(const char *dir, const char *what)
{
        char err[512] = "";
        struct vt_image *img = vt_image_load(dir, err, sizeof(err));

        if (!img)
                fail_msg("%s: %s", what, err);
        return img;
}

#endif
