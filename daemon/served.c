/* SPDX-License-Identifier: Apache-2.0 */
#include "served.h"

#include "first_start.h"
#include "image_dir.h"
#include "image_store.h"
#include "json.h"
#include "log.h"
#include "profile.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct served_card {
        struct conf_card conf;
        struct link *link;
        struct vt_image *img;
        int image_fd;               /* the image directory, opened once and locked (image_dir.h) */
        struct vt_file_store files; /* the image's files */
        struct pipeline *pipeline;
};

/* The image, made from the card's profile on first start, then opened once and locked. */
static int open_image(struct served_card *sc, char *err, size_t errlen)
{
        const struct conf_card *cc = &sc->conf;
        char pin[64];
        int made = vt_first_start(cc->image, cc->profile, pin, sizeof(pin), err, errlen);
        if (made > 0) {
                vt_log(LOG_NOTICE, cc->name, NULL, "created image %s from profile %s", cc->image,
                       cc->profile);
                if (pin[0]) {
                        char env[PATH_MAX];
                        vt_pin_envelope_path(cc->image, env, sizeof(env));
                        vt_log(LOG_NOTICE, cc->name, NULL,
                               "the initial PIN is in the PIN envelope %s", env);
                }
        }
        OPENSSL_cleanse(pin, sizeof(pin));
        if (made < 0)
                return -1;
        /* opened once: every file is reached from here, and the lock is held until the end */
        if ((sc->image_fd = vt_dir_open(cc->image, err, errlen)) < 0 ||
            vt_dir_lock(sc->image_fd, cc->image, err, errlen) < 0)
                return -1;
        sc->img = vt_image_load_at(sc->image_fd, cc->image, err, errlen);
        if (!sc->img)
                return -1;
        vt_file_store_init(&sc->files, sc->image_fd, sc->img);
        return 0;
}

int served_card_new(sd_event *event, const struct conf_card *cc, const char *trace,
                    void (*changed)(void *user), void *user, struct served_card **out, char *err,
                    size_t errlen)
{
        struct served_card *sc = calloc(1, sizeof(*sc));
        if (!sc) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        sc->conf = *cc;
        sc->image_fd = -1;
        if (open_image(sc, err, errlen) < 0) {
                served_card_free(sc);
                return -EINVAL;
        }
        char why[200];
        struct vt_store files = vt_file_store(&sc->files);
        int r = pipeline_new(event, cc->name, sc->img, &files, cc->touch_timeout_ms, changed, user,
                             &sc->pipeline, why, sizeof(why));
        if (r < 0) {
                snprintf(err, errlen, "%s/card.ini: %s", cc->image, why);
                served_card_free(sc);
                return r;
        }
        served_card_set_timing(sc, cc->timing);
        if (trace && *trace) {
                r = pipeline_trace(sc->pipeline, true, trace, trace_format_for(trace));
                if (r < 0) {
                        snprintf(err, errlen, "trace %s: %s", trace, trace_strerror(r));
                        served_card_free(sc);
                        return r;
                }
        }
        *out = sc;
        return 0;
}

void served_card_free(struct served_card *sc)
{
        if (!sc)
                return;
        link_free(sc->link);
        pipeline_free(sc->pipeline);
        vt_image_free(sc->img);
        if (sc->image_fd >= 0)
                close(sc->image_fd);
        free(sc);
}

const struct link_handler *served_card_handler(struct served_card *sc)
{
        return pipeline_handler(sc->pipeline);
}

void served_card_attach(struct served_card *sc, struct link *l)
{
        sc->link = l;
        pipeline_set_link(sc->pipeline, l);
}

const struct conf_card *served_card_conf(const struct served_card *sc)
{
        return &sc->conf;
}

struct pipeline *served_card_pipeline(struct served_card *sc)
{
        return sc->pipeline;
}

void served_card_set_timing(struct served_card *sc, const char *name)
{
        /* the card's own timing, unless its [card] section in vtokend.conf names another */
        struct vt_timing timing = sc->img->timing;
        snprintf(sc->conf.timing, sizeof(sc->conf.timing), "%s", name);
        if (name[0])
                vt_timing_builtin(name, &timing);
        pipeline_set_timing(sc->pipeline, &timing);
}

void served_card_set_touch_timeout(struct served_card *sc, uint32_t ms)
{
        sc->conf.touch_timeout_ms = ms;
        pipeline_set_touch_timeout(sc->pipeline, ms);
}

#define SLOT_TAKEN "connected, but vpcd sends nothing: another card holds the slot"

const char *served_card_state(const struct served_card *sc, char *buf, size_t n)
{
        switch (link_state(sc->link)) {
        case LINK_CONNECTED:
                return "connected";
        case LINK_POWERED:
                return "powered";
        case LINK_REMOVED:
                return "removed";
        case LINK_WAITING:
        default:
                snprintf(buf, n, "waiting for %s %s%s", link_kind(sc->link),
                         link_endpoint(sc->link),
                         link_unheard(sc->link) ? " (" SLOT_TAKEN ")" : "");
                return buf;
        }
}

static const char *connection_name(enum link_state s)
{
        switch (s) {
        case LINK_CONNECTED:
        case LINK_POWERED:
                return "connected";
        case LINK_REMOVED:
                return "removed";
        case LINK_WAITING:
        default:
                return "waiting";
        }
}

static void status_text(const struct served_card *sc, const struct pipeline_status *st, FILE *f)
{
        const char *conn = connection_name(link_state(sc->link));
        if (link_unheard(sc->link))
                conn = "waiting (" SLOT_TAKEN ")";
        char faults[FAULTS_MAX * 48] = "";
        size_t used = 0;
        for (size_t i = 0; i < st->faults->n && used < sizeof(faults); i++) {
                char d[64];
                fault_describe(&st->faults->list[i], 1, d, sizeof(d));
                used += (size_t)snprintf(faults + used, sizeof(faults) - used, "%s%s",
                                         i ? ", " : "", d);
        }
        fprintf(f,
                "%s: %s %s %s, %s, applet %s, PIN %s, PIN tries left %u/%u, PUK tries left "
                "%u/%u, %lu commands, trace %s, faults %s%s\n",
                sc->conf.name, link_kind(sc->link), link_endpoint(sc->link), conn,
                st->powered ? "powered" : "unpowered", st->applet ? st->applet : "none",
                st->card.pin_verified ? "verified" : "not verified", st->card.pin_tries_left,
                st->card.pin_max_tries, st->card.puk_tries_left, st->card.puk_max_tries,
                st->commands, st->trace ? st->trace : "off", st->faults->n ? faults : "none",
                st->waiting_touch ? ", waiting for touch" : "");
}

static void status_json(const struct served_card *sc, const struct pipeline_status *st, FILE *f)
{
        bool driver = sc->conf.transport == CONF_TRANSPORT_DRIVER;
        struct json j, faults;
        json_object_begin(&j, f);
        json_member_string(&j, "name", sc->conf.name);
        json_member_string(&j, "transport", link_kind(sc->link));
        json_member_string(&j, "vpcd", driver ? NULL : link_endpoint(sc->link));
        json_member_string(&j, "socket", driver ? link_endpoint(sc->link) : NULL);
        json_member_string(&j, "connection", connection_name(link_state(sc->link)));
        json_member_bool(&j, "powered", st->powered);
        json_member_string(&j, "applet", st->applet);
        json_member_bool(&j, "pin_verified", st->card.pin_verified);
        json_member_uint(&j, "pin_tries_left", st->card.pin_tries_left);
        json_member_uint(&j, "pin_max_tries", st->card.pin_max_tries);
        json_member_uint(&j, "puk_tries_left", st->card.puk_tries_left);
        json_member_uint(&j, "puk_max_tries", st->card.puk_max_tries);
        json_member_uint(&j, "commands", st->commands);
        json_member_string(&j, "trace", st->trace);
        json_array_begin(&j, "faults", &faults);
        for (size_t i = 0; i < st->faults->n; i++) {
                char d[64];
                fault_describe(&st->faults->list[i], 1, d, sizeof(d));
                json_array_string(&faults, d);
        }
        json_array_end(&faults);
        json_member_bool(&j, "waiting_for_touch", st->waiting_touch);
        json_member_uint(&j, "touch_timeout_ms", st->touch_timeout_ms);
        json_member_string(&j, "timing", pipeline_timing(sc->pipeline));
        json_member_bool(&j, "slot_taken", link_unheard(sc->link));
        json_object_end(&j);
}

void served_card_status(const struct served_card *sc, FILE *f, bool json)
{
        struct pipeline_status st;
        pipeline_status(sc->pipeline, &st);
        if (json)
                status_json(sc, &st, f);
        else
                status_text(sc, &st, f);
}

void served_card_remove(struct served_card *sc)
{
        link_remove(sc->link);
}

void served_card_insert(struct served_card *sc)
{
        pipeline_inserted(sc->pipeline);
        link_insert(sc->link);
}
