/* SPDX-License-Identifier: Apache-2.0 */
#include "trace.h"

#include "apdu.h"
#include "json.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where a command's data lies: after the header and Lc, before Le (ISO 7816-3 framing, which
 * the card core parses). A command that does not parse shows its header only when secret. */
static void framing(const uint8_t *cmd, size_t len, size_t *data_off, size_t *data_len)
{
        struct apdu a;
        *data_off = len;
        *data_len = 0;
        if (apdu_parse(cmd, len, &a) != 0) {
                *data_off = len < 4 ? len : 4;
                *data_len = len - *data_off;
                return;
        }
        if (a.lc == 0)
                return;
        *data_off = 4 + (a.extended ? 3 : 1);
        *data_len = a.lc;
}

static void hex(FILE *f, const uint8_t *p, size_t n, const char *sep)
{
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s%02X", i ? sep : "", p[i]);
}

static void timestamp(FILE *f, const struct timespec *ts)
{
        struct tm tm;
        char buf[32];
        gmtime_r(&ts->tv_sec, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(f, "%s.%06ldZ", buf, ts->tv_nsec / 1000);
}

/* The command's and the answer's visible parts: a secret command shows its header, Lc and Le,
 * its data counted but hidden. */
struct view {
        size_t cmd_shown, cmd_hidden;
        const uint8_t *le; /* what follows hidden data (Le), shown */
        size_t le_len;
        size_t rsp_hidden; /* data bytes of the answer hidden, SW always shown */
        size_t rsp_data;
};

static struct view view_of(const struct trace_entry *e)
{
        struct view v = {.cmd_shown = e->cmd_len};
        if (e->redact_cmd) {
                size_t off, n;
                framing(e->cmd, e->cmd_len, &off, &n);
                v.cmd_shown = off;
                v.cmd_hidden = n;
                v.le = e->cmd + off + n;
                v.le_len = e->cmd_len - off - n;
        }
        if (e->rsp && e->rsp_len >= 2) {
                v.rsp_data = e->rsp_len - 2;
                if (e->redact_cmd || e->redact_rsp)
                        v.rsp_hidden = v.rsp_data;
        }
        return v;
}

static void write_text(FILE *f, const struct trace_entry *e, const struct view *v, const char *name)
{
        timestamp(f, &e->when);
        fprintf(f, " %s %s ", e->card, name);
        hex(f, e->cmd, v->cmd_shown, " ");
        if (v->cmd_hidden)
                fprintf(f, " <redacted %zu bytes>", v->cmd_hidden);
        if (v->le_len)
                fprintf(f, " Le "), hex(f, v->le, v->le_len, " ");
        if (!e->rsp) {
                fprintf(f, " -> (no answer)");
        } else {
                fprintf(f, " ->");
                if (v->rsp_hidden)
                        fprintf(f, " <redacted %zu bytes>", v->rsp_hidden);
                else if (v->rsp_data)
                        fputc(' ', f), hex(f, e->rsp, v->rsp_data, " ");
                if (e->rsp_len >= 2)
                        fprintf(f, " SW %02X %02X", e->rsp[e->rsp_len - 2], e->rsp[e->rsp_len - 1]);
        }
        fprintf(f, " (%llu.%03llu ms)", (unsigned long long)(e->duration_us / 1000),
                (unsigned long long)(e->duration_us % 1000));
        if (e->note)
                fprintf(f, " [%s]", e->note);
        fputc('\n', f);
}

static void write_json(FILE *f, const struct trace_entry *e, const struct view *v, const char *name)
{
        fprintf(f, "{\"time\":\"");
        timestamp(f, &e->when);
        fprintf(f, "\",\"card\":");
        json_string(f, e->card);
        fprintf(f, ",\"command_name\":");
        json_string(f, name);
        fprintf(f, ",\"command\":\"");
        hex(f, e->cmd, v->cmd_shown, "");
        fprintf(f, "\",\"command_redacted\":%zu", v->cmd_hidden);
        if (v->le_len) {
                fprintf(f, ",\"command_le\":\"");
                hex(f, v->le, v->le_len, "");
                fputc('"', f);
        }
        if (e->rsp) {
                fprintf(f, ",\"response\":\"");
                if (!v->rsp_hidden)
                        hex(f, e->rsp, v->rsp_data, "");
                fprintf(f, "\",\"response_redacted\":%zu,\"sw\":\"", v->rsp_hidden);
                if (e->rsp_len >= 2)
                        hex(f, e->rsp + e->rsp_len - 2, 2, "");
                fputc('"', f);
        } else {
                fprintf(f, ",\"response\":null,\"sw\":null");
        }
        fprintf(f, ",\"duration_us\":%llu", (unsigned long long)e->duration_us);
        if (e->note) {
                fprintf(f, ",\"note\":");
                json_string(f, e->note);
        }
        fprintf(f, "}\n");
}

void trace_write(FILE *f, enum trace_format fmt, const struct trace_entry *e)
{
        const char *name = e->cmd_len >= 2 && e->name ? e->name : "MALFORMED";
        struct view v = view_of(e);
        if (fmt == TRACE_JSON)
                write_json(f, e, &v, name);
        else
                write_text(f, e, &v, name);
}

enum trace_format trace_format_for(const char *path)
{
        size_t n = strlen(path);
        if ((n >= 5 && strcmp(path + n - 5, ".json") == 0) ||
            (n >= 6 && strcmp(path + n - 6, ".jsonl") == 0))
                return TRACE_JSON;
        return TRACE_TEXT;
}

int trace_sink_open(struct trace_sink *s, const char *path, enum trace_format fmt)
{
        if (strlen(path) >= sizeof(s->path))
                return -ENAMETOOLONG;
        /* never blocks the loop: a FIFO without reader is refused, a full one loses lines. Never
         * through a link, never into someone else's file: a trace shows what the card did. */
        int fd = open(
            path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW,
            0600);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_uid != geteuid()) {
                close(fd);
                return -EPERM;
        }
        trace_sink_close(s);
        s->fd = fd;
        s->fmt = fmt;
        snprintf(s->path, sizeof(s->path), "%s", path);
        return 0;
}

const char *trace_strerror(int r)
{
        if (r == -EPERM)
                return "the file belongs to another user (a trace goes only into a file of ours)";
        if (r == -ELOOP)
                return "a symbolic link (a trace is never written through one)";
        return strerror(-r);
}

void trace_sink_to_log(struct trace_sink *s, enum trace_format fmt)
{
        trace_sink_close(s);
        s->fd = TRACE_TO_LOG;
        s->fmt = fmt;
}

void trace_sink_close(struct trace_sink *s)
{
        if (s->fd >= 0)
                close(s->fd);
        s->fd = -1;
        s->path[0] = '\0';
}

void trace_sink_emit(struct trace_sink *s, const struct trace_entry *e)
{
        if (s->fd == -1)
                return;
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return;
        trace_write(f, s->fmt, e);
        bool ok = fclose(f) == 0 && len > 0;
        if (ok && s->fd == TRACE_TO_LOG) {
                buf[len - 1] = '\0'; /* the newline */
                vt_log(LOG_INFO, e->card, NULL, "%s", buf);
        } else if (ok) {
                /* one write per line: lines of several cards sharing a file do not interleave */
                for (size_t off = 0; off < len;) {
                        ssize_t n = write(s->fd, buf + off, len - off);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0)
                                break;
                        off += (size_t)n;
                }
        }
        free(buf);
}
