/* SPDX-License-Identifier: Apache-2.0 */
#include "served.h"

#include "frame.h"
#include "image_dir.h"
#include "json.h"
#include "log.h"
#include "profile.h"
#include "registry.h"
#include "sw.h"

#include <openssl/crypto.h>

#include <limits.h>
#include <stdarg.h>
#include <time.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOUCH_CACHE_US    (15 * 1000000ULL) /* a CACHED touch counts for 15 s */
#define TIMER_ACCURACY_US 1000

static uint64_t now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static void note(struct served_command *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(struct served_command *c, const char *fmt, ...)
{
        size_t used = strlen(c->note);
        if (used && used + 2 < sizeof(c->note))
                used += (size_t)snprintf(c->note + used, sizeof(c->note) - used, "; ");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->note + used, sizeof(c->note) - used, fmt, ap);
        va_end(ap);
}

/* The command is answered (rsp, n) or abandoned (rsp NULL): trace it. */
static void finish(struct served_card *sc, const uint8_t *rsp, size_t n)
{
        struct served_command *c = &sc->cur;
        if (sc->trace.fd != -1) {
                if (!c->start_us) { /* the trace started while the command ran */
                        clock_gettime(CLOCK_REALTIME, &c->when);
                        c->start_us = now_us();
                }
                if (!c->name && c->len >= 2)
                        c->name = vt_card_ins_name(&sc->card, c->cmd[1], c->name_buf);
                struct trace_entry e = {
                    .card = sc->conf.name,
                    .when = c->when,
                    .duration_us = now_us() - c->start_us,
                    .cmd = c->cmd,
                    .cmd_len = c->len,
                    .rsp = rsp,
                    .rsp_len = n,
                    .name = c->name,
                    .redact_cmd = c->secrecy & VT_SECRET_COMMAND,
                    .redact_rsp = c->secrecy & VT_SECRET_RESPONSE,
                    .note = c->note[0] ? c->note : NULL,
                };
                trace_sink_emit(&sc->trace, &e);
        }
        OPENSSL_cleanse(c->cmd, c->len); /* a PIN, a key: not kept once the card has it */
        c->pending = false;
        c->waiting_touch = false;
        c->timer = sd_event_source_disable_unref(c->timer);
}

static size_t put_sw(uint8_t *out, uint16_t sw)
{
        out[0] = (uint8_t)(sw >> 8);
        out[1] = (uint8_t)sw;
        return 2;
}

/* The card runs the command it has received whole. */
static size_t execute(struct served_card *sc, uint8_t *out)
{
        struct served_command *c = &sc->cur;
        int wf = sc->faults.n ? faults_find(&sc->faults, c->cmd, c->len, true) : -1;
        sc->writes.armed = wf >= 0;
        sc->writes.fired = false;
        size_t n = vt_card_execute(&sc->card, out);
        if (wf >= 0 && sc->writes.fired) { /* the command wrote, and failed */
                faults_spend(&sc->faults, (size_t)wf);
                note(c, "fault: write-fail");
        }
        sc->writes.armed = false;
        finish(sc, out, n);
        return n;
}

/* Whether the command the card holds waits for a touch: its applet says so, and a cached
 * touch of the same key is not recent enough. */
static bool needs_touch(struct served_card *sc, const struct vt_card_step *step)
{
        uint64_t last = sc->touched_at[step->touch_key];
        if (step->touch == VT_TOUCH_EACH)
                return true;
        return step->touch == VT_TOUCH_CACHABLE && (!last || now_us() - last >= TOUCH_CACHE_US);
}

static int defer(struct served_card *sc, uint64_t usec, sd_event_time_handler_t fn)
{
        struct served_command *c = &sc->cur;
        if (!c->start_us)
                c->start_us = now_us();
        c->timer = sd_event_source_disable_unref(c->timer);
        int r = sd_event_add_time_relative(sc->event, &c->timer, CLOCK_MONOTONIC, usec,
                                           TIMER_ACCURACY_US, fn, sc);
        if (r < 0) {
                vt_log(LOG_ERR, sc->conf.name, NULL, "cannot defer an answer: %s", strerror(-r));
                return r;
        }
        c->pending = true;
        return 0;
}

/* Answers a deferred command now. */
static void respond(struct served_card *sc, size_t n)
{
        if (n == LINK_APDU_PENDING)
                return;
        link_respond(sc->link, sc->cur.rsp, n);
        OPENSSL_cleanse(sc->cur.rsp, n);
}

static int on_touch_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct served_card *sc = userdata;
        (void)s;
        (void)usec;
        note(&sc->cur, "no touch within %u ms", sc->conf.touch_timeout_ms);
        vt_log(LOG_INFO, sc->conf.name, NULL, "no touch within %u ms: 69 82",
               sc->conf.touch_timeout_ms);
        size_t n = put_sw(sc->cur.rsp, SW_SECURITY_STATUS_NOT_SATISFIED);
        finish(sc, sc->cur.rsp, n);
        respond(sc, n);
        return 0;
}

/* After the faults: the card takes the command; a whole one waits for a touch or runs. */
static size_t proceed(struct served_card *sc, uint8_t *out)
{
        struct served_command *c = &sc->cur;
        struct vt_card_step step;
        vt_card_receive(&sc->card, c->cmd, c->len, out, &step);
        c->secrecy = step.secrecy;
        if (!step.ready) {
                finish(sc, out, step.len);
                return step.len;
        }
        if (!needs_touch(sc, &step))
                return execute(sc, out);
        if (defer(sc, (uint64_t)sc->conf.touch_timeout_ms * 1000, on_touch_timeout) < 0) {
                size_t n = put_sw(out, SW_UNKNOWN);
                finish(sc, out, n);
                return n;
        }
        c->waiting_touch = true;
        c->touch_key = step.touch_key;
        vt_log(LOG_INFO, sc->conf.name, NULL, "key %02X waits for a touch (vtoken ctl touch %s)",
               step.touch_key, sc->conf.name);
        return LINK_APDU_PENDING;
}

static int on_delayed(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct served_card *sc = userdata;
        (void)s;
        (void)usec;
        sc->cur.timer = sd_event_source_disable_unref(sc->cur.timer);
        sc->cur.pending = false;
        respond(sc, proceed(sc, sc->cur.rsp));
        return 0;
}

static size_t on_apdu(void *user, const uint8_t *cmd, size_t len, uint8_t *out)
{
        struct served_card *sc = user;
        struct served_command *c = &sc->cur;
        memcpy(c->cmd, cmd, len);
        c->len = len;
        sc->commands++;
        c->note[0] = '\0';
        /* the hot path: the clocks and the command's name only for a trace; a deferred
         * answer starts its clock in defer() */
        c->start_us = 0;
        c->name = NULL;
        if (sc->trace.fd != -1) {
                clock_gettime(CLOCK_REALTIME, &c->when);
                c->start_us = now_us();
                c->name = len >= 2 ? vt_card_ins_name(&sc->card, cmd[1], c->name_buf) : NULL;
        }

        if (!sc->card.powered) /* a reconnected link: pcscd still takes the card as powered */
                vt_card_power_on(&sc->card);
        int i = sc->faults.n ? faults_find(&sc->faults, cmd, len, false) : -1;
        if (i < 0)
                return proceed(sc, out);
        /* a command a fault answers never reaches the card: ask what it would have hidden */
        c->secrecy = vt_card_peek_secrecy(&sc->card, cmd, len);
        struct fault f = sc->faults.list[i];
        faults_spend(&sc->faults, (size_t)i);
        char what[64];
        fault_describe(&f, 0, what, sizeof(what));
        note(c, "fault: %s", what);
        switch (f.kind) {
        case FAULT_SW: {
                size_t n = put_sw(out, f.sw);
                finish(sc, out, n);
                return n;
        }
        case FAULT_DROP:
                vt_log(LOG_INFO, sc->conf.name, NULL,
                       "fault: dropping the %s connection mid-command", link_kind(sc->link));
                finish(sc, NULL, 0);
                return LINK_APDU_DROP;
        case FAULT_DELAY:
                if (defer(sc, f.delay_us, on_delayed) == 0)
                        return LINK_APDU_PENDING;
                break;
        case FAULT_WRITE_FAIL:
                break;
        }
        return proceed(sc, out);
}

static size_t on_atr(void *user, uint8_t *out)
{
        struct served_card *sc = user;
        memcpy(out, sc->card.atr, sc->card.atr_len);
        return sc->card.atr_len;
}

static void on_power(void *user, enum link_power p)
{
        struct served_card *sc = user;
        if (p == LINK_POWER_ON) {
                vt_card_power_on(&sc->card);
                return;
        }
        if (p == LINK_POWER_RESET) {
                vt_card_reset(&sc->card);
                return;
        }
        if (sc->cur.pending) { /* the link dropped or the card was removed before the answer */
                note(&sc->cur, "card gone before the answer");
                finish(sc, NULL, 0);
        }
        vt_card_power_off(&sc->card);
}

static void on_state(void *user)
{
        struct served_card *sc = user;
        if (sc->changed)
                sc->changed(sc->user);
}

/* A missing (or empty) image directory is created from the card's profile; anything else is
 * loaded as it is and never overwritten. */
static bool needs_creating(const char *dir)
{
        int empty = vt_dir_is_empty(dir);
        return empty < 0 ? errno == ENOENT : empty == 1;
}

static void make_parents(const char *dir)
{
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s", dir);
        for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                mkdir(p, 0755);
                *s = '/';
        }
}

static int open_image(struct served_card *sc, char *err, size_t errlen)
{
        const struct conf_card *cc = &sc->conf;
        if (needs_creating(cc->image)) {
                char pin[64] = "";
                struct vt_init_opts o = {
                    .profile = cc->profile, .initial_pin = pin, .initial_pin_len = sizeof(pin)};
                make_parents(cc->image);
                if (vt_image_create(cc->image, &o, err, errlen) < 0)
                        return -1;
                vt_log(LOG_NOTICE, cc->name, NULL, "created image %s from profile %s", cc->image,
                       cc->profile);
                if (pin[0]) {
                        char env[PATH_MAX];
                        vt_pin_envelope_path(cc->image, env, sizeof(env));
                        vt_log(LOG_NOTICE, cc->name, NULL,
                               "the initial PIN is in the PIN envelope %s", env);
                }
                OPENSSL_cleanse(pin, sizeof(pin));
        }
        /* opened once: every file is reached from here, and the lock is held until the end */
        if ((sc->image_fd = vt_dir_open(cc->image, err, errlen)) < 0 ||
            vt_dir_lock(sc->image_fd, cc->image, err, errlen) < 0)
                return -1;
        sc->img = vt_image_load_at(sc->image_fd, cc->image, err, errlen);
        if (!sc->img)
                return -1;
        vt_file_store_init(&sc->files, sc->image_fd, sc->img);
        sc->writes.inner = vt_file_store(&sc->files);
        struct vt_store store = fault_store(&sc->writes);
        char why[200];
        if (vt_card_setup(&sc->card, sc->img, &store, why, sizeof(why)) < 0) {
                snprintf(err, errlen, "%s/card.ini: %s", cc->image, why);
                return -1;
        }
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
        sc->event = event;
        sc->changed = changed;
        sc->user = user;
        sc->trace.fd = -1;
        sc->image_fd = -1;
        if (open_image(sc, err, errlen) < 0) {
                served_card_free(sc);
                return -EINVAL;
        }
        if (trace && *trace) {
                int r = trace_sink_open(&sc->trace, trace, trace_format_for(trace));
                if (r < 0) {
                        snprintf(err, errlen, "trace %s: %s", trace, trace_strerror(r));
                        served_card_free(sc);
                        return r;
                }
        }
        const struct link_handler h = {.user = sc,
                                       .apdu = on_apdu,
                                       .atr = on_atr,
                                       .power = on_power,
                                       .state_changed = on_state};
        int r = link_new(event, cc, &h, &sc->link, err, errlen);
        if (r < 0) {
                served_card_free(sc);
                return r;
        }
        *out = sc;
        return 0;
}

void served_card_free(struct served_card *sc)
{
        if (!sc)
                return;
        sc->cur.timer = sd_event_source_disable_unref(sc->cur.timer);
        sc->cur.pending = false;
        link_free(sc->link);
        trace_sink_close(&sc->trace);
        vt_card_release(&sc->card);
        vt_image_free(sc->img);
        if (sc->image_fd >= 0)
                close(sc->image_fd);
        free(sc);
}

const char *served_card_state(const struct served_card *sc)
{
        static __thread char buf[400];
        switch (link_state(sc->link)) {
        case LINK_CONNECTED:
                return "connected";
        case LINK_POWERED:
                return "powered";
        case LINK_REMOVED:
                return "removed";
        case LINK_WAITING:
        default:
                snprintf(buf, sizeof(buf), "waiting for %s %s%s", link_kind(sc->link),
                         link_endpoint(sc->link),
                         link_unheard(sc->link)
                             ? " (connected, but vpcd sends nothing: another card holds the slot)"
                             : "");
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

static void json_str(FILE *f, const char *key, const char *v)
{
        fprintf(f, "\"%s\":", key);
        json_string(f, v);
}

void served_card_status(const struct served_card *sc, FILE *f, bool json)
{
        const char *conn = connection_name(link_state(sc->link));
        const char *applet = vt_card_selected(&sc->card);
        struct vt_applet_status st = {0};
        vt_card_status(&sc->card, &st);
        bool verified = st.pin_verified;
        const char *trace = sc->trace.fd == -1             ? NULL
                            : sc->trace.fd == TRACE_TO_LOG ? "(log)"
                                                           : sc->trace.path;
        char faults[FAULTS_MAX * 48] = "";
        size_t used = 0;
        for (size_t i = 0; i < sc->faults.n && used < sizeof(faults); i++) {
                char d[64];
                fault_describe(&sc->faults.list[i], 1, d, sizeof(d));
                if (json)
                        used += (size_t)snprintf(faults + used, sizeof(faults) - used, "%s\"%s\"",
                                                 i ? "," : "", d);
                else
                        used += (size_t)snprintf(faults + used, sizeof(faults) - used, "%s%s",
                                                 i ? ", " : "", d);
        }
        bool taken = link_unheard(sc->link);
        if (!json) {
                if (taken)
                        conn = "waiting (connected, but vpcd sends nothing: another card holds "
                               "the slot)";
                fprintf(f,
                        "%s: %s %s %s, %s, applet %s, PIN %s, PIN tries left %u/%u, PUK tries "
                        "left %u/%u, "
                        "%lu commands, trace %s, faults %s%s\n",
                        sc->conf.name, link_kind(sc->link), link_endpoint(sc->link), conn,
                        sc->card.powered ? "powered" : "unpowered", applet ? applet : "none",
                        verified ? "verified" : "not verified", st.pin_tries_left, st.pin_max_tries,
                        st.puk_tries_left, st.puk_max_tries, sc->commands, trace ? trace : "off",
                        sc->faults.n ? faults : "none",
                        sc->cur.waiting_touch ? ", waiting for touch" : "");
                return;
        }
        fputc('{', f);
        json_str(f, "name", sc->conf.name);
        fputc(',', f);
        bool driver = sc->conf.transport == CONF_TRANSPORT_DRIVER;
        json_str(f, "transport", link_kind(sc->link));
        fputc(',', f);
        json_str(f, "vpcd", driver ? NULL : link_endpoint(sc->link));
        fputc(',', f);
        json_str(f, "socket", driver ? link_endpoint(sc->link) : NULL);
        fputc(',', f);
        json_str(f, "connection", conn);
        fprintf(f, ",\"powered\":%s,", sc->card.powered ? "true" : "false");
        json_str(f, "applet", applet);
        fprintf(
            f,
            ",\"pin_verified\":%s,\"pin_tries_left\":%u,\"pin_max_tries\":%u,\"puk_tries_left\":%u,"
            "\"puk_max_tries\":%u,\"commands\":%lu,",
            verified ? "true" : "false", st.pin_tries_left, st.pin_max_tries, st.puk_tries_left,
            st.puk_max_tries, sc->commands);
        json_str(f, "trace", trace);
        fprintf(
            f,
            ",\"faults\":[%s],\"waiting_for_touch\":%s,\"touch_timeout_ms\":%u,\"slot_taken\":%s}",
            faults, sc->cur.waiting_touch ? "true" : "false", sc->conf.touch_timeout_ms,
            taken ? "true" : "false");
}

void served_card_remove(struct served_card *sc)
{
        link_remove(sc->link);
}

void served_card_insert(struct served_card *sc)
{
        link_insert(sc->link);
}

void served_card_reset(struct served_card *sc)
{
        vt_card_reset(&sc->card);
}

int served_card_trace(struct served_card *sc, bool on, const char *path, enum trace_format fmt)
{
        if (!on) {
                trace_sink_close(&sc->trace);
                return 0;
        }
        if (!path) {
                trace_sink_to_log(&sc->trace, fmt);
                return 0;
        }
        return trace_sink_open(&sc->trace, path, fmt);
}

int served_card_fault(struct served_card *sc, const struct fault *f)
{
        return faults_add(&sc->faults, f) < 0 ? -ENOSPC : 0;
}

void served_card_fault_clear(struct served_card *sc)
{
        sc->faults.n = 0;
}

int served_card_touch(struct served_card *sc)
{
        struct served_command *c = &sc->cur;
        if (!c->waiting_touch)
                return -ENOENT;
        c->timer = sd_event_source_disable_unref(c->timer);
        c->waiting_touch = false;
        c->pending = false;
        sc->touched_at[c->touch_key] = now_us();
        note(c, "touched after %llu ms", (unsigned long long)((now_us() - c->start_us) / 1000));
        respond(sc, execute(sc, c->rsp));
        return 0;
}
