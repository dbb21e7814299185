/* SPDX-License-Identifier: Apache-2.0 */
/* Who is at the other end of a connected TCP socket: the owner of the peer's socket of this very
 * connection (found by its address pair), as the kernel reports it through NETLINK_SOCK_DIAG
 * (inet_diag). TCP carries no peer identity; on one host the owner of the socket that accepted
 * the connection is the next best thing, and it is what tells pcscd's vpcd from a user's
 * listener on a port pcscd left free, also one that accepted and then yielded the port to pcscd.
 * An accepted socket belongs to whoever made the listener it came from. */
#ifndef VT_PEER_H
#define VT_PEER_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#define VT_UID_NONE ((uid_t)UINT_MAX) /* (uid_t)-1: no uid */

/* The uid owning the socket at the other end of fd's connection (its address and port are fd's
 * remote ones, its peer's are fd's local ones). 0 with *uid set; -ENOENT when no socket of this
 * host (network namespace) is that end: the peer is on another host, or in another network
 * namespace when fd's remote address is a loopback one; -EPERM when the kernel reports two;
 * another negative errno when the kernel cannot be asked. */
int peer_uid(int fd, uid_t *uid);

/* Whether fd's remote address is a loopback address (127.0.0.0/8, ::1, v4-mapped 127/8). */
bool peer_is_loopback(int fd);

/* Whether a listener owned by uid may talk to the card: root, the daemon's own effective user,
 * or the configured pcscd user (VT_UID_NONE for none). */
bool peer_uid_trusted(uid_t uid, uid_t pcscd_uid);

#endif
