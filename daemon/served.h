/* SPDX-License-Identifier: Apache-2.0 */
/* A card as the daemon serves it: configuration, the card, its link to the reader (vpcd or vtoken's
 * driver), and what test authors do to it through the control socket: traces, faults, touch. */
#ifndef VT_SERVED_H
#define VT_SERVED_H

#include "card.h"
#include "config.h"
#include "fault.h"
#include "frame.h"
#include "image_store.h"
#include "trace.h"
#include "link.h"

#include <stdio.h>
#include <time.h>

/* The command being answered; it outlives on_apdu when its answer is deferred (a delay fault,
 * a wait for touch). */
struct served_command {
        uint8_t cmd[FRAME_MAX];
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

struct served_card {
        struct conf_card conf;
        sd_event *event;
        void (*changed)(void *user); /* the card's state changed (connection, power) */
        void *user;
        struct link *link;
        struct vt_image *img;
        int image_fd;               /* the image directory, opened once and locked (image_dir.h) */
        struct vt_file_store files; /* the image's files */
        struct fault_store writes;  /* wraps files: the write-fail fault */
        struct trace_sink trace;
        struct faults faults;
        unsigned long commands;   /* APDUs received, answered by the card or by a fault */
        uint64_t touched_at[256]; /* CLOCK_MONOTONIC µs of the last touch, by key reference */
        struct served_command cur;
        struct vt_card card;
};

/* Builds the card of cc on event and starts connecting it; on failure err says why. trace, when
 * not NULL or empty, is a file every APDU of the card is traced to. changed (may be NULL) is
 * called with user when the card's state changes. */
int served_card_new(sd_event *event, const struct conf_card *cc, const char *trace,
                    void (*changed)(void *user), void *user, struct served_card **out, char *err,
                    size_t errlen);
void served_card_free(struct served_card *sc);
/* "waiting for vpcd HOST:PORT" (or "driver PATH"), "connected", "powered" or "removed". */
const char *served_card_state(const struct served_card *sc);

/* Writes the card's status: a line of text, or a JSON object. */
void served_card_status(const struct served_card *sc, FILE *f, bool json);
/* Takes the card out of the reader, puts it back, warm-resets it. */
void served_card_remove(struct served_card *sc);
void served_card_insert(struct served_card *sc);
void served_card_reset(struct served_card *sc);
/* Tracing on to path (NULL: to the daemon's log) in fmt, or off; 0 or a negative errno. */
int served_card_trace(struct served_card *sc, bool on, const char *path, enum trace_format fmt);
/* Arms a fault; -ENOSPC when FAULTS_MAX are armed. Clears them all. */
int served_card_fault(struct served_card *sc, const struct fault *f);
void served_card_fault_clear(struct served_card *sc);
/* A touch: the command waiting for one goes to the card; -ENOENT when none waits. */
int served_card_touch(struct served_card *sc);

#endif
