/* The control socket: a unix stream socket on the daemon's event loop through which
 * `vtoken ctl` inspects and drives the cards. The protocol is described in control.c. */
#ifndef VT_CONTROL_H
#define VT_CONTROL_H

#include <stddef.h>
#include <stdio.h>
#include <systemd/sd-event.h>

#define CONTROL_LINE_MAX  1024 /* a request line, its newline included */
#define CONTROL_WORDS_MAX 16

struct manager;
struct control;

/* Listens on the socket systemd passed (socket activation), else on path (mode 0600, a stale
 * socket replaced), else on $RUNTIME_DIRECTORY/control.sock; *out is NULL when there is
 * none of these. 0 or a negative errno. */
int control_start(struct manager *m, const char *path, struct control **out);
void control_free(struct control *c);
/* The path listened on, or "" for a socket from systemd. */
const char *control_path(const struct control *c);

/* Splits a request line into at most max words at spaces and tabs (in place). Returns the
 * number of words, or -1 when the line holds a control character or too many words. */
int control_split(char *line, char **words, size_t max);
/* Carries out one request line and writes the reply: "ok\n" and the answer, or
 * "error: REASON\n". */
void control_execute(struct manager *m, char *line, FILE *reply);

#endif
