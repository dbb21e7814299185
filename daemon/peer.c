/* SPDX-License-Identifier: Apache-2.0 */
#include "peer.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* An address as inet_diag gives it: IPv4 in the first word, v4-mapped IPv6 taken as IPv4. */
struct endpoint {
        int family;
        uint32_t addr[4];
        uint16_t port; /* network order */
};

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static void endpoint_of(int family, const void *addr, uint16_t port, struct endpoint *e)
{
        memset(e, 0, sizeof(*e));
        e->family = family;
        e->port = port;
        if (family == AF_INET6 && memcmp(addr, v4_mapped, sizeof(v4_mapped)) == 0) {
                e->family = AF_INET;
                memcpy(e->addr, (const uint8_t *)addr + 12, 4);
        } else {
                memcpy(e->addr, addr, family == AF_INET ? 4 : 16);
        }
}

static bool same_endpoint(const struct endpoint *a, const struct endpoint *b)
{
        return a->family == b->family && a->port == b->port &&
               memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

/* This connection, seen from our end: the other end's socket has them the other way round. */
struct pair {
        struct endpoint local, remote;
};

struct found {
        int n;
        uid_t uid;
};

/* The socket whose own address is our remote one and whose peer is our local one: the other
 * end of this very connection, whoever listens on the port now. */
static void consider(struct found *f, const struct inet_diag_msg *m, const struct pair *p)
{
        struct endpoint src, dst;
        endpoint_of(m->idiag_family, m->id.idiag_src, m->id.idiag_sport, &src);
        endpoint_of(m->idiag_family, m->id.idiag_dst, m->id.idiag_dport, &dst);
        if (!same_endpoint(&src, &p->remote) || !same_endpoint(&dst, &p->local))
                return;
        f->n++;
        f->uid = m->idiag_uid;
}

/* Reads one dump's answer; 0 at its end. */
static int read_dump(int nl, struct found *f, const struct pair *p)
{
        uint32_t buf[8192 / sizeof(uint32_t)] = {0};
        for (;;) {
                ssize_t n = recv(nl, buf, sizeof(buf), 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                size_t left = (size_t)n;
                for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
                     h = NLMSG_NEXT(h, left)) {
                        if (h->nlmsg_type == NLMSG_DONE)
                                return 0;
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(h);
                                return h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error
                                           ? e->error
                                           : -EIO;
                        }
                        if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
                            h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
                                consider(f, NLMSG_DATA(h), p);
                }
        }
}

/* Full sockets only: a connection the other end has not taken from its SYN queue yet is a
 * request socket, which inet_diag reports as owned by uid 0 whoever listens. */
#define CONNECTED_STATES (1U << TCP_ESTABLISHED | 1U << TCP_CLOSE_WAIT | 1U << TCP_FIN_WAIT1)

static int dump_connections(int nl, int family, struct found *f, const struct pair *p)
{
        struct {
                struct nlmsghdr h;
                struct inet_diag_req_v2 r;
        } req = {
            .h = {.nlmsg_len = sizeof(req),
                  .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                  .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
            .r = {.sdiag_family = (uint8_t)family,
                  .sdiag_protocol = IPPROTO_TCP,
                  .idiag_states = CONNECTED_STATES},
        };
        struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
        if (sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
                return -errno;
        return read_dump(nl, f, p);
}

static int endpoint_from(const struct sockaddr_storage *ss, struct endpoint *e)
{
        if (ss->ss_family == AF_INET) {
                const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
                endpoint_of(AF_INET, &a->sin_addr, a->sin_port, e);
                return 0;
        }
        if (ss->ss_family == AF_INET6) {
                const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
                endpoint_of(AF_INET6, &a->sin6_addr, a->sin6_port, e);
                return 0;
        }
        return -EAFNOSUPPORT;
}

/* fd's remote end (peer) or its own (not peer). */
static int endpoint_of_fd(int fd, bool peer, struct endpoint *e)
{
        struct sockaddr_storage ss = {0};
        socklen_t len = sizeof(ss);
        int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
                     : getsockname(fd, (struct sockaddr *)&ss, &len);
        return r < 0 ? -errno : endpoint_from(&ss, e);
}

/* One look at the kernel's connected sockets of both families. */
static int lookup(const struct pair *p, struct found *f)
{
        int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (nl < 0)
                return -errno;
        int r = dump_connections(nl, AF_INET, f, p);
        if (r == 0) {
                r = dump_connections(nl, AF_INET6, f, p);
                if (r < 0 && p->remote.family == AF_INET)
                        r = 0; /* a host without IPv6 has no dual-stack socket either */
        }
        close(nl);
        return r;
}

/* How often, 1 ms apart, the other end is looked for while its kernel may still be finishing
 * the handshake (our connect() completes before the peer's ACK is processed over there). */
#define LOOKUPS 20

int peer_uid(int fd, uid_t *uid)
{
        struct pair p = {0};
        int r = endpoint_of_fd(fd, true, &p.remote);
        if (r == 0)
                r = endpoint_of_fd(fd, false, &p.local);
        if (r < 0)
                return r;
        struct found f = {0};
        for (int i = 0; i < LOOKUPS && f.n == 0; i++) {
                if (i) {
                        const struct timespec ms = {.tv_nsec = 1000000};
                        nanosleep(&ms, NULL);
                }
                f.n = 0;
                r = lookup(&p, &f);
                if (r < 0)
                        return r;
        }
        if (f.n == 0)
                return -ENOENT;
        if (f.n > 1)
                return -EPERM; /* one 4-tuple is one connection: the kernel is not telling */
        *uid = f.uid;
        return 0;
}

bool peer_is_loopback(int fd)
{
        struct endpoint e = {0};
        if (endpoint_of_fd(fd, true, &e) < 0)
                return false;
        if (e.family == AF_INET)
                return ((const uint8_t *)e.addr)[0] == 127;
        static const uint8_t one[16] = {[15] = 1};
        return memcmp(e.addr, one, sizeof(one)) == 0;
}

bool peer_uid_trusted(uid_t uid, uid_t pcscd_uid)
{
        return uid == 0 || uid == geteuid() || (pcscd_uid != VT_UID_NONE && uid == pcscd_uid);
}
