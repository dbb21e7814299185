/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken matrix's parts that need no card: the personality table (provision/personality.c),
 * named from the profile and firmware tables, and the reports (cli/matrix_report.c), which
 * carry any bytes a command wrote as valid, escaped text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "matrix.h"
#include "personality.h"
#include "profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t count(const char *(*at)(size_t))
{
        size_t n = 0;
        while (at(n))
                n++;
        return n;
}

static void test_every_profile_and_firmware_is_a_personality(void **state)
{
        (void)state;
        struct vt_personality p, q;
        size_t n = 0, profiles = count(vt_profile_at), firmwares = count(vt_firmware_at);

        while (vt_personality_at(n, &p) == 0)
                n++;
        assert_int_equal(n, profiles + firmwares);
        for (size_t i = 0; i < profiles; i++) {
                assert_int_equal(vt_personality_at(i, &p), 0);
                assert_string_equal(p.name, vt_profile_at(i));
                assert_string_equal(p.profile, vt_profile_at(i));
                assert_null(p.firmware);
                assert_null(p.compat);
        }
        for (size_t i = 0; i < firmwares; i++) {
                char name[64];
                assert_int_equal(vt_personality_at(profiles + i, &p), 0);
                snprintf(name, sizeof(name), "yubikey-%s", vt_firmware_at(i));
                assert_string_equal(p.name, name);
                assert_string_equal(p.profile, "yubikey5");
                assert_string_equal(p.firmware, vt_firmware_at(i));
                assert_string_equal(p.compat, "yubikey");
        }
        for (size_t i = 0; vt_personality_at(i, &p) == 0; i++) {
                char what[1024];
                assert_true(vt_profile_known(p.profile));
                assert_int_equal(vt_personality_find(p.name, &q), 0); /* names are unique */
                assert_string_equal(q.name, p.name);
                for (size_t j = 0; j < i; j++) {
                        assert_int_equal(vt_personality_at(j, &q), 0);
                        assert_string_not_equal(q.name, p.name);
                }
                assert_int_equal(vt_personality_describe(&p, what, sizeof(what)), 0);
                assert_true(strlen(what) > 3);
        }
        assert_int_equal(vt_personality_find("yubikey-4.3.1", &p), -1);
        assert_int_equal(vt_personality_find("", &p), -1);
}

static void test_descriptions_say_what_differs(void **state)
{
        (void)state;
        struct vt_personality p;
        char what[1024], small[8];

        assert_int_equal(vt_personality_find("yubikey-5.7.1", &p), 0);
        assert_int_equal(vt_personality_describe(&p, what, sizeof(what)), 0);
        assert_non_null(strstr(what, "PIV + OpenPGP + OATH + FIDO"));
        assert_non_null(strstr(what, "firmware 5.7.1 (Ed25519"));
        assert_non_null(strstr(what, "compat yubikey"));
        assert_int_equal(vt_personality_find("ecert", &p), 0);
        assert_int_equal(vt_personality_describe(&p, what, sizeof(what)), 0);
        assert_non_null(strstr(what, "strong PIN in an envelope, 15 tries"));
        assert_null(strstr(what, "firmware"));
        assert_int_equal(vt_personality_find("fido", &p), 0);
        assert_int_equal(vt_personality_describe(&p, what, sizeof(what)), 0);
        assert_string_equal(what, "FIDO; no PIN");
        assert_int_equal(vt_personality_describe(&p, small, sizeof(small)), -1); /* cut short */
}

/* The report of one row whose output is out (n bytes), written by fn into a string. */
static char *report_of(int (*fn)(FILE *, const struct vt_matrix_report *), const char *out,
                       size_t n, int status)
{
        char *text = NULL, *cmd[] = {"./t", "a<b", NULL};
        size_t len = 0;
        struct vt_matrix_result r = {.name = "piv",
                                     .personality = "piv",
                                     .ran = true,
                                     .status = status,
                                     .seconds = 1.5,
                                     .output = (char *)out,
                                     .output_len = n};
        struct vt_matrix_report m = {.rows = &r, .n = 1, .command = cmd, .jobs = 2, .seconds = 2};
        FILE *f = open_memstream(&text, &len);

        assert_non_null(f);
        assert_int_equal(fn(f, &m), 0);
        assert_int_equal(fclose(f), 0);
        return text;
}

#define FFFD "\xEF\xBF\xBD"

static void test_output_becomes_valid_escaped_text(void **state)
{
        (void)state;
        /* a NUL, an invalid byte, an overlong '/', a surrogate, a cut-short sequence, C0 and C1
         * controls, U+FFFF; kept: tab, LF, CR, é, €, 𝄞 (4 bytes), markup and quotes */
        static const char out[] = "a\0b\xFF/\xC0\xAF \xED\xA0\x80 \x1B[1m \xC2\x85 \xEF\xBF\xBF"
                                  " \t\r\n\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E <&>\"' \xE2\x82";
        char *json = report_of(vt_matrix_write_json, out, sizeof(out) - 1, 0);
        char *xml = report_of(vt_matrix_write_junit, out, sizeof(out) - 1, 3);
        char *html = report_of(vt_matrix_write_html, out, sizeof(out) - 1, 3);

        assert_non_null(strstr(
            json,
            "\"output\": \"a" FFFD "b" FFFD "/" FFFD FFFD " " FFFD FFFD FFFD " " FFFD "[1m " FFFD
            " " FFFD " \\t\\r\\n\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E <&>\\\"' " FFFD FFFD "\"}"));
        assert_non_null(strstr(json, "\"passed\": 1,\n  \"failed\": 0,"));
        assert_non_null(strstr(json, "\"command\": [\"./t\", \"a<b\"]"));
        assert_non_null(strstr(xml, "<system-out>a" FFFD "b" FFFD "/"));
        assert_non_null(strstr(
            xml, " \t&#13;\n\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E &lt;&amp;&gt;&quot;&#39; "));
        assert_non_null(strstr(xml, "<failure message=\"exit status 3\" type=\"exit-status\">"));
        assert_non_null(strstr(xml, "tests=\"1\" failures=\"1\" errors=\"0\" skipped=\"0\""));
        assert_non_null(strstr(xml, "value=\"./t a&lt;b\""));
        assert_non_null(strstr(html, "<tr class=\"failed\" id=\"row-0\">"));
        assert_non_null(strstr(html, "&lt;&amp;&gt;&quot;&#39;"));
        assert_null(strstr(html, "<&>"));
        free(json);
        free(xml);
        free(html);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_profile_and_firmware_is_a_personality),
            cmocka_unit_test(test_descriptions_say_what_differs),
            cmocka_unit_test(test_output_becomes_valid_escaped_text),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
