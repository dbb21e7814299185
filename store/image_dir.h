/* SPDX-License-Identifier: Apache-2.0 */
/* An image directory as the store trusts it: opened once, never through a symbolic link,
 * owned by the effective user and closed to everyone else (mode 0700), and locked while it is
 * served or rewritten. Every file in it is then reached relative to that descriptor
 * (openat, renameat, unlinkat) and never through a link: a user who could plant
 * "obj-5fc102.bin -> /etc/shadow" in it is refused before anything is read. */
#ifndef VT_IMAGE_DIR_H
#define VT_IMAGE_DIR_H

#include <stddef.h>

/* Opens dir (O_DIRECTORY | O_NOFOLLOW) and checks owner and mode. The descriptor, or -1 with
 * errno set and, when err is not NULL, a message naming dir and the fix. */
int vt_dir_open(const char *dir, char *err, size_t errlen);

/* Takes the image's exclusive lock (flock on the directory itself: nothing is written), held
 * for as long as dirfd stays open, also against another descriptor of the same process. 0, or
 * -1 with errno set (EWOULDBLOCK when another holds it) and a message naming dir and the
 * holder's pid. A holder that dies releases it. */
int vt_dir_lock(int dirfd, const char *dir, char *err, size_t errlen);

#endif
