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

static bool is_wildcard(const struct endpoint *e)
{
        return !e->addr[0] && !e->addr[1] && !e->addr[2] && !e->addr[3];
}

/* How well a listener matches the address connected to, as the kernel ranks listeners: the
 * exact address above the wildcard, the connection's own family above the other; 0: no match.
 */
static int score(const struct endpoint *listener, const struct endpoint *peer)
{
        if (listener->port != peer->port)
                return 0;
        bool same_family = listener->family == peer->family;
        if (same_family && memcmp(listener->addr, peer->addr, sizeof(peer->addr)) == 0)
                return 4;
        if (!is_wildcard(listener) || (!same_family && listener->family != AF_INET6))
                return 0;
        return same_family ? 2 : 1;
}

struct best {
        int score;
        uid_t uid;
        bool conflict; /* two listeners of the best score with different owners */
};

static void consider(struct best *b, const struct inet_diag_msg *m, const struct endpoint *peer)
{
        struct endpoint l;
        endpoint_of(m->idiag_family, m->id.idiag_src, m->id.idiag_sport, &l);
        int s = score(&l, peer);
        if (s == 0 || s < b->score)
                return;
        if (s == b->score && b->uid != m->idiag_uid)
                b->conflict = true;
        if (s > b->score) {
                b->conflict = false;
                b->uid = m->idiag_uid;
        }
        b->score = s;
}

/* Reads one dump's answer; 0 at its end. */
static int read_dump(int nl, struct best *b, const struct endpoint *peer)
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
                                consider(b, NLMSG_DATA(h), peer);
                }
        }
}

static int dump_listeners(int nl, int family, struct best *b, const struct endpoint *peer)
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
                  .idiag_states = 1U << TCP_LISTEN},
        };
        struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
        if (sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
                return -errno;
        return read_dump(nl, b, peer);
}

static int peer_endpoint(int fd, struct endpoint *e)
{
        struct sockaddr_storage ss = {0};
        socklen_t len = sizeof(ss);
        if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
                return -errno;
        if (ss.ss_family == AF_INET) {
                const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
                endpoint_of(AF_INET, &a->sin_addr, a->sin_port, e);
                return 0;
        }
        if (ss.ss_family == AF_INET6) {
                const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
                endpoint_of(AF_INET6, &a->sin6_addr, a->sin6_port, e);
                return 0;
        }
        return -EAFNOSUPPORT;
}

int peer_listener_uid(int fd, uid_t *uid)
{
        struct endpoint peer = {0};
        struct best b = {0};
        int r = peer_endpoint(fd, &peer);
        if (r < 0)
                return r;
        int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (nl < 0)
                return -errno;
        r = dump_listeners(nl, AF_INET, &b, &peer);
        if (r == 0) {
                r = dump_listeners(nl, AF_INET6, &b, &peer);
                if (r < 0 && peer.family == AF_INET)
                        r = 0; /* a host without IPv6 has no dual-stack listener either */
        }
        close(nl);
        if (r < 0)
                return r;
        if (b.score == 0)
                return -ENOENT;
        if (b.conflict)
                return -EPERM;
        *uid = b.uid;
        return 0;
}

bool peer_is_loopback(int fd)
{
        struct endpoint e = {0};
        if (peer_endpoint(fd, &e) < 0)
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
