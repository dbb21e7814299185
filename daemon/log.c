/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"

#include <errno.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

static int log_max = LOG_INFO;
static bool to_journal;

/* journald sets JOURNAL_STREAM to the device and inode of the stream it gave us. */
static bool stderr_is_journal(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        char *end;
        struct stat st;
        if (!e || fstat(2, &st) != 0)
                return false;
        errno = 0;
        unsigned long long dev = strtoull(e, &end, 10);
        if (errno || end == e || *end != ':')
                return false;
        const char *rest = end + 1;
        unsigned long long ino = strtoull(rest, &end, 10);
        if (errno || end == rest || *end)
                return false;
        return st.st_dev == dev && st.st_ino == ino;
}

void vt_log_init(int max_level)
{
        log_max = max_level;
        to_journal = stderr_is_journal();
}

void vt_log_set_level(int max_level)
{
        log_max = max_level;
}

int vt_log_level_from_string(const char *s)
{
        static const char *names[] = {"emerg",   "alert",  "crit", "err",
                                      "warning", "notice", "info", "debug"};
        for (int i = 0; i < 8; i++)
                if (strcmp(s, names[i]) == 0)
                        return i;
        if (strcmp(s, "error") == 0)
                return LOG_ERR;
        if (strcmp(s, "warn") == 0)
                return LOG_WARNING;
        return -1;
}

void vt_log(int level, const char *card, const char *vpcd, const char *fmt, ...)
{
        if (level > log_max)
                return;
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (to_journal) {
                /* fields only where they apply, so journalctl CARD=x finds just that card */
                char f[5][1200];
                struct iovec iov[5];
                int n = 0;
                snprintf(f[n++], sizeof(f[0]), "SYSLOG_IDENTIFIER=vtokend");
                snprintf(f[n++], sizeof(f[0]), "MESSAGE=%s", msg);
                snprintf(f[n++], sizeof(f[0]), "PRIORITY=%d", level);
                if (card)
                        snprintf(f[n++], sizeof(f[0]), "CARD=%s", card);
                if (vpcd)
                        snprintf(f[n++], sizeof(f[0]), "VPCD=%s", vpcd);
                for (int i = 0; i < n; i++)
                        iov[i] = (struct iovec){f[i], strlen(f[i])};
                sd_journal_sendv(iov, n);
                return;
        }
        if (card)
                fprintf(stderr, "vtokend: card %s: %s\n", card, msg);
        else
                fprintf(stderr, "vtokend: %s\n", msg);
}
