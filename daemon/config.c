/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include "defaults.h"
#include "profile.h"
#include "text.h"

#include "log.h"
#include "peer.h"
#include "sockdir.h"

#include <errno.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <ini.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

struct parse {
        struct conf *c;
        const char *path;
        FILE *f;
        int line;
        int header_line;  /* of the last [section] read */
        int section_line; /* of the section being parsed */
        char *err;
        size_t errlen;
        bool failed;
        bool seen_image, seen_vpcd, seen_socket;
        unsigned seen_card_keys, seen_daemon_keys; /* a key given twice is refused */
        struct conf_card *card;                    /* current [card] section, NULL in [daemon] */
        char section[128];
};

static int fail(struct parse *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct parse *p, int line, const char *fmt, ...)
{
        if (!p->failed) {
                char what[512];
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(what, sizeof(what), fmt, ap);
                va_end(ap);
                snprintf(p->err, p->errlen, "%s:%d: %s", p->path, line, what);
        }
        p->failed = true;
        return 0;
}

/* inih does not pass line numbers to the handler: count them as they are read. It reads at
 * most num - 1 bytes at a time: a longer line would come as two, the rest misread. */
static char *read_line(char *str, int num, void *stream)
{
        struct parse *p = stream;
        if (p->failed)
                return NULL;
        char *r = fgets(str, num, p->f);
        if (r) {
                p->line++;
                if (!strchr(str, '\n') && strlen(str) == (size_t)num - 1) {
                        int next = getc(p->f);
                        if (next != EOF) {
                                fail(p, p->line, "line too long: at most %d characters", num - 2);
                                return NULL;
                        }
                }
                if (str[strspn(str, " \t")] == '[')
                        p->header_line = p->line;
        }
        return r;
}

int conf_parse_endpoint(const char *s, char *host, size_t hostlen, uint16_t *port)
{
        const char *colon = strrchr(s, ':');
        if (!colon || colon == s || (size_t)(colon - s) >= hostlen)
                return -EINVAL;
        char *end;
        errno = 0;
        long v = strtol(colon + 1, &end, 10);
        if (errno || end == colon + 1 || *end || v < 1 || v > 65535)
                return -EINVAL;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        *port = (uint16_t)v;
        return 0;
}

/* A path without repeated, trailing or "." components: "/a//b/./c/" and "/a/b/c" are one. */
static void normalize(const char *path, char *out, size_t n)
{
        size_t o = 0;
        for (const char *s = path; *s && o + 1 < n;) {
                if (*s == '/' &&
                    (s[1] == '/' || s[1] == '\0' || (s[1] == '.' && (s[2] == '/' || !s[2])))) {
                        s += s[1] == '.' ? 2 : 1;
                        continue;
                }
                out[o++] = *s++;
        }
        if (o == 0 && o + 1 < n)
                out[o++] = '/';
        out[o] = '\0';
}

/* Whether two paths are one once normalized. */
static bool same_path(const char *a, const char *b)
{
        char na[4096], nb[4096];
        normalize(a, na, sizeof(na));
        normalize(b, nb, sizeof(nb));
        return strcmp(na, nb) == 0;
}

/* Whether two image paths name one directory: the same file when both exist, else the same
 * path once normalized. */
static bool same_image(const char *a, const char *b)
{
        struct stat sa, sb;
        if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
                return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
        return same_path(a, b);
}

static int finish_card(struct parse *p)
{
        if (!p->card)
                return 0;
        if (!p->seen_image)
                return fail(p, p->card->line, "[card %s]: missing key 'image'", p->card->name);
        bool driver = p->card->transport == CONF_TRANSPORT_DRIVER;
        if (!driver && !p->seen_vpcd)
                return fail(p, p->card->line, "[card %s]: missing key 'vpcd'", p->card->name);
        if (driver && !p->seen_socket)
                return fail(p, p->card->line,
                            "[card %s]: missing key 'socket' (transport = driver: the socket "
                            "vtokend listens on, such as /run/vtoken/%s.sock)",
                            p->card->name, p->card->name);
        if (driver && p->seen_vpcd)
                return fail(p, p->card->line,
                            "[card %s]: 'vpcd' is for transport = vpcd; this card has transport "
                            "= driver: remove one of them",
                            p->card->name);
        if (!driver && p->seen_socket)
                return fail(p, p->card->line,
                            "[card %s]: 'socket' is for transport = driver; add 'transport = "
                            "driver' or remove 'socket'",
                            p->card->name);
        for (size_t i = 0; driver && i + 1 < p->c->n_cards; i++)
                if (p->c->cards[i].transport == CONF_TRANSPORT_DRIVER &&
                    same_path(p->c->cards[i].socket, p->card->socket))
                        return fail(p, p->card->line,
                                    "[card %s]: socket %s is already card '%s': one socket "
                                    "serves one card",
                                    p->card->name, p->card->socket, p->c->cards[i].name);
        for (size_t i = 0; i + 1 < p->c->n_cards; i++)
                if (same_image(p->c->cards[i].image, p->card->image))
                        return fail(p, p->card->line,
                                    "[card %s]: image %s is already card '%s': one image serves "
                                    "one card (PIN tries and changes would be lost)",
                                    p->card->name, p->card->image, p->c->cards[i].name);
        return 1;
}

static int start_section(struct parse *p, const char *section)
{
        if (!finish_card(p) && p->failed)
                return 0;
        p->card = NULL;
        p->section_line = p->header_line;
        snprintf(p->section, sizeof(p->section), "%s", section);
        if (strcmp(section, "daemon") == 0)
                return 1;
        if (strncmp(section, "card ", 5) != 0 || section[5] == '\0')
                return fail(p, p->header_line,
                            "unknown section [%s]; expected [daemon] or [card NAME]", section);
        const char *name = section + 5;
        if (strlen(name) >= sizeof(p->c->cards[0].name))
                return fail(p, p->header_line, "card name '%s' is too long", name);
        for (const char *s = name; *s; s++)
                if ((unsigned char)*s <= ' ')
                        return fail(p, p->header_line,
                                    "card name '%s' has a blank: vtoken ctl names a card by one "
                                    "word",
                                    name);
        for (size_t i = 0; i < p->c->n_cards; i++)
                if (strcmp(p->c->cards[i].name, name) == 0)
                        return fail(p, p->header_line, "card '%s' is defined twice", name);
        if (p->c->n_cards == VT_CONF_CARDS_MAX)
                return fail(p, p->header_line, "too many cards");
        p->card = &p->c->cards[p->c->n_cards++];
        memset(p->card, 0, sizeof(*p->card));
        snprintf(p->card->name, sizeof(p->card->name), "%s", name);
        snprintf(p->card->profile, sizeof(p->card->profile), "piv");
        p->card->touch_timeout_ms = VT_DEFAULT_TOUCH_TIMEOUT_MS;
        p->card->line = p->header_line;
        p->seen_image = p->seen_vpcd = p->seen_socket = false;
        p->seen_card_keys = 0;
        return 1;
}

static int copy_value(struct parse *p, char *dst, size_t n, const char *name, const char *value)
{
        if (strlen(value) >= n)
                return fail(p, p->line, "value of '%s' is too long", name);
        if (value[0] == '\0')
                return fail(p, p->line, "'%s' has an empty value", name);
        memcpy(dst, value, strlen(value) + 1);
        return 1;
}

/* Whether two cards name one vpcd slot: one port, and one host however spelt ("localhost" and
 * "127.0.0.1" share an address). */
static bool same_endpoint(const struct conf_card *a, const struct conf_card *b)
{
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ra, *rb;
        bool same = false;
        if (a->port != b->port)
                return false;
        if (strcmp(a->host, b->host) == 0)
                return true;
        if (getaddrinfo(a->host, NULL, &hints, &ra) != 0)
                return false;
        if (getaddrinfo(b->host, NULL, &hints, &rb) == 0) {
                for (const struct addrinfo *x = ra; x && !same; x = x->ai_next)
                        for (const struct addrinfo *y = rb; y && !same; y = y->ai_next)
                                same = x->ai_addrlen == y->ai_addrlen &&
                                       memcmp(x->ai_addr, y->ai_addr, x->ai_addrlen) == 0;
                freeaddrinfo(rb);
        }
        freeaddrinfo(ra);
        return same;
}

static int card_key(struct parse *p, const char *name, const char *value)
{
        struct conf_card *cc = p->card;
        if (strcmp(name, "image") == 0) {
                p->seen_image = true;
                return copy_value(p, cc->image, sizeof(cc->image), name, value);
        }
        if (strcmp(name, "vpcd") == 0) {
                p->seen_vpcd = true;
                if (conf_parse_endpoint(value, cc->host, sizeof(cc->host), &cc->port) != 0)
                        return fail(p, p->line,
                                    "bad vpcd endpoint '%s': expected HOST:PORT with PORT 1-65535",
                                    value);
                for (size_t i = 0; i + 1 < p->c->n_cards; i++)
                        if (same_endpoint(&p->c->cards[i], cc))
                                return fail(p, p->line, "vpcd %s is already used by card '%s'",
                                            value, p->c->cards[i].name);
                return 1;
        }
        if (strcmp(name, "transport") == 0) {
                if (strcmp(value, "vpcd") == 0)
                        cc->transport = CONF_TRANSPORT_VPCD;
                else if (strcmp(value, "driver") == 0)
                        cc->transport = CONF_TRANSPORT_DRIVER;
                else
                        return fail(p, p->line, "unknown transport '%s': expected vpcd or driver",
                                    value);
                return 1;
        }
        if (strcmp(name, "socket") == 0) {
                p->seen_socket = true;
                if (strlen(value) > VT_CONF_SOCKET_MAX)
                        return fail(p, p->line,
                                    "socket path '%s' is longer than %d bytes, more than a local "
                                    "socket's address holds: choose a shorter one",
                                    value, VT_CONF_SOCKET_MAX);
                return copy_value(p, cc->socket, sizeof(cc->socket), name, value);
        }
        if (strcmp(name, "profile") == 0) {
                if (!vt_profile_known(value)) {
                        char names[512];
                        vt_names_join(names, sizeof(names), vt_profile_at, ", ", " or ");
                        return fail(p, p->line, "unknown profile '%s': expected %s", value, names);
                }
                return copy_value(p, cc->profile, sizeof(cc->profile), name, value);
        }
        if (strcmp(name, "timing") == 0) {
                struct vt_timing t;
                if (vt_timing_builtin(value, &t) < 0) {
                        char names[128];
                        vt_names_join(names, sizeof(names), vt_timing_at, ", ", " or ");
                        return fail(p, p->line, "unknown timing '%s': expected %s", value, names);
                }
                return copy_value(p, cc->timing, sizeof(cc->timing), name, value);
        }
        if (strcmp(name, "touch-timeout") == 0) {
                char *end;
                errno = 0;
                double v = strtod(value, &end);
                if (errno || end == value || *end || !(v >= 0.1 && v <= 3600))
                        return fail(p, p->line,
                                    "bad touch-timeout '%s': expected seconds from 0.1 to 3600",
                                    value);
                cc->touch_timeout_ms = (uint32_t)(v * 1000 + 0.5);
                return 1;
        }
        return fail(p, p->line, "unknown key '%s' in [%s]", name, p->section);
}

static int daemon_key(struct parse *p, const char *name, const char *value)
{
        if (strcmp(name, "control") == 0)
                return copy_value(p, p->c->control, sizeof(p->c->control), name, value);
        if (strcmp(name, "trace") == 0)
                return copy_value(p, p->c->trace, sizeof(p->c->trace), name, value);
        if (strcmp(name, "pcscd-user") == 0) {
                const struct passwd *pw = getpwnam(value);
                char *end;
                errno = 0;
                unsigned long uid = strtoul(value, &end, 10);
                if (pw)
                        p->c->pcscd_uid = pw->pw_uid;
                else if (!errno && end != value && !*end && uid < VT_UID_NONE)
                        p->c->pcscd_uid = (uid_t)uid;
                else
                        return fail(p, p->line, "unknown pcscd-user '%s': no such user", value);
                return 1;
        }
        if (strcmp(name, "log-level") == 0) {
                int l = vt_log_level_from_string(value);
                if (l < 0)
                        return fail(p, p->line,
                                    "unknown log-level '%s': expected err, warning, info or debug",
                                    value);
                p->c->log_level = l;
                return 1;
        }
        return fail(p, p->line, "unknown key '%s' in [%s]", name, p->section);
}

static const char *const card_keys[] = {"image",     "vpcd",   "profile", "touch-timeout",
                                        "transport", "socket", "timing",  NULL};
static const char *const daemon_keys[] = {"control", "trace", "log-level", "pcscd-user", NULL};

/* Whether the key was given before in this card's section, or in [daemon] (which may come in
 * several parts); notes it. An unknown key is left to the section's parser. */
static bool repeated(struct parse *p, const char *name)
{
        const char *const *keys = p->card ? card_keys : daemon_keys;
        unsigned *seen = p->card ? &p->seen_card_keys : &p->seen_daemon_keys;
        for (size_t i = 0; keys[i]; i++) {
                if (strcmp(keys[i], name) != 0)
                        continue;
                if (*seen & 1U << i)
                        return true;
                *seen |= 1U << i;
        }
        return false;
}

static bool absolute_path_key(const char *name)
{
        return strcmp(name, "image") == 0 || strcmp(name, "control") == 0 ||
               strcmp(name, "trace") == 0 || strcmp(name, "socket") == 0;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
        struct parse *p = user;
        if (p->failed)
                return 0;
        /* a new [header] line starts a section, even one with the same name as before */
        if ((strcmp(section, p->section) != 0 || p->header_line != p->section_line) &&
            !start_section(p, section))
                return 0;
        if (!name)
                return 1; /* a section header alone */
        if (!value)
                return fail(p, p->line, "'%s' has no value", name);
        if (repeated(p, name))
                return fail(p, p->line, "'%s' is given twice in [%s]: one value each", name,
                            p->section);
        if (absolute_path_key(name) && value[0] && value[0] != '/')
                return fail(p, p->line,
                            "'%s' must be an absolute path, not '%s': the daemon's working "
                            "directory is no place to look",
                            name, value);
        return p->card ? card_key(p, name, value) : daemon_key(p, name, value);
}

/* Parses the configuration read from f, named path in messages. */
static int parse_stream(FILE *f, const char *path, struct conf *c, char *err, size_t errlen)
{
        memset(c, 0, sizeof(*c));
        c->log_level = LOG_INFO;
        c->pcscd_uid = VT_UID_NONE;
        snprintf(c->path, sizeof(c->path), "%s", path);
        struct parse p = {.c = c, .path = path, .f = f, .err = err, .errlen = errlen};
        int r = ini_parse_stream(read_line, &p, handler, &p);
        if (!p.failed && r > 0)
                fail(&p, r, "syntax error: expected [section] or key = value");
        if (!p.failed && r < 0)
                snprintf(err, errlen, "%s: cannot read (%d)", path, r), p.failed = true;
        if (!p.failed)
                finish_card(&p);
        if (!p.failed && c->n_cards == 0)
                fail(&p, p.line, "no [card NAME] section: nothing to serve");
        for (size_t i = 0; i < c->n_cards; i++)
                c->cards[i].pcscd_uid = c->pcscd_uid;
        return p.failed ? -EINVAL : 0;
}

/* The whole file, read through a descriptor that refuses what is not a plain file of bounded
 * size: a FIFO or a device (--config /dev/zero) would never end. */
static int read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                return -EINVAL;
        }
        struct stat st;
        char *buf = NULL;
        size_t n = 0;
        if (fstat(fd, &st) < 0) {
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                goto fail;
        }
        if (S_ISDIR(st.st_mode)) {
                snprintf(err, errlen,
                         "%s is a directory: --config takes the configuration file itself "
                         "(such as %s/vtokend.conf)",
                         path, path);
                goto fail;
        }
        if (!S_ISREG(st.st_mode)) {
                snprintf(err, errlen,
                         "%s is not a regular file: the configuration is read from "
                         "a file of text",
                         path);
                goto fail;
        }
        buf = malloc(VT_CONF_SIZE_MAX + 1);
        if (!buf) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto fail;
        }
        for (;;) { /* one byte more than allowed tells a file that is too large */
                ssize_t r = read(fd, buf + n, VT_CONF_SIZE_MAX + 1 - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        snprintf(err, errlen, "%s: %s", path, strerror(errno));
                        goto fail;
                }
                if (r == 0)
                        break;
                n += (size_t)r;
                if (n > VT_CONF_SIZE_MAX) {
                        snprintf(err, errlen, "%s is larger than %zu KiB: not a configuration file",
                                 path, VT_CONF_SIZE_MAX / 1024);
                        goto fail;
                }
        }
        close(fd);
        *text = buf;
        *len = n;
        return 0;
fail:
        free(buf);
        close(fd);
        return -EINVAL;
}

int conf_load(const char *path, struct conf *c, char *err, size_t errlen)
{
        memset(c, 0, sizeof(*c));
        char *text;
        size_t len;
        if (read_file(path, &text, &len, err, errlen) < 0)
                return -EINVAL;
        int r = conf_parse(path, text, len, c, err, errlen);
        free(text);
        return r;
}

/* A NUL byte would end a line early as the parser reads it: the rest could come back as a line
 * of its own. Text has none. */
static int refuse_nul(const char *name, const char *text, size_t len, char *err, size_t errlen)
{
        const char *nul = memchr(text, '\0', len);
        if (!nul)
                return 0;
        int line = 1;
        const char *start = text;
        for (const char *s = text; s < nul; s++)
                if (*s == '\n') {
                        line++;
                        start = s + 1;
                }
        snprintf(err, errlen, "%s:%d: a NUL byte at byte %zu of the line: the file is not text",
                 name, line, (size_t)(nul - start) + 1);
        return -EINVAL;
}

int conf_parse(const char *name, const char *text, size_t len, struct conf *c, char *err,
               size_t errlen)
{
        static char empty[1];
        memset(c, 0, sizeof(*c));
        if (refuse_nul(name, text, len, err, errlen) < 0)
                return -EINVAL;
        /* mode "r": the stream only reads the text, whatever its type says */
        FILE *f = fmemopen(len ? (void *)text : empty, len, "r");
        if (!f) {
                snprintf(err, errlen, "%s: %s", name, strerror(errno));
                return -EINVAL;
        }
        int r = parse_stream(f, name, c, err, errlen);
        fclose(f);
        return r;
}

int conf_resolve_hosts(const struct conf *c, char *err, size_t errlen)
{
        for (size_t i = 0; i < c->n_cards; i++) {
                const struct conf_card *cc = &c->cards[i];
                struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
                if (cc->transport != CONF_TRANSPORT_VPCD)
                        continue;
                int r = getaddrinfo(cc->host, NULL, &hints, &res);
                if (r != 0) {
                        snprintf(err, errlen, "%s:%d: [card %s]: cannot resolve vpcd host %s: %s",
                                 c->path, cc->line, cc->name, cc->host, gai_strerror(r));
                        return -EINVAL;
                }
                freeaddrinfo(res);
        }
        return 0;
}

int conf_check_sockets(const struct conf *c, char *err, size_t errlen)
{
        char why[4400];
        if (c->control[0] && sockdir_check(c->control, "control socket", why, sizeof(why)) < 0) {
                snprintf(err, errlen, "%s: [daemon]: %s", c->path, why);
                return -EINVAL;
        }
        for (size_t i = 0; i < c->n_cards; i++) {
                const struct conf_card *cc = &c->cards[i];
                if (cc->transport != CONF_TRANSPORT_DRIVER ||
                    sockdir_check(cc->socket, "driver socket", why, sizeof(why)) == 0)
                        continue;
                snprintf(err, errlen, "%s:%d: [card %s]: %s", c->path, cc->line, cc->name, why);
                return -EINVAL;
        }
        return 0;
}

void conf_default(struct conf *c)
{
        memset(c, 0, sizeof(*c));
        c->log_level = LOG_INFO;
        struct conf_card *cc = &c->cards[c->n_cards++];
        snprintf(cc->name, sizeof(cc->name), "default");
        snprintf(cc->profile, sizeof(cc->profile), VT_DEFAULT_PROFILE);
        snprintf(cc->host, sizeof(cc->host), VT_DEFAULT_VPCD_HOST);
        cc->port = VT_DEFAULT_VPCD_PORT;
        cc->touch_timeout_ms = VT_DEFAULT_TOUCH_TIMEOUT_MS;
        cc->pcscd_uid = c->pcscd_uid = VT_UID_NONE;
        vt_default_image(cc->image, sizeof(cc->image));
}
