/* SPDX-License-Identifier: Apache-2.0 */
#include "vpcd.h"

#include "card.h"
#include "frame.h"
#include "log.h"
#include "peer.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BACKOFF_MIN_US (10 * 1000ULL)
#define BACKOFF_MAX_US (1000 * 1000ULL)
/* pcscd asks each vpcd slot for the ATR every 400 ms: a connection that hears nothing for this
 * long sits in the backlog of a vpcd slot that serves another card */
#define SILENCE_US 2000000ULL
/* A new connection on which vpcd asks this many times for the ATR, and for nothing else, serves
 * a pcscd that took the card for present all along and will not power it: see answer(). */
#define STALE_ATR_POLLS 3
#define VPCD_ADDRS_MAX  8

struct vpcd_link {
        struct link base; /* first: served.c holds the link as a struct link */
        sd_event *event;
        char name[64];
        char endpoint[300];
        /* every address the host name has, tried in getaddrinfo's order: "localhost" is ::1
         * first on Debian, and vpcd listens on IPv4 alone */
        struct sockaddr_storage addrs[VPCD_ADDRS_MAX];
        socklen_t addrlens[VPCD_ADDRS_MAX];
        size_t n_addrs;
        size_t cur; /* the one tried now */
        char host[256];
        char address[INET6_ADDRSTRLEN];
        struct link_handler h;

        enum link_state state;
        int fd;
        bool connecting;
        bool pending; /* an APDU waits for vpcd_link_respond() */
        sd_event_source *io;
        sd_event_source *retry;
        sd_event_source *silence; /* armed from connect until vpcd first speaks */
        bool unheard;             /* connected, and vpcd never spoke within SILENCE_US */
        unsigned atr_polls;       /* ATR requests on this connection, and nothing else yet */
        bool probing;             /* counting them: no power or APDU seen on this connection */
        bool pulled;              /* the last connection was closed for STALE_ATR_POLLS */
        uint64_t backoff_us;
        uid_t pcscd_uid; /* besides root and our own user, who may listen (VT_UID_NONE) */
        bool refused;    /* the last listener was refused: say so again only when it changes */
        uid_t refused_uid;

        struct rxbuf rx;
        uint8_t rxbuf[FRAME_HEADER + FRAME_MAX];
        uint8_t tx[FRAME_HEADER + VT_RAPDU_MAX];
        size_t tx_len, tx_off;
};

static void set_state(struct vpcd_link *l, enum link_state s)
{
        link_set_state(&l->state, &l->h, s);
}

static void drop(struct vpcd_link *l)
{
        l->silence = sd_event_source_disable_unref(l->silence);
        l->unheard = false;
        l->connecting = false;
        link_hang_up(&l->fd, &l->io, &l->pending, &l->rx, l->tx, &l->tx_len, &l->tx_off, &l->h);
}

static void schedule_connect(struct vpcd_link *l);
static void connect_in(struct vpcd_link *l, uint64_t delay_us);

/* The address tried now, as text. */
static const char *address(struct vpcd_link *l)
{
        const struct sockaddr_storage *a = &l->addrs[l->cur];
        const void *bytes = a->ss_family == AF_INET6
                                ? (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr
                                : (const void *)&((const struct sockaddr_in *)a)->sin_addr;
        if (!inet_ntop(a->ss_family, bytes, l->address, sizeof(l->address)))
                snprintf(l->address, sizeof(l->address), "?");
        return l->address;
}

/* The address tried failed: the next one at once, and after the last a new round later. */
static void next_address(struct vpcd_link *l)
{
        drop(l);
        if (l->cur + 1 < l->n_addrs) {
                l->cur++;
                connect_in(l, 0);
                return;
        }
        schedule_connect(l);
}

/* The connection is gone: pcscd stopped, restarted, or we broke the stream. */
static void lost(struct vpcd_link *l, const char *why)
{
        vt_log(LOG_INFO, l->name, l->endpoint, "vpcd %s: %s; reconnecting", l->endpoint, why);
        drop(l);
        set_state(l, LINK_WAITING);
        schedule_connect(l);
}

static int flush(struct vpcd_link *l)
{
        return link_flush(l->fd, l->tx, &l->tx_len, &l->tx_off, l->io, EPOLLIN);
}

/* Answers one frame; the response is built in place behind the header and leaves in one
 * write. */
static int answer(struct vpcd_link *l, const uint8_t *body, size_t len)
{
        size_t n = 0;
        enum vpcd_msg m = frame_vpcd_msg(body, len);
        if (m == VPCD_MSG_POWER || m == VPCD_MSG_APDU)
                l->probing = l->pulled = false; /* pcscd uses this card */
        switch (m) {
        case VPCD_MSG_POWER:
                l->h.power(l->h.user, body[0] == VPCD_CTRL_OFF  ? LINK_POWER_OFF
                                      : body[0] == VPCD_CTRL_ON ? LINK_POWER_ON
                                                                : LINK_POWER_RESET);
                set_state(l, body[0] == VPCD_CTRL_OFF ? LINK_CONNECTED : LINK_POWERED);
                return 0; /* never answered: that would desynchronise the stream */
        case VPCD_MSG_ATR:
                if (l->probing && ++l->atr_polls == STALE_ATR_POLLS && !l->pulled) {
                        /* pcscd never saw the card go (a vtokend killed and started again
                         * between two of its polls) and keeps its state of the card before:
                         * with a power-up that failed in between, it refuses every client and
                         * never powers ours. Pulled out once, the card is taken afresh. */
                        vt_log(LOG_NOTICE, l->name, l->endpoint,
                               "vpcd %s only polls the card: pcscd holds the state of the card "
                               "before this one; pulling it out once so that pcscd takes it anew",
                               l->endpoint);
                        l->pulled = true;
                        return -ECONNABORTED;
                }
                n = l->h.atr(l->h.user, l->tx + FRAME_HEADER);
                break;
        case VPCD_MSG_APDU:
                n = l->h.apdu(l->h.user, body, len, l->tx + FRAME_HEADER);
                if (n == LINK_APDU_DROP)
                        return -ECONNABORTED;
                if (n == LINK_APDU_PENDING) {
                        l->pending = true; /* stop reading until the answer is out */
                        return sd_event_source_set_io_events(l->io, 0);
                }
                break;
        case VPCD_MSG_UNKNOWN:
                vt_log(LOG_WARNING, l->name, l->endpoint, "unknown vpcd control code %02X",
                       body[0]);
                return 0;
        case VPCD_MSG_EMPTY:
                return 0;
        }
        l->tx_len = frame_seal(l->tx, n);
        l->tx_off = 0;
        return 1; /* to be sent once the command is wiped (process_frames) */
}

/* Answers the whole frames received so far, one at a time. A command (a PIN) is wiped from
 * the receive buffer before its answer goes out: once answered, it is nowhere. */
static int process_frames(struct vpcd_link *l)
{
        for (;;) {
                const uint8_t *body;
                size_t len;
                int r = rxbuf_next(&l->rx, &body, &len);
                if (r < 0)
                        return -EMSGSIZE;
                if (r == 0)
                        return 0;
                r = answer(l, body, len);
                rxbuf_consume(&l->rx);
                if (r > 0)
                        r = flush(l);
                if (r < 0)
                        return r;
                if (l->tx_len || l->pending)
                        return 0; /* wait for the peer to take our answer first */
        }
}

/* vpcd spoke: the slot is ours. */
static void heard(struct vpcd_link *l)
{
        l->silence = sd_event_source_disable_unref(l->silence);
        if (!l->unheard)
                return;
        l->unheard = false;
        vt_log(LOG_INFO, l->name, l->endpoint, "vpcd %s answers now", l->endpoint);
        set_state(l, LINK_CONNECTED);
}

static int on_silence(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct vpcd_link *l = userdata;
        (void)s;
        (void)usec;
        l->silence = sd_event_source_unref(l->silence);
        l->unheard = true;
        vt_log(LOG_WARNING, l->name, l->endpoint,
               "connected to vpcd %s, but it has sent nothing for %llu s: another card holds "
               "this slot (one vpcd slot serves one card); waiting",
               l->endpoint, SILENCE_US / 1000000ULL);
        set_state(l, LINK_WAITING);
        return 0;
}

static int on_readable(struct vpcd_link *l)
{
        static const int one = 1;
        size_t room;
        uint8_t *space = rxbuf_space(&l->rx, &room);
        /* TCP_QUICKACK is cleared by the kernel: re-arm it (which also sends an ACK held back)
         * before a read that may start a frame, so vpcd's Nagle-held body follows its header at
         * once. Not for a body that fits one segment behind its header: that one comes whole,
         * and our answer carries its ACK. */
        if (!frame_rx_body_one_segment(&l->rx))
                setsockopt(l->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
        ssize_t n = read(l->fd, space, room);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n < 0)
                return -errno;
        if (n == 0)
                return -ECONNRESET;
        heard(l);
        rxbuf_commit(&l->rx, (size_t)n);
        return process_frames(l);
}

/* Before anything is answered: the other end of this connection must be pcscd's. Anyone can
 * listen on a port pcscd left free (a socket-activated pcscd exits when idle) and would get the
 * card, and might yield the port to pcscd once it holds our connection: the socket that
 * accepted it is asked, not whoever listens now. */
static bool listener_trusted(struct vpcd_link *l)
{
        uid_t uid = VT_UID_NONE;
        int r = peer_uid(l->fd, &uid);
        if (r == 0 && peer_uid_trusted(uid, l->pcscd_uid)) {
                l->refused = false;
                return true;
        }
        if (r == -ENOENT && !peer_is_loopback(l->fd)) {
                /* on another host: no local user can be listening there */
                vt_log(LOG_NOTICE, l->name, l->endpoint,
                       "vpcd %s is on another host: its owner cannot be checked", l->endpoint);
                l->refused = false;
                return true;
        }
        char reason[160];
        if (r == 0)
                snprintf(reason, sizeof(reason),
                         "the socket that accepted the connection belongs to uid %u%s",
                         (unsigned)uid,
                         uid == 65534 ? " (nobody, or a user outside our user namespace)" : "");
        else if (r == -ENOENT)
                snprintf(reason, sizeof(reason),
                         "no socket of this host is the other end of the connection");
        else if (r == -EPERM)
                snprintf(reason, sizeof(reason), "the kernel reports two sockets at the other end");
        else
                snprintf(reason, sizeof(reason), "its owner cannot be looked up: %s", strerror(-r));
        bool again = l->refused && l->refused_uid == uid;
        vt_log(again ? LOG_DEBUG : LOG_WARNING, l->name, l->endpoint,
               "vpcd %s refused, not pcscd: %s; expected root, uid %u%s; retrying", l->endpoint,
               reason, (unsigned)geteuid(),
               l->pcscd_uid != VT_UID_NONE ? " or the configured pcscd-user" : "");
        l->refused = true;
        l->refused_uid = uid;
        return false;
}

static int on_io(sd_event_source *s, int fd, uint32_t events, void *userdata)
{
        struct vpcd_link *l = userdata;
        (void)s;
        (void)fd;
        int r = 0;
        if (l->connecting) {
                int err = 0;
                socklen_t el = sizeof(err);
                getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                if (err) {
                        vt_log(LOG_DEBUG, l->name, l->endpoint, "connect to vpcd %s (%s): %s",
                               l->endpoint, address(l), strerror(err));
                        next_address(l);
                        return 0;
                }
                l->connecting = false;
                if (!listener_trusted(l)) {
                        next_address(l);
                        return 0;
                }
                l->backoff_us = BACKOFF_MIN_US;
                l->probing = true;
                l->atr_polls = 0;
                if (strcmp(address(l), l->host) != 0)
                        vt_log(LOG_INFO, l->name, l->endpoint, "connected to vpcd %s (%s)",
                               l->endpoint, address(l));
                else
                        vt_log(LOG_INFO, l->name, l->endpoint, "connected to vpcd %s", l->endpoint);
                set_state(l, LINK_CONNECTED);
                if (sd_event_add_time_relative(l->event, &l->silence, CLOCK_MONOTONIC, SILENCE_US,
                                               100000, on_silence, l) < 0)
                        l->silence = NULL; /* no warning then; the link works as before */
                return sd_event_source_set_io_events(l->io, EPOLLIN);
        }
        if (l->pending) {
                if (events & (EPOLLHUP | EPOLLERR))
                        lost(l, "connection closed");
                return 0;
        }
        if (events & EPOLLOUT) {
                r = flush(l);
                /* frames that came behind the answer: no new data may come to wake us */
                if (r >= 0 && !l->tx_len)
                        r = process_frames(l);
        }
        if (r >= 0 && !l->tx_len && !l->pending && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                r = on_readable(l);
        if (r < 0)
                lost(l, link_why(r));
        return 0;
}

static int try_connect(struct vpcd_link *l)
{
        static const int one = 1;
        const struct sockaddr_storage *a = &l->addrs[l->cur];
        l->fd = socket(a->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (l->fd < 0)
                return -errno;
        setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        int r = connect(l->fd, (const struct sockaddr *)a, l->addrlens[l->cur]);
        if (r < 0 && errno != EINPROGRESS)
                return -errno;
        l->connecting = true;
        return sd_event_add_io(l->event, &l->io, l->fd, EPOLLOUT, on_io, l);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct vpcd_link *l = userdata;
        (void)s;
        (void)usec;
        l->retry = sd_event_source_unref(l->retry);
        int r = try_connect(l);
        if (r < 0) {
                vt_log(LOG_DEBUG, l->name, l->endpoint, "connect to vpcd %s (%s): %s", l->endpoint,
                       address(l), strerror(-r));
                next_address(l);
        }
        return 0;
}

/* Capped exponential backoff: 10 ms, 20 ms, ... 1 s, forever. */
static void connect_in(struct vpcd_link *l, uint64_t delay_us)
{
        if (l->state == LINK_REMOVED || l->retry)
                return;
        int r = sd_event_add_time_relative(l->event, &l->retry, CLOCK_MONOTONIC, delay_us, 1000,
                                           on_retry, l);
        if (r < 0)
                vt_log(LOG_ERR, l->name, l->endpoint, "cannot schedule reconnect: %s",
                       strerror(-r));
}

static void schedule_connect(struct vpcd_link *l)
{
        uint64_t delay = l->backoff_us;
        l->cur = 0; /* every round starts from the address preferred */
        l->backoff_us = l->backoff_us * 2 > BACKOFF_MAX_US ? BACKOFF_MAX_US : l->backoff_us * 2;
        connect_in(l, delay);
}

static int resolve(struct vpcd_link *l, const char *host, uint16_t port)
{
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
        char service[8];
        snprintf(service, sizeof(service), "%u", port);
        int r = getaddrinfo(host, service, &hints, &res);
        if (r != 0) {
                vt_log(LOG_ERR, l->name, l->endpoint, "cannot resolve vpcd host %s: %s", host,
                       gai_strerror(r));
                return -EADDRNOTAVAIL;
        }
        for (const struct addrinfo *a = res; a && l->n_addrs < VPCD_ADDRS_MAX; a = a->ai_next) {
                if (a->ai_addrlen > sizeof(l->addrs[0]))
                        continue;
                memcpy(&l->addrs[l->n_addrs], a->ai_addr, a->ai_addrlen);
                l->addrlens[l->n_addrs++] = a->ai_addrlen;
        }
        freeaddrinfo(res);
        if (!l->n_addrs)
                return -EADDRNOTAVAIL;
        return 0;
}

static void vpcd_free(struct link *base)
{
        struct vpcd_link *l = (struct vpcd_link *)base;
        l->io = sd_event_source_disable_unref(l->io);
        l->retry = sd_event_source_disable_unref(l->retry);
        l->silence = sd_event_source_disable_unref(l->silence);
        if (l->fd >= 0)
                close(l->fd);
        link_wipe(&l->rx, l->tx, &l->tx_len, &l->tx_off);
        sd_event_unref(l->event);
        free(l);
}

static enum link_state vpcd_state(const struct link *base)
{
        return ((const struct vpcd_link *)base)->state;
}

static bool vpcd_unheard(const struct link *base)
{
        return ((const struct vpcd_link *)base)->unheard;
}

static const char *vpcd_endpoint(const struct link *base)
{
        return ((const struct vpcd_link *)base)->endpoint;
}

static void vpcd_remove(struct link *base)
{
        struct vpcd_link *l = (struct vpcd_link *)base;
        if (l->state == LINK_REMOVED)
                return;
        l->retry = sd_event_source_disable_unref(l->retry);
        drop(l);
        set_state(l, LINK_REMOVED);
}

static void vpcd_insert(struct link *base)
{
        struct vpcd_link *l = (struct vpcd_link *)base;
        if (l->state != LINK_REMOVED)
                return;
        l->backoff_us = BACKOFF_MIN_US;
        set_state(l, LINK_WAITING);
        connect_in(l, 0);
}

static int vpcd_respond(struct link *base, const uint8_t *rsp, size_t len)
{
        struct vpcd_link *l = (struct vpcd_link *)base;
        if (!l->pending || l->fd < 0 || len > VT_RAPDU_MAX)
                return -EINVAL;
        l->pending = false;
        memcpy(l->tx + FRAME_HEADER, rsp, len);
        l->tx_len = frame_seal(l->tx, len);
        l->tx_off = 0;
        int r = flush(l);
        if (r >= 0 && !l->tx_len)
                r = process_frames(l);
        if (r < 0)
                lost(l, link_why(r));
        return 0;
}

static const struct link_ops vpcd_ops = {
    .kind = "vpcd",
    .free = vpcd_free,
    .state = vpcd_state,
    .endpoint = vpcd_endpoint,
    .unheard = vpcd_unheard,
    .remove = vpcd_remove,
    .insert = vpcd_insert,
    .respond = vpcd_respond,
};

int vpcd_link_new(sd_event *e, const char *name, const char *host, uint16_t port, uid_t pcscd_uid,
                  const struct link_handler *h, struct link **out, char *err, size_t errlen)
{
        struct vpcd_link *l = calloc(1, sizeof(*l));
        if (!l) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        l->base.ops = &vpcd_ops;
        l->event = sd_event_ref(e);
        snprintf(l->name, sizeof(l->name), "%s", name);
        snprintf(l->endpoint, sizeof(l->endpoint), "%s:%u", host, port);
        snprintf(l->host, sizeof(l->host), "%s", host);
        l->h = *h;
        l->fd = -1;
        l->pcscd_uid = pcscd_uid;
        l->state = LINK_WAITING;
        l->backoff_us = BACKOFF_MIN_US;
        frame_rx_init(&l->rx, l->rxbuf, sizeof(l->rxbuf));
        int r = resolve(l, host, port);
        if (r >= 0)
                r = sd_event_add_time_relative(e, &l->retry, CLOCK_MONOTONIC, 0, 0, on_retry, l);
        if (r < 0) {
                snprintf(err, errlen, "vpcd %s:%u: %s", host, port, strerror(-r));
                vpcd_free(&l->base);
                return r;
        }
        *out = &l->base;
        return 0;
}
