/* SPDX-License-Identifier: Apache-2.0 */
#include "link.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void link_set_state(enum link_state *state, const struct link_handler *h, enum link_state s)
{
        if (*state == s)
                return;
        *state = s;
        if (h->state_changed)
                h->state_changed(h->user);
}

int link_flush(int fd, uint8_t *buf, size_t *len, size_t *off, sd_event_source *io,
               uint32_t idle_events)
{
        while (*off < *len) {
                ssize_t n = send(fd, buf + *off, *len - *off, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return sd_event_source_set_io_events(io, EPOLLOUT);
                if (n < 0)
                        return -errno;
                *off += (size_t)n;
        }
        explicit_bzero(buf, *len);
        *len = *off = 0;
        return sd_event_source_set_io_events(io, idle_events);
}

void link_wipe(struct rxbuf *rx, uint8_t *tx, size_t *tx_len, size_t *tx_off)
{
        rxbuf_wipe(rx);
        explicit_bzero(tx, *tx_len);
        *tx_len = *tx_off = 0;
}

void link_hang_up(int *fd, sd_event_source **io, bool *pending, struct rxbuf *rx, uint8_t *tx,
                  size_t *tx_len, size_t *tx_off, const struct link_handler *h)
{
        *io = sd_event_source_disable_unref(*io);
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
        *pending = false;
        link_wipe(rx, tx, tx_len, tx_off);
        h->power(h->user, LINK_POWER_OFF);
}

const char *link_why(int r)
{
        if (r == -ECONNRESET)
                return "connection closed";
        if (r == -ECONNABORTED)
                return "connection dropped on purpose";
        return strerror(-r);
}
