/* SPDX-License-Identifier: Apache-2.0 */
/* One card's connection to a vpcd slot of pcscd: connect, frame, answer, reconnect.
 * vpcd listens; the card connects. The socket options are what make an APDU cost 0.15 ms
 * instead of 48 ms: TCP_NODELAY, TCP_QUICKACK re-armed before every read, one write per
 * frame (see shared/reference/vpcd-pcscd.md). */
#ifndef VT_VPCD_H
#define VT_VPCD_H

#include "peer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

enum vpcd_state {
        VPCD_WAITING,   /* no connection; retrying with backoff */
        VPCD_CONNECTED, /* connected, card not powered */
        VPCD_POWERED,   /* connected and powered */
        VPCD_REMOVED,   /* disconnected on purpose: the card is out of the reader */
};

/* What vpcd_handler.apdu may return instead of a length. */
#define VPCD_APDU_PENDING ((size_t)-1) /* answered later with vpcd_link_respond() */
#define VPCD_APDU_DROP    ((size_t)-2) /* no answer: the connection is closed and re-made */

struct vpcd_handler {
        void *user;
        /* Answers one command APDU into out (room for 65538 bytes); returns its length, or
         * VPCD_APDU_PENDING or VPCD_APDU_DROP. While an answer is pending nothing more is read
         * from vpcd (it sends nothing before it has the answer). A pending answer is cancelled
         * by power(VPCD_CTRL_OFF), which comes when the link drops or the card is removed. */
        size_t (*apdu)(void *user, const uint8_t *cmd, size_t len, uint8_t *out);
        /* Writes the ATR; returns its length. */
        size_t (*atr)(void *user, uint8_t *out);
        /* VPCD_CTRL_OFF, VPCD_CTRL_ON or VPCD_CTRL_RESET; also OFF when the link drops. */
        void (*power)(void *user, int ctrl);
        void (*state_changed)(void *user);
};

struct vpcd_link;

/* Connects to host:port and answers only a listener owned by root, the daemon's own user or
 * pcscd_uid (VT_UID_NONE for none); any other is refused with a log line and retried. */
int vpcd_link_new(sd_event *e, const char *name, const char *host, uint16_t port, uid_t pcscd_uid,
                  const struct vpcd_handler *h, struct vpcd_link **out);
void vpcd_link_free(struct vpcd_link *l);
enum vpcd_state vpcd_link_state(const struct vpcd_link *l);
const char *vpcd_link_endpoint(const struct vpcd_link *l); /* "HOST:PORT" */
/* Connected, but vpcd never spoke (the state is VPCD_WAITING then): the slot serves another
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
