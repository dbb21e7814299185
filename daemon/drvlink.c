/* SPDX-License-Identifier: Apache-2.0 */
#include "drvlink.h"

#include "card.h"
#include "log.h"
#include "peer.h"
#include "sockdir.h"
#include "vtlink.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define WAIT_US ((uint64_t)VTL_WAIT_MS * 1000)

struct drv_link {
        struct link base; /* first: served.c holds the link as a struct link */
        sd_event *event;
        char name[64];
        char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
        uid_t pcscd_uid;
        struct link_handler h;

        enum link_state state;
        int lfd; /* the listening socket */
        sd_event_source *accept;
        dev_t dev; /* of the socket file made, to remove only our own */
        ino_t ino;

        int fd; /* the driver's connection, -1 for none */
        sd_event_source *io;
        bool pending;             /* an APDU waits for link_respond() */
        uint64_t pending_since;   /* CLOCK_MONOTONIC µs: since when */
        bool answering;           /* in answer(): what it sends waits for process() */
        sd_event_source *waiting; /* sends WAIT while it does */
        bool refused;             /* the last peer was refused: say so again only when it changes */
        uid_t refused_uid;

        struct rxbuf rx;
        uint8_t rxbuf[VTL_HEADER + VTL_BODY_MAX];
        uint8_t tx[VTL_HEADER + VTL_BODY_MAX];
        size_t tx_len, tx_off;
};

static void set_state(struct drv_link *l, enum link_state s)
{
        link_set_state(&l->state, &l->h, s);
}

/* The driver's connection ends: pcscd stopped, the card was removed, or the stream broke. */
static void hang_up(struct drv_link *l, const char *why)
{
        if (l->fd < 0)
                return;
        vt_log(LOG_INFO, l->name, NULL, "driver disconnected from %s: %s", l->path, why);
        l->waiting = sd_event_source_disable_unref(l->waiting);
        link_hang_up(&l->fd, &l->io, &l->pending, &l->rx, l->tx, &l->tx_len, &l->tx_off, &l->h);
        if (l->state != LINK_REMOVED)
                set_state(l, LINK_WAITING);
}

static int flush(struct drv_link *l)
{
        return link_flush(l->fd, l->tx, &l->tx_len, &l->tx_off, l->io, EPOLLIN);
}

/* Sends a message whose body is already at l->tx + VTL_HEADER. */
static int send_msg(struct drv_link *l, uint8_t type, size_t len)
{
        l->tx_len = vtl_seal(l->tx, type, len);
        l->tx_off = 0;
        return l->answering ? 0 : flush(l); /* an answer: sent by process() */
}

/* WAIT every WAIT_US while an answer is pending. The timer is set once and left running while
 * commands come and go (not set and cancelled for each, two system calls a command): when it
 * comes early for the command now pending it is put off to that command's due time, and with
 * nothing pending it stops. */
static int on_waiting(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct drv_link *l = userdata;
        if (!l->pending)
                return sd_event_source_set_enabled(s, SD_EVENT_OFF);
        uint64_t due = l->pending_since + WAIT_US;
        if (usec < due)
                return sd_event_source_set_time(s, due);
        if (!l->tx_len) { /* nothing else is sent meanwhile */
                int r = send_msg(l, VTL_WAIT, 0);
                if (r < 0) {
                        hang_up(l, strerror(-r));
                        return 0;
                }
        }
        l->pending_since = usec;
        return sd_event_source_set_time(s, usec + WAIT_US);
}

static int start_waiting(struct drv_link *l)
{
        uint64_t now;
        int r = sd_event_now(l->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        l->pending = true;
        l->pending_since = now;
        if (!l->waiting)
                return sd_event_add_time(l->event, &l->waiting, CLOCK_MONOTONIC, now + WAIT_US,
                                         WAIT_US / 10, on_waiting, l);
        int on;
        r = sd_event_source_get_enabled(l->waiting, &on);
        if (r < 0 || on == SD_EVENT_ON)
                return r; /* it comes at the latest when this command's WAIT is due */
        r = sd_event_source_set_time(l->waiting, now + WAIT_US);
        return r < 0 ? r : sd_event_source_set_enabled(l->waiting, SD_EVENT_ON);
}

static int answer_atr(struct drv_link *l)
{
        size_t n = l->h.atr(l->h.user, l->tx + VTL_HEADER);
        return send_msg(l, VTL_ATR, n);
}

/* Answers one request. */
static int answer(struct drv_link *l, const struct vtl_msg *m)
{
        bool removed = l->state == LINK_REMOVED;
        switch (m->type) {
        case VTL_POWER_ON:
        case VTL_RESET:
                if (removed)
                        return send_msg(l, VTL_NOCARD, 0);
                l->h.power(l->h.user, m->type == VTL_RESET ? LINK_POWER_RESET : LINK_POWER_ON);
                set_state(l, LINK_POWERED);
                return answer_atr(l);
        case VTL_POWER_OFF:
                l->h.power(l->h.user, LINK_POWER_OFF);
                if (!removed)
                        set_state(l, LINK_CONNECTED);
                return send_msg(l, VTL_DONE, 0);
        case VTL_APDU: {
                if (removed)
                        return send_msg(l, VTL_NOCARD, 0);
                size_t n = l->h.apdu(l->h.user, m->body, m->len, l->tx + VTL_HEADER);
                if (n == LINK_APDU_DROP)
                        return -ECONNABORTED;
                if (n == LINK_APDU_PENDING) /* reading goes on: see early_word() */
                        return start_waiting(l);
                return send_msg(l, VTL_RAPDU, n);
        }
        default: /* vtokend's own messages, or an answer: not the driver's to send */
                return -EPROTO;
        }
}

/* Answers the whole requests received so far, one at a time. */
static int process(struct drv_link *l)
{
        for (;;) {
                struct vtl_msg m;
                int k = vtl_rx_next(&l->rx, &m);
                if (k < 0)
                        return -EPROTO;
                if (k == 0)
                        return 0;
                l->answering = true;
                int r = answer(l, &m);
                l->answering = false;
                /* the request (a PIN) is wiped before its answer goes out */
                rxbuf_consume(&l->rx);
                if (r >= 0 && l->tx_len)
                        r = flush(l);
                if (r < 0)
                        return r;
                if (l->tx_len || l->pending)
                        return 0; /* the driver takes our answer first */
        }
}

static const char *why(int r)
{
        return r == -EPROTO ? "the driver broke the protocol" : link_why(r);
}

/* The driver said something while our answer is pending. It asks one thing at a time and waits
 * for the answer, so this is mostly the end of the connection (its 30 s cut-off, pcscd
 * stopping); a request sent before our answer is read once the answer is out (flush() turns
 * reading on again). Reading stays on while a command runs, rather than turned off and on
 * again for each (two system calls a command). */
static int early_word(struct drv_link *l)
{
        uint8_t b;
        ssize_t n = recv(l->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0)
                return sd_event_source_set_io_events(l->io, 0);
        if (n == 0)
                return -ECONNRESET;
        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
}

static int on_io(sd_event_source *s, int fd, uint32_t events, void *userdata)
{
        struct drv_link *l = userdata;
        (void)s;
        (void)fd;
        int r = 0;
        if (events & EPOLLOUT) {
                r = flush(l);
                if (r >= 0 && !l->tx_len && !l->pending)
                        r = process(l);
        }
        if (r >= 0 && l->pending) {
                if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                        r = early_word(l);
        } else if (r >= 0 && !l->tx_len && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
                size_t room;
                uint8_t *space = rxbuf_space(&l->rx, &room);
                ssize_t n = read(l->fd, space, room);
                if (n < 0 && errno != EAGAIN && errno != EINTR)
                        r = -errno;
                else if (n == 0)
                        r = -ECONNRESET;
                else if (n > 0) {
                        rxbuf_commit(&l->rx, (size_t)n);
                        r = process(l);
                }
        }
        if (r < 0)
                hang_up(l, why(r));
        return 0;
}

/* Whether the connection we have is still open (its driver may be gone unnoticed yet). */
static bool still_open(int fd)
{
        struct pollfd p = {.fd = fd, .events = POLLRDHUP};
        return poll(&p, 1, 0) == 0 || !(p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static bool peer_refused(struct drv_link *l, int fd)
{
        struct ucred cred;
        socklen_t len = sizeof(cred);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
            peer_uid_trusted(cred.uid, l->pcscd_uid)) {
                l->refused = false;
                return false;
        }
        bool again = l->refused && l->refused_uid == cred.uid;
        vt_log(again ? LOG_DEBUG : LOG_WARNING, l->name, NULL,
               "a connection to %s refused: its process runs as uid %u, not as root, uid %u%s",
               l->path, (unsigned)cred.uid, (unsigned)geteuid(),
               l->pcscd_uid != VT_UID_NONE ? " or the configured pcscd-user" : "");
        l->refused = true;
        l->refused_uid = cred.uid;
        return true;
}

static int on_accept(sd_event_source *s, int lfd, uint32_t events, void *userdata)
{
        struct drv_link *l = userdata;
        (void)s;
        (void)events;
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
                return 0;
        if (peer_refused(l, fd)) {
                close(fd);
                return 0;
        }
        if (l->fd >= 0 && still_open(l->fd)) {
                vt_log(LOG_WARNING, l->name, NULL,
                       "a second driver connection to %s refused: the card is in a reader "
                       "already (one socket serves one reader)",
                       l->path);
                close(fd);
                return 0;
        }
        hang_up(l, "a new connection replaces it");
        int r = sd_event_add_io(l->event, &l->io, fd, EPOLLIN, on_io, l);
        if (r < 0) {
                close(fd);
                return 0;
        }
        l->fd = fd;
        bool present = l->state != LINK_REMOVED;
        l->tx[VTL_HEADER] = VTL_VERSION;
        l->tx[VTL_HEADER + 1] = present;
        r = send_msg(l, VTL_HELLO, 2);
        if (r < 0) {
                hang_up(l, why(r));
                return 0;
        }
        vt_log(LOG_INFO, l->name, NULL, "driver connected on %s", l->path);
        if (present)
                set_state(l, LINK_CONNECTED);
        return 0;
}

/* Whether a process listens on path already (another vtokend serving it). */
static bool in_use(const char *path)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return false;
        bool used = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EAGAIN;
        close(fd);
        return used;
}

/* Removes a leftover socket file at path; refuses anything else. */
static int clear(const char *path, char *err, size_t errlen)
{
        struct stat st;
        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISSOCK(st.st_mode)) {
                snprintf(err, errlen,
                         "%s exists and is not a socket: remove it or choose another path", path);
                return -EEXIST;
        }
        return unlink(path) < 0 ? -errno : 0;
}

static int listen_on(struct drv_link *l, char *err, size_t errlen)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        struct stat st;
        int r = sockdir_check(l->path, "driver socket", err, errlen);
        if (r < 0)
                return r;
        if (lstat(l->path, &st) == 0 && S_ISSOCK(st.st_mode) && in_use(l->path)) {
                snprintf(err, errlen,
                         "socket %s is in use by another process (another vtokend?): one socket "
                         "serves one card",
                         l->path);
                return -EADDRINUSE;
        }
        if (lstat(l->path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
                snprintf(err, errlen,
                         "%s exists and is not a socket: remove it or choose another path",
                         l->path);
                return -EEXIST;
        }
        snprintf(a.sun_path, sizeof(a.sun_path), "%s.new", l->path);
        r = clear(a.sun_path, err, errlen);
        if (r < 0)
                return r;
        l->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (l->lfd < 0)
                return -errno;
        /* only root and our user may connect, unless pcscd runs as another user; the peer's
         * credentials are checked either way */
        mode_t old = umask(l->pcscd_uid != VT_UID_NONE ? 0111 : 0177);
        r = bind(l->lfd, (struct sockaddr *)&a, sizeof(a));
        umask(old);
        if (r < 0 || listen(l->lfd, 4) < 0 || rename(a.sun_path, l->path) < 0) {
                r = -errno;
                snprintf(err, errlen, "cannot listen on %s: %s%s", l->path, strerror(-r),
                         r == -ENOENT ? " (its directory must exist)" : "");
                unlink(a.sun_path);
                return r;
        }
        if (lstat(l->path, &st) == 0) {
                l->dev = st.st_dev;
                l->ino = st.st_ino;
        }
        return sd_event_add_io(l->event, &l->accept, l->lfd, EPOLLIN, on_accept, l);
}

static void drv_free(struct link *base)
{
        struct drv_link *l = (struct drv_link *)base;
        if (l->fd >= 0) {
                l->io = sd_event_source_disable_unref(l->io);
                close(l->fd);
        }
        l->waiting = sd_event_source_disable_unref(l->waiting);
        l->accept = sd_event_source_disable_unref(l->accept);
        struct stat st;
        if (l->lfd >= 0 && lstat(l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
                unlink(l->path); /* ours still, not a newer vtokend's */
        if (l->lfd >= 0)
                close(l->lfd);
        sd_event_unref(l->event);
        link_wipe(&l->rx, l->tx, &l->tx_len, &l->tx_off);
        free(l);
}

static enum link_state drv_state(const struct link *base)
{
        return ((const struct drv_link *)base)->state;
}

static const char *drv_endpoint(const struct link *base)
{
        return ((const struct drv_link *)base)->path;
}

static bool drv_unheard(const struct link *base)
{
        (void)base;
        return false;
}

static void drv_remove(struct link *base)
{
        struct drv_link *l = (struct drv_link *)base;
        if (l->state == LINK_REMOVED)
                return;
        set_state(l, LINK_REMOVED);
        hang_up(l, "card removed"); /* the driver comes back to an empty reader */
}

static void drv_insert(struct link *base)
{
        struct drv_link *l = (struct drv_link *)base;
        if (l->state != LINK_REMOVED)
                return;
        if (l->fd < 0) {
                set_state(l, LINK_WAITING);
                return;
        }
        set_state(l, LINK_CONNECTED);
        /* behind whatever is still on its way */
        l->tx_len += vtl_seal(l->tx + l->tx_len, VTL_PRESENT, 0);
        int r = flush(l);
        if (r < 0)
                hang_up(l, why(r));
}

static int drv_respond(struct link *base, const uint8_t *rsp, size_t len)
{
        struct drv_link *l = (struct drv_link *)base;
        if (!l->pending || l->fd < 0 || len > VT_RAPDU_MAX)
                return -EINVAL;
        l->pending = false; /* the waiting timer stops by itself (on_waiting) */
        memcpy(l->tx + VTL_HEADER, rsp, len);
        int r = send_msg(l, VTL_RAPDU, len);
        if (r >= 0 && !l->tx_len)
                r = process(l);
        if (r < 0)
                hang_up(l, why(r));
        return 0;
}

static const struct link_ops drv_ops = {
    .kind = "driver",
    .free = drv_free,
    .state = drv_state,
    .endpoint = drv_endpoint,
    .unheard = drv_unheard,
    .remove = drv_remove,
    .insert = drv_insert,
    .respond = drv_respond,
};

int drv_link_new(sd_event *e, const char *name, const char *path, uid_t pcscd_uid,
                 const struct link_handler *h, struct link **out, char *err, size_t errlen)
{
        struct drv_link *l = calloc(1, sizeof(*l));
        if (!l) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        l->base.ops = &drv_ops;
        l->event = sd_event_ref(e);
        snprintf(l->name, sizeof(l->name), "%s", name);
        snprintf(l->path, sizeof(l->path), "%s", path);
        l->pcscd_uid = pcscd_uid;
        l->h = *h;
        l->fd = -1;
        l->lfd = -1;
        l->state = LINK_WAITING;
        vtl_rx_init(&l->rx, l->rxbuf, sizeof(l->rxbuf));
        err[0] = '\0';
        int r = listen_on(l, err, errlen);
        if (r < 0) {
                if (!err[0])
                        snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(-r));
                drv_free(&l->base);
                return r;
        }
        *out = &l->base;
        return 0;
}
