/* SPDX-License-Identifier: Apache-2.0 */
/* A card as the daemon serves it: its configuration, its image (created on first start by
 * provision/, then opened once and locked), its APDU pipeline (pipeline.h) and its link to the
 * reader, which whoever builds the card makes with the transport's own constructor and
 * attaches. */
#ifndef VT_SERVED_H
#define VT_SERVED_H

#include "config.h"
#include "link.h"
#include "pipeline.h"

#include <stdbool.h>
#include <stdio.h>

struct served_card;

/* Loads (or first creates) the image of cc and sets its card up on event; on failure err says
 * why. trace, when not NULL or empty, is a file every APDU of the card is traced to. changed
 * (may be NULL) is called with user when the card's state changes. The card is served once a
 * link is attached. 0 or a negative errno. */
int served_card_new(sd_event *event, const struct conf_card *cc, const char *trace,
                    void (*changed)(void *user), void *user, struct served_card **out, char *err,
                    size_t errlen);
void served_card_free(struct served_card *sc);
/* What the link is to call, and the link built with it (the card owns it from now on). */
const struct link_handler *served_card_handler(struct served_card *sc);
void served_card_attach(struct served_card *sc, struct link *l);

const struct conf_card *served_card_conf(const struct served_card *sc);
struct pipeline *served_card_pipeline(struct served_card *sc);
/* A reload keeps the card: the settings that do not change its identity. */
/* The timing table named name (vtokend.conf's timing), or the image's own for "". */
void served_card_set_timing(struct served_card *sc, const char *name);
void served_card_set_touch_timeout(struct served_card *sc, uint32_t ms);

/* "waiting for vpcd HOST:PORT" (or "driver PATH"), "connected", "powered" or "removed", into
 * buf (n bytes); returns buf. */
const char *served_card_state(const struct served_card *sc, char *buf, size_t n);
/* Writes the card's status: a line of text, or a JSON object. */
void served_card_status(const struct served_card *sc, FILE *f, bool json);
/* Takes the card out of the reader, puts it back. */
void served_card_remove(struct served_card *sc);
void served_card_insert(struct served_card *sc);

#endif
