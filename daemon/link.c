/* SPDX-License-Identifier: Apache-2.0 */
#include "link.h"

#include "drvlink.h"
#include "vpcd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int link_new(sd_event *e, const struct conf_card *cc, const struct link_handler *h,
             struct link **out, char *err, size_t errlen)
{
        if (cc->transport == CONF_TRANSPORT_DRIVER)
                return drv_link_new(e, cc->name, cc->socket, cc->pcscd_uid, h, out, err, errlen);
        struct vpcd_link *v;
        int r = vpcd_link_new(e, cc->name, cc->host, cc->port, cc->pcscd_uid, h, &v);
        if (r < 0) {
                snprintf(err, errlen, "vpcd %s:%u: %s", cc->host, cc->port, strerror(-r));
                return r;
        }
        *out = vpcd_link_base(v);
        return 0;
}

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
