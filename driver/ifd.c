/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken's pcsc-lite reader driver (IFD handler API 3.0), loaded by pcscd: one reader per card,
 * one slot, its card served by vtokend over a local stream socket (driver/vtlink.h).
 *
 * reader.conf.d:  FRIENDLYNAME "NAME"
 *                 DEVICENAME   unix:/run/vtoken/card0.sock[:user=USER]
 *                 LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvtoken.so
 *                 CHANNELID    0
 *
 * vtokend listens on the socket; the driver connects and talks only to a listener of root, of
 * pcscd's own user, or of USER (SO_PEERCRED). Per reader, a thread of ours owns the connection:
 * it connects (at once when the socket appears: inotify on its directory), reads what vtokend
 * sends between requests, and wakes pcscd's polling thread (TAG_IFD_POLLING_THREAD_WITH_TIMEOUT)
 * when the card comes or goes, so presence reaches PC/SC clients in well under a millisecond
 * instead of pcscd's 400 ms poll. pcscd's threads ask one thing at a time and read the answer
 * themselves (the I/O thread is kept off the connection meanwhile: its epoll watch is one-shot,
 * and the asking thread disarms it and arms it again), so an answer wakes the thread that
 * waits for it and no other. vtokend dying closes the socket, which fails the request and
 * removes the card, and a vtokend that stays silent for RPC_SILENCE_MS is cut off: pcscd is
 * never blocked for ever. */
#include "vtlink.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#pragma GCC visibility push(default) /* the IFDH* entry points; everything else stays hidden */
#include <debuglog.h>
#include <ifdhandler.h>
#include <reader.h>
#pragma GCC visibility pop

#pragma weak log_msg /* pcscd's logger; absent when a test loads the driver itself */

#define READERS_MAX    PCSCLITE_MAX_READERS_CONTEXTS
#define RPC_SILENCE_MS 30000 /* no word from vtokend while an answer is due: cut off */
#define RETRY_MIN_MS   10
#define RETRY_MAX_MS   1000
#define RETRY_BLIND_MS 100 /* without an inotify watch (no directory yet) */
#define UID_NONE       ((uid_t)UINT_MAX)
#define SUN_PATH_MAX   sizeof(((struct sockaddr_un *)0)->sun_path)
#define DEVICE_PREFIX  "unix:" /* pcscd wants a DEVICENAME without ':' to exist already */
#define USER_OPTION    ":user="

struct reader {
        bool open;
        char path[SUN_PATH_MAX];
        uid_t user; /* trusted besides root and pcscd's own user; UID_NONE for none */
        pthread_t io;
        int wake;   /* eventfd: the I/O thread is to stop */
        int events; /* eventfd: presence changed, for pcscd's polling thread */

        int ep; /* the I/O thread's epoll: wake, and fd one-shot (armed between requests) */

        pthread_mutex_t lock; /* everything below; the I/O thread's own part aside */
        bool stopping;
        bool asking;  /* a pcscd thread has a request out and reads the connection itself */
        bool watched; /* fd is in ep */
        int fd;       /* the connection, -1 for none; only the I/O thread opens it */
        bool redial;  /* hung up on a vtokend that had said hello: the I/O thread dials at once */
        uint64_t heard_ms; /* CLOCK_MONOTONIC of vtokend's last word while a request waits */
        struct vtl_driver d;
        unsigned removals, removals_seen; /* removals, and those pcscd was told of */
        bool reported;                    /* the presence pcscd was told last */
        uint8_t atr[VTL_ATR_MAX];
        size_t atr_len;
        uint8_t tx[VTL_HEADER + VTL_BODY_MAX];
        struct rxbuf rx; /* read by whoever reads the connection, under the lock */
        uint8_t rxbuf[VTL_HEADER + VTL_BODY_MAX];

        /* the I/O thread's own */
        bool refused; /* the last listener was refused: say so again only when it changes */
        uid_t refused_uid;
};

static struct reader readers[READERS_MAX];

static void say(int priority, const struct reader *r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(int priority, const struct reader *r, const char *fmt, ...)
{
        char text[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        if (log_msg)
                log_msg(priority, "vtoken driver %s: %s", r->path, text);
        else if (priority >= PCSC_LOG_ERROR)
                fprintf(stderr, "vtoken driver %s: %s\n", r->path, text);
}

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

static struct reader *reader_of(DWORD lun)
{
        size_t i = (size_t)(lun >> 16);
        if (i >= READERS_MAX || !readers[i].open)
                return NULL;
        return &readers[i];
}

static void notify(int efd)
{
        uint64_t one = 1;
        while (write(efd, &one, sizeof(one)) < 0 && errno == EINTR)
                ;
}

static void drain(int fd)
{
        uint8_t buf[4096];
        while (read(fd, buf, sizeof(buf)) > 0)
                ;
}

/* ---- the I/O thread ------------------------------------------------------------------ */

static bool trusted(const struct reader *r, uid_t uid)
{
        return uid == 0 || uid == geteuid() || (r->user != UID_NONE && uid == r->user);
}

/* A connection to a trusted vtokend, or -1. */
static int dial(struct reader *r)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        memcpy(a.sun_path, r->path, sizeof(a.sun_path));
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -1;
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                close(fd);
                return -1;
        }
        struct ucred cred;
        socklen_t len = sizeof(cred);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || !trusted(r, cred.uid)) {
                bool again = r->refused && r->refused_uid == cred.uid;
                say(again ? PCSC_LOG_DEBUG : PCSC_LOG_ERROR, r,
                    "refused: the socket's listener runs as uid %u, not as root, uid %u or the "
                    "user named in DEVICENAME (%s)",
                    (unsigned)cred.uid, (unsigned)geteuid(), USER_OPTION "USER");
                r->refused = true;
                r->refused_uid = cred.uid;
                close(fd);
                return -1;
        }
        r->refused = false;
        return fd;
}

#define TAG_WAKE 0 /* epoll data: the wake eventfd */
#define TAG_CONN 1 /* ... the connection */

/* The I/O thread watches the connection (again), the lock held: it reads what vtokend sends
 * between requests. One-shot: an event disarms it until the reader of that event arms it. */
static void watch(struct reader *r)
{
        struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u32 = TAG_CONN};
        if (r->fd < 0)
                return;
        if (epoll_ctl(r->ep, r->watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, r->fd, &ev) == 0)
                r->watched = true;
        else
                say(PCSC_LOG_ERROR, r, "cannot watch the connection: %s", strerror(errno));
}

/* ... and no more (a request is out: its answer wakes the thread that asked, only it). */
static void unwatch(struct reader *r)
{
        if (r->watched)
                epoll_ctl(r->ep, EPOLL_CTL_DEL, r->fd, NULL);
        r->watched = false;
}

/* The connection is gone (vtokend closed it, died, or broke the protocol): the card with it.
 * The lock held, in the same hold that saw the end, by whichever thread saw it: no request can
 * be sent on, or be waiting on, the descriptor closed here, and no presence asked after it
 * finds the card still in. The I/O thread is woken to dial again. */
static void hang_up_locked(struct reader *r, const char *why)
{
        if (r->d.present) {
                r->removals++;
                notify(r->events);
        }
        if (r->d.hello)
                say(PCSC_LOG_INFO, r, "disconnected: %s", why);
        /* a removed card's vtokend still listens: back at once with "absent"; a connection
         * closed before HELLO (refused, busy) waits */
        r->redial = r->d.hello;
        unwatch(r);
        close(r->fd);
        r->fd = -1;
        notify(r->wake);
        r->atr_len = 0;
        vtl_driver_reset(&r->d);
        explicit_bzero(r->rxbuf, r->rx.have);
        vtl_rx_init(&r->rx, r->rxbuf, sizeof(r->rxbuf));
}

/* Takes the whole messages read so far (the lock held); -1 when the stream broke the
 * protocol. */
static int take(struct reader *r)
{
        for (;;) {
                struct vtl_msg m;
                int k = vtl_rx_next(&r->rx, &m);
                if (k <= 0)
                        return k;
                int ev = vtl_driver_take(&r->d, &m);
                rxbuf_consume(&r->rx);
                if (ev < 0)
                        return -1;
                r->heard_ms = now_ms();
                if (ev & VTL_EV_PRESENCE)
                        notify(r->events);
        }
}

/* Reads what vtokend sent (the lock held); -1 when the connection is over, *why says why. */
static int receive(struct reader *r, const char **why)
{
        size_t room;
        uint8_t *space = rxbuf_space(&r->rx, &room);
        /* the socket is non-blocking (dial): this read never waits with the lock held */
        ssize_t n = read(r->fd, space, room); // NOLINT(clang-analyzer-unix.BlockInCriticalSection)
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                *why = n == 0 ? "vtokend closed the connection (card removed, or vtokend stopped)"
                              : strerror(errno);
                return -1;
        }
        rxbuf_commit(&r->rx, (size_t)n);
        if (take(r) < 0) {
                *why = "vtokend broke the protocol";
                return -1;
        }
        return 0;
}

/* Whether an inotify event names the socket: it was made (vtokend renames it into place once it
 * listens) or its directory went (the watch is then gone). */
static bool socket_event(int ino, const char *base, bool *watch_gone)
{
        union {
                struct inotify_event ev;
                char buf[4096];
        } u;
        bool hit = false;
        ssize_t n;
        while ((n = read(ino, u.buf, sizeof(u.buf))) > 0) {
                for (char *p = u.buf; p < u.buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;
                        if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
                                *watch_gone = true;
                        if (ev->len && strcmp(ev->name, base) == 0)
                                hit = true;
                        p += sizeof(*ev) + ev->len;
                }
        }
        return hit;
}

struct dialer {
        int ino;
        int watch;
        char dir[SUN_PATH_MAX];
        const char *base;
        int backoff_ms;
};

/* Waits until the socket may answer: it was made anew, or the backoff passed. */
static void wait_for_socket(struct reader *r, struct dialer *dl)
{
        if (dl->watch < 0 && dl->ino >= 0)
                dl->watch = inotify_add_watch(dl->ino, dl->dir,
                                              IN_CREATE | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF |
                                                  IN_MOVE_SELF | IN_ONLYDIR);
        int ms = dl->watch >= 0
                     ? dl->backoff_ms
                     : (dl->backoff_ms < RETRY_BLIND_MS ? dl->backoff_ms : RETRY_BLIND_MS);
        struct pollfd p[2] = {{.fd = r->wake, .events = POLLIN},
                              {.fd = dl->watch >= 0 ? dl->ino : -1, .events = POLLIN}};
        if (poll(p, 2, ms) > 0 && (p[1].revents & POLLIN)) {
                bool gone = false;
                if (socket_event(dl->ino, dl->base, &gone))
                        dl->backoff_ms = RETRY_MIN_MS; /* a new listener: try it at once */
                if (gone) {
                        inotify_rm_watch(dl->ino, dl->watch);
                        dl->watch = -1;
                }
                return;
        }
        dl->backoff_ms = dl->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : dl->backoff_ms * 2;
}

static void *io_main(void *arg)
{
        struct reader *r = arg;
        struct dialer dl = {.ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK),
                            .watch = -1,
                            .backoff_ms = RETRY_MIN_MS};
        snprintf(dl.dir, sizeof(dl.dir), "%s", r->path);
        char *slash = strrchr(dl.dir, '/');
        dl.base = r->path + (slash - dl.dir) + 1;
        if (slash == dl.dir)
                slash[1] = '\0';
        else
                *slash = '\0';
        bool retry_now = true;
        for (;;) {
                pthread_mutex_lock(&r->lock);
                bool stopping = r->stopping;
                bool connected = r->fd >= 0;
                if (r->redial) {
                        r->redial = false;
                        retry_now = true;
                        dl.backoff_ms = RETRY_MIN_MS;
                }
                pthread_mutex_unlock(&r->lock);
                if (stopping)
                        break;
                if (!connected) {
                        int fd = retry_now ? dial(r) : -1;
                        retry_now = false;
                        if (fd < 0) {
                                wait_for_socket(r, &dl);
                                retry_now = true;
                                continue;
                        }
                        pthread_mutex_lock(&r->lock);
                        r->fd = fd;
                        watch(r);
                        pthread_mutex_unlock(&r->lock);
                }
                struct epoll_event ev[2];
                int n = epoll_wait(r->ep, ev, 2, -1);
                bool spoke = false;
                for (int i = 0; i < n; i++) {
                        if (ev[i].data.u32 == TAG_WAKE)
                                drain(r->wake);
                        else
                                spoke = true;
                }
                if (!spoke)
                        continue;
                pthread_mutex_lock(&r->lock);
                /* a request out reads the connection now, and watches it again after; one
                 * that saw the end hung up already */
                if (r->asking || r->fd < 0) {
                        pthread_mutex_unlock(&r->lock);
                        continue;
                }
                const char *why = NULL;
                if (receive(r, &why) == 0)
                        watch(r);
                else
                        hang_up_locked(r, why);
                pthread_mutex_unlock(&r->lock);
        }
        if (dl.ino >= 0)
                close(dl.ino);
        return NULL;
}

/* ---- requests from pcscd's threads --------------------------------------------------- */

/* Sends the whole message, waiting for room while vtokend may still read it. */
static int send_all(struct reader *r, const uint8_t *p, size_t n)
{
        while (n) {
                ssize_t w = send(r->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && errno == EAGAIN) {
                        struct pollfd pf = {.fd = r->fd, .events = POLLOUT};
                        if (poll(&pf, 1, RPC_SILENCE_MS) == 1)
                                continue;
                }
                if (w <= 0)
                        return -1;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

/* Reads until the request out has its answer (the lock held, let go while it waits). A
 * connection that ends, breaks the protocol or falls silent meanwhile is hung up here, before
 * the lock is let go: the card is gone when the request fails. */
static RESPONSECODE await_answer(struct reader *r)
{
        while (!r->d.answered) {
                uint64_t deadline = r->heard_ms + RPC_SILENCE_MS, now = now_ms();
                if (now >= deadline) {
                        say(PCSC_LOG_ERROR, r, "vtokend said nothing for %d s: cut off",
                            RPC_SILENCE_MS / 1000);
                        hang_up_locked(r, "vtokend fell silent");
                        return IFD_COMMUNICATION_ERROR;
                }
                /* nobody else closes the connection while we ask */
                struct pollfd p = {.fd = r->fd, .events = POLLIN};
                pthread_mutex_unlock(&r->lock);
                int k = poll(&p, 1, (int)(deadline - now));
                pthread_mutex_lock(&r->lock);
                if (k <= 0)
                        continue; /* the time is checked above; EINTR asks again */
                const char *why = NULL;
                if (receive(r, &why) < 0) {
                        say(PCSC_LOG_ERROR, r, "no answer: %s", why);
                        hang_up_locked(r, why);
                        return IFD_COMMUNICATION_ERROR;
                }
        }
        return r->d.answer_type == VTL_NOCARD ? IFD_ICC_NOT_PRESENT : IFD_SUCCESS;
}

/* Asks vtokend (the lock held); the answer is in r->d.answer* when IFD_SUCCESS is returned. */
static RESPONSECODE ask_locked(struct reader *r, uint8_t type, const uint8_t *body, size_t len)
{
        if (r->fd < 0 || !r->d.present)
                return IFD_ICC_NOT_PRESENT;
        if (len) /* a power request has no body */
                memcpy(r->tx + VTL_HEADER, body, len);
        size_t n = vtl_seal(r->tx, type, len);
        r->d.asked = type;
        r->d.answered = false;
        r->heard_ms = now_ms();
        r->asking = true;
        unwatch(r); /* the answer wakes this thread, not the I/O thread too */
        int sent = send_all(r, r->tx, n);
        explicit_bzero(r->tx, n); /* a VERIFY carries a PIN */
        RESPONSECODE rc = IFD_COMMUNICATION_ERROR;
        if (sent < 0) {
                say(PCSC_LOG_ERROR, r, "cannot send to vtokend: %s", strerror(errno));
                hang_up_locked(r, strerror(errno));
        } else {
                rc = await_answer(r);
        }
        r->asking = false;
        r->d.asked = 0;
        r->d.answered = false;
        watch(r); /* what comes next, or the end of the connection */
        return rc;
}

/* pcscd may cancel its polling thread (TAG_IFD_POLLING_THREAD_KILLABLE), which makes requests
 * too: none is cancelled halfway, holding the lock. */
struct request {
        struct reader *r;
        int cancel_state;
};

static void request_begin(struct request *q, struct reader *r)
{
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &q->cancel_state);
        q->r = r;
        pthread_mutex_lock(&r->lock);
}

static void request_end(struct request *q)
{
        struct vtl_driver *d = &q->r->d;
        explicit_bzero(d->answer, d->answer_len); /* a response may be secret */
        d->answer_len = 0;
        pthread_mutex_unlock(&q->r->lock);
        pthread_setcancelstate(q->cancel_state, NULL);
}

/* ---- pcscd's polling thread ------------------------------------------------------------ */

/* Returns when the card came or went, or after timeout_ms: pcscd then asks IFDHICCPresence.
 * Always IFD_SUCCESS: anything else makes pcscd sleep 400 ms before asking again. */
static RESPONSECODE wait_for_event(DWORD lun, int timeout_ms)
{
        struct reader *r = reader_of(lun);
        if (!r)
                return IFD_COMMUNICATION_ERROR;
        pthread_mutex_lock(&r->lock);
        bool due = r->removals != r->removals_seen || r->d.present != r->reported;
        pthread_mutex_unlock(&r->lock);
        if (due)
                return IFD_SUCCESS;
        struct pollfd p = {.fd = r->events, .events = POLLIN};
        if (poll(&p, 1, timeout_ms) == 1) /* a cancellation point; no lock is held */
                drain(r->events);
        return IFD_SUCCESS;
}

/* ---- the IFD handler API ------------------------------------------------------------- */

/* "unix:PATH" or "unix:PATH:user=USER" (a name or a number). */
static int parse_device(struct reader *r, const char *device)
{
        size_t skip = strlen(DEVICE_PREFIX);
        const char *dev = device + skip;
        const char *opt = strstr(dev, USER_OPTION);
        size_t plen = opt ? (size_t)(opt - dev) : strlen(dev);
        if (strncmp(device, DEVICE_PREFIX, skip) != 0 || plen == 0 || dev[0] != '/' ||
            plen >= sizeof(r->path)) {
                say(PCSC_LOG_CRITICAL, r,
                    "DEVICENAME '%s': expected " DEVICE_PREFIX
                    "PATH, PATH the absolute path of vtokend's socket (at most %zu bytes), "
                    "optionally followed by " USER_OPTION "USER",
                    device, sizeof(r->path) - 1);
                return -1;
        }
        memcpy(r->path, dev, plen);
        r->path[plen] = '\0';
        r->user = UID_NONE;
        if (!opt)
                return 0;
        const char *user = opt + strlen(USER_OPTION);
        struct passwd pw, *found = NULL;
        char buf[4096];
        char *end;
        unsigned long uid = strtoul(user, &end, 10);
        if (getpwnam_r(user, &pw, buf, sizeof(buf), &found) == 0 && found)
                r->user = found->pw_uid;
        else if (*user && !*end && uid < UID_NONE)
                r->user = (uid_t)uid;
        else {
                say(PCSC_LOG_CRITICAL, r, "DEVICENAME '%s': no such user '%s'", device, user);
                return -1;
        }
        return 0;
}

static void reader_close(struct reader *r)
{
        if (r->wake >= 0)
                close(r->wake);
        if (r->events >= 0)
                close(r->events);
        if (r->ep >= 0)
                close(r->ep);
        pthread_mutex_destroy(&r->lock);
        r->open = false;
}

RESPONSECODE IFDHCreateChannelByName(DWORD Lun, LPSTR DeviceName)
{
        size_t i = (size_t)(Lun >> 16);
        if (i >= READERS_MAX || readers[i].open || !DeviceName)
                return IFD_COMMUNICATION_ERROR;
        struct reader *r = &readers[i];
        memset(r, 0, sizeof(*r));
        snprintf(r->path, sizeof(r->path), "%s", DeviceName);
        if (parse_device(r, DeviceName) < 0)
                return IFD_COMMUNICATION_ERROR;
        r->fd = -1;
        r->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        r->events = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        r->ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event wake = {.events = EPOLLIN, .data.u32 = TAG_WAKE};
        if (r->ep >= 0 && r->wake >= 0 && epoll_ctl(r->ep, EPOLL_CTL_ADD, r->wake, &wake) < 0) {
                close(r->ep);
                r->ep = -1;
        }
        pthread_mutex_init(&r->lock, NULL);
        vtl_rx_init(&r->rx, r->rxbuf, sizeof(r->rxbuf));
        r->open = true;
        if (r->wake < 0 || r->events < 0 || r->ep < 0 ||
            pthread_create(&r->io, NULL, io_main, r) != 0) {
                say(PCSC_LOG_CRITICAL, r, "cannot start: %s", strerror(errno));
                reader_close(r);
                return IFD_COMMUNICATION_ERROR;
        }
        say(PCSC_LOG_INFO, r, "reader %zu%s", i,
            r->user != UID_NONE ? ", vtokend's user named in DEVICENAME trusted" : "");
        return IFD_SUCCESS;
}

RESPONSECODE IFDHCreateChannel(DWORD Lun, DWORD Channel)
{
        (void)Lun;
        (void)Channel;
        if (log_msg)
                log_msg(PCSC_LOG_CRITICAL, "vtoken driver: DEVICENAME (the socket path) missing "
                                           "in the reader's reader.conf.d entry");
        return IFD_COMMUNICATION_ERROR;
}

RESPONSECODE IFDHCloseChannel(DWORD Lun)
{
        struct reader *r = reader_of(Lun);
        if (!r)
                return IFD_COMMUNICATION_ERROR;
        pthread_mutex_lock(&r->lock);
        r->stopping = true;
        pthread_mutex_unlock(&r->lock);
        notify(r->wake);
        pthread_join(r->io, NULL);
        if (r->fd >= 0)
                close(r->fd);
        explicit_bzero(r->rxbuf, sizeof(r->rxbuf));
        reader_close(r);
        return IFD_SUCCESS;
}

static RESPONSECODE put_byte(PDWORD Length, PUCHAR Value, UCHAR v)
{
        if (*Length < 1)
                return IFD_ERROR_INSUFFICIENT_BUFFER;
        *Length = 1;
        Value[0] = v;
        return IFD_SUCCESS;
}

RESPONSECODE IFDHGetCapabilities(DWORD Lun, DWORD Tag, PDWORD Length, PUCHAR Value)
{
        struct reader *r = reader_of(Lun);
        if (!r)
                return IFD_COMMUNICATION_ERROR;
        switch (Tag) {
        case TAG_IFD_ATR:
        case SCARD_ATTR_ATR_STRING: {
                RESPONSECODE rc = IFD_SUCCESS;
                pthread_mutex_lock(&r->lock);
                if (*Length < r->atr_len)
                        rc = IFD_ERROR_INSUFFICIENT_BUFFER;
                else {
                        memcpy(Value, r->atr, r->atr_len);
                        *Length = (DWORD)r->atr_len;
                }
                pthread_mutex_unlock(&r->lock);
                return rc;
        }
        case TAG_IFD_SIMULTANEOUS_ACCESS: /* one library, every reader: told apart by Lun */
                return put_byte(Length, Value, READERS_MAX);
        case TAG_IFD_THREAD_SAFE:  /* readers work side by side */
        case TAG_IFD_SLOTS_NUMBER: /* one slot */
                return put_byte(Length, Value, 1);
        case TAG_IFD_SLOT_THREAD_SAFE:
                return put_byte(Length, Value, 0);
        case TAG_IFD_POLLING_THREAD_KILLABLE: /* it waits in poll() holding nothing */
                return put_byte(Length, Value, 1);
        case TAG_IFD_POLLING_THREAD_WITH_TIMEOUT: {
                RESPONSECODE (*fn)(DWORD, int) = wait_for_event;
                if (*Length < sizeof(fn))
                        return IFD_ERROR_INSUFFICIENT_BUFFER;
                memcpy(Value, &fn, sizeof(fn));
                *Length = sizeof(fn);
                return IFD_SUCCESS;
        }
        default:
                return IFD_ERROR_TAG;
        }
}

RESPONSECODE IFDHSetCapabilities(DWORD Lun, DWORD Tag, DWORD Length, PUCHAR Value)
{
        (void)Lun;
        (void)Tag;
        (void)Length;
        (void)Value;
        return IFD_NOT_SUPPORTED;
}

RESPONSECODE IFDHSetProtocolParameters(DWORD Lun, DWORD Protocol, UCHAR Flags, UCHAR PTS1,
                                       UCHAR PTS2, UCHAR PTS3)
{
        (void)Flags;
        (void)PTS1;
        (void)PTS2;
        (void)PTS3;
        if (!reader_of(Lun))
                return IFD_COMMUNICATION_ERROR;
        return Protocol == SCARD_PROTOCOL_T0 || Protocol == SCARD_PROTOCOL_T1
                   ? IFD_SUCCESS
                   : IFD_PROTOCOL_NOT_SUPPORTED;
}

RESPONSECODE IFDHPowerICC(DWORD Lun, DWORD Action, PUCHAR Atr, PDWORD AtrLength)
{
        struct reader *r = reader_of(Lun);
        if (!r)
                return IFD_COMMUNICATION_ERROR;
        uint8_t type = Action == IFD_POWER_UP     ? VTL_POWER_ON
                       : Action == IFD_POWER_DOWN ? VTL_POWER_OFF
                       : Action == IFD_RESET      ? VTL_RESET
                                                  : 0;
        if (!type)
                return IFD_NOT_SUPPORTED;
        struct request q;
        request_begin(&q, r);
        RESPONSECODE rc = ask_locked(r, type, NULL, 0);
        r->atr_len = 0;
        if (type == VTL_POWER_OFF) {
                if (rc == IFD_ICC_NOT_PRESENT)
                        rc = IFD_SUCCESS; /* no card, nothing powered */
        } else if (rc == IFD_SUCCESS && AtrLength && *AtrLength >= r->d.answer_len) {
                memcpy(r->atr, r->d.answer, r->d.answer_len);
                r->atr_len = r->d.answer_len;
                memcpy(Atr, r->atr, r->atr_len);
                *AtrLength = (DWORD)r->atr_len;
        } else {
                rc = rc == IFD_SUCCESS ? IFD_ERROR_INSUFFICIENT_BUFFER : IFD_ERROR_POWER_ACTION;
        }
        if (rc != IFD_SUCCESS || type == VTL_POWER_OFF) {
                if (AtrLength)
                        *AtrLength = 0;
        }
        request_end(&q);
        return rc;
}

RESPONSECODE IFDHTransmitToICC(DWORD Lun, SCARD_IO_HEADER SendPci, PUCHAR TxBuffer, DWORD TxLength,
                               PUCHAR RxBuffer, PDWORD RxLength, PSCARD_IO_HEADER RecvPci)
{
        struct reader *r = reader_of(Lun);
        if (!r) {
                *RxLength = 0;
                return IFD_COMMUNICATION_ERROR;
        }
        if (TxLength < 4 || TxLength > VTL_BODY_MAX) {
                *RxLength = 0;
                return IFD_COMMUNICATION_ERROR;
        }
        struct request q;
        request_begin(&q, r);
        RESPONSECODE rc = ask_locked(r, VTL_APDU, TxBuffer, TxLength);
        if (rc == IFD_SUCCESS && r->d.answer_len > *RxLength)
                rc = IFD_ERROR_INSUFFICIENT_BUFFER;
        if (rc == IFD_SUCCESS) {
                memcpy(RxBuffer, r->d.answer, r->d.answer_len);
                *RxLength = (DWORD)r->d.answer_len;
                if (RecvPci)
                        RecvPci->Protocol = SendPci.Protocol;
        } else {
                *RxLength = 0;
                if (rc == IFD_ICC_NOT_PRESENT)
                        rc = IFD_COMMUNICATION_ERROR; /* the card went: the command was lost */
        }
        request_end(&q);
        return rc;
}

RESPONSECODE IFDHControl(DWORD Lun, DWORD dwControlCode, PUCHAR TxBuffer, DWORD TxLength,
                         PUCHAR RxBuffer, DWORD RxLength, LPDWORD pdwBytesReturned)
{
        (void)TxBuffer;
        (void)TxLength;
        (void)RxBuffer;
        (void)RxLength;
        if (pdwBytesReturned)
                *pdwBytesReturned = 0;
        if (!reader_of(Lun))
                return IFD_COMMUNICATION_ERROR;
        /* no PIN pad, no other feature: an empty list */
        return dwControlCode == CM_IOCTL_GET_FEATURE_REQUEST ? IFD_SUCCESS
                                                             : IFD_ERROR_NOT_SUPPORTED;
}

RESPONSECODE IFDHICCPresence(DWORD Lun)
{
        struct reader *r = reader_of(Lun);
        if (!r)
                return IFD_COMMUNICATION_ERROR;
        pthread_mutex_lock(&r->lock);
        bool present = r->fd >= 0 && r->d.present;
        /* a removal pcscd has not seen yet is reported first, even when a card is back since:
         * the card pcscd powered is not the one in the reader now */
        if (r->removals != r->removals_seen) {
                r->removals_seen = r->removals;
                present = false;
        }
        r->reported = present;
        pthread_mutex_unlock(&r->lock);
        return present ? IFD_ICC_PRESENT : IFD_ICC_NOT_PRESENT;
}
