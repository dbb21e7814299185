/* SPDX-License-Identifier: Apache-2.0 */
/* A card's link to its reader in pcscd, whichever the transport: the interface alone. Each
 * transport is one file with one constructor that returns a struct link (vpcd.c: TCP to
 * vsmartcard's driver; drvlink.c: a local socket to driver/); whoever builds the cards
 * (manager.c) picks the constructor. The served card answers through a link_handler and acts on
 * the link through these calls alone, so both transports share everything but the link. */
#ifndef VT_LINK_H
#define VT_LINK_H

#include "rxbuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

enum link_state {
        LINK_WAITING,   /* no reader: retrying (vpcd) or listening (driver) */
        LINK_CONNECTED, /* the reader is there, card not powered */
        LINK_POWERED,   /* ... and powered */
        LINK_REMOVED,   /* the card is out of the reader, on purpose */
};

enum link_power {
        LINK_POWER_OFF, /* also when the link drops: a pending answer is then cancelled */
        LINK_POWER_ON,
        LINK_POWER_RESET,
};

/* The longest command APDU a transport hands over (the driver link's; vpcd's is 0xFFFF). */
#define LINK_CAPDU_MAX (65536 + 16)

/* What link_handler.apdu may return instead of a length. */
#define LINK_APDU_PENDING SIZE_MAX       /* answered later with link_respond() */
#define LINK_APDU_DROP    (SIZE_MAX - 1) /* no answer: the connection is closed */

struct link_handler {
        void *user;
        /* Answers one command APDU into out (room for VT_RAPDU_MAX bytes); returns its length,
         * or LINK_APDU_PENDING or LINK_APDU_DROP. While an answer is pending nothing more is
         * read from the reader (it sends nothing before it has the answer). */
        size_t (*apdu)(void *user, const uint8_t *cmd, size_t len, uint8_t *out);
        /* Writes the ATR; returns its length. */
        size_t (*atr)(void *user, uint8_t *out);
        void (*power)(void *user, enum link_power p);
        void (*state_changed)(void *user);
};

struct link;
struct link_ops {
        const char *kind; /* "vpcd" or "driver" */
        void (*free)(struct link *l);
        enum link_state (*state)(const struct link *l);
        const char *(*endpoint)(const struct link *l); /* HOST:PORT, or the socket's path */
        /* vpcd: connected, but the reader never spoke (another card holds the slot) */
        bool (*unheard)(const struct link *l);
        void (*remove)(struct link *l); /* the card is pulled out of the reader */
        void (*insert)(struct link *l); /* ... and plugged back in */
        /* Sends the answer to the pending command; -EINVAL when none is pending. */
        int (*respond)(struct link *l, const uint8_t *rsp, size_t len);
};

struct link {
        const struct link_ops *ops;
};

/* For the links' own use: the state a link reports becomes s, and h is told when it changed. */
void link_set_state(enum link_state *state, const struct link_handler *h, enum link_state s);
/* Writes the unsent part of a message, buf[*off..*len), without blocking: when all is out, the
 * buffer is wiped (an answer may be secret), *len and *off are 0, and io waits for idle_events
 * again; when the socket is full, io waits for room (EPOLLOUT). 0, or a negative errno. */
int link_flush(int fd, uint8_t *buf, size_t *len, size_t *off, sd_event_source *io,
               uint32_t idle_events);
/* The connection ended: what it received and what it had yet to send are wiped (a PIN, an
 * answer), and both buffers are empty. Both transports call it on every hang-up and when freed. */
void link_wipe(struct rxbuf *rx, uint8_t *tx, size_t *tx_len, size_t *tx_off);
/* The connection ended, the same way on both transports: its events off (*io), its socket
 * closed (*fd -1), the command with the card forgotten (*pending), both buffers wiped
 * (link_wipe), and the card powered off through h. */
void link_hang_up(int *fd, sd_event_source **io, bool *pending, struct rxbuf *rx, uint8_t *tx,
                  size_t *tx_len, size_t *tx_off, const struct link_handler *h);
/* Why a connection ended, for the log, from the negative errno that ended it. */
const char *link_why(int r);

static inline void link_free(struct link *l)
{
        if (l)
                l->ops->free(l);
}
static inline const char *link_kind(const struct link *l)
{
        return l->ops->kind;
}
static inline enum link_state link_state(const struct link *l)
{
        return l->ops->state(l);
}
static inline const char *link_endpoint(const struct link *l)
{
        return l->ops->endpoint(l);
}
static inline bool link_unheard(const struct link *l)
{
        return l->ops->unheard(l);
}
static inline void link_remove(struct link *l)
{
        l->ops->remove(l);
}
static inline void link_insert(struct link *l)
{
        l->ops->insert(l);
}
static inline int link_respond(struct link *l, const uint8_t *rsp, size_t len)
{
        return l->ops->respond(l, rsp, len);
}

#endif
