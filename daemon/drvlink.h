/* SPDX-License-Identifier: Apache-2.0 */
/* One card's link to vtoken's own reader driver (driver/, loaded by pcscd): vtokend listens on
 * a local stream socket, the driver connects (driver/vtlink.h has the protocol). Only a peer
 * running as root, as vtokend's own user or as [daemon] pcscd-user is served (SO_PEERCRED).
 *
 * The socket is made as PATH.new and renamed to PATH once it listens, so a driver that waits
 * for PATH to appear connects at once and never meets a socket that is not listening yet. A
 * live socket at PATH (another vtokend) is left alone and the card refused; a stale one is
 * replaced. Removing the card closes the connection: the driver reconnects at once and hears
 * that its reader is empty until the card is inserted again. */
#ifndef VT_DRVLINK_H
#define VT_DRVLINK_H

#include "link.h"

#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

/* Listens on path; on failure err says why. */
int drv_link_new(sd_event *e, const char *name, const char *path, uid_t pcscd_uid,
                 const struct link_handler *h, struct link **out, char *err, size_t errlen);

#endif
