/* APDU trace lines: the text and JSON forms, and the redaction of every secret-carrying
 * command and answer, chained parts included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace.h"

static const struct timespec when = {.tv_sec = 1700000000, .tv_nsec = 123456789};

/* The line trace_write makes for cmd and rsp (rsp NULL: no answer). */
static char *line(enum trace_format fmt, const uint8_t *cmd, size_t cmd_len, const uint8_t *rsp,
                  size_t rsp_len, const char *note)
{
        static char buf[65536];
        struct trace_entry e = {.card = "card0",
                                .when = when,
                                .duration_us = 1234,
                                .cmd = cmd,
                                .cmd_len = cmd_len,
                                .rsp = rsp,
                                .rsp_len = rsp_len,
                                .note = note};
        FILE *f = fmemopen(buf, sizeof(buf), "w");
        assert_non_null(f);
        trace_write(f, fmt, &e);
        fclose(f);
        return buf;
}

/* The text line of an entry built by the test. */
static char *text_of(const struct trace_entry *e)
{
        static char buf[512];
        FILE *f = fmemopen(buf, sizeof(buf), "w");
        assert_non_null(f);
        trace_write(f, TRACE_TEXT, e);
        fclose(f);
        return buf;
}

#define LINE(fmt, c, r, note) line(fmt, c, sizeof(c), r, sizeof(r), note)

static const uint8_t ok[] = {0x90, 0x00};

static void text_form(void **state)
{
        (void)state;
        const uint8_t select[] = {0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08};
        const uint8_t rsp[] = {0x61, 0x11, 0x4F, 0x06, 0x90, 0x00};
        assert_string_equal(
            LINE(TRACE_TEXT, select, rsp, NULL),
            "2023-11-14T22:13:20.123456Z card0 SELECT 00 A4 04 00 05 A0 00 00 03 08 -> 61 11 4F "
            "06 SW 90 00 (1.234 ms)\n");
        const uint8_t unknown[] = {0x00, 0x42, 0x00, 0x00};
        assert_string_equal(
            LINE(TRACE_TEXT, unknown, ok, "fault: sw 6A82"),
            "2023-11-14T22:13:20.123456Z card0 INS 42 00 42 00 00 -> SW 90 00 (1.234 ms) "
            "[fault: sw 6A82]\n");
        assert_string_equal(
            line(TRACE_TEXT, unknown, sizeof(unknown), NULL, 0, "fault: drop"),
            "2023-11-14T22:13:20.123456Z card0 INS 42 00 42 00 00 -> (no answer) (1.234 ms) "
            "[fault: drop]\n");
}

static void json_form(void **state)
{
        (void)state;
        const uint8_t getdata[] = {0x00, 0xCB, 0x3F, 0xFF, 0x03, 0x5C, 0x01, 0x7E, 0x00};
        const uint8_t rsp[] = {0x7E, 0x00, 0x90, 0x00};
        assert_string_equal(
            LINE(TRACE_JSON, getdata, rsp, "a \"quoted\"\nnote"),
            "{\"time\":\"2023-11-14T22:13:20.123456Z\",\"card\":\"card0\",\"command_name\":\"GET "
            "DATA\",\"command\":\"00CB3FFF035C017E00\",\"command_redacted\":0,\"response\":"
            "\"7E00\","
            "\"response_redacted\":0,\"sw\":\"9000\",\"duration_us\":1234,\"note\":\"a "
            "\\\"quoted\\\"\\u000anote\"}\n");
        const uint8_t verify[] = {0x00, 0x20, 0x00, 0x80, 0x08, 0x31, 0x32,
                                  0x33, 0x34, 0x35, 0x36, 0xFF, 0xFF};
        assert_string_equal(
            LINE(TRACE_JSON, verify, ok, NULL),
            "{\"time\":\"2023-11-14T22:13:20.123456Z\",\"card\":\"card0\",\"command_name\":"
            "\"VERIFY\",\"command\":\"0020008008\",\"command_redacted\":8,\"response\":\"\","
            "\"response_redacted\":0,\"sw\":\"9000\",\"duration_us\":1234}\n");
        const uint8_t x[] = {0x00, 0x42, 0x00, 0x00};
        assert_string_equal(
            line(TRACE_JSON, x, sizeof(x), NULL, 0, NULL),
            "{\"time\":\"2023-11-14T22:13:20.123456Z\",\"card\":\"card0\",\"command_name\":\"INS "
            "42\",\"command\":\"00420000\",\"command_redacted\":0,\"response\":null,\"sw\":null,"
            "\"duration_us\":1234}\n");
}

static void which_commands_are_secret(void **state)
{
        (void)state;
        static const struct {
                uint8_t cla, ins, p2;
                bool secret;
        } cases[] = {
            {0x00, 0x20, 0x80, true},  {0x00, 0x24, 0x80, true},  {0x00, 0x24, 0x81, true},
            {0x00, 0x2C, 0x80, true},  {0x00, 0xFE, 0x9A, true},  {0x10, 0xFE, 0x9A, true},
            {0x00, 0xFF, 0xFF, true},  {0x00, 0x87, 0x9B, true},  {0x10, 0x87, 0x9B, true},
            {0x00, 0x87, 0x9A, false}, {0x10, 0x87, 0x9C, false}, {0x00, 0xA4, 0x00, false},
            {0x00, 0xCB, 0xFF, false}, {0x00, 0xDB, 0xFF, false}, {0x00, 0x47, 0x9A, false},
            {0x00, 0xC0, 0x00, false},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const uint8_t cmd[] = {cases[i].cla, cases[i].ins, 0x00, cases[i].p2, 0x01, 0x55};
                if (trace_is_secret(cmd, sizeof(cmd)) != cases[i].secret)
                        fail_msg("case %zu: CLA %02X INS %02X P2 %02X", i, cases[i].cla,
                                 cases[i].ins, cases[i].p2);
        }
        const uint8_t short_cmd[] = {0x00, 0x20, 0x00};
        assert_false(trace_is_secret(short_cmd, sizeof(short_cmd)));
}

/* Whatever the secret-carrying command, its data and its answer's data never show. */
static void secrets_never_show(void **state)
{
        (void)state;
        static const uint8_t ins[][2] = {{0x20, 0x80}, {0x24, 0x80}, {0x2C, 0x80},
                                         {0xFE, 0x9A}, {0xFF, 0xFF}, {0x87, 0x9B}};
        uint8_t secret[300];
        for (size_t i = 0; i < sizeof(secret); i++)
                secret[i] = (uint8_t)(0x31 + i % 6); /* "123456" over and over */
        for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
                for (int chained = 0; chained < 2; chained++) {
                        for (int fmt = TRACE_TEXT; fmt <= TRACE_JSON; fmt++) {
                                uint8_t cmd[310] = {chained ? 0x10 : 0x00, ins[i][0], 0x00,
                                                    ins[i][1], 0xFF};
                                memcpy(cmd + 5, secret, 255);
                                uint8_t rsp[12] = {0x7C, 0x0A, 0x80, 0x08};
                                memcpy(rsp + 4, secret, 6);
                                rsp[10] = 0x90;
                                const char *l =
                                    line((enum trace_format)fmt, cmd, 260, rsp, sizeof(rsp), NULL);
                                if (strstr(l, "31 32 33") || strstr(l, "313233") ||
                                    strstr(l, "34 35 36") || strstr(l, "343536") ||
                                    strstr(l, "7C 0A") || strstr(l, "7C0A"))
                                        fail_msg("INS %02X leaks: %s", ins[i][0], l);
                                if (!strstr(l, fmt == TRACE_TEXT ? "<redacted 255 bytes>"
                                                                 : "\"command_redacted\":255"))
                                        fail_msg("INS %02X: redaction not shown: %s", ins[i][0], l);
                        }
                }
        }
        /* an extended Lc: the header and Lc show, the data does not */
        uint8_t ext[7 + 300] = {0x00, 0xFE, 0x11, 0x9A, 0x00, 0x01, 0x2C};
        memcpy(ext + 7, secret, 300);
        assert_string_equal(
            line(TRACE_TEXT, ext, sizeof(ext), ok, 2, NULL),
            "2023-11-14T22:13:20.123456Z card0 IMPORT KEY 00 FE 11 9A 00 01 2C <redacted 300 "
            "bytes> -> SW 90 00 (1.234 ms)\n");
        /* VERIFY without data (a PIN status query) has nothing to hide */
        const uint8_t query[] = {0x00, 0x20, 0x00, 0x80};
        const uint8_t tries[] = {0x63, 0xC3};
        assert_string_equal(
            LINE(TRACE_TEXT, query, tries, NULL),
            "2023-11-14T22:13:20.123456Z card0 VERIFY 00 20 00 80 -> SW 63 C3 (1.234 ms)\n");
}

/* ykman keeps a PIN-protected management key in the printed-information object 5FC109, and
 * sends extended APDUs: PUT DATA of it is hidden, the answer to GET DATA of it too. */
static void protected_management_key(void **state)
{
        (void)state;
        const uint8_t put[] = {0x00, 0xDB, 0x3F, 0xFF, 0x00, 0x00, 0x0F, 0x5C, 0x03, 0x5F, 0xC1,
                               0x09, 0x53, 0x08, 0x88, 0x06, 0x89, 0x04, 0x31, 0x32, 0x33, 0x34};
        assert_true(trace_is_secret(put, sizeof(put)));
        assert_string_equal(LINE(TRACE_TEXT, put, ok, NULL),
                            "2023-11-14T22:13:20.123456Z card0 PUT DATA 00 DB 3F FF "
                            "00 00 0F <redacted 15 bytes> -> SW 90 00 (1.234 ms)\n");
        const uint8_t put_short[] = {0x00, 0xDB, 0x3F, 0xFF, 0x07, 0x5C,
                                     0x03, 0x5F, 0xC1, 0x09, 0x53, 0x00};
        assert_true(trace_is_secret(put_short, sizeof(put_short)));
        const uint8_t get[] = {0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x09, 0x00};
        const uint8_t obj[] = {0x53, 0x04, 0x88, 0x02, 0x89, 0x00, 0x90, 0x00};
        assert_false(trace_is_secret(get, sizeof(get)));
        assert_true(trace_answer_is_secret(get, sizeof(get)));
        assert_string_equal(
            LINE(TRACE_TEXT, get, obj, NULL),
            "2023-11-14T22:13:20.123456Z card0 GET DATA 00 CB 3F FF 05 5C 03 5F C1 09 00 -> "
            "<redacted 6 bytes> SW 90 00 (1.234 ms)\n");
        const uint8_t cert[] = {0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x05, 0x00};
        const uint8_t put_cert[] = {0x00, 0xDB, 0x3F, 0xFF, 0x07, 0x5C,
                                    0x03, 0x5F, 0xC1, 0x05, 0x53, 0x00};
        assert_false(trace_answer_is_secret(cert, sizeof(cert)));
        assert_false(trace_is_secret(put_cert, sizeof(put_cert)));
        const uint8_t mgm[] = {0x00, 0x87, 0x03, 0x9B, 0x04, 0x7C, 0x02, 0x80, 0x00};
        assert_true(trace_answer_is_secret(mgm, sizeof(mgm)));
}

/* A later part of a secret chain, which does not name the object: the caller says so. */
static void redacted_command(void **state)
{
        (void)state;
        const uint8_t part[] = {0x00, 0xDB, 0x3F, 0xFF, 0x02, 0x31, 0x32};
        struct trace_entry e = {.card = "c",
                                .when = when,
                                .cmd = part,
                                .cmd_len = sizeof(part),
                                .rsp = ok,
                                .rsp_len = 2,
                                .redact_cmd = true};
        assert_string_equal(
            text_of(&e),
            "2023-11-14T22:13:20.123456Z c PUT DATA 00 DB 3F FF 02 <redacted 2 bytes> -> SW "
            "90 00 (0.000 ms)\n");
}

/* GET RESPONSE continuing a secret answer: the caller asks for the data to be hidden. */
static void redacted_answer(void **state)
{
        (void)state;
        const uint8_t getresp[] = {0x00, 0xC0, 0x00, 0x00, 0x10};
        const uint8_t rsp[] = {1, 2, 3, 4, 0x90, 0x00};
        struct trace_entry e = {.card = "c",
                                .when = when,
                                .cmd = getresp,
                                .cmd_len = sizeof(getresp),
                                .rsp = rsp,
                                .rsp_len = sizeof(rsp),
                                .redact_rsp = true};
        assert_string_equal(
            text_of(&e),
            "2023-11-14T22:13:20.123456Z c GET RESPONSE 00 C0 00 00 10 -> <redacted 4 bytes> "
            "SW 90 00 (0.000 ms)\n");
}

static void sink_appends_whole_lines(void **state)
{
        (void)state;
        char path[] = "/tmp/vt-trace-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        unlink(path);
        struct trace_sink s = {.fd = -1};
        assert_int_equal(trace_sink_open(&s, path, trace_format_for(path)), 0);
        assert_int_equal(s.fmt, TRACE_TEXT);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        const uint8_t cmd[] = {0x00, 0xA4, 0x04, 0x00};
        struct trace_entry e = {
            .card = "c", .when = when, .cmd = cmd, .cmd_len = 4, .rsp = ok, .rsp_len = 2};
        trace_sink_emit(&s, &e);
        trace_sink_emit(&s, &e);
        trace_sink_close(&s);
        assert_int_equal(s.fd, -1);
        trace_sink_emit(&s, &e); /* off: nothing */
        FILE *f = fopen(path, "r");
        char l[256];
        int n = 0;
        while (fgets(l, sizeof(l), f))
                n++, assert_string_equal(l, "2023-11-14T22:13:20.123456Z c SELECT 00 A4 04 00 -> "
                                            "SW 90 00 (0.000 ms)\n");
        fclose(f);
        assert_int_equal(n, 2);
        unlink(path);

        assert_int_equal(trace_format_for("/x/t.json"), TRACE_JSON);
        assert_int_equal(trace_format_for("/x/t.jsonl"), TRACE_JSON);
        assert_int_equal(trace_format_for("/x/json"), TRACE_TEXT);
        assert_int_equal(trace_sink_open(&s, "/nonexistent/dir/t", TRACE_TEXT), -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(text_form),
            cmocka_unit_test(json_form),
            cmocka_unit_test(which_commands_are_secret),
            cmocka_unit_test(secrets_never_show),
            cmocka_unit_test(redacted_answer),
            cmocka_unit_test(protected_management_key),
            cmocka_unit_test(redacted_command),
            cmocka_unit_test(sink_appends_whole_lines),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
