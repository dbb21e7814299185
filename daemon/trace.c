#include "trace.h"

#include "json.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLA_CHAIN      0x10
#define INS_VERIFY     0x20
#define INS_CHANGE     0x24
#define INS_RESET_RC   0x2C
#define INS_GEN_AUTH   0x87
#define INS_IMPORT     0xFE
#define INS_SET_MGM    0xFF
#define KEY_MANAGEMENT 0x9B
#define INS_GET_DATA   0xCB
#define INS_PUT_DATA   0xDB

static const struct {
        uint8_t ins;
        const char *name;
} ins_names[] = {
    {0x20, "VERIFY"},
    {0x24, "CHANGE REFERENCE DATA"},
    {0x2C, "RESET RETRY COUNTER"},
    {0x47, "GENERATE ASYMMETRIC KEY PAIR"},
    {0x87, "GENERAL AUTHENTICATE"},
    {0xA4, "SELECT"},
    {0xC0, "GET RESPONSE"},
    {0xCB, "GET DATA"},
    {0xDB, "PUT DATA"},
    {0xF7, "GET METADATA"},
    {0xF8, "GET SERIAL"},
    {0xF9, "ATTEST"},
    {0xFA, "SET PIN RETRIES"},
    {0xFB, "RESET"},
    {0xFD, "GET VERSION"},
    {0xFE, "IMPORT KEY"},
    {0xFF, "SET MANAGEMENT KEY"},
};

const char *trace_ins_name(uint8_t ins, char buf[8])
{
        for (size_t i = 0; i < sizeof(ins_names) / sizeof(ins_names[0]); i++)
                if (ins_names[i].ins == ins)
                        return ins_names[i].name;
        snprintf(buf, 8, "INS %02X", ins);
        return buf;
}

/* Where a command's data starts: after a short Lc (5) or an extended one (7); 0 when the
 * command has no data (at most header and Le). */
static size_t data_offset(const uint8_t *cmd, size_t len)
{
        if (len <= 5)
                return 0;
        if (cmd[4] != 0)
                return 5;
        return len > 7 ? 7 : 0;
}

/* GET DATA / PUT DATA naming the printed-information object: data 5C 03 5F C1 09. */
static bool names_printed_info(const uint8_t *cmd, size_t len)
{
        static const uint8_t tag[] = {0x5C, 0x03, 0x5F, 0xC1, 0x09};
        size_t off = data_offset(cmd, len);
        return off && len >= off + sizeof(tag) && memcmp(cmd + off, tag, sizeof(tag)) == 0;
}

bool trace_is_secret(const uint8_t *cmd, size_t len)
{
        if (len < 4)
                return false;
        switch (cmd[1]) {
        case INS_PUT_DATA:
                return names_printed_info(cmd, len);
        case INS_VERIFY:
        case INS_CHANGE:
        case INS_RESET_RC:
        case INS_IMPORT:
        case INS_SET_MGM:
                return true;
        case INS_GEN_AUTH:
                return cmd[3] == KEY_MANAGEMENT;
        default:
                return false;
        }
}

bool trace_answer_is_secret(const uint8_t *cmd, size_t len)
{
        return trace_is_secret(cmd, len) ||
               (len >= 4 && cmd[1] == INS_GET_DATA && names_printed_info(cmd, len));
}

/* How much of a command is shown: the header and the length field; the rest is its data (and
 * Le), hidden for a secret. */
static size_t shown_prefix(const uint8_t *cmd, size_t len)
{
        size_t off = data_offset(cmd, len);
        return off ? off : len;
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

/* The command's and the answer's visible parts. */
struct view {
        size_t cmd_shown, cmd_hidden;
        size_t rsp_hidden; /* data bytes of the answer hidden, SW always shown */
        size_t rsp_data;
};

static struct view view_of(const struct trace_entry *e)
{
        struct view v = {.cmd_shown = e->cmd_len};
        bool secret = e->redact_cmd || trace_is_secret(e->cmd, e->cmd_len);
        if (secret) {
                v.cmd_shown = shown_prefix(e->cmd, e->cmd_len);
                v.cmd_hidden = e->cmd_len - v.cmd_shown;
        }
        if (e->rsp && e->rsp_len >= 2) {
                v.rsp_data = e->rsp_len - 2;
                if (secret || e->redact_rsp || trace_answer_is_secret(e->cmd, e->cmd_len))
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
        char buf[8];
        const char *name = e->cmd_len >= 2 ? trace_ins_name(e->cmd[1], buf) : "MALFORMED";
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
        /* never blocks the loop: a FIFO without reader is refused, a full one loses lines */
        int fd =
            open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
        if (fd < 0)
                return -errno;
        trace_sink_close(s);
        s->fd = fd;
        s->fmt = fmt;
        snprintf(s->path, sizeof(s->path), "%s", path);
        return 0;
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
