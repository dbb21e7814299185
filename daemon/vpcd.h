/* SPDX-License-Identifier: Apache-2.0 */
/* One card's connection to a vpcd slot of pcscd: connect, frame, answer, reconnect.
 * vpcd listens; the card connects. The socket options are what make an APDU cost 0.15 ms
 * instead of 48 ms: TCP_NODELAY, TCP_QUICKACK re-armed before every read, one write per
 * frame (see shared/reference/vpcd-pcscd.md). */
#ifndef VT_VPCD_H
#define VT_VPCD_H

#include "link.h"
#include "peer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

struct vpcd_link;

/* The link as served.c uses it (link.h). */
struct link *vpcd_link_base(struct vpcd_link *l);

/* Connects to host:port and answers only a listener owned by root, the daemon's own user or
 * pcscd_uid (VT_UID_NONE for none); any other is refused with a log line and retried. */
int vpcd_link_new(sd_event *e, const char *name, const char *host, uint16_t port, uid_t pcscd_uid,
                  const struct link_handler *h, struct vpcd_link **out);
void vpcd_link_free(struct vpcd_link *l);
enum link_state vpcd_link_state(const struct vpcd_link *l);
const char *vpcd_link_endpoint(const struct vpcd_link *l); /* "HOST:PORT" */
/* Connected, but vpcd never spoke (the state is LINK_WAITING then): the slot serves another
 * card, and this connection waits in its backlog. */
bool vpcd_link_unheard(const struct vpcd_link *l);
/* Pulls the card out of the reader (closes the link, no reconnect) or plugs it back in. */
void vpcd_link_remove(struct vpcd_link *l);
void vpcd_link_insert(struct vpcd_link *l);
/* Sends the answer to the pending command; -EINVAL when none is pending. */
int vpcd_link_respond(struct vpcd_link *l, const uint8_t *rsp, size_t len);
/* Closes the connection and reconnects, as after a pcscd restart. */
void vpcd_link_reconnect(struct vpcd_link *l);

#endif
