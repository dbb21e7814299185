/* SPDX-License-Identifier: Apache-2.0 */
/* vtokend.conf: INI with a [daemon] section and one [card NAME] section per card. */
#ifndef VT_CONFIG_H
#define VT_CONFIG_H

#include "defaults.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VT_CONF_CARDS_MAX           16
#define VT_DEFAULT_TOUCH_TIMEOUT_MS 15000

enum conf_transport {
        CONF_TRANSPORT_VPCD,   /* vsmartcard's vpcd: vtokend connects to HOST:PORT over TCP */
        CONF_TRANSPORT_DRIVER, /* vtoken's own driver: vtokend listens on a local socket */
};

#define VT_CONF_SIZE_MAX                                                                           \
        ((size_t)1024 * 1024)  /* a configuration file larger than this is refused */
#define VT_CONF_SOCKET_MAX 100 /* sun_path holds 108 bytes; vtokend binds PATH.new first */

struct conf_card {
        char name[64];
        char image[4096];
        char profile[16];
        enum conf_transport transport;
        char host[256]; /* vpcd */
        uint16_t port;
        char socket[VT_CONF_SOCKET_MAX + 1]; /* driver: the socket vtokend listens on */
        uint32_t touch_timeout_ms;           /* how long a command waits for a touch before 69 82 */
        char timing[32]; /* a timing table that replaces the image's (applet/timing.h), or "" */
        uid_t pcscd_uid; /* [daemon] pcscd-user, VT_UID_NONE when not set */
        int line;        /* of the section header, for messages */
};

struct conf {
        char path[4096];    /* empty for the embedded default */
        char control[4096]; /* control socket path, empty for none */
        char trace[4096];   /* APDU trace of every card, empty for none */
        int log_level;
        uid_t pcscd_uid; /* besides root and vtokend's own user: vpcd's listener, the driver */
        struct conf_card cards[VT_CONF_CARDS_MAX];
        size_t n_cards;
};

/* Reads and validates FILE (a regular file of at most VT_CONF_SIZE_MAX bytes, without NUL
 * bytes); on error returns -EINVAL with "FILE:LINE: what is wrong" in err. */
int conf_load(const char *path, struct conf *c, char *err, size_t errlen);
/* The same from len bytes of text (no file), named name in messages. */
int conf_parse(const char *name, const char *text, size_t len, struct conf *c, char *err,
               size_t errlen);

/* Looks up every card's vpcd host, as --check-config does; -EINVAL with "FILE:LINE: why" in err
 * for the first that does not resolve. */
int conf_resolve_hosts(const struct conf *c, char *err, size_t errlen);

/* Checks the directory of the control socket and of every driver socket as the daemon will
 * (sockdir.h), as --check-config does; -EINVAL with "FILE[:LINE]: why" in err for the first that
 * would be refused. */
int conf_check_sockets(const struct conf *c, char *err, size_t errlen);

/* The embedded default: one PIV card on 127.0.0.1:35963 with its image under the state
 * directory ($STATE_DIRECTORY, $XDG_STATE_HOME/vtoken, or /var/lib/vtoken). */
void conf_default(struct conf *c);

/* "HOST:PORT" -> host and port; -EINVAL when malformed. */
int conf_parse_endpoint(const char *s, char *host, size_t hostlen, uint16_t *port);

#endif
