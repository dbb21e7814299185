/* SPDX-License-Identifier: Apache-2.0 */
/* A card's timing personality in the daemon: each answer leaves when a physical token would
 * have sent it, its command's arrival plus what the card's timing table says the command costs
 * (applet/timing.h). The answer is held on the event loop's timer, never by sleeping: other
 * cards, the control socket and presence go on meanwhile. */
#ifndef VT_DAEMON_TIMING_H
#define VT_DAEMON_TIMING_H

#include "timing.h"

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

struct timing {
        struct vt_timing table;
        bool active; /* the table has a cost: commands are clocked */
        sd_event *event;
        sd_event_source *timer;
        uint64_t arrived_us;     /* CLOCK_MONOTONIC µs when the current command arrived */
        uint32_t cost_us;        /* what it costs (0 until the card says what it is) */
        void (*due)(void *user); /* a held answer's time has come */
        void *user;
};

void timing_init(struct timing *t, sd_event *event, void (*due)(void *user), void *user);
/* The table the card's commands take from now on. */
void timing_set(struct timing *t, const struct vt_timing *table);
/* A command arrived: its clock starts, at no cost yet. */
void timing_arrive(struct timing *t);
/* The card says what the command is: its cost, which *note describes ("+138 ms (timing
 * yubikey5)", empty when it costs nothing). */
void timing_op(struct timing *t, struct vt_op op, char *note, size_t n);
/* The answer is ready: whether it must wait; when so, due is called at arrival + cost. An
 * answer that cannot be held (no timer) leaves at once. */
bool timing_hold(struct timing *t);
/* Whether an answer is held. */
bool timing_holding(const struct timing *t);
/* The held answer will not leave (the card is gone); whether one was held. */
bool timing_cancel(struct timing *t);

#endif
