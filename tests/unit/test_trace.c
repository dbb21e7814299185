/* SPDX-License-Identifier: Apache-2.0 */
/* APDU trace lines: the text and JSON forms and their redaction; and what is secret, as a real
 * PIV card (set up in memory as the daemon sets it up) says of each command and answer, chained
 * parts and GET RESPONSE continuations included. */
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

#include "test_util.h"

#include "card.h"
#include "piv_state.h"
#include "pin.h"
#include "registry.h"
#include "store.h"
#include "trace.h"

static const struct timespec when = {.tv_sec = 1700000000, .tv_nsec = 123456789};

/* The line trace_write makes for cmd and rsp (rsp NULL: no answer), the command called name,
 * with what secrecy (VT_SECRET_* bits) says hidden, as the daemon sets it. */
static char *line(enum trace_format fmt, const char *name, unsigned secrecy, const uint8_t *cmd,
                  size_t cmd_len, const uint8_t *rsp, size_t rsp_len, const char *note)
{
        static char buf[65536];
        struct trace_entry e = {.card = "card0",
                                .when = when,
                                .duration_us = 1234,
                                .cmd = cmd,
                                .cmd_len = cmd_len,
                                .rsp = rsp,
                                .rsp_len = rsp_len,
                                .name = name,
                                .redact_cmd = secrecy & VT_SECRET_COMMAND,
                                .redact_rsp = secrecy & VT_SECRET_RESPONSE,
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

#define LINE(fmt, name, secrecy, c, r, note)                                                       \
        line(fmt, name, secrecy, c, sizeof(c), r, sizeof(r), note)
#define SECRET (VT_SECRET_COMMAND | VT_SECRET_RESPONSE)

static const uint8_t ok[] = {0x90, 0x00};

static void text_form(void **state)
{
        (void)state;
        const uint8_t select[] = {0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08};
        const uint8_t rsp[] = {0x61, 0x11, 0x4F, 0x06, 0x90, 0x00};
        assert_string_equal(
            LINE(TRACE_TEXT, "SELECT", 0, select, rsp, NULL),
            "2023-11-14T22:13:20.123456Z card0 SELECT 00 A4 04 00 05 A0 00 00 03 08 -> 61 11 4F "
            "06 SW 90 00 (1.234 ms)\n");
        const uint8_t unknown[] = {0x00, 0x42, 0x00, 0x00};
        assert_string_equal(
            LINE(TRACE_TEXT, "INS 42", 0, unknown, ok, "fault: sw 6A82"),
            "2023-11-14T22:13:20.123456Z card0 INS 42 00 42 00 00 -> SW 90 00 (1.234 ms) "
            "[fault: sw 6A82]\n");
        assert_string_equal(
            line(TRACE_TEXT, "INS 42", 0, unknown, sizeof(unknown), NULL, 0, "fault: drop"),
            "2023-11-14T22:13:20.123456Z card0 INS 42 00 42 00 00 -> (no answer) (1.234 ms) "
            "[fault: drop]\n");
        /* a command too short to have an INS has no name */
        assert_string_equal(
            line(TRACE_TEXT, NULL, 0, unknown, 1, ok, 2, NULL),
            "2023-11-14T22:13:20.123456Z card0 MALFORMED 00 -> SW 90 00 (1.234 ms)\n");
}

static void json_form(void **state)
{
        (void)state;
        const uint8_t getdata[] = {0x00, 0xCB, 0x3F, 0xFF, 0x03, 0x5C, 0x01, 0x7E, 0x00};
        const uint8_t rsp[] = {0x7E, 0x00, 0x90, 0x00};
        assert_string_equal(
            LINE(TRACE_JSON, "GET DATA", 0, getdata, rsp, "a \"quoted\"\nnote"),
            "{\"time\":\"2023-11-14T22:13:20.123456Z\",\"card\":\"card0\",\"command_name\":\"GET "
            "DATA\",\"command\":\"00CB3FFF035C017E00\",\"command_redacted\":0,\"response\":"
            "\"7E00\","
            "\"response_redacted\":0,\"sw\":\"9000\",\"duration_us\":1234,\"note\":\"a "
            "\\\"quoted\\\"\\u000anote\"}\n");
        const uint8_t verify[] = {0x00, 0x20, 0x00, 0x80, 0x08, 0x31, 0x32,
                                  0x33, 0x34, 0x35, 0x36, 0xFF, 0xFF};
        assert_string_equal(
            LINE(TRACE_JSON, "VERIFY", SECRET, verify, ok, NULL),
            "{\"time\":\"2023-11-14T22:13:20.123456Z\",\"card\":\"card0\",\"command_name\":"
            "\"VERIFY\",\"command\":\"0020008008\",\"command_redacted\":8,\"response\":\"\","
            "\"response_redacted\":0,\"sw\":\"9000\",\"duration_us\":1234}\n");
        const uint8_t x[] = {0x00, 0x42, 0x00, 0x00};
        assert_string_equal(
            line(TRACE_JSON, "INS 42", 0, x, sizeof(x), NULL, 0, NULL),
            "{\"time\":\"2023-11-14T22:13:20.123456Z\",\"card\":\"card0\",\"command_name\":\"INS "
            "42\",\"command\":\"00420000\",\"command_redacted\":0,\"response\":null,\"sw\":null,"
            "\"duration_us\":1234}\n");
}

/* ---- what a PIV card says is secret -------------------------------------------------------- */

/* A PIV card as vt_card_setup makes it from an image in memory: PIN 123456, the default
 * management key, a certificate-shaped blob in 9A, and a management key protected by the PIN in
 * the printed information 5FC109, as ykman keeps it. Its store is in memory too. */
static struct vt_card card;
static struct vt_image *img;
static struct vt_mem_store mem;
static struct vt_store store;
static uint8_t out[VT_RAPDU_MAX];

static const uint8_t printed[] = {0x53, 0x0C, 0x88, 0x0A, 0x89, 0x08, 0x01,
                                  0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};

static int card_setup(void **state)
{
        char err[128];
        uint8_t padded[8];
        struct vt_slot *s;
        (void)state;
        assert_non_null(img = vt_piv_image_new("mem"));
        vt_pin_pad("123456", padded);
        vt_secret_set(&vt_piv_of(img)->pin, padded);
        memcpy(vt_piv_of(img)->mgm_key, vt_piv_default_mgm_key, sizeof(vt_piv_default_mgm_key));
        vt_piv_of(img)->mgm_key_len = sizeof(vt_piv_default_mgm_key);
        s = vt_piv_slot(vt_piv_of(img), 0x9A);
        s->cert_len = 300;
        assert_non_null(s->cert = calloc(1, s->cert_len));
        s->cert[0] = 0x30;
        assert_int_equal(vt_piv_set_object(vt_piv_of(img), 0x5FC109, printed, sizeof(printed)), 0);
        mem = (struct vt_mem_store){0};
        store = vt_mem_store(&mem);
        if (vt_card_setup(&card, img, &store, err, sizeof(err)) != 0)
                fail_msg("card setup: %s", err);
        vt_card_power_on(&card);
        return 0;
}

static int card_teardown(void **state)
{
        (void)state;
        vt_card_release(&card);
        vt_image_free(img);
        return 0;
}

/* Gives the card one APDU (hex) as the daemon does, running it when it is whole; returns what
 * the card said of its secrets, after checking that vt_card_peek_secrecy said the same before. */
static unsigned secrecy(const char *hex)
{
        static uint8_t cmd[VT_CHAIN_MAX];
        size_t n = hex_decode(hex, cmd, sizeof(cmd));
        struct vt_card_step step;
        unsigned peek = vt_card_peek_secrecy(&card, cmd, n);
        vt_card_receive(&card, cmd, n, out, &step);
        if (peek != step.secrecy)
                fail_msg("%s: peek says %u, receive %u", hex, peek, step.secrecy);
        if (step.ready)
                vt_card_execute(&card, out);
        return step.secrecy;
}

#define SELECT_PIV "00 A4 04 00 05 A0 00 00 03 08"
#define VERIFY_PIN "00 20 00 80 08 31 32 33 34 35 36 FF FF"
#define MGM_KEY    "01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08"

/* A sequence of APDUs given to the card in order, each with what it must be said of it. */
struct said {
        const char *apdu;
        unsigned secrecy;
};

static void expect_said(const struct said *seq, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                unsigned s = secrecy(seq[i].apdu);
                if (s != seq[i].secrecy)
                        fail_msg("%s: secrecy %u, expected %u", seq[i].apdu, s, seq[i].secrecy);
        }
}

#define EXPECT_SAID(seq) expect_said(seq, sizeof(seq) / sizeof(seq[0]))

static void pins_and_keys_are_secret(void **state)
{
        static const struct said seq[] = {
            /* a PIN is a PIN, sent to the applet or to none */
            {VERIFY_PIN, SECRET},
            {SELECT_PIV, 0},
            {VERIFY_PIN, SECRET},
            {"00 20 00 80", SECRET}, /* nothing to hide, but a VERIFY */
            {"00 24 00 80 10 31 32 33 34 35 36 FF FF 36 35 34 33 32 31 FF FF", SECRET},
            {"00 24 00 81 10 31 32 33 34 35 36 37 38 38 37 36 35 34 33 32 31", SECRET},
            {"00 2C 00 80 10 31 32 33 34 35 36 37 38 31 32 33 34 35 36 FF FF", SECRET},
            {"00 FE 11 9A 22 06 20 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13 14 15 "
             "16 17 18 19 1A 1B 1C 1D 1E 1F 20",
             SECRET},
            {"10 FE 11 9A 04 06 20 01 02", SECRET}, /* chained */
            {"00 FE 11 9A 03 03 04 05", SECRET},
            {"00 FF FF FF 1B 03 9B 18 " MGM_KEY, SECRET},
            /* the management key's exchanges, not those of a slot's key */
            {"00 87 03 9B 04 7C 02 80 00", SECRET},
            {"00 87 03 9B 04 7C 02 81 00", SECRET},
            {"00 87 07 9A 06 7C 04 82 00 81 00", 0},
            /* what decryption and key agreement answer is secret, not what they are sent */
            {"00 87 07 9D 06 7C 04 82 00 81 00", VT_SECRET_RESPONSE},
            {"00 87 07 95 06 7C 04 82 00 81 00", VT_SECRET_RESPONSE},
            {"00 87 11 9E 06 7C 04 82 00 85 00", VT_SECRET_RESPONSE},
            {"10 87 11 9C 02 7C 04", 0},
            {"00 47 00 9A 05 AC 03 80 01 11", 0},
            {"00 CB 3F FF 03 5C 01 7E 00", 0},
        };
        (void)state;
        EXPECT_SAID(seq);
}

/* The printed information 5FC109 may hold the management key: written, the command and its
 * answer are secret, in every part of a chain, the first included; read, the answer is. A
 * certificate is no secret either way. */
static void the_printed_information_is_secret(void **state)
{
        static const struct said seq[] = {
            {SELECT_PIV, 0},
            {"00 DB 3F FF 13 5C 03 5F C1 09 53 0C 88 0A 89 08 01 02 03 04 05 06 07 08", SECRET},
            /* extended, as ykman sends it */
            {"00 DB 3F FF 00 00 13 5C 03 5F C1 09 53 0C 88 0A 89 08 01 02 03 04 05 06 07 08",
             SECRET},
            /* chained: the first part names the object, the later ones do not */
            {"10 DB 3F FF 05 5C 03 5F C1 09", SECRET},
            {"10 DB 3F FF 04 53 0C 88 0A", SECRET},
            {"00 DB 3F FF 0A 89 08 01 02 03 04 05 06 07 08", SECRET},
            /* the first part names the object and carries secret data already */
            {"10 DB 3F FF 09 5C 03 5F C1 09 53 0C 88 0A", SECRET},
            {"00 DB 3F FF 0A 89 08 01 02 03 04 05 06 07 08", SECRET},
            {"00 CB 3F FF 05 5C 03 5F C1 09 00", VT_SECRET_RESPONSE},
            /* a certificate */
            {"00 CB 3F FF 05 5C 03 5F C1 05 00", 0},
            {"00 DB 3F FF 07 5C 03 5F C1 05 53 00", 0},
            {"10 DB 3F FF 05 5C 03 5F C1 05", 0},
            {"00 DB 3F FF 05 53 03 70 01 00", 0},
        };
        (void)state;
        EXPECT_SAID(seq);
}

/* Commands the card refuses before looking at them are judged all the same: a PIN with a bad
 * class or a wrong length, a tag list split between two parts of a chain, a part that
 * overflows the chain. */
static void refused_and_split_commands_keep_their_secrets(void **state)
{
        static char big[3 * 5 + 255 * 3 + 1];
        static const struct said seq[] = {
            {SELECT_PIV, 0},
            {"80 20 00 80 08 31 32 33 34 35 36 FF FF", SECRET}, /* bad class: 6E00 */
            {"0C 20 00 80 08 31 32 33 34 35 36 FF FF", SECRET}, /* secure messaging */
            {"00 20 00 80 09 31 32 33 34 35 36 FF FF", SECRET}, /* Lc says 9: 6700 */
            /* 5C 03 5F C1 | 09: the object named only once both parts are there */
            {"10 DB 3F FF 04 5C 03 5F C1", 0},
            {"00 DB 3F FF 0B 09 53 08 88 06 89 04 01 02 03 04", SECRET},
        };
        (void)state;
        EXPECT_SAID(seq);
        /* a chain of 5FC109 that grows past what the card holds: the part that overflows
         * (answered 6A84) is as secret as the rest */
        assert_int_equal(secrecy("10 DB 3F FF 05 5C 03 5F C1 09"), SECRET);
        size_t n = 0;
        n += (size_t)snprintf(big + n, sizeof(big) - n, "10 DB 3F FF FF");
        for (int i = 0; i < 255; i++)
                n += (size_t)snprintf(big + n, sizeof(big) - n, " 00");
        for (int k = 0; k < VT_CHAIN_MAX / 255; k++)
                assert_int_equal(secrecy(big), SECRET);
        struct vt_card_step step;
        uint8_t cmd[5 + 255];
        size_t len = hex_decode(big, cmd, sizeof(cmd));
        vt_card_receive(&card, cmd, len, out, &step);
        assert_false(step.ready);
        assert_int_equal(out[0] << 8 | out[1], 0x6A84);
        assert_int_equal(step.secrecy, SECRET);
}

/* GET RESPONSE hands out the rest of an answer: secret when that answer is. */
static void get_response_continues_a_secret_answer(void **state)
{
        (void)state;
        assert_int_equal(secrecy(SELECT_PIV), 0);
        assert_int_equal(secrecy(VERIFY_PIN), SECRET);
        assert_int_equal(secrecy("00 CB 3F FF 05 5C 03 5F C1 09 04"), VT_SECRET_RESPONSE);
        assert_memory_equal(out, "\x53\x0C\x88\x0A\x61\x0A", 6);
        assert_int_equal(secrecy("00 C0 00 00 04"), VT_SECRET_RESPONSE);
        assert_int_equal(secrecy("00 C0 00 00 06"), VT_SECRET_RESPONSE);
        /* the management key's witness, in pieces */
        assert_int_equal(secrecy("00 87 03 9B 04 7C 02 80 00 02"), SECRET);
        assert_memory_equal(out, "\x7C\x0A\x61\x0A", 4);
        assert_int_equal(secrecy("00 C0 00 00 00"), VT_SECRET_RESPONSE);
        /* a certificate's rest is no secret */
        assert_int_equal(secrecy("00 CB 3F FF 05 5C 03 5F C1 05 00"), 0);
        assert_int_equal(out[256], 0x61);
        assert_int_equal(secrecy("00 C0 00 00 00"), 0);
}

/* Whatever the secret-carrying command, as the card judges it, its data and its answer's data
 * never show in a trace, chained or not, in either form. */
static void secrets_never_show(void **state)
{
        (void)state;
        static const uint8_t ins[][2] = {{0x20, 0x80}, {0x24, 0x80}, {0x2C, 0x80},
                                         {0xFE, 0x9A}, {0xFF, 0xFF}, {0x87, 0x9B}};
        uint8_t secret[300];
        char name[8];
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
                                const char *l = line((enum trace_format)fmt,
                                                     vt_card_ins_name(&card, ins[i][0], name),
                                                     vt_card_peek_secrecy(&card, cmd, 260), cmd,
                                                     260, rsp, sizeof(rsp), NULL);
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
            line(TRACE_TEXT, vt_card_ins_name(&card, 0xFE, name),
                 vt_card_peek_secrecy(&card, ext, sizeof(ext)), ext, sizeof(ext), ok, 2, NULL),
            "2023-11-14T22:13:20.123456Z card0 IMPORT KEY 00 FE 11 9A 00 01 2C <redacted 300 "
            "bytes> -> SW 90 00 (1.234 ms)\n");
        /* VERIFY without data (a PIN status query) has nothing to hide */
        const uint8_t query[] = {0x00, 0x20, 0x00, 0x80};
        const uint8_t tries[] = {0x63, 0xC3};
        assert_string_equal(
            LINE(TRACE_TEXT, "VERIFY", SECRET, query, tries, NULL),
            "2023-11-14T22:13:20.123456Z card0 VERIFY 00 20 00 80 -> SW 63 C3 (1.234 ms)\n");
}

/* ykman keeps a PIN-protected management key in the printed-information object 5FC109, and
 * sends extended APDUs: PUT DATA of it is hidden, the answer to GET DATA of it too. */
static void protected_management_key(void **state)
{
        (void)state;
        const uint8_t put[] = {0x00, 0xDB, 0x3F, 0xFF, 0x00, 0x00, 0x0F, 0x5C, 0x03, 0x5F, 0xC1,
                               0x09, 0x53, 0x08, 0x88, 0x06, 0x89, 0x04, 0x31, 0x32, 0x33, 0x34};
        assert_string_equal(LINE(TRACE_TEXT, "PUT DATA", SECRET, put, ok, NULL),
                            "2023-11-14T22:13:20.123456Z card0 PUT DATA 00 DB 3F FF "
                            "00 00 0F <redacted 15 bytes> -> SW 90 00 (1.234 ms)\n");
        const uint8_t get[] = {0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x09, 0x00};
        const uint8_t obj[] = {0x53, 0x04, 0x88, 0x02, 0x89, 0x00, 0x90, 0x00};
        assert_string_equal(
            LINE(TRACE_TEXT, "GET DATA", VT_SECRET_RESPONSE, get, obj, NULL),
            "2023-11-14T22:13:20.123456Z card0 GET DATA 00 CB 3F FF 05 5C 03 5F C1 09 00 -> "
            "<redacted 6 bytes> SW 90 00 (1.234 ms)\n");
}

/* A redacted command's Le is no secret: it shows after the hidden data. */
static void redacted_command_shows_le(void **state)
{
        (void)state;
        const uint8_t verify[] = {0x00, 0x20, 0x00, 0x80, 0x08, 0x31, 0x32,
                                  0x33, 0x34, 0x35, 0x36, 0xFF, 0xFF, 0x00};
        assert_string_equal(
            LINE(TRACE_TEXT, "VERIFY", SECRET, verify, ok, NULL),
            "2023-11-14T22:13:20.123456Z card0 VERIFY 00 20 00 80 08 <redacted 8 bytes> Le 00 -> "
            "SW 90 00 (1.234 ms)\n");
        assert_string_equal(
            LINE(TRACE_JSON, "VERIFY", SECRET, verify, ok, NULL),
            "{\"time\":\"2023-11-14T22:13:20.123456Z\",\"card\":\"card0\",\"command_name\":"
            "\"VERIFY\",\"command\":\"0020008008\",\"command_redacted\":8,\"command_le\":\"00\","
            "\"response\":\"\",\"response_redacted\":0,\"sw\":\"9000\",\"duration_us\":1234}\n");
        /* extended: Le of two bytes */
        const uint8_t ext[] = {0x00, 0x20, 0x00, 0x80, 0x00, 0x00, 0x08, 0x31, 0x32,
                               0x33, 0x34, 0x35, 0x36, 0xFF, 0xFF, 0x00, 0x00};
        assert_string_equal(LINE(TRACE_TEXT, "VERIFY", SECRET, ext, ok, NULL),
                            "2023-11-14T22:13:20.123456Z card0 VERIFY 00 20 00 80 00 00 08 "
                            "<redacted 8 bytes> Le 00 00 -> SW 90 00 (1.234 ms)\n");
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
                                .name = "PUT DATA",
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
                                .name = "GET RESPONSE",
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
        struct trace_entry e = {.card = "c",
                                .when = when,
                                .cmd = cmd,
                                .cmd_len = 4,
                                .rsp = ok,
                                .rsp_len = 2,
                                .name = "SELECT"};
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
            cmocka_unit_test_setup_teardown(pins_and_keys_are_secret, card_setup, card_teardown),
            cmocka_unit_test_setup_teardown(refused_and_split_commands_keep_their_secrets,
                                            card_setup, card_teardown),
            cmocka_unit_test_setup_teardown(the_printed_information_is_secret, card_setup,
                                            card_teardown),
            cmocka_unit_test_setup_teardown(get_response_continues_a_secret_answer, card_setup,
                                            card_teardown),
            cmocka_unit_test_setup_teardown(secrets_never_show, card_setup, card_teardown),
            cmocka_unit_test(protected_management_key),
            cmocka_unit_test(redacted_command),
            cmocka_unit_test(redacted_answer),
            cmocka_unit_test(redacted_command_shows_le),
            cmocka_unit_test(sink_appends_whole_lines),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
