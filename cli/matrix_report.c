/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken matrix's reports: JSON, JUnit XML (the testsuites/testsuite/testcase form Jenkins,
 * GitLab and GitHub's test reporters read) and one self-contained HTML page. A run's output is
 * whatever bytes COMMAND wrote: each report carries it as valid UTF-8 text, a byte that starts
 * no valid character and a control character other than tab, line feed and carriage return
 * becoming U+FFFD, then escaped for the format. */
#include "matrix.h"

#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum fmt { FMT_JSON, FMT_MARKUP };

/* The character at s (n > 0 bytes left): its length in bytes, its code point in *cp; a byte
 * that starts no valid UTF-8 sequence (overlong, a surrogate, past U+10FFFF, cut short) is one
 * byte long and U+FFFD. */
static size_t next_char(const unsigned char *s, size_t n, uint32_t *cp)
{
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        size_t len = s[0] < 0x80             ? 1
                     : (s[0] & 0xE0) == 0xC0 ? 2
                     : (s[0] & 0xF0) == 0xE0 ? 3
                     : (s[0] & 0xF8) == 0xF0 ? 4
                                             : 0;
        uint32_t c;

        *cp = 0xFFFD;
        if (len == 0 || len > n)
                return 1;
        c = len == 1 ? s[0] : s[0] & (0x7F >> len);
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 1;
                c = (c << 6) | (s[i] & 0x3F);
        }
        if (c < min[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
                return 1;
        *cp = c;
        return len;
}

/* Whether a character may stand in the reports as it is: XML 1.0's characters, less the
 * controls that mean nothing in a log (C0 but tab, LF, CR; DEL; C1). */
static bool printable(uint32_t c)
{
        if (c == '\t' || c == '\n' || c == '\r')
                return true;
        return c >= 0x20 && c != 0x7F && !(c >= 0x80 && c <= 0x9F) && c != 0xFFFE && c != 0xFFFF;
}

static void put_text(FILE *f, const char *s, size_t n, enum fmt fmt)
{
        const unsigned char *p = (const unsigned char *)s;

        while (n) {
                uint32_t c;
                size_t len = next_char(p, n, &c);
                if (!printable(c) || c == 0xFFFD) { /* and the bytes that were no character */
                        fputs("\xEF\xBF\xBD", f);   /* U+FFFD */
                } else if (fmt == FMT_JSON) {
                        switch (c) {
                        case '"':
                                fputs("\\\"", f);
                                break;
                        case '\\':
                                fputs("\\\\", f);
                                break;
                        case '\n':
                                fputs("\\n", f);
                                break;
                        case '\r':
                                fputs("\\r", f);
                                break;
                        case '\t':
                                fputs("\\t", f);
                                break;
                        default:
                                fwrite(p, 1, len, f);
                        }
                } else {
                        switch (c) {
                        case '&':
                                fputs("&amp;", f);
                                break;
                        case '<':
                                fputs("&lt;", f);
                                break;
                        case '>':
                                fputs("&gt;", f);
                                break;
                        case '"':
                                fputs("&quot;", f);
                                break;
                        case '\'':
                                fputs("&#39;", f);
                                break;
                        case '\r':
                                fputs("&#13;", f);
                                break;
                        default:
                                fwrite(p, 1, len, f);
                        }
                }
                p += len;
                n -= len;
        }
}

static void put_str(FILE *f, const char *s, enum fmt fmt)
{
        put_text(f, s ? s : "", s ? strlen(s) : 0, fmt);
}

static void json_string(FILE *f, const char *s)
{
        if (!s) {
                fputs("null", f);
                return;
        }
        fputc('"', f);
        put_str(f, s, FMT_JSON);
        fputc('"', f);
}

/* COMMAND as one line, its words separated by spaces. */
static void put_command(FILE *f, const struct vt_matrix_report *m, enum fmt fmt)
{
        for (char *const *c = m->command; c && *c; c++) {
                if (c != m->command)
                        fputc(' ', f);
                put_str(f, *c, fmt);
        }
}

static size_t count_passed(const struct vt_matrix_report *m)
{
        size_t n = 0;
        for (size_t i = 0; i < m->n; i++)
                n += vt_matrix_passed(&m->rows[i]);
        return n;
}

static size_t count_ran(const struct vt_matrix_report *m)
{
        size_t n = 0;
        for (size_t i = 0; i < m->n; i++)
                n += m->rows[i].ran;
        return n;
}

static int done(FILE *f)
{
        return ferror(f) || fflush(f) != 0 ? -1 : 0;
}

/* ---- JSON ---------------------------------------------------------------------------- */

int vt_matrix_write_json(FILE *f, const struct vt_matrix_report *m)
{
        size_t passed = count_passed(m);

        fputs("{\n  \"command\": [", f);
        for (char *const *c = m->command; c && *c; c++) {
                fputs(c == m->command ? "" : ", ", f);
                json_string(f, *c);
        }
        fprintf(f, "],\n  \"jobs\": %u,\n  \"seconds\": %.3f,\n", m->jobs, m->seconds);
        fprintf(f, "  \"passed\": %zu,\n  \"failed\": %zu,\n  \"results\": [", passed,
                m->n - passed);
        for (size_t i = 0; i < m->n; i++) {
                const struct vt_matrix_result *r = &m->rows[i];
                fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
                json_string(f, r->name);
                fputs(", \"personality\": ", f);
                json_string(f, r->personality);
                fputs(", \"timing\": ", f);
                json_string(f, r->timing);
                fprintf(f, ", \"ran\": %s, \"passed\": %s, ", r->ran ? "true" : "false",
                        vt_matrix_passed(r) ? "true" : "false");
                if (r->ran)
                        fprintf(f, "\"status\": %d, \"seconds\": %.3f, ", r->status, r->seconds);
                else
                        fputs("\"status\": null, \"seconds\": null, ", f);
                fputs("\"output\": \"", f);
                put_text(f, r->output ? r->output : "", r->output_len, FMT_JSON);
                fputs("\"}", f);
        }
        fputs("\n  ]\n}\n", f);
        return done(f);
}

/* ---- JUnit XML ------------------------------------------------------------------------- */

int vt_matrix_write_junit(FILE *f, const struct vt_matrix_report *m)
{
        size_t passed = count_passed(m), ran = count_ran(m);
        size_t failed = ran - passed, skipped = m->n - ran;
        char stamp[32] = "1970-01-01T00:00:00", host[256] = "localhost";
        time_t t = (time_t)m->started;
        struct tm tm;

        if (gmtime_r(&t, &tm))
                strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        if (gethostname(host, sizeof(host) - 1) < 0)
                snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = '\0';
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
        fprintf(f,
                "<testsuites name=\"vtoken matrix\" tests=\"%zu\" failures=\"%zu\" "
                "errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n",
                m->n, failed, skipped, m->seconds);
        fprintf(f,
                "  <testsuite name=\"vtoken matrix\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
                "skipped=\"%zu\" time=\"%.3f\" timestamp=\"%s\" hostname=\"",
                m->n, failed, skipped, m->seconds, stamp);
        put_str(f, host, FMT_MARKUP);
        fputs("\">\n    <properties>\n      <property name=\"command\" value=\"", f);
        put_command(f, m, FMT_MARKUP);
        fprintf(f, "\"/>\n      <property name=\"jobs\" value=\"%u\"/>\n    </properties>\n",
                m->jobs);
        for (size_t i = 0; i < m->n; i++) {
                const struct vt_matrix_result *r = &m->rows[i];
                fputs("    <testcase name=\"", f);
                put_str(f, r->name, FMT_MARKUP);
                fprintf(f, "\" classname=\"vtoken.matrix\" time=\"%.3f\">\n",
                        r->ran ? r->seconds : 0.0);
                if (!r->ran)
                        fputs("      <skipped message=\"not run: the matrix was stopped\"/>\n", f);
                else if (r->status != 0)
                        fprintf(f,
                                "      <failure message=\"exit status %d\" type=\"exit-status\">"
                                "COMMAND exited with status %d on this card; its output is in "
                                "system-out</failure>\n",
                                r->status, r->status);
                if (r->ran) {
                        fputs("      <system-out>", f);
                        put_text(f, r->output ? r->output : "", r->output_len, FMT_MARKUP);
                        fputs("</system-out>\n", f);
                }
                fputs("    </testcase>\n", f);
        }
        fputs("  </testsuite>\n</testsuites>\n", f);
        return done(f);
}

/* ---- HTML ----------------------------------------------------------------------------- */

static const char html_style[] =
    "body{font-family:sans-serif;margin:1.5em;color:#1a1a1a;background:#fff}"
    "table{border-collapse:collapse;margin:1em 0}"
    "th,td{border:1px solid #999;padding:.3em .8em;text-align:left}"
    "th{background:#e8e8e8}"
    "tr.passed td.status{background:#c8f0c8}"
    "tr.failed td{background:#f8c8c8}tr.failed td.status{background:#d01010;color:#fff;"
    "font-weight:bold}"
    "tr.notrun td{background:#eee;color:#666}"
    "section{margin:1em 0;border-left:.4em solid #8c8}"
    "section.failed{border-left-color:#d01010}section.notrun{border-left-color:#aaa}"
    "section h3{margin:.2em .5em}"
    "pre{margin:.2em .5em;padding:.5em;background:#f4f4f4;white-space:pre-wrap;"
    "word-break:break-all}";

static const char *row_class(const struct vt_matrix_result *r)
{
        return !r->ran ? "notrun" : r->status == 0 ? "passed" : "failed";
}

static void html_status(FILE *f, const struct vt_matrix_result *r)
{
        if (!r->ran)
                fputs("not run", f);
        else if (r->status == 0)
                fputs("passed", f);
        else if (r->status > 128)
                fprintf(f, "FAILED (signal %d)", r->status - 128);
        else
                fprintf(f, "FAILED (exit status %d)", r->status);
}

int vt_matrix_write_html(FILE *f, const struct vt_matrix_report *m)
{
        size_t passed = count_passed(m);

        fprintf(f,
                "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<title>vtoken matrix: %zu passed, %zu failed</title>\n<style>%s</style>\n"
                "</head>\n<body>\n<h1>vtoken matrix</h1>\n<p id=\"summary\">",
                passed, m->n - passed, html_style);
        fprintf(f, "%zu passed, %zu failed, in %.2f s with %u job%s: <code>", passed, m->n - passed,
                m->seconds, m->jobs, m->jobs == 1 ? "" : "s");
        put_command(f, m, FMT_MARKUP);
        fputs("</code></p>\n<table id=\"results\">\n<thead><tr><th>Personality</th>"
              "<th>Status</th><th>Time</th></tr></thead>\n<tbody>\n",
              f);
        for (size_t i = 0; i < m->n; i++) {
                const struct vt_matrix_result *r = &m->rows[i];
                fprintf(f,
                        "<tr class=\"%s\" id=\"row-%zu\"><td class=\"name\"><a href=\"#out-%zu\">",
                        row_class(r), i, i);
                put_str(f, r->name, FMT_MARKUP);
                fputs("</a></td><td class=\"status\">", f);
                html_status(f, r);
                if (r->ran)
                        fprintf(f, "</td><td class=\"time\">%.2f s</td></tr>\n", r->seconds);
                else
                        fputs("</td><td class=\"time\">-</td></tr>\n", f);
        }
        fputs("</tbody>\n</table>\n<h2>Output</h2>\n", f);
        for (size_t i = 0; i < m->n; i++) {
                const struct vt_matrix_result *r = &m->rows[i];
                fprintf(f, "<section class=\"%s\" id=\"out-%zu\"><h3>", row_class(r), i);
                put_str(f, r->name, FMT_MARKUP);
                fputs(": ", f);
                html_status(f, r);
                fputs("</h3><pre>", f);
                put_text(f, r->output ? r->output : "", r->output_len, FMT_MARKUP);
                fputs("</pre></section>\n", f);
        }
        fputs("</body>\n</html>\n", f);
        return done(f);
}
