/* SPDX-License-Identifier: Apache-2.0 */
#include "timing_hold.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define TIMING_ACCURACY_US 100 /* a held answer leaves within 0.1 ms of its time */

static uint64_t now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

void timing_init(struct timing *t, sd_event *event, void (*due)(void *user), void *user)
{
        memset(t, 0, sizeof(*t));
        t->event = event;
        t->due = due;
        t->user = user;
        vt_timing_builtin("instant", &t->table);
}

void timing_set(struct timing *t, const struct vt_timing *table)
{
        t->table = *table;
        t->active = false;
        for (size_t k = 0; k < VT_OP_N; k++)
                for (size_t a = 0; a < VT_CRYPTO_N_ALGS; a++)
                        t->active |= table->us[k][a] != 0;
}

void timing_arrive(struct timing *t)
{
        t->cost_us = 0;
        if (t->active)
                t->arrived_us = now_us();
}

void timing_op(struct timing *t, struct vt_op op, char *note, size_t n)
{
        char ms[16];
        t->cost_us = vt_timing_cost(&t->table, op);
        note[0] = '\0';
        if (!t->cost_us)
                return;
        vt_timing_format_ms(t->cost_us, ms, sizeof(ms));
        snprintf(note, n, "+%s ms (timing %s)", ms, t->table.name);
}

static int on_due(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct timing *t = userdata;
        (void)s;
        (void)usec;
        t->timer = sd_event_source_disable_unref(t->timer);
        t->due(t->user);
        return 0;
}

bool timing_hold(struct timing *t)
{
        uint64_t due = t->arrived_us + t->cost_us;
        uint32_t cost = t->cost_us;
        t->cost_us = 0;
        if (!cost || now_us() >= due)
                return false;
        t->timer = sd_event_source_disable_unref(t->timer);
        int r = sd_event_add_time(t->event, &t->timer, CLOCK_MONOTONIC, due, TIMING_ACCURACY_US,
                                  on_due, t);
        if (r < 0) {
                vt_log(LOG_ERR, NULL, NULL, "cannot hold an answer for its timing: %s",
                       strerror(-r));
                return false;
        }
        return true;
}

bool timing_holding(const struct timing *t)
{
        return t->timer != NULL;
}

bool timing_cancel(struct timing *t)
{
        bool held = t->timer != NULL;
        t->timer = sd_event_source_disable_unref(t->timer);
        t->cost_us = 0;
        return held;
}
