/* SPDX-License-Identifier: Apache-2.0 */
/* Removing a directory tree without ever leaving it: every entry is reached relative to the
 * descriptor of the directory that holds it, opened without following a link (O_DIRECTORY |
 * O_NOFOLLOW), and removed with unlinkat. A symbolic link is removed, never followed; a
 * directory on another filesystem (a mount) is left alone. So a directory swapped for a link
 * to somewhere else, by whoever may write its parent, makes the removal fail instead of
 * emptying the link's target. Each returns 0 or -1 with errno set (the first error; the rest
 * of the tree is still removed as far as it can be). */
#ifndef VT_TREE_H
#define VT_TREE_H

/* Removes everything inside the directory open as dirfd (which stays the caller's), not the
 * directory itself. */
int vt_tree_empty(int dirfd);

/* Removes the directory name of the directory open as parentfd (AT_FDCWD for the working
 * directory) with everything in it. A name that is not a directory (a link) is refused with
 * ENOTDIR and left in place. None is fine. */
int vt_tree_remove(int parentfd, const char *name);

/* vt_tree_remove for a path: its parent is opened (as the caller named it), then its last
 * component is removed relative to it. */
int vt_tree_remove_path(const char *path);

/* Opens the directory name of parentfd without following a link: the descriptor, or -1. */
int vt_tree_open(int parentfd, const char *name);

#endif
