/* SPDX-License-Identifier: Apache-2.0 */
/* Durable file operations inside an image directory, each relative to the directory's
 * descriptor (image_dir.h) and never through a symbolic link. Each returns 0 or -1 with errno
 * set. */
#ifndef VT_ATOMIC_H
#define VT_ATOMIC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* Several files of one directory changed together: each new file is written and fsynced
 * beside its target first (a failure there changes nothing), then all are renamed (or
 * removed) in the order given and the directory fsynced. A crash between two renames leaves
 * the earlier ones done: order them so that any prefix is consistent. */
/* an OpenPGP factory reset: three key files, twelve data objects and openpgp.ini */
#define VT_BATCH_MAX 16
struct vt_batch_op {
        char tmp[NAME_MAX + 1];
        char name[NAME_MAX + 1];
        bool remove;
};
struct vt_batch {
        int dirfd;
        bool own_dirfd; /* opened by vt_batch_open: closed by commit and abort */
        size_t n;
        struct vt_batch_op op[VT_BATCH_MAX];
};

/* A batch in the directory open as dirfd (which stays the caller's). */
void vt_batch_init(struct vt_batch *b, int dirfd);
/* A batch in dir, opened and checked as vt_dir_open does; -1 (errno set) when refused. */
int vt_batch_open(struct vt_batch *b, const char *dir);
/* Adds a file with this content (written and fsynced now, as ".name.XXXXXX.tmp"). */
int vt_batch_write(struct vt_batch *b, const char *name, const void *data, size_t len);
/* Adds the removal of a file (none is fine). */
int vt_batch_remove(struct vt_batch *b, const char *name);
/* Puts every file in place; on failure the files not yet in place are dropped. */
int vt_batch_commit(struct vt_batch *b);
/* Drops every file of the batch; nothing changes. */
void vt_batch_abort(struct vt_batch *b);

/* Writes dir/name atomically: a temporary ".name.XXXXXX.tmp" (0600), fsync, rename, fsync of
 * the directory. A crash leaves the old file or the new one. */
int vt_write_atomic(const char *dir, const char *name, const void *data, size_t len);
/* fsyncs a directory given by its path. */
int vt_fsync_dir(const char *dir);
/* Makes the missing directories above path (not path itself), each with mode; existing ones
 * are left as they are. */
int vt_mkdir_parents(const char *path, unsigned mode);
/* Removes what interrupted writes left behind (".NAME.XXXXXX.tmp"). */
void vt_sweep_leftovers(int dirfd);

#endif
