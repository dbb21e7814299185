/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon's state: configuration, cards, the event loop. main() builds one and runs it. */
#ifndef VT_MANAGER_H
#define VT_MANAGER_H

#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-event.h>

struct served_card;
struct control;

struct manager {
        sd_event *event;
        struct conf conf;
        struct served_card *cards[VT_CONF_CARDS_MAX];
        size_t n_cards;
        struct control *control;
        char status[1024];
};

int manager_new(struct manager **out);
/* Loads every card of conf; a card whose image cannot be loaded is refused with a log line
 * and the others are served. Returns the number of cards served, or a negative errno. */
int manager_start(struct manager *m, const struct conf *conf);
void manager_free(struct manager *m);
/* Re-reads the configuration file: added cards appear, removed ones go, unchanged ones keep
 * their connection and security state. A bad file is refused and the running one stays. */
int manager_reload(struct manager *m);
/* Carries out a control request on the manager's cards (a control_handler). */
void manager_execute(void *user, char *line, FILE *reply);
/* Sends STATUS= with each card's state. */
void manager_update_status(struct manager *m);

#endif
