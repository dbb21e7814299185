/* SPDX-License-Identifier: Apache-2.0 */
/* The directory of a socket vtokend listens on (the control socket, a driver socket): whoever
 * may write it may put another socket in its place and take what is meant for the cards. */
#ifndef VT_SOCKDIR_H
#define VT_SOCKDIR_H

#include <stddef.h>

/* Whether the directory of the socket path exists, is a directory (not a link), belongs to
 * root or to us and is closed to other writers. 0, or a negative errno with err saying why
 * and what to do; what names the socket ("control socket", "driver socket"). */
int sockdir_check(const char *path, const char *what, char *err, size_t errlen);

#endif
