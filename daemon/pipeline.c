/* SPDX-License-Identifier: Apache-2.0 */
#include "pipeline.h"

#include "log.h"
#include "registry.h"
#include "sw.h"
#include "timing_hold.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The command being answered; it outlives on_apdu when its answer is deferred (a delay fault,
 * a wait for touch). */
struct command {
        uint8_t cmd[LINK_CAPDU_MAX];
        size_t len;
        struct timespec when; /* CLOCK_REALTIME on arrival, for the trace */
        uint64_t start_us;    /* CLOCK_MONOTONIC on arrival */
        bool pending;         /* the answer is deferred */
        bool waiting_touch;
        uint8_t touch_key; /* the key reference the touch is for */
        unsigned secrecy;  /* VT_SECRET_* of the command and its answer */
        char name_buf[8];
        const char *name; /* the command's name for the trace */
        char note[160];
        sd_event_source *timer;
        uint8_t rsp[VT_RAPDU_MAX];
};

struct pipeline {
        char name[64];
        sd_event *event;
        uint32_t touch_timeout_ms;
        void (*changed)(void *user); /* the link's state changed (connection, power) */
        void *user;
        struct link_handler handler;
        struct link *link;
        struct fault_store writes; /* wraps the image's store: the write-fail fault */
        struct trace_sink trace;
        struct faults faults;
        unsigned long commands;
        uint64_t touched_at[256]; /* CLOCK_MONOTONIC µs of the last touch, by key reference */
        /* the card's presence clock (an applet that waits for touches itself): its last touch,
         * when it was inserted, until when an applet waits for a touch (CLOCK_MONOTONIC µs) */
        struct vt_presence presence;
        uint64_t touched_us, inserted_us, wanted_until_us;
        struct command cur;
        struct timing timing; /* holds answers for the card's timing personality (finish) */
        size_t held_len;      /* of the answer it holds, in cur.rsp */
        struct vt_card card;
};

#define TOUCH_CACHE_US    (15 * 1000000ULL) /* a CACHED touch counts for 15 s */
#define POLL_HOLD_US      (100 * 1000ULL)   /* a POLL waits this long for a touch */
#define TIMER_ACCURACY_US 1000

static uint64_t now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static void note(struct command *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct command *c, const char *fmt, ...)
{
        size_t used = strlen(c->note);
        if (used && used + 2 < sizeof(c->note))
                used += (size_t)snprintf(c->note + used, sizeof(c->note) - used, "; ");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->note + used, sizeof(c->note) - used, fmt, ap);
        va_end(ap);
}

/* The command is answered (rsp, n) or abandoned (rsp NULL): trace it. An answer the card's
 * timing holds is traced when it leaves (on_timing_due), with the time it was held. */
static void finish(struct pipeline *p, const uint8_t *rsp, size_t n)
{
        struct command *c = &p->cur;
        if (rsp && timing_hold(&p->timing)) {
                c->pending = false;
                c->waiting_touch = false;
                c->timer = sd_event_source_disable_unref(c->timer);
                return;
        }
        if (p->trace.fd != -1) {
                if (!c->start_us) { /* the trace started while the command ran */
                        clock_gettime(CLOCK_REALTIME, &c->when);
                        c->start_us = now_us();
                }
                if (!c->name && c->len >= 2)
                        c->name = vt_card_ins_name(&p->card, c->cmd[1], c->name_buf);
                struct trace_entry e = {
                    .card = p->name,
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
                trace_sink_emit(&p->trace, &e);
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
static size_t execute(struct pipeline *p, uint8_t *out)
{
        struct command *c = &p->cur;
        int wf = p->faults.n ? faults_find(&p->faults, c->cmd, c->len, true) : -1;
        p->writes.armed = wf >= 0;
        p->writes.fired = false;
        size_t n = vt_card_execute(&p->card, out);
        const char *why = vt_card_failure(&p->card);
        if (why) { /* an applet's internal failure, answered 6F 00: said once, here */
                char ins[8];
                const char *applet = vt_card_selected(&p->card);
                vt_log(LOG_ERR, p->name, NULL, "%s %s failed: %s (answered 6F 00)",
                       applet ? applet : "card", vt_card_ins_name(&p->card, c->cmd[1], ins), why);
        }
        if (wf >= 0 && p->writes.fired) { /* the command wrote, and failed */
                faults_spend(&p->faults, (size_t)wf);
                note(c, "fault: write-fail");
        }
        p->writes.armed = false;
        finish(p, out, n);
        return n;
}

static uint64_t clock_now_ms(void *ctx)
{
        (void)ctx;
        return now_us() / 1000;
}

static uint64_t clock_touched_ms(void *ctx)
{
        return ((struct pipeline *)ctx)->touched_us / 1000;
}

static uint64_t clock_inserted_ms(void *ctx)
{
        return ((struct pipeline *)ctx)->inserted_us / 1000;
}

static uint32_t clock_timeout_ms(void *ctx)
{
        return ((struct pipeline *)ctx)->touch_timeout_ms;
}

static void clock_want(void *ctx, bool on)
{
        struct pipeline *p = ctx;
        p->wanted_until_us = on ? now_us() + (uint64_t)p->touch_timeout_ms * 1000 : 0;
        if (on)
                vt_log(LOG_INFO, p->name, NULL, "waits for a touch (vtoken ctl touch %s)", p->name);
}

/* Whether an applet waits for a touch by its presence clock. */
static bool touch_wanted(const struct pipeline *p)
{
        return p->wanted_until_us && now_us() < p->wanted_until_us;
}

/* Whether the command the card holds waits for a touch: its applet says so, and a cached
 * touch of the same key is not recent enough. */
static bool needs_touch(struct pipeline *p, const struct vt_card_step *step)
{
        uint64_t last = p->touched_at[step->touch_key];
        if (step->touch == VT_TOUCH_EACH || step->touch == VT_TOUCH_POLL)
                return true;
        return step->touch == VT_TOUCH_CACHABLE && (!last || now_us() - last >= TOUCH_CACHE_US);
}

static int defer(struct pipeline *p, uint64_t usec, sd_event_time_handler_t fn)
{
        struct command *c = &p->cur;
        if (!c->start_us)
                c->start_us = now_us();
        c->timer = sd_event_source_disable_unref(c->timer);
        int r = sd_event_add_time_relative(p->event, &c->timer, CLOCK_MONOTONIC, usec,
                                           TIMER_ACCURACY_US, fn, p);
        if (r < 0) {
                vt_log(LOG_ERR, p->name, NULL, "cannot defer an answer: %s", strerror(-r));
                return r;
        }
        c->pending = true;
        return 0;
}

/* Where a finished answer leaves (returned to the link, or sent when it was deferred): one the
 * card's timing holds (finish) waits in cur.rsp until its command's time has come. */
static bool hold(struct pipeline *p, uint8_t *rsp, size_t n)
{
        if (n >= LINK_APDU_DROP || !timing_holding(&p->timing))
                return false;
        if (rsp != p->cur.rsp) {
                memcpy(p->cur.rsp, rsp, n);
                OPENSSL_cleanse(rsp, n);
        }
        p->held_len = n;
        return true;
}

static void on_timing_due(void *user)
{
        struct pipeline *p = user;
        finish(p, p->cur.rsp, p->held_len);
        link_respond(p->link, p->cur.rsp, p->held_len);
        OPENSSL_cleanse(p->cur.rsp, p->held_len);
}

/* Answers a deferred command now. */
static void respond(struct pipeline *p, size_t n)
{
        if (n == LINK_APDU_PENDING || hold(p, p->cur.rsp, n))
                return;
        link_respond(p->link, p->cur.rsp, n);
        OPENSSL_cleanse(p->cur.rsp, n);
}

static int on_touch_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct pipeline *p = userdata;
        (void)s;
        (void)usec;
        note(&p->cur, "no touch within %u ms", p->touch_timeout_ms);
        vt_log(LOG_INFO, p->name, NULL, "no touch within %u ms: 69 82", p->touch_timeout_ms);
        size_t n = put_sw(p->cur.rsp, SW_SECURITY_STATUS_NOT_SATISFIED);
        finish(p, p->cur.rsp, n);
        respond(p, n);
        return 0;
}

/* A poll held for a touch that did not come: the card answers it now (a keepalive). */
static int on_poll_due(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct pipeline *p = userdata;
        (void)s;
        (void)usec;
        p->cur.timer = sd_event_source_disable_unref(p->cur.timer);
        p->cur.waiting_touch = false;
        p->cur.pending = false;
        respond(p, execute(p, p->cur.rsp));
        return 0;
}

/* After the faults: the card takes the command; a whole one waits for a touch or runs. */
static size_t proceed(struct pipeline *p, uint8_t *out)
{
        struct command *c = &p->cur;
        struct vt_card_step step;
        vt_card_receive(&p->card, c->cmd, c->len, out, &step);
        c->secrecy = step.secrecy;
        if (step.ready) {
                char held[64];
                timing_op(&p->timing, step.op, held, sizeof(held));
                if (held[0])
                        note(c, "%s", held);
        }
        if (!step.ready) {
                finish(p, out, step.len);
                return step.len;
        }
        if (!needs_touch(p, &step))
                return execute(p, out);
        bool poll = step.touch == VT_TOUCH_POLL;
        if (defer(p, poll ? POLL_HOLD_US : (uint64_t)p->touch_timeout_ms * 1000,
                  poll ? on_poll_due : on_touch_timeout) < 0) {
                size_t n = put_sw(out, SW_UNKNOWN);
                finish(p, out, n);
                return n;
        }
        c->waiting_touch = true;
        c->touch_key = step.touch_key;
        if (poll)
                return LINK_APDU_PENDING;
        vt_log(LOG_INFO, p->name, NULL, "key %02X waits for a touch (vtoken ctl touch %s)",
               step.touch_key, p->name);
        return LINK_APDU_PENDING;
}

static int on_delayed(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct pipeline *p = userdata;
        (void)s;
        (void)usec;
        p->cur.timer = sd_event_source_disable_unref(p->cur.timer);
        p->cur.pending = false;
        respond(p, proceed(p, p->cur.rsp));
        return 0;
}

static size_t take(struct pipeline *p, const uint8_t *cmd, size_t len, uint8_t *out)
{
        struct command *c = &p->cur;
        if (len > sizeof(c->cmd)) /* no transport carries one: never reached */
                return put_sw(out, SW_WRONG_LENGTH);
        memcpy(c->cmd, cmd, len);
        c->len = len;
        p->commands++;
        c->note[0] = '\0';
        timing_arrive(&p->timing);
        /* the hot path: the clocks and the command's name only for a trace; a deferred
         * answer starts its clock in defer() */
        c->start_us = 0;
        c->name = NULL;
        if (p->trace.fd != -1) {
                clock_gettime(CLOCK_REALTIME, &c->when);
                c->start_us = now_us();
                c->name = len >= 2 ? vt_card_ins_name(&p->card, cmd[1], c->name_buf) : NULL;
        }

        if (!p->card.powered) /* a reconnected link: pcscd still takes the card as powered */
                vt_card_power_on(&p->card);
        int i = p->faults.n ? faults_find(&p->faults, cmd, len, false) : -1;
        if (i < 0)
                return proceed(p, out);
        /* a command a fault answers never reaches the card: ask what it would have hidden */
        c->secrecy = vt_card_peek_secrecy(&p->card, cmd, len);
        struct fault f = p->faults.list[i];
        faults_spend(&p->faults, (size_t)i);
        char what[64];
        fault_describe(&f, 0, what, sizeof(what));
        note(c, "fault: %s", what);
        switch (f.kind) {
        case FAULT_SW: {
                size_t n = put_sw(out, f.sw);
                finish(p, out, n);
                return n;
        }
        case FAULT_DROP:
                vt_log(LOG_INFO, p->name, NULL, "fault: dropping the %s connection mid-command",
                       link_kind(p->link));
                finish(p, NULL, 0);
                return LINK_APDU_DROP;
        case FAULT_DELAY:
                if (defer(p, f.delay_us, on_delayed) == 0)
                        return LINK_APDU_PENDING;
                break;
        case FAULT_WRITE_FAIL:
                break;
        }
        return proceed(p, out);
}

static size_t on_apdu(void *user, const uint8_t *cmd, size_t len, uint8_t *out)
{
        struct pipeline *p = user;
        size_t n = take(p, cmd, len, out);
        return hold(p, out, n) ? LINK_APDU_PENDING : n;
}

static size_t on_atr(void *user, uint8_t *out)
{
        struct pipeline *p = user;
        memcpy(out, p->card.atr, p->card.atr_len);
        return p->card.atr_len;
}

static void on_power(void *user, enum link_power power)
{
        struct pipeline *p = user;
        if (power == LINK_POWER_ON) {
                vt_card_power_on(&p->card);
                return;
        }
        if (power == LINK_POWER_RESET) {
                vt_card_reset(&p->card);
                return;
        }
        if (p->cur.pending) { /* the link dropped or the card was removed before the answer */
                note(&p->cur, "card gone before the answer");
                finish(p, NULL, 0);
        }
        if (timing_cancel(&p->timing)) { /* ... or before its time had come */
                note(&p->cur, "card gone before the answer");
                finish(p, NULL, 0);
                OPENSSL_cleanse(p->cur.rsp, p->held_len);
        }
        vt_card_power_off(&p->card);
}

static void on_state(void *user)
{
        struct pipeline *p = user;
        if (p->changed)
                p->changed(p->user);
}

int pipeline_new(sd_event *event, const char *name, struct vt_image *img,
                 const struct vt_store *store, uint32_t touch_timeout_ms,
                 void (*changed)(void *user), void *user, struct pipeline **out, char *err,
                 size_t errlen)
{
        struct pipeline *p = calloc(1, sizeof(*p));
        if (!p) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        snprintf(p->name, sizeof(p->name), "%s", name);
        p->event = event;
        p->touch_timeout_ms = touch_timeout_ms;
        p->changed = changed;
        p->user = user;
        p->trace.fd = -1;
        timing_init(&p->timing, event, on_timing_due, p);
        p->handler = (struct link_handler){.user = p,
                                           .apdu = on_apdu,
                                           .atr = on_atr,
                                           .power = on_power,
                                           .state_changed = on_state};
        p->writes.inner = *store;
        struct vt_store wrapped = fault_store(&p->writes);
        if (vt_card_setup(&p->card, img, &wrapped, err, errlen) < 0) {
                pipeline_free(p); /* what the card set up before it failed */
                return -EINVAL;
        }
        p->presence = (struct vt_presence){.ctx = p,
                                           .now_ms = clock_now_ms,
                                           .touched_ms = clock_touched_ms,
                                           .inserted_ms = clock_inserted_ms,
                                           .timeout_ms = clock_timeout_ms,
                                           .want = clock_want};
        p->inserted_us = now_us();
        p->card.presence = &p->presence;
        *out = p;
        return 0;
}

void pipeline_free(struct pipeline *p)
{
        if (!p)
                return;
        p->cur.timer = sd_event_source_disable_unref(p->cur.timer);
        p->cur.pending = false;
        timing_cancel(&p->timing);
        trace_sink_close(&p->trace);
        vt_card_release(&p->card);
        OPENSSL_cleanse(&p->cur, sizeof(p->cur));
        free(p);
}

const struct link_handler *pipeline_handler(struct pipeline *p)
{
        return &p->handler;
}

void pipeline_set_link(struct pipeline *p, struct link *l)
{
        p->link = l;
}

void pipeline_status(const struct pipeline *p, struct pipeline_status *st)
{
        *st = (struct pipeline_status){
            .powered = p->card.powered,
            .applet = vt_card_selected(&p->card),
            .commands = p->commands,
            .trace = p->trace.fd == -1             ? NULL
                     : p->trace.fd == TRACE_TO_LOG ? "(log)"
                                                   : p->trace.path,
            .trace_to_file = p->trace.fd >= 0,
            .faults = &p->faults,
            .waiting_touch = p->cur.waiting_touch || touch_wanted(p),
            .touch_timeout_ms = p->touch_timeout_ms,
        };
        vt_card_status(&p->card, &st->card);
}

void pipeline_set_timing(struct pipeline *p, const struct vt_timing *table)
{
        timing_set(&p->timing, table);
}

const char *pipeline_timing(const struct pipeline *p)
{
        return p->timing.table.name;
}

void pipeline_set_touch_timeout(struct pipeline *p, uint32_t ms)
{
        p->touch_timeout_ms = ms;
}

void pipeline_reset(struct pipeline *p)
{
        vt_card_reset(&p->card);
}

int pipeline_trace(struct pipeline *p, bool on, const char *path, enum trace_format fmt)
{
        if (!on) {
                trace_sink_close(&p->trace);
                return 0;
        }
        if (!path) {
                trace_sink_to_log(&p->trace, fmt);
                return 0;
        }
        return trace_sink_open(&p->trace, path, fmt);
}

int pipeline_fault(struct pipeline *p, const struct fault *f)
{
        return faults_add(&p->faults, f) < 0 ? -ENOSPC : 0;
}

void pipeline_fault_clear(struct pipeline *p)
{
        p->faults.n = 0;
}

void pipeline_inserted(struct pipeline *p)
{
        p->inserted_us = now_us();
}

int pipeline_touch(struct pipeline *p)
{
        struct command *c = &p->cur;
        if (!c->waiting_touch && !touch_wanted(p))
                return -ENOENT;
        p->touched_us = now_us();
        if (!c->waiting_touch) /* the applet asks its clock; no command is held */
                return 0;
        c->timer = sd_event_source_disable_unref(c->timer);
        c->waiting_touch = false;
        c->pending = false;
        p->touched_at[c->touch_key] = now_us();
        note(c, "touched after %llu ms", (unsigned long long)((now_us() - c->start_us) / 1000));
        respond(p, execute(p, c->rsp));
        return 0;
}
