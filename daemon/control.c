/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket of vtokend.
 *
 * Protocol: a client connects, sends ONE request line (at most 1024 bytes with its "\n"; words
 * separated by spaces), reads the reply until the daemon closes the connection. A reply is
 * "ok\n" followed by the answer (possibly empty), or "error: REASON\n". Requests:
 *
 *   status [--json]                 every card: vpcd connection, power, selected applet,
 *                                   PIN verified, PIN/PUK tries left, commands served, trace,
 *                                   armed faults, waiting for touch (--json: one JSON object)
 *   insert CARD | remove CARD       plug the card into its vpcd reader / pull it out
 *   reset CARD                      warm reset: selection and security state cleared
 *   trace CARD on [FILE] [--json]   APDU trace to FILE (an absolute path; appended) or to the
 *   trace CARD off                  daemon's log; text, or JSON lines with --json or a FILE
 *                                   named *.json / *.jsonl. Secrets are always redacted.
 *   fault CARD KIND [--count N | --sticky] [--ins XX] [--p1 XX] [--p2 XX]
 *                                   the next N commands (default 1; every one until cleared
 *                                   with --sticky; with --ins, --p1, --p2 only those with that
 *                                   header byte) get KIND: sw XXXX (answered with that status
 *                                   word), delay TIME (answered TIME later: 500ms, 2s),
 *                                   drop (the vpcd connection closes mid-command, then the
 *                                   card reconnects), write-fail (image writes fail: 65 81)
 *   fault CARD clear                disarm every fault of the card
 *   touch CARD                      touch the key: the command waiting for a touch goes on
 *
 * CARD is a [card NAME] of vtokend.conf. A request that is too long, malformed, names an
 * unknown verb or card gets an error reply and changes nothing. The socket is mode 0600 and
 * a peer of another user (root excepted) is refused. A client has 10 s to send its line. */
#include "control.h"

#include "sockdir.h"

#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#define CONNS_MAX         16
#define CLIENT_TIMEOUT_US (10 * 1000000ULL)
#define LINGER_US         (2 * 1000000ULL)

struct control {
        control_handler handler;
        void *user;
        int fd;
        bool bound; /* we created path and unlink it at the end */
        char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
        sd_event_source *io;
        size_t n_conns;
        struct conn *conns; /* open connections, freed with the socket */
};

struct conn {
        struct control *ctl;
        struct conn *prev, *next;
        int fd;
        sd_event_source *io, *timer;
        char in[CONTROL_LINE_MAX + 1]; /* the line and a terminating NUL */
        size_t in_len;
        char *out;
        size_t out_len, out_off;
        bool draining; /* reply sent: the rest of the request is read and dropped until EOF */
};

enum control_input control_input(char *in, size_t len, bool eof)
{
        if (memchr(in, '\0', len))
                return CONTROL_MALFORMED;
        if (memchr(in, '\n', len) || eof) { /* a line, or what came before the client shut down */
                in[strcspn(in, "\n")] = '\0';
                size_t n = strlen(in);
                if (n && in[n - 1] == '\r')
                        in[n - 1] = '\0';
                return CONTROL_LINE;
        }
        return len >= CONTROL_LINE_MAX ? CONTROL_TOO_LONG : CONTROL_MORE;
}

/* ---- connections ----------------------------------------------------------------------- */

static void conn_free(struct conn *c)
{
        c->io = sd_event_source_disable_unref(c->io);
        c->timer = sd_event_source_disable_unref(c->timer);
        if (c->fd >= 0)
                close(c->fd);
        if (c->prev)
                c->prev->next = c->next;
        else
                c->ctl->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        c->ctl->n_conns--;
        free(c->out);
        free(c);
}

static void conn_reply(struct conn *c, const char *fixed)
{
        FILE *f = open_memstream(&c->out, &c->out_len);
        if (!f) {
                conn_free(c);
                return;
        }
        if (fixed)
                fputs(fixed, f);
        else
                c->ctl->handler(c->ctl->user, c->in, f);
        if (fclose(f) != 0) {
                conn_free(c);
                return;
        }
        if (sd_event_source_set_io_events(c->io, EPOLLOUT) < 0)
                conn_free(c);
}

static bool peer_allowed(int fd)
{
        struct ucred cred;
        socklen_t len = sizeof(cred);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return false;
        return cred.uid == 0 || cred.uid == geteuid();
}

static int on_conn_timeout(sd_event_source *s, uint64_t usec, void *userdata);

/* After the reply, unread request bytes would make closing reset the connection and lose the
 * reply: shut down our side and read what is left until the client closes (or 2 s pass). */
static void conn_drain(struct conn *c)
{
        c->draining = true;
        c->timer = sd_event_source_disable_unref(c->timer);
        shutdown(c->fd, SHUT_WR);
        sd_event *e = sd_event_source_get_event(c->io);
        if (sd_event_source_set_io_events(c->io, EPOLLIN) < 0 ||
            sd_event_add_time_relative(e, &c->timer, CLOCK_MONOTONIC, LINGER_US, 100000,
                                       on_conn_timeout, c) < 0)
                conn_free(c);
}

static int on_conn_io(sd_event_source *s, int fd, uint32_t events, void *userdata)
{
        struct conn *c = userdata;
        (void)s;
        (void)events;
        if (c->draining) {
                char sink[4096];
                ssize_t n = read(fd, sink, sizeof(sink));
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                        conn_free(c);
                return 0;
        }
        if (c->out) { /* writing the reply */
                ssize_t n = write(fd, c->out + c->out_off, c->out_len - c->out_off);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return 0;
                if (n > 0)
                        c->out_off += (size_t)n;
                if (n <= 0)
                        conn_free(c);
                else if (c->out_off == c->out_len)
                        conn_drain(c);
                return 0;
        }
        ssize_t n = read(fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n < 0 || (n == 0 && c->in_len == 0)) {
                conn_free(c);
                return 0;
        }
        c->in_len += (size_t)n;
        c->in[c->in_len] = '\0';
        switch (control_input(c->in, c->in_len, n == 0)) {
        case CONTROL_MORE:
                break;
        case CONTROL_LINE:
                conn_reply(c, NULL);
                break;
        case CONTROL_MALFORMED:
                conn_reply(c, "error: malformed request\n");
                break;
        case CONTROL_TOO_LONG:
                vt_log(LOG_WARNING, NULL, NULL, "control: request over %d bytes refused",
                       CONTROL_LINE_MAX);
                conn_reply(c, "error: request too long (at most 1024 bytes with its newline)\n");
                break;
        }
        return 0;
}

static int on_conn_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct conn *c = userdata;
        (void)s;
        (void)usec;
        if (c->draining || c->out)
                conn_free(c);
        else
                conn_reply(c, "error: no request line within 10 s\n");
        return 0;
}

static int on_accept(sd_event_source *s, int fd, uint32_t events, void *userdata)
{
        struct control *ctl = userdata;
        (void)s;
        (void)events;
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
                return 0;
        if (!peer_allowed(cfd)) {
                static const char msg[] = "error: permission denied\n";
                vt_log(LOG_WARNING, NULL, NULL, "control: a client of another user was refused");
                (void)!write(cfd, msg, sizeof(msg) - 1);
                close(cfd);
                return 0;
        }
        struct conn *c = ctl->n_conns < CONNS_MAX ? calloc(1, sizeof(*c)) : NULL;
        if (!c) {
                close(cfd);
                return 0;
        }
        c->ctl = ctl;
        c->fd = cfd;
        c->next = ctl->conns;
        if (c->next)
                c->next->prev = c;
        ctl->conns = c;
        ctl->n_conns++;
        sd_event *e = sd_event_source_get_event(ctl->io);
        if (sd_event_add_io(e, &c->io, cfd, EPOLLIN, on_conn_io, c) < 0 ||
            sd_event_add_time_relative(e, &c->timer, CLOCK_MONOTONIC, CLIENT_TIMEOUT_US, 100000,
                                       on_conn_timeout, c) < 0)
                conn_free(c);
        return 0;
}

/* ---- the listening socket -------------------------------------------------------------- */

static int from_systemd(void)
{
        int n = sd_listen_fds(1);
        for (int i = 0; i < n; i++)
                if (sd_is_socket_unix(SD_LISTEN_FDS_START + i, SOCK_STREAM, 1, NULL, 0) > 0)
                        return SD_LISTEN_FDS_START + i;
        return -1;
}

/* A socket file nobody listens on is left over from a daemon that did not stop cleanly. */
static int remove_stale(const struct sockaddr_un *sa)
{
        struct stat st;
        if (lstat(sa->sun_path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISSOCK(st.st_mode))
                return -EEXIST;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        int r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
        close(fd);
        if (r == 0)
                return -EADDRINUSE;
        return unlink(sa->sun_path) < 0 ? -errno : 0;
}

static int listen_on(struct control *ctl, const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        char why[PATH_MAX + 200];
        int r = sockdir_check(path, "control socket", why, sizeof(why));
        if (r < 0) {
                log_error("%s", why);
                return r;
        }
        r = remove_stale(&sa);
        if (r < 0)
                return r;
        ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (ctl->fd < 0)
                return -errno;
        mode_t old = umask(0177); /* created 0600: no moment where others may connect */
        r = bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa));
        umask(old);
        if (r < 0)
                return -errno;
        ctl->bound = true;
        snprintf(ctl->path, sizeof(ctl->path), "%s", path);
        if (chmod(path, 0600) < 0 || listen(ctl->fd, CONNS_MAX) < 0)
                return -errno;
        return 0;
}

int control_start(sd_event *event, const char *path, control_handler handler, void *user,
                  struct control **out)
{
        char def[PATH_MAX];
        const char *rt = getenv("RUNTIME_DIRECTORY");
        *out = NULL;
        int sfd = from_systemd();
        if (sfd < 0 && (!path || !*path)) {
                if (!rt || !*rt)
                        return 0;
                snprintf(def, sizeof(def), "%.*s/control.sock", (int)strcspn(rt, ":"), rt);
                path = def;
        }
        struct control *ctl = calloc(1, sizeof(*ctl));
        if (!ctl)
                return -ENOMEM;
        ctl->handler = handler;
        ctl->user = user;
        ctl->fd = sfd;
        int r = sfd >= 0 ? 0 : listen_on(ctl, path);
        if (r == 0)
                r = sd_event_add_io(event, &ctl->io, ctl->fd, EPOLLIN, on_accept, ctl);
        if (r < 0) {
                control_free(ctl);
                return r;
        }
        *out = ctl;
        return 0;
}

void control_free(struct control *c)
{
        if (!c)
                return;
        for (struct conn *n = c->conns, *next; n; n = next) {
                next = n->next;
                conn_free(n);
        }
        c->io = sd_event_source_disable_unref(c->io);
        if (c->fd >= 0)
                close(c->fd);
        if (c->bound)
                unlink(c->path);
        free(c);
}

const char *control_path(const struct control *c)
{
        return c->path;
}
