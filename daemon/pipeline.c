/* SPDX-License-Identifier: Apache-2.0 */
#include "pipeline.h"

#include "log.h"
#include "registry.h"
#include "sw.h"
#include "timing_hold.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* Two threads meet here. The event loop owns the link side: faults, traces, touch, timers and
 * what `vtoken ctl` asks. The card's worker owns the card (struct vt_card) and its store: it
 * alone runs the applets' work (vt_card_execute), power changes and commits, one at a time, in
 * the order the loop queued them. When the worker is idle, with nothing queued, the loop lets
 * the card take a command itself (vt_card_receive, which parses, gathers a chain, hands out
 * GET RESPONSE), and run it when its applet says it only reads (vt_applet.quick: GET DATA,
 * never a commit or a private key), so what needs little work is answered without two trips
 * between the threads. They share only what `lock` guards: the job queue, the finished
 * commands on their way back (the worker wakes the loop through an eventfd), and a snapshot of
 * the card for status; and the card's presence clock, which an applet reads on the worker and
 * the loop writes (a touch, an insertion), in atomics. A command belongs to the loop while it
 * waits (a delay fault, a touch, its timing) and to the worker from queued until the loop takes
 * it back. */

/* A command between the link and its answer; it outlives on_apdu when its answer is deferred
 * (the worker's, a touch, a delay, the card's timing). */
struct command {
        uint8_t cmd[LINK_CAPDU_MAX];
        size_t len;
        struct timespec when; /* CLOCK_REALTIME on arrival, for the trace */
        uint64_t start_us;    /* CLOCK_MONOTONIC on arrival */
        bool queued;          /* the worker's (queued, running or finished), not the loop's */
        bool waiting_touch;
        bool abandoned;  /* the card went before the answer; under the lock while queued */
        bool write_fail; /* the write-fail fault is armed for it */
        /* what the worker made of it */
        struct vt_card_step step;
        bool executed;
        bool write_failed;   /* a commit failed under the write-fail fault */
        const char *failure; /* why the card answered 6F 00 (vt_card_failure), or NULL */
        const char *applet;  /* the applet selected when it ran */
        bool timed;          /* the card's timing knows what it costs */
        size_t rsp_len;
        unsigned secrecy; /* VT_SECRET_* of the command and its answer */
        char name_buf[8];
        const char *name; /* the command's name for the trace */
        char note[160];
        sd_event_source *timer;
        struct command *next; /* in the free list, or the finished ones */
        struct command *next_all;
        uint8_t rsp[VT_RAPDU_MAX];
};

enum job_kind { JOB_APDU, JOB_EXECUTE, JOB_POWER_ON, JOB_POWER_OFF, JOB_RESET };

struct job {
        enum job_kind kind;
        struct command *c; /* JOB_APDU, JOB_EXECUTE */
};

#define JOBS_MAX 32

/* What status shows of the card, copied by the worker after each job. */
struct card_view {
        bool powered;
        const char *applet;
        struct vt_applet_status status;
};

struct pipeline {
        char name[64];
        sd_event *event;
        _Atomic uint32_t touch_timeout_ms;
        void (*changed)(void *user); /* the link's state changed (connection, power) */
        void *user;
        struct link_handler handler;
        struct link *link;
        /* the loop's */
        struct trace_sink trace;
        struct faults faults;
        unsigned long commands;
        uint64_t touched_at[256]; /* CLOCK_MONOTONIC µs of the last touch, by key reference */
        struct command *cur;      /* the command the link waits an answer for, or NULL */
        struct command *spare;    /* free commands */
        struct command *all;      /* every command made, to free them */
        int done_fd;              /* the eventfd the worker wakes the loop with */
        sd_event_source *done_io;
        struct timing timing; /* holds answers for the card's timing personality (answer) */
        /* the card's presence clock (an applet that waits for touches itself, on the worker):
         * its last touch, when it was inserted, until when an applet waits for a touch
         * (CLOCK_MONOTONIC µs), and whether the loop should say that it waits */
        struct vt_presence presence;
        _Atomic uint64_t touched_us, inserted_us, wanted_until_us;
        atomic_bool want_told;
        /* the worker's */
        struct fault_store writes; /* wraps the image's store: the write-fail fault */
        struct vt_card card;
        /* shared, under lock */
        pthread_mutex_t lock;
        pthread_cond_t wake;  /* a job was queued, or quit */
        pthread_cond_t taken; /* a job was taken off a full queue */
        struct job jobs[JOBS_MAX];
        size_t head, n_jobs;
        bool running; /* the worker runs a job */
        bool quit;
        struct command *done, *done_tail; /* finished commands, oldest first */
        struct card_view view;
        pthread_t worker;
        bool has_worker;
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

static size_t put_sw(uint8_t *out, uint16_t sw)
{
        out[0] = (uint8_t)(sw >> 8);
        out[1] = (uint8_t)sw;
        return 2;
}

/* ---- the worker ---- */

static void view_update(struct pipeline *p)
{
        p->view.powered = p->card.powered;
        p->view.applet = vt_card_selected(&p->card);
        p->view.status = (struct vt_applet_status){0};
        vt_card_status(&p->card, &p->view.status);
}

static void execute(struct pipeline *p, struct command *c)
{
        p->writes.armed = c->write_fail;
        p->writes.fired = false;
        c->rsp_len = vt_card_execute(&p->card, c->rsp);
        c->failure = vt_card_failure(&p->card);
        c->applet = vt_card_selected(&p->card);
        c->write_failed = p->writes.fired;
        p->writes.armed = false;
        c->executed = true;
}

/* The card takes the command (vt_card_receive: parsing, a part of a chain, GET RESPONSE, never
 * an applet's work); a whole one then runs at once when run_now (the worker) or when its applet
 * says it only reads (vt_applet.quick: the loop may run it, the worker being idle), and it asks
 * for no touch, which the loop decides on. */
static void receive(struct pipeline *p, struct command *c, bool run_now)
{
        if (!p->card.powered) /* a reconnected link: pcscd still takes the card as powered */
                vt_card_power_on(&p->card);
        c->name = c->len >= 2 ? vt_card_ins_name(&p->card, c->cmd[1], c->name_buf) : NULL;
        vt_card_receive(&p->card, c->cmd, c->len, c->rsp, &c->step);
        c->secrecy = c->step.secrecy;
        c->rsp_len = c->step.len;
        if ((run_now || c->step.quick) && c->step.ready && c->step.touch == VT_TOUCH_NONE)
                execute(p, c);
}

static void run(struct pipeline *p, const struct job *j)
{
        if (j->c && j->kind == JOB_EXECUTE)
                execute(p, j->c);
        else if (j->c)
                receive(p, j->c, true);
        else if (j->kind == JOB_POWER_ON)
                vt_card_power_on(&p->card);
        else if (j->kind == JOB_POWER_OFF)
                vt_card_power_off(&p->card);
        else
                vt_card_reset(&p->card);
}

/* The worker: the jobs in order until asked to quit; a job under way is finished first (its
 * commit made durable), those behind it are not started, as on a card pulled out. */
static void *work(void *arg)
{
        struct pipeline *p = arg;
        pthread_mutex_lock(&p->lock);
        for (;;) {
                while (!p->n_jobs && !p->quit)
                        pthread_cond_wait(&p->wake, &p->lock);
                if (p->quit)
                        break;
                struct job j = p->jobs[p->head];
                p->head = (p->head + 1) % JOBS_MAX;
                p->n_jobs--;
                pthread_cond_signal(&p->taken);
                bool skip = j.c && j.c->abandoned; /* it never reaches the card */
                p->running = true;
                pthread_mutex_unlock(&p->lock);
                if (!skip)
                        run(p, &j);
                pthread_mutex_lock(&p->lock);
                p->running = false;
                view_update(p);
                if (j.c) {
                        j.c->next = NULL;
                        if (p->done_tail)
                                p->done_tail->next = j.c;
                        else
                                p->done = j.c;
                        p->done_tail = j.c;
                        /* the loop is woken with the lock let go: it takes it at once */
                        pthread_mutex_unlock(&p->lock);
                        uint64_t one = 1;
                        if (write(p->done_fd, &one, sizeof(one)) < 0) /* never full */
                                abort();
                        pthread_mutex_lock(&p->lock);
                }
        }
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

/* ---- the loop ---- */

static void queue_job(struct pipeline *p, enum job_kind kind, struct command *c)
{
        pthread_mutex_lock(&p->lock);
        while (p->n_jobs == JOBS_MAX) /* only a link that flaps faster than a command runs */
                pthread_cond_wait(&p->taken, &p->lock);
        p->jobs[(p->head + p->n_jobs++) % JOBS_MAX] = (struct job){.kind = kind, .c = c};
        if (c)
                c->queued = true;
        pthread_mutex_unlock(&p->lock);
        /* with the lock let go: the worker woken takes it at once, not after a second wait */
        pthread_cond_signal(&p->wake);
}

/* The card goes to its worker: the write-fail fault is looked up now, where the faults live. */
static void submit(struct pipeline *p, struct command *c, enum job_kind kind)
{
        c->write_fail = p->faults.n && faults_find(&p->faults, c->cmd, c->len, true) >= 0;
        queue_job(p, kind, c);
}

static struct command *command_get(struct pipeline *p)
{
        struct command *c = p->spare;
        if (c) {
                p->spare = c->next;
        } else {
                c = calloc(1, sizeof(*c));
                if (!c)
                        return NULL;
                c->next_all = p->all;
                p->all = c;
        }
        c->next = NULL;
        c->queued = c->waiting_touch = c->abandoned = false;
        c->rsp_len = 0;
        c->secrecy = 0;
        c->executed = c->write_failed = false;
        c->failure = c->applet = NULL;
        c->timed = false;
        c->note[0] = '\0';
        c->name = NULL;
        c->start_us = 0;
        return c;
}

static void command_put(struct pipeline *p, struct command *c)
{
        if (p->cur == c)
                p->cur = NULL;
        OPENSSL_cleanse(c->rsp, c->rsp_len); /* an answer never sent may hold a secret */
        c->rsp_len = 0;
        c->next = p->spare;
        p->spare = c;
}

/* The command is answered (rsp, n) or abandoned (rsp NULL): trace it. */
static void finish(struct pipeline *p, struct command *c, const uint8_t *rsp, size_t n)
{
        if (p->trace.fd != -1) {
                if (!c->start_us) { /* the trace started while the command ran */
                        clock_gettime(CLOCK_REALTIME, &c->when);
                        c->start_us = now_us();
                }
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
        c->waiting_touch = false;
        c->timer = sd_event_source_disable_unref(c->timer);
}

/* The one place where a finished answer of the card leaves for the link: the command is done
 * with, and the link reads the next one. */
static void send_reply(struct pipeline *p, struct command *c, size_t n)
{
        link_respond(p->link, c->rsp, n);
        command_put(p, c);
}

/* The card's answer: it leaves now, or, when the card's timing holds it, once its command's
 * time has come (on_timing_due, which traces it then, with the time it was held). */
static void answer(struct pipeline *p, struct command *c, size_t n)
{
        c->rsp_len = n;
        if (timing_hold(&p->timing))
                return;
        finish(p, c, c->rsp, n);
        send_reply(p, c, n);
}

static void on_timing_due(void *user)
{
        struct pipeline *p = user;
        struct command *c = p->cur;
        if (!c) /* never: the card's removal cancels the hold */
                return;
        finish(p, c, c->rsp, c->rsp_len);
        send_reply(p, c, c->rsp_len);
}

/* Whether a command whose applet asks for a touch waits for one: a cached touch of the same
 * key may be recent enough. */
static bool needs_touch(struct pipeline *p, const struct vt_card_step *step)
{
        uint64_t last = p->touched_at[step->touch_key];
        if (step->touch == VT_TOUCH_EACH || step->touch == VT_TOUCH_POLL)
                return true;
        return !last || now_us() - last >= TOUCH_CACHE_US;
}

static int defer(struct pipeline *p, struct command *c, uint64_t usec, sd_event_time_handler_t fn)
{
        if (!c->start_us)
                c->start_us = now_us();
        c->timer = sd_event_source_disable_unref(c->timer);
        int r = sd_event_add_time_relative(p->event, &c->timer, CLOCK_MONOTONIC, usec,
                                           TIMER_ACCURACY_US, fn, p);
        if (r < 0)
                vt_log(LOG_ERR, p->name, NULL, "cannot defer an answer: %s", strerror(-r));
        return r;
}

static int on_touch_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct pipeline *p = userdata;
        struct command *c = p->cur;
        (void)s;
        (void)usec;
        uint32_t ms = atomic_load(&p->touch_timeout_ms);
        note(c, "no touch within %u ms", ms);
        vt_log(LOG_INFO, p->name, NULL, "no touch within %u ms: 69 82", ms);
        answer(p, c, put_sw(c->rsp, SW_SECURITY_STATUS_NOT_SATISFIED));
        return 0;
}

/* A poll held for a touch that did not come: the card answers it now (a keepalive). */
static int on_poll_due(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct pipeline *p = userdata;
        struct command *c = p->cur;
        (void)s;
        (void)usec;
        c->timer = sd_event_source_disable_unref(c->timer);
        c->waiting_touch = false;
        submit(p, c, JOB_EXECUTE);
        return 0;
}

/* Holds a command for a touch (or, a poll, for a while); -1 when it cannot be held. */
static int wait_for_touch(struct pipeline *p, struct command *c)
{
        bool poll = c->step.touch == VT_TOUCH_POLL;
        if (defer(p, c, poll ? POLL_HOLD_US : (uint64_t)atomic_load(&p->touch_timeout_ms) * 1000,
                  poll ? on_poll_due : on_touch_timeout) < 0)
                return -1;
        c->waiting_touch = true;
        if (poll) /* the applet said that it waits, by its presence clock */
                return 0;
        vt_log(LOG_INFO, p->name, NULL, "key %02X waits for a touch (vtoken ctl touch %s)",
               c->step.touch_key, p->name);
        return 0;
}

/* What the loop says once the card has taken a command: a wait for a touch the applet
 * announced, an internal failure, what the card's timing counts the command as. */
static void taken(struct pipeline *p, struct command *c)
{
        if (atomic_exchange(&p->want_told, false))
                vt_log(LOG_INFO, p->name, NULL, "waits for a touch (vtoken ctl touch %s)", p->name);
        if (c->failure) /* an applet's internal failure, answered 6F 00: said once, here */
                vt_log(LOG_ERR, p->name, NULL, "%s %s failed: %s (answered 6F 00)",
                       c->applet ? c->applet : "card", c->name ? c->name : "command", c->failure);
        if (c->step.ready && !c->timed) { /* what the card's timing counts it as, once */
                c->timed = true;
                char held[64];
                timing_op(&p->timing, c->step.op, held, sizeof(held));
                if (held[0])
                        note(c, "%s", held);
        }
}

/* A whole command the card has taken but not run: it waits for a touch, or goes to the worker
 * to run; -1 when it can do neither (the caller answers 6F 00). */
static int to_run(struct pipeline *p, struct command *c)
{
        if (c->step.touch != VT_TOUCH_NONE && needs_touch(p, &c->step))
                return wait_for_touch(p, c);
        submit(p, c, JOB_EXECUTE);
        return 0;
}

/* The worker finished a command. */
static void completed(struct pipeline *p, struct command *c)
{
        c->queued = false;
        taken(p, c);
        if (c->abandoned) { /* the link dropped or the card was removed before the answer */
                note(c, "card gone before the answer");
                finish(p, c, NULL, 0);
                command_put(p, c);
                return;
        }
        if (c->executed || !c->step.ready) {
                if (c->write_failed) { /* the command wrote, and failed */
                        int wf = faults_find(&p->faults, c->cmd, c->len, true);
                        if (wf >= 0)
                                faults_spend(&p->faults, (size_t)wf);
                        note(c, "fault: write-fail");
                }
                answer(p, c, c->rsp_len);
                return;
        }
        if (to_run(p, c) < 0)
                answer(p, c, put_sw(c->rsp, SW_UNKNOWN));
}

static int on_done(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct pipeline *p = userdata;
        uint64_t n;
        (void)s;
        (void)revents;
        if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
                vt_log(LOG_ERR, p->name, NULL, "worker wake-up: %s", strerror(errno));
        for (;;) {
                pthread_mutex_lock(&p->lock);
                struct command *c = p->done;
                if (c) {
                        p->done = c->next;
                        if (!p->done)
                                p->done_tail = NULL;
                }
                pthread_mutex_unlock(&p->lock);
                if (!c)
                        return 0;
                completed(p, c);
        }
}

static int on_delayed(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct pipeline *p = userdata;
        (void)s;
        (void)usec;
        p->cur->timer = sd_event_source_disable_unref(p->cur->timer);
        submit(p, p->cur, JOB_APDU);
        return 0;
}

/* What the applets would hide of a command a fault answers; its name for the trace. Read from
 * the card only while the worker is idle (it cannot start: queuing takes the lock); else all
 * of it counts as secret. */
static void peek(struct pipeline *p, struct command *c)
{
        pthread_mutex_lock(&p->lock);
        if (!p->n_jobs && !p->running) {
                c->secrecy = vt_card_peek_secrecy(&p->card, c->cmd, c->len);
                if (c->len >= 2)
                        c->name = vt_card_ins_name(&p->card, c->cmd[1], c->name_buf);
        } else {
                c->secrecy = VT_SECRET_COMMAND | VT_SECRET_RESPONSE;
                if (c->len >= 2) {
                        snprintf(c->name_buf, sizeof(c->name_buf), "INS %02X", c->cmd[1]);
                        c->name = c->name_buf;
                }
        }
        pthread_mutex_unlock(&p->lock);
}

/* A fault answers the command instead of the card; returns what on_apdu returns. */
static size_t fault_answer(struct pipeline *p, struct command *c, size_t i, uint8_t *out)
{
        peek(p, c);
        struct fault f = p->faults.list[i];
        faults_spend(&p->faults, i);
        char what[64];
        fault_describe(&f, 0, what, sizeof(what));
        note(c, "fault: %s", what);
        switch (f.kind) {
        case FAULT_SW: {
                size_t n = put_sw(out, f.sw);
                finish(p, c, out, n);
                command_put(p, c);
                return n;
        }
        case FAULT_DROP:
                vt_log(LOG_INFO, p->name, NULL, "fault: dropping the %s connection mid-command",
                       link_kind(p->link));
                finish(p, c, NULL, 0);
                command_put(p, c);
                return LINK_APDU_DROP;
        case FAULT_DELAY:
                if (defer(p, c, f.delay_us, on_delayed) == 0)
                        return LINK_APDU_PENDING;
                break;
        case FAULT_WRITE_FAIL:
                break;
        }
        submit(p, c, JOB_APDU);
        return LINK_APDU_PENDING;
}

/* Whether the loop may use the card itself now: its worker has nothing queued, runs nothing
 * and has handed back every answer it made (an answer given now cannot overtake one), and
 * starts nothing until the loop queues it a job (under the lock, which orders the card's memory
 * between the two threads both ways). */
static bool card_idle(struct pipeline *p)
{
        pthread_mutex_lock(&p->lock);
        bool idle = !p->n_jobs && !p->running && !p->done;
        pthread_mutex_unlock(&p->lock);
        return idle;
}

/* answer() for a command answered while the link still waits in on_apdu: its bytes go back in
 * out, unless the card's timing holds them (on_timing_due sends them then). */
static size_t answer_now(struct pipeline *p, struct command *c, uint8_t *out)
{
        if (timing_hold(&p->timing))
                return LINK_APDU_PENDING;
        size_t n = c->rsp_len;
        finish(p, c, c->rsp, n);
        memcpy(out, c->rsp, n);
        command_put(p, c);
        return n;
}

static size_t on_apdu(void *user, const uint8_t *cmd, size_t len, uint8_t *out)
{
        struct pipeline *p = user;
        if (len > LINK_CAPDU_MAX) /* no transport carries one: never reached */
                return put_sw(out, SW_WRONG_LENGTH);
        struct command *c = command_get(p);
        if (!c) {
                vt_log(LOG_ERR, p->name, NULL, "out of memory for a command");
                return put_sw(out, SW_UNKNOWN);
        }
        memcpy(c->cmd, cmd, len);
        c->len = len;
        p->commands++;
        p->cur = c;
        timing_arrive(&p->timing);
        if (p->trace.fd != -1) { /* the clock only for a trace */
                clock_gettime(CLOCK_REALTIME, &c->when);
                c->start_us = now_us();
        }
        int i = p->faults.n ? faults_find(&p->faults, cmd, len, false) : -1;
        if (i >= 0)
                return fault_answer(p, c, (size_t)i, out);
        if (!card_idle(p)) { /* behind what the worker has: in order */
                submit(p, c, JOB_APDU);
                return LINK_APDU_PENDING;
        }
        /* The card takes it here, on the loop: what needs no applet's work (a part of a chain,
         * GET RESPONSE, a malformed command) or only reads (GET DATA) is answered at once,
         * without two trips between the threads; any other whole command goes on to the worker
         * (or waits for a touch). */
        receive(p, c, false);
        pthread_mutex_lock(&p->lock);
        view_update(p);
        pthread_mutex_unlock(&p->lock);
        taken(p, c);
        if (c->step.ready && !c->executed) {
                if (to_run(p, c) == 0)
                        return LINK_APDU_PENDING;
                c->rsp_len = put_sw(c->rsp, SW_UNKNOWN);
        }
        return answer_now(p, c, out);
}

static size_t on_atr(void *user, uint8_t *out)
{
        struct pipeline *p = user;
        memcpy(out, p->card.atr, p->card.atr_len); /* set up once, never written again */
        return p->card.atr_len;
}

static void on_power(void *user, enum link_power power)
{
        struct pipeline *p = user;
        if (power == LINK_POWER_ON || power == LINK_POWER_RESET) {
                queue_job(p, power == LINK_POWER_ON ? JOB_POWER_ON : JOB_RESET, NULL);
                return;
        }
        struct command *c = p->cur;
        if (c) { /* the link dropped or the card was removed before the answer */
                p->cur = NULL;
                if (c->queued) { /* the worker's: it answers into the void */
                        pthread_mutex_lock(&p->lock);
                        c->abandoned = true;
                        pthread_mutex_unlock(&p->lock);
                } else { /* waiting: for a touch, a delay, or its time (the card's timing) */
                        timing_cancel(&p->timing);
                        note(c, "card gone before the answer");
                        finish(p, c, NULL, 0);
                        command_put(p, c);
                }
        }
        queue_job(p, JOB_POWER_OFF, NULL);
}

static void on_state(void *user)
{
        struct pipeline *p = user;
        if (p->changed)
                p->changed(p->user);
}

/* The card's presence clock, which the applets read on the worker. */
static uint64_t clock_now_ms(void *ctx)
{
        (void)ctx;
        return now_us() / 1000;
}

static uint64_t clock_touched_ms(void *ctx)
{
        return atomic_load(&((struct pipeline *)ctx)->touched_us) / 1000;
}

static uint64_t clock_inserted_ms(void *ctx)
{
        return atomic_load(&((struct pipeline *)ctx)->inserted_us) / 1000;
}

static uint32_t clock_timeout_ms(void *ctx)
{
        return atomic_load(&((struct pipeline *)ctx)->touch_timeout_ms);
}

static void clock_want(void *ctx, bool on)
{
        struct pipeline *p = ctx;
        atomic_store(&p->wanted_until_us,
                     on ? now_us() + (uint64_t)atomic_load(&p->touch_timeout_ms) * 1000 : 0);
        if (on) /* the loop says so (the worker logs nothing) */
                atomic_store(&p->want_told, true);
}

/* Whether an applet waits for a touch by its presence clock. */
static bool touch_wanted(struct pipeline *p)
{
        uint64_t until = atomic_load(&p->wanted_until_us);
        return until && now_us() < until;
}

static int start_worker(struct pipeline *p, char *err, size_t errlen)
{
        p->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (p->done_fd < 0) {
                snprintf(err, errlen, "eventfd: %s", strerror(errno));
                return -errno;
        }
        int r = sd_event_add_io(p->event, &p->done_io, p->done_fd, EPOLLIN, on_done, p);
        if (r < 0) {
                snprintf(err, errlen, "cannot watch the card's worker: %s", strerror(-r));
                return r;
        }
        /* signals are the loop's: the worker blocks them all */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        r = pthread_create(&p->worker, NULL, work, p);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r != 0) {
                snprintf(err, errlen, "cannot start the card's worker: %s", strerror(r));
                return -r;
        }
        p->has_worker = true;
        return 0;
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
        p->done_fd = -1;
        timing_init(&p->timing, event, on_timing_due, p);
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->wake, NULL);
        pthread_cond_init(&p->taken, NULL);
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
        atomic_store(&p->inserted_us, now_us());
        p->card.presence = &p->presence; /* before the worker starts: never written again */
        view_update(p);
        int r = start_worker(p, err, errlen);
        if (r < 0) {
                pipeline_free(p);
                return r;
        }
        *out = p;
        return 0;
}

void pipeline_free(struct pipeline *p)
{
        if (!p)
                return;
        if (p->has_worker) { /* a command under way finishes: its commit is made durable */
                pthread_mutex_lock(&p->lock);
                p->quit = true;
                pthread_cond_signal(&p->wake);
                pthread_mutex_unlock(&p->lock);
                pthread_join(p->worker, NULL);
        }
        timing_cancel(&p->timing);
        p->done_io = sd_event_source_disable_unref(p->done_io);
        if (p->done_fd >= 0)
                close(p->done_fd);
        while (p->all) {
                struct command *c = p->all;
                p->all = c->next_all;
                c->timer = sd_event_source_disable_unref(c->timer);
                OPENSSL_cleanse(c->cmd, c->len);
                OPENSSL_cleanse(c->rsp, c->rsp_len);
                free(c);
        }
        trace_sink_close(&p->trace);
        vt_card_release(&p->card);
        pthread_cond_destroy(&p->taken);
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->lock);
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

void pipeline_status(struct pipeline *p, struct pipeline_status *st)
{
        pthread_mutex_lock(&p->lock);
        struct card_view v = p->view;
        pthread_mutex_unlock(&p->lock);
        *st = (struct pipeline_status){
            .powered = v.powered,
            .applet = v.applet,
            .card = v.status,
            .commands = p->commands,
            .trace = p->trace.fd == -1             ? NULL
                     : p->trace.fd == TRACE_TO_LOG ? "(log)"
                                                   : p->trace.path,
            .trace_to_file = p->trace.fd >= 0,
            .faults = &p->faults,
            .waiting_touch = (p->cur && p->cur->waiting_touch) || touch_wanted(p),
            .touch_timeout_ms = atomic_load(&p->touch_timeout_ms),
        };
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
        atomic_store(&p->touch_timeout_ms, ms);
}

void pipeline_reset(struct pipeline *p)
{
        queue_job(p, JOB_RESET, NULL);
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
        atomic_store(&p->inserted_us, now_us());
}

int pipeline_touch(struct pipeline *p)
{
        struct command *c = p->cur;
        bool held = c && c->waiting_touch;
        if (!held && !touch_wanted(p))
                return -ENOENT;
        atomic_store(&p->touched_us, now_us());
        if (!held) /* the applet asks its clock; no command is held */
                return 0;
        c->timer = sd_event_source_disable_unref(c->timer);
        c->waiting_touch = false;
        p->touched_at[c->step.touch_key] = now_us();
        note(c, "touched after %llu ms", (unsigned long long)((now_us() - c->start_us) / 1000));
        submit(p, c, JOB_EXECUTE);
        return 0;
}
