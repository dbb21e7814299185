/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: vtokend.conf, read by conf_parse() (daemon/config.c) as conf_load() reads
 * a file, without the file.
 *
 * Input: the text of the configuration.
 *
 * Host and user names are looked up without the network or the user database: the target is
 * linked with getaddrinfo and getpwnam wrapped (-Wl,--wrap), so that only numeric addresses,
 * "localhost" (as 127.0.0.1) and the user "root" are known. Checked beside the sanitizers: a
 * failure names the file and a line; a configuration read whole serves 1 to 16 cards, each with
 * a one-word name of its own, an absolute image path, a vpcd host and port of its own, and a
 * touch timeout of 0.1 s to 1 h. */
#include "config.h"

#include <netdb.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int __real_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                       struct addrinfo **res);
int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                       struct addrinfo **res);
struct passwd *__wrap_getpwnam(const char *name);

int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                       struct addrinfo **res)
{
        struct addrinfo h = hints ? *hints : (struct addrinfo){0};
        h.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
        if (node && strcmp(node, "localhost") == 0)
                node = "127.0.0.1";
        return __real_getaddrinfo(node, service, &h, res);
}

struct passwd *__wrap_getpwnam(const char *name)
{
        static struct passwd root = {.pw_name = "root", .pw_uid = 0, .pw_gid = 0};
        return strcmp(name, "root") == 0 ? &root : NULL;
}

static void check_conf(const struct conf *c)
{
        if (c->n_cards < 1 || c->n_cards > VT_CONF_CARDS_MAX)
                abort();
        for (size_t i = 0; i < c->n_cards; i++) {
                const struct conf_card *cc = &c->cards[i];
                if (!cc->name[0] || strpbrk(cc->name, " \t\n") || cc->image[0] != '/' ||
                    !cc->host[0] || cc->port == 0 || cc->touch_timeout_ms < 100 ||
                    cc->touch_timeout_ms > 3600000 || cc->pcscd_uid != c->pcscd_uid)
                        abort();
                for (size_t j = 0; j < i; j++)
                        if (strcmp(c->cards[j].name, cc->name) == 0 ||
                            (c->cards[j].port == cc->port &&
                             strcmp(c->cards[j].host, cc->host) == 0))
                                abort();
        }
        if ((c->control[0] && c->control[0] != '/') || (c->trace[0] && c->trace[0] != '/'))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct conf c;
        static const char name[] = "/fuzz/vtokend.conf";
        char err[600] = "";
        if (conf_parse(name, (const char *)data, size, &c, err, sizeof(err)) < 0) {
                if (strncmp(err, name, sizeof(name) - 1) != 0 || err[sizeof(name) - 1] != ':')
                        abort();
                return 0;
        }
        check_conf(&c);
        return 0;
}
