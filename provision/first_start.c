/* SPDX-License-Identifier: Apache-2.0 */
#include "first_start.h"

#include "atomic.h"
#include "image_store.h"
#include "profile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* An empty directory counts as a missing image: a unit's StateDirectory= makes one. */
static bool missing(const char *dir)
{
        int empty = vt_dir_is_empty(dir);
        return empty < 0 ? errno == ENOENT : empty == 1;
}

int vt_first_start(const char *dir, const char *profile, char *pin, size_t pinlen, char *err,
                   size_t errlen)
{
        if (pinlen)
                pin[0] = '\0';
        if (!missing(dir))
                return 0;
        if (vt_mkdir_parents(dir, 0755) < 0) {
                snprintf(err, errlen, "cannot make the directories above %s: %s", dir,
                         strerror(errno));
                return -1;
        }
        struct vt_init_opts o = {.profile = profile, .initial_pin = pin, .initial_pin_len = pinlen};
        return vt_image_create(dir, &o, err, errlen) < 0 ? -1 : 1;
}
