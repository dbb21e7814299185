/* Durable file operations inside a directory. Each returns 0 or -1 with errno set. */
#ifndef VT_ATOMIC_H
#define VT_ATOMIC_H

#include <stddef.h>

/* Writes dir/name atomically: a temporary ".name.XXXXXX.tmp" (0600), fsync, rename, fsync of
 * the directory. A crash leaves the old file or the new one. */
int vt_write_atomic(const char *dir, const char *name, const void *data, size_t len);
/* Removes dir/name (no error when it is missing) and fsyncs the directory. */
int vt_remove_durable(const char *dir, const char *name);
int vt_fsync_dir(const char *dir);
/* Removes what interrupted writes left behind (".NAME.XXXXXX.tmp"). */
void vt_sweep_leftovers(const char *dir);

#endif
