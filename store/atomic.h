/* Durable file operations inside a directory. Each returns 0 or -1 with errno set. */
#ifndef VT_ATOMIC_H
#define VT_ATOMIC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* Several files of one directory changed together: each new file is written and fsynced
 * beside its target first (a failure there changes nothing), then all are renamed (or
 * removed) in the order given and the directory fsynced. A crash between two renames leaves
 * the earlier ones done: order them so that any prefix is consistent. */
#define VT_BATCH_MAX 4
struct vt_batch_op {
        char tmp[PATH_MAX];
        char path[PATH_MAX];
        bool remove;
};
struct vt_batch {
        const char *dir;
        size_t n;
        struct vt_batch_op op[VT_BATCH_MAX];
};

void vt_batch_init(struct vt_batch *b, const char *dir);
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
/* Removes dir/name (no error when it is missing) and fsyncs the directory. */
int vt_remove_durable(const char *dir, const char *name);
int vt_fsync_dir(const char *dir);
/* Removes what interrupted writes left behind (".NAME.XXXXXX.tmp"). */
void vt_sweep_leftovers(const char *dir);

#endif
