/* SPDX-License-Identifier: Apache-2.0 */
/* One card's connection to a vpcd slot of pcscd: connect, frame, answer, reconnect.
 * vpcd listens; the card connects. The socket options are what make an APDU cost 0.15 ms
 * instead of 48 ms: TCP_NODELAY, TCP_QUICKACK re-armed before every read, one write per
 * frame (see shared/reference/vpcd-pcscd.md). */
#ifndef VT_VPCD_H
#define VT_VPCD_H

#include "link.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

/* Connects to host:port (every address the host has, in turn) and answers only a peer whose
 * socket is owned by root, the daemon's own user or pcscd_uid (VT_UID_NONE for none); any other
 * is refused with a log line and retried. The link is used through link.h; its unheard() says
 * vpcd never spoke on the connection (another card holds the slot, and this connection waits in
 * its backlog). On failure err says why. */
int vpcd_link_new(sd_event *e, const char *name, const char *host, uint16_t port, uid_t pcscd_uid,
                  const struct link_handler *h, struct link **out, char *err, size_t errlen);

#endif
