/* SPDX-License-Identifier: Apache-2.0 */
#include "manager.h"

#include "control.h"
#include "drvlink.h"
#include "log.h"
#include "served.h"
#include "trace.h"
#include "verbs.h"
#include "vpcd.h"

#include <errno.h>
#include <stdbool.h>
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

static void on_card_changed(void *user)
{
        manager_update_status(user);
}

static struct served_card *nth_card(void *ctx, size_t i, const char **name)
{
        struct manager *m = ctx;
        if (i >= m->n_cards)
                return NULL;
        if (name)
                *name = served_card_conf(m->cards[i])->name;
        return m->cards[i];
}

void manager_execute(void *user, char *line, FILE *reply)
{
        const struct card_lookup cards = {.ctx = user, .nth = nth_card};
        verbs_execute(&cards, line, reply);
}

/* The link of the transport cc names: each transport is built by its own constructor. */
static int new_link(sd_event *e, const struct conf_card *cc, const struct link_handler *h,
                    struct link **out, char *err, size_t errlen)
{
        if (cc->transport == CONF_TRANSPORT_DRIVER)
                return drv_link_new(e, cc->name, cc->socket, cc->pcscd_uid, h, out, err, errlen);
        return vpcd_link_new(e, cc->name, cc->host, cc->port, cc->pcscd_uid, h, out, err, errlen);
}

static void add_card(struct manager *m, const struct conf_card *cc, const char *trace)
{
        char err[1024];
        struct served_card *sc;
        struct link *l;
        if (served_card_new(m->event, cc, trace, on_card_changed, m, &sc, err, sizeof(err)) < 0) {
                vt_log(LOG_ERR, cc->name, NULL, "card refused: %s", err);
                return;
        }
        if (new_link(m->event, cc, served_card_handler(sc), &l, err, sizeof(err)) < 0) {
                vt_log(LOG_ERR, cc->name, NULL, "card refused: %s", err);
                served_card_free(sc);
                return;
        }
        served_card_attach(sc, l);
        m->cards[m->n_cards++] = sc;
        if (cc->transport == CONF_TRANSPORT_DRIVER) {
                vt_log(LOG_INFO, cc->name, NULL, "serving image %s on driver socket %s", cc->image,
                       cc->socket);
                return;
        }
        char vpcd[300];
        snprintf(vpcd, sizeof(vpcd), "%s:%u", cc->host, cc->port);
        vt_log(LOG_INFO, cc->name, vpcd, "serving image %s on vpcd %s", cc->image, vpcd);
}

int manager_start(struct manager *m, const struct conf *conf)
{
        m->conf = *conf;
        for (size_t i = 0; i < conf->n_cards; i++)
                add_card(m, &conf->cards[i], conf->trace);
        int r = control_start(m->event, conf->control, manager_execute, m, &m->control);
        if (r < 0)
                log_error("no control socket %s: %s", conf->control, strerror(-r));
        else if (m->control)
                log_info("control socket %s",
                         *control_path(m->control) ? control_path(m->control) : "from systemd");
        manager_update_status(m);
        return (int)m->n_cards;
}

static bool same_card(const struct conf_card *a, const struct conf_card *b)
{
        return strcmp(a->name, b->name) == 0 && strcmp(a->image, b->image) == 0 &&
               a->transport == b->transport && strcmp(a->host, b->host) == 0 &&
               a->port == b->port && strcmp(a->socket, b->socket) == 0 &&
               strcmp(a->profile, b->profile) == 0 && a->pcscd_uid == b->pcscd_uid;
}

/* A card kept by a reload takes the new settings that do not change its identity: the touch
 * timeout, the timing, and the daemon-wide trace file when its trace came from the
 * configuration. */
static void keep_card(struct manager *m, struct served_card *sc, const struct conf_card *cc,
                      const char *trace)
{
        struct pipeline *p = served_card_pipeline(sc);
        served_card_set_touch_timeout(sc, cc->touch_timeout_ms);
        served_card_set_timing(sc, cc->timing);
        if (strcmp(trace, m->conf.trace) == 0)
                return;
        struct pipeline_status st;
        pipeline_status(p, &st);
        bool from_conf = st.trace_to_file && strcmp(st.trace, m->conf.trace) == 0;
        if (!from_conf && st.trace)
                return; /* a trace set through the control socket stays */
        int r = pipeline_trace(p, *trace != '\0', *trace ? trace : NULL, trace_format_for(trace));
        if (r < 0)
                vt_log(LOG_ERR, cc->name, NULL, "trace %s: %s", trace, trace_strerror(r));
}

int manager_reload(struct manager *m)
{
        struct conf next;
        char err[1200];
        if (!m->conf.path[0]) {
                log_info("reload: no configuration file (embedded default); nothing to do");
                return 0;
        }
        sd_notify(0, "RELOADING=1");
        if (conf_load(m->conf.path, &next, err, sizeof(err)) < 0) {
                log_error("reload refused, keeping the running configuration: %s", err);
                sd_notify(0, "READY=1");
                return -EINVAL;
        }
        if (strcmp(next.control, m->conf.control) != 0)
                log_warn("reload: a new control socket path takes effect at the next start");
        struct served_card *old[VT_CONF_CARDS_MAX];
        size_t n_old = m->n_cards;
        memcpy(old, m->cards, sizeof(old));
        m->n_cards = 0;
        /* unchanged cards keep their connection and security state */
        for (size_t i = 0; i < next.n_cards; i++) {
                for (size_t j = 0; j < n_old; j++) {
                        if (old[j] && same_card(served_card_conf(old[j]), &next.cards[i])) {
                                keep_card(m, old[j], &next.cards[i], next.trace);
                                m->cards[m->n_cards++] = old[j];
                                old[j] = NULL;
                                break;
                        }
                }
        }
        for (size_t j = 0; j < n_old; j++) {
                if (old[j]) {
                        vt_log(LOG_INFO, served_card_conf(old[j])->name, NULL, "removed by reload");
                        served_card_free(old[j]);
                }
        }
        for (size_t i = 0; i < next.n_cards; i++) {
                bool kept = false;
                for (size_t j = 0; j < m->n_cards; j++)
                        kept |= same_card(served_card_conf(m->cards[j]), &next.cards[i]);
                if (!kept)
                        add_card(m, &next.cards[i], next.trace);
        }
        char control[sizeof(m->conf.control)];
        memcpy(control, m->conf.control, sizeof(control));
        m->conf = next;
        memcpy(m->conf.control, control, sizeof(control));
        vt_log_set_level(next.log_level);
        manager_update_status(m);
        log_info("configuration reloaded: %zu card%s", m->n_cards, m->n_cards == 1 ? "" : "s");
        sd_notify(0, "READY=1");
        return 0;
}

void manager_update_status(struct manager *m)
{
        char buf[sizeof(m->status)];
        size_t n = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < m->n_cards && n < sizeof(buf); i++) {
                char state[400];
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s: %s", i ? "; " : "",
                                      served_card_conf(m->cards[i])->name,
                                      served_card_state(m->cards[i], state, sizeof(state)));
        }
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
        control_free(m->control);
        for (size_t i = 0; i < m->n_cards; i++)
                served_card_free(m->cards[i]);
        sd_event_unref(m->event);
        free(m);
}
