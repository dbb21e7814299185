#include "manager.h"

#include "log.h"
#include "served.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

int manager_new(struct manager **out)
{
        struct manager *m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        int r = sd_event_default(&m->event);
        if (r < 0) {
                free(m);
                return r;
        }
        *out = m;
        return 0;
}

int manager_start(struct manager *m, const struct conf *conf)
{
        m->conf = *conf;
        for (size_t i = 0; i < conf->n_cards; i++) {
                const struct conf_card *cc = &conf->cards[i];
                char err[1024];
                struct served_card *sc;
                if (served_card_new(m, cc, &sc, err, sizeof(err)) < 0) {
                        vt_log(LOG_ERR, cc->name, NULL, "card refused: %s", err);
                        continue;
                }
                m->cards[m->n_cards++] = sc;
                vt_log(LOG_INFO, cc->name, NULL, "serving image %s on vpcd %s:%u", cc->image, cc->host,
                       cc->port);
        }
        manager_update_status(m);
        return (int)m->n_cards;
}

void manager_update_status(struct manager *m)
{
        char buf[sizeof(m->status)];
        size_t n = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < m->n_cards && n < sizeof(buf); i++)
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s: %s", i ? "; " : "",
                                      m->cards[i]->conf.name, served_card_state(m->cards[i]));
        if (m->n_cards == 0)
                snprintf(buf, sizeof(buf), "no card served");
        if (strcmp(buf, m->status) == 0)
                return;
        memcpy(m->status, buf, sizeof(buf));
        sd_notifyf(0, "STATUS=%s", m->status);
}

void manager_free(struct manager *m)
{
        if (!m)
                return;
        for (size_t i = 0; i < m->n_cards; i++)
                served_card_free(m->cards[i]);
        sd_event_unref(m->event);
        free(m);
}
