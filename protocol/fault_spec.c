/* SPDX-License-Identifier: Apache-2.0 */
#include "fault_spec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define COUNT_MAX    1000000
#define DELAY_MAX_US (3600ULL * 1000000ULL)

enum fault_arg { ARG_NONE, ARG_SW, ARG_TIME };

/* The kinds: one row each, read by the parser, the error messages and the help. */
static const struct {
        const char *name;
        enum fault_kind kind;
        enum fault_arg arg;
        const char *argname, *help;
} kinds[] = {
    {"sw", FAULT_SW, ARG_SW, "XXXX",
     "answered with status word XXXX (OpenSC verifies the PIN\n"
     "again and retries a signature refused with 69 82: use\n"
     "--sticky to make every signature fail)"},
    {"delay", FAULT_DELAY, ARG_TIME, "TIME",
     "answered TIME later; TIME has its unit: 500ms, 2s, 1.5s,\n"
     "250us (a bare number is refused)"},
    {"drop", FAULT_DROP, ARG_NONE, "",
     "the reader link closes mid-command; the card\n"
     "reconnects by itself"},
    {"write-fail", FAULT_WRITE_FAIL, ARG_NONE, "",
     "the card image cannot be written: the card answers\n"
     "65 81, nothing changes"},
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static const char kinds_list[] = "sw XXXX, delay TIME, drop, write-fail or " FAULT_CLEAR;

void fault_kinds_help(FILE *f, int indent)
{
        for (size_t k = 0; k < N_KINDS; k++) {
                char head[32];
                snprintf(head, sizeof(head), "%s %s", kinds[k].name, kinds[k].argname);
                fprintf(f, "%*s%-13s", indent, "", head);
                for (const char *p = kinds[k].help; *p; p++) {
                        fputc(*p, f);
                        if (*p == '\n')
                                fprintf(f, "%*s", indent + 13, "");
                }
                fputc('\n', f);
        }
}

static bool parse_hex(const char *s, size_t digits, unsigned long *out)
{
        char *end;
        if (strlen(s) != digits || strspn(s, "0123456789abcdefABCDEF") != digits)
                return false;
        *out = strtoul(s, &end, 16);
        return *end == '\0';
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
        char *end;
        if (!*s || strspn(s, "0123456789") != strlen(s))
                return false;
        errno = 0;
        *out = strtoul(s, &end, 10);
        return !errno && *out <= max;
}

/* "500ms", "2s", "1.5s", "250us": the unit is required, so "2" cannot mean 2 ms to one reader
 * and 2 s to another. */
static bool parse_time(const char *s, uint64_t *us)
{
        static const struct {
                const char *unit;
                double scale;
        } units[] = {{"us", 1}, {"ms", 1000}, {"s", 1000000}};
        char *end;
        if (!*s || !strchr("0123456789.", *s))
                return false;
        errno = 0;
        double v = strtod(s, &end);
        for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
                if (strcmp(end, units[u].unit) != 0)
                        continue;
                if (errno || end == s || v < 0 || v * units[u].scale > (double)DELAY_MAX_US)
                        return false;
                *us = (uint64_t)(v * units[u].scale);
                return true;
        }
        return false;
}

static int parse_arg(size_t k, const char *word, struct fault *f, char *err, size_t errlen)
{
        unsigned long v;
        switch (kinds[k].arg) {
        case ARG_SW:
                if (word && parse_hex(word, 4, &v)) {
                        f->sw = (uint16_t)v;
                        return 0;
                }
                snprintf(err, errlen, "sw needs a status word of 4 hex digits, e.g. sw 6A82");
                return -1;
        case ARG_TIME:
                if (word && parse_time(word, &f->delay_us))
                        return 0;
                if (word && *word && strspn(word, "0123456789.") == strlen(word))
                        snprintf(err, errlen,
                                 "delay needs a unit: '%.32s' is a bare number; write e.g. "
                                 "delay %.32sms or delay %.32ss (us, ms or s, up to 1 hour)",
                                 word, word, word);
                else
                        snprintf(err, errlen,
                                 "delay needs a time with its unit (us, ms or s) up to 1 hour, "
                                 "e.g. delay 500ms or delay 2s");
                return -1;
        case ARG_NONE:
                break;
        }
        return 0;
}

int fault_parse(char *const *words, size_t n, struct fault *out, char *err, size_t errlen)
{
        struct fault f = {.ins = -1, .p1 = -1, .p2 = -1, .count = 1};
        unsigned long v;
        size_t k = 0;

        if (n == 0) {
                snprintf(err, errlen, "KIND is missing: %s", kinds_list);
                return -1;
        }
        while (k < N_KINDS && strcmp(words[0], kinds[k].name) != 0)
                k++;
        if (k == N_KINDS) {
                snprintf(err, errlen, "unknown KIND '%.64s': %s", words[0], kinds_list);
                return -1;
        }
        f.kind = kinds[k].kind;
        size_t i = 1;
        if (kinds[k].arg != ARG_NONE) {
                if (parse_arg(k, n > 1 ? words[1] : NULL, &f, err, errlen) < 0)
                        return -1;
                i = 2;
        }
        bool counted = false;
        for (; i < n; i++) {
                const char *opt = words[i], *arg = i + 1 < n ? words[i + 1] : NULL;
                int *header = strcmp(opt, "--ins") == 0  ? &f.ins
                              : strcmp(opt, "--p1") == 0 ? &f.p1
                              : strcmp(opt, "--p2") == 0 ? &f.p2
                                                         : NULL;
                if (strcmp(opt, "--sticky") == 0 || strcmp(opt, "--count") == 0) {
                        if (counted) {
                                snprintf(err, errlen,
                                         "bad option '%.64s': --count and --sticky exclude each "
                                         "other, and each is given once",
                                         opt);
                                return -1;
                        }
                        counted = true;
                        if (opt[2] == 's') {
                                f.sticky = true;
                                continue;
                        }
                        if (!arg || !parse_uint(arg, COUNT_MAX, &v) || v == 0) {
                                snprintf(err, errlen,
                                         "bad option '--count': it needs a number of commands, "
                                         "1 to %d",
                                         COUNT_MAX);
                                return -1;
                        }
                        f.count = (unsigned)v;
                        i++;
                } else if (header) {
                        if (!arg || !parse_hex(arg, 2, &v)) {
                                snprintf(err, errlen,
                                         "bad option '%s': it needs a byte in 2 hex digits, e.g. "
                                         "%s 87",
                                         opt, opt);
                                return -1;
                        }
                        *header = (int)v;
                        i++;
                } else {
                        snprintf(err, errlen,
                                 "%s '%.64s': expected --count N or --sticky (one of them), "
                                 "--ins XX, --p1 XX, --p2 XX",
                                 opt[0] == '-' ? "unknown option" : "unexpected", opt);
                        return -1;
                }
        }
        *out = f;
        return 0;
}
