/* SPDX-License-Identifier: Apache-2.0 */
/* One card's APDU pipeline: what happens to a command between its link and its card. A command
 * comes from the link (pipeline_handler), meets the armed faults, goes to the card, waits for a
 * touch when its applet asks for one, is traced, and its answer goes back to the link later
 * (link_handler's LINK_APDU_PENDING; a fault's status word at once). The card runs on a worker
 * thread of its own, in the order its commands came: pipelines of different cards share
 * nothing, and a long command on one card delays no other card. Every call here is the event
 * loop's; pipeline_free() waits for a command under way. */
#ifndef VT_PIPELINE_H
#define VT_PIPELINE_H

#include "card.h"
#include "fault.h"
#include "image.h"
#include "link.h"
#include "trace.h"

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

struct pipeline;

/* Sets up the card of img on store (the write-fail fault wraps it) for the card called name;
 * changed (may be NULL) is called with user when the link's state changes. 0, or a negative
 * errno with err saying why. */
int pipeline_new(sd_event *event, const char *name, struct vt_image *img,
                 const struct vt_store *store, uint32_t touch_timeout_ms,
                 void (*changed)(void *user), void *user, struct pipeline **out, char *err,
                 size_t errlen);
void pipeline_free(struct pipeline *p);

/* What a link calls; valid as long as p. */
const struct link_handler *pipeline_handler(struct pipeline *p);
/* The link answers go to (deferred ones too); set once the link is built. */
void pipeline_set_link(struct pipeline *p, struct link *l);

/* What `vtoken ctl status` shows of it. */
struct pipeline_status {
        bool powered;
        const char *applet; /* the selected applet, NULL for none */
        struct vt_applet_status card;
        unsigned long commands; /* APDUs received, answered by the card or by a fault */
        const char *trace;      /* the trace file, "(log)", or NULL when off */
        bool trace_to_file;
        const struct faults *faults;
        bool waiting_touch;
        uint32_t touch_timeout_ms;
};
void pipeline_status(struct pipeline *p, struct pipeline_status *st);

void pipeline_set_touch_timeout(struct pipeline *p, uint32_t ms);
/* The timing table the card's answers keep from now on (applet/timing.h; instant at first),
 * and its name. */
void pipeline_set_timing(struct pipeline *p, const struct vt_timing *table);
const char *pipeline_timing(const struct pipeline *p);
/* Warm reset of the card. */
void pipeline_reset(struct pipeline *p);
/* Tracing on to path (NULL: to the daemon's log) in fmt, or off; 0 or a negative errno. */
int pipeline_trace(struct pipeline *p, bool on, const char *path, enum trace_format fmt);
/* Arms a fault; -ENOSPC when FAULTS_MAX are armed. Clears them all. */
int pipeline_fault(struct pipeline *p, const struct fault *f);
void pipeline_fault_clear(struct pipeline *p);
/* The card was put into its reader again (`vtoken ctl insert`): its presence clock says so. */
void pipeline_inserted(struct pipeline *p);
/* A touch: the command waiting for one goes to the card, and the card's presence clock notes
 * it; -ENOENT when neither a command nor an applet waits for one. */
int pipeline_touch(struct pipeline *p);

#endif
