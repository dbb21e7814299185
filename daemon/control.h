/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket: a unix stream socket on the daemon's event loop through which
 * `vtoken ctl` inspects and drives the cards. The protocol is described in control.c. */
#ifndef VT_CONTROL_H
#define VT_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <systemd/sd-event.h>

#define CONTROL_LINE_MAX 1024 /* a request line, its newline included */

struct control;

/* What the bytes of a request received so far make (in holds len bytes and a NUL at len; eof:
 * the client shut its side down): a request line, which is then cut at its newline (and a
 * carriage return before it), a malformed or too long request, or not yet anything. */
enum control_input { CONTROL_MORE, CONTROL_LINE, CONTROL_MALFORMED, CONTROL_TOO_LONG };
enum control_input control_input(char *in, size_t len, bool eof);

/* Carries out one request line (NUL-terminated, without its newline) and writes the reply. */
typedef void (*control_handler)(void *user, char *line, FILE *reply);

/* Listens on the socket systemd passed (socket activation), else on path (mode 0600, a stale
 * socket replaced), else on $RUNTIME_DIRECTORY/control.sock; *out is NULL when there is
 * none of these. Each request line goes to handler. 0 or a negative errno. */
int control_start(sd_event *event, const char *path, control_handler handler, void *user,
                  struct control **out);
void control_free(struct control *c);
/* The path listened on, or "" for a socket from systemd. */
const char *control_path(const struct control *c);

#endif
